//! Codec throughput on realistic ConnectyCube stanzas (`cargo bench -p cube-xmpp`).
//!
//! Corpus: the JS SDK's golden frames for a 1:1 message with extraParams and an attachment,
//! group messages, delivered/read markers and typing notifications, in both directions.
//! Compared: cube-xmpp parse + decode (streaming parser, typed `Message`), cube-xmpp encode,
//! the floor (quick-xml tokenisation of the same bytes with the parser's reader configuration,
//! every event read, nothing built or allocated), and the usual Rust
//! stack (minidom parse + xmpp-parsers `Message::try_from`, and its serialisation).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use cube_xmpp::{Element, Encoder, Frame, Framing, Limits, Message, StreamParser};

const TRANSCRIPTS: &str = include_str!("../tests/data/golden-xmpp-transcripts.json");

const LABELS: &[&str] = &[
    "send 1:1 chat message (with extension)",
    "send group chat message (dialog id)",
    "send group chat message (room jid, explicit id)",
    "delivered marker",
    "read marker",
    "typing (composing) 1:1",
    "stop typing (paused) 1:1",
    "typing (composing) group",
    "IN: 1:1 message with extraParams (SDK auto-replies <received>)",
    "IN: group message from room occupant (SDK auto-replies <received> 1:1)",
    "IN: delivered marker",
    "IN: typing 1:1",
];

/// The corpus: one WebSocket frame (one `<message/>`) per entry.
fn corpus() -> Vec<String> {
    let json: serde_json::Value = serde_json::from_str(TRANSCRIPTS).expect("json");
    let frames = json["plain"]["transcript"].as_array().expect("frames");
    let mut out = Vec::new();
    for label in LABELS {
        for f in frames {
            let xml = f["xml"].as_str().unwrap_or_default();
            if f["label"] == *label && xml.starts_with("<message") {
                out.push(xml.to_owned());
            }
        }
    }
    assert!(
        out.len() >= LABELS.len(),
        "corpus incomplete: {}",
        out.len()
    );
    out
}

fn cube_decode(parser: &mut StreamParser, frame: &str) -> Message {
    parser.feed(frame.as_bytes());
    match parser.next_frame() {
        Ok(Some(Frame::Element(el))) => Message::try_from(el).expect("a message"),
        other => panic!("unexpected {other:?}"),
    }
}

fn cube_parse(parser: &mut StreamParser, frame: &str) -> Element {
    parser.feed(frame.as_bytes());
    match parser.next_frame() {
        Ok(Some(Frame::Element(el))) => el,
        other => panic!("unexpected {other:?}"),
    }
}

/// minidom + xmpp-parsers, decoding the payloads xmpp-parsers has types for.
fn xmpp_parsers_decode(frame: &str) -> xmpp_parsers::message::Message {
    let el: minidom::Element = frame.parse().expect("minidom");
    let msg = xmpp_parsers::message::Message::try_from(el).expect("xmpp-parsers");
    for p in &msg.payloads {
        let _ = black_box(xmpp_parsers::chatstates::ChatState::try_from(p.clone()));
        let _ = black_box(xmpp_parsers::message_correct::Replace::try_from(p.clone()));
    }
    msg
}

/// quick-xml's reader over the frame's bytes, configured as `StreamParser` configures it (in
/// particular no end-name check, whose stack of names allocates per reader).
fn reader(frame: &str) -> quick_xml::Reader<&[u8]> {
    let mut reader = quick_xml::Reader::from_reader(frame.as_bytes());
    let config = reader.config_mut();
    config.check_end_names = false;
    config.expand_empty_elements = false;
    config.trim_text_start = false;
    config.trim_text_end = false;
    config.allow_dangling_amp = false;
    config.check_comments = false;
    config.allow_unmatched_ends = true;
    reader
}

/// The floor: every event of the frame read, nothing built, nothing allocated.
fn quick_xml_tokens(frame: &str) -> usize {
    let mut reader = reader(frame);
    let mut n = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => return n,
            Ok(e) => {
                black_box(&e);
                n += 1;
            }
            Err(e) => panic!("{e}"),
        }
    }
}

/// quick-xml tokenisation plus what any parser must also do: iterate the attributes (without
/// the duplicate check, which allocates) and unescape their values and the text (still
/// building nothing; unescaping borrows unless a reference is present).
fn quick_xml_tokens_attrs(frame: &str) -> usize {
    let mut reader = reader(frame);
    let mut n = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => return n,
            Ok(quick_xml::events::Event::Start(s) | quick_xml::events::Event::Empty(s)) => {
                for a in s.attributes().with_checks(false) {
                    let a = a.expect("attribute");
                    n += black_box(a.unescape_value().expect("value")).len();
                }
            }
            Ok(quick_xml::events::Event::Text(t)) => {
                n += black_box(t.decode().expect("text")).len();
            }
            Ok(e) => {
                black_box(&e);
                n += 1;
            }
            Err(e) => panic!("{e}"),
        }
    }
}

fn benches(c: &mut Criterion) {
    let corpus = corpus();
    let bytes: usize = corpus.iter().map(String::len).sum();

    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("cube-xmpp parse+decode", |b| {
        let mut parser = StreamParser::new(Framing::WebSocket, Limits::default());
        b.iter(|| {
            for f in &corpus {
                black_box(cube_decode(&mut parser, f));
            }
        });
    });
    g.bench_function("cube-xmpp parse only", |b| {
        let mut parser = StreamParser::new(Framing::WebSocket, Limits::default());
        b.iter(|| {
            for f in &corpus {
                black_box(cube_parse(&mut parser, f));
            }
        });
    });
    g.bench_function("quick-xml tokenise (floor)", |b| {
        b.iter(|| {
            for f in &corpus {
                black_box(quick_xml_tokens(f));
            }
        });
    });
    g.bench_function("quick-xml tokenise+attributes (floor 2)", |b| {
        b.iter(|| {
            for f in &corpus {
                black_box(quick_xml_tokens_attrs(f));
            }
        });
    });
    g.bench_function("minidom+xmpp-parsers parse+decode", |b| {
        b.iter(|| {
            for f in &corpus {
                black_box(xmpp_parsers_decode(f));
            }
        });
    });
    g.finish();

    let mut parser = StreamParser::new(Framing::WebSocket, Limits::default());
    let typed: Vec<Message> = corpus.iter().map(|f| cube_decode(&mut parser, f)).collect();
    let theirs: Vec<xmpp_parsers::message::Message> =
        corpus.iter().map(|f| xmpp_parsers_decode(f)).collect();
    let mut g = c.benchmark_group("encode");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("cube-xmpp encode", |b| {
        let encoder = Encoder::new(Framing::WebSocket);
        let mut out = Vec::with_capacity(bytes * 2);
        b.iter_batched(
            || typed.clone(),
            |messages| {
                out.clear();
                for m in messages {
                    encoder.element(&Element::from(m), &mut out);
                }
                black_box(out.len())
            },
            BatchSize::SmallInput,
        );
    });
    g.bench_function("xmpp-parsers encode", |b| {
        let mut out = Vec::with_capacity(bytes * 2);
        b.iter_batched(
            || theirs.clone(),
            |messages| {
                out.clear();
                for m in messages {
                    minidom::Element::from(m).write_to(&mut out).expect("write");
                }
                black_box(out.len())
            },
            BatchSize::SmallInput,
        );
    });
    g.finish();
}

criterion_group! {
    name = codec;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(codec);
