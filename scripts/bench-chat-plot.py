#!/usr/bin/env python3
"""Plots and summarises the JSON lines of scripts/bench-chat.sh.

Usage: bench-chat-plot.py DIR   (reads DIR/chat-*.jsonl, writes DIR/chat.png, prints a table)

Each case (server, mode, save_to_history) is summarised by the median of its runs. The plot
needs matplotlib (installed with pip when missing); the table is printed either way.
"""

import json
import statistics
import subprocess
import sys
from pathlib import Path


def cases(directory):
    runs = {}
    for path in sorted(Path(directory).glob("chat-*.jsonl")):
        for line in path.read_text().splitlines():
            line = line.strip()
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            key = (r["mode"], r["save_to_history"], r["server"])
            runs.setdefault(key, []).append(r)
    out = {}
    for key, rs in runs.items():
        ok = [r for r in rs if r["ok"]]
        med = lambda f: statistics.median(r[f] for r in ok) if ok else 0.0
        out[key] = {
            "runs": len(rs),
            "ok": len(ok),
            "rate": med("delivered_per_s"),
            "p50": med("p50_ms"),
            "p95": med("p95_ms"),
            "p99": med("p99_ms"),
            "sample": rs[0],
        }
    return out


def label(mode, history, server):
    return f"{server} {mode}" + (" +history" if history else "")


def table(summary):
    lines = [
        "| case | runs ok | deliveries/s (median) | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|",
    ]
    for key in sorted(summary):
        s = summary[key]
        lines.append(
            f"| {label(*key)} | {s['ok']}/{s['runs']} | {s['rate']:.0f} | {s['p50']:.2f} "
            f"| {s['p95']:.2f} | {s['p99']:.2f} |"
        )
    return "\n".join(lines)


def goals(summary):
    def get(mode, history, server):
        return summary.get((mode, history, server))

    lines = []
    for mode in ("1:1", "group"):
        c, p = get(mode, False, "cube"), get(mode, False, "prosody")
        if c and p and p["rate"] > 0:
            lines.append(
                f"{mode}: cube/prosody rate {c['rate'] / p['rate']:.2f}x (goal >= 2x); "
                f"p99 cube {c['p99']:.2f} ms vs prosody {p['p99']:.2f} ms"
            )
        h = get(mode, True, "cube")
        if c and h and c["rate"] > 0:
            lines.append(
                f"{mode} save_to_history: {100 * h['rate'] / c['rate']:.0f}% of cube's plain "
                f"rate (goal >= 50%)"
            )
    return "\n".join(lines)


def plot(summary, target):
    try:
        import matplotlib
    except ImportError:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "matplotlib"], check=True
        )
        import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [("1:1", False), ("group", False), ("1:1", True), ("group", True)]
    names = ["1:1", "group fan-out", "1:1 +history", "group +history"]
    servers = [("prosody", "#999999"), ("cube", "#1f77b4")]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    width = 0.38
    for ax, field, title in (
        (axes[0], "rate", "delivered messages/s (higher is better)"),
        (axes[1], "p99", "p99 latency, ms (lower is better)"),
    ):
        for n, (server, colour) in enumerate(servers):
            xs, ys = [], []
            for g, (mode, history) in enumerate(groups):
                s = summary.get((mode, history, server))
                if s and s["ok"]:
                    xs.append(g + (n - 0.5) * width)
                    ys.append(s[field])
            bars = ax.bar(xs, ys, width, label=server, color=colour)
            ax.bar_label(bars, fmt="%.0f" if field == "rate" else "%.1f", fontsize=8)
        ax.set_xticks(range(len(groups)), names)
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8)
    sample = next(iter(summary.values()))["sample"]
    fig.suptitle(
        "cube bench chat over TCP on loopback, median of runs "
        f"(window {sample['window']}, body {sample['body_size']} B)",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(target, dpi=100)


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "docs/bench"
    summary = cases(directory)
    if not summary:
        sys.exit(f"no chat-*.jsonl results in {directory}")
    print(table(summary))
    print()
    print(goals(summary))
    plot(summary, Path(directory) / "chat.png")
    print(f"\nplot: {Path(directory) / 'chat.png'}")


if __name__ == "__main__":
    main()
