//! Property tests of the streaming parser: random splits, arbitrary bytes, bounds.

use cube_xmpp::{Element, Encoder, Frame, Framing, Limits, StreamHeader, StreamParser};
use proptest::prelude::*;

use crate::support::transcript_frames;

fn parse_all(
    framing: Framing,
    limits: Limits,
    chunks: &[&[u8]],
) -> (Vec<Frame>, Option<cube_xmpp::ParseError>) {
    let mut p = StreamParser::new(framing, limits);
    let mut out = Vec::new();
    for c in chunks {
        p.feed(c);
        loop {
            match p.next_frame() {
                Ok(Some(f)) => out.push(f),
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    (out, None)
}

/// A TCP stream carrying every well-formed golden frame element.
fn tcp_corpus() -> Vec<u8> {
    let enc = Encoder::new(Framing::Tcp);
    let mut out = Vec::new();
    enc.open(
        &StreamHeader::new().with_to("localhost").with_version("1.0"),
        &mut out,
    );
    for f in transcript_frames() {
        if let Ok(Some(Frame::Element(e))) = {
            let mut p = StreamParser::new(Framing::WebSocket, Limits::default());
            p.feed(f.xml.as_bytes());
            p.next_frame()
        } {
            enc.element(&e, &mut out);
            out.push(b'\n');
        }
    }
    enc.close(&mut out);
    out
}

fn split_at_points(bytes: &[u8], mut points: Vec<usize>) -> Vec<&[u8]> {
    for p in &mut points {
        *p %= bytes.len() + 1;
    }
    points.sort_unstable();
    let mut chunks = Vec::new();
    let mut last = 0;
    for p in points {
        chunks.push(&bytes[last..p]);
        last = p;
    }
    chunks.push(&bytes[last..]);
    chunks
}

fn tag_name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_.-]{0,8}"
}

fn text() -> impl Strategy<Value = String> {
    // Printable text, markup characters and non-ASCII included.
    "[ -~\u{e9}\u{1F525}\n\t]{0,24}"
}

fn element() -> impl Strategy<Value = Element> {
    let leaf = (
        tag_name(),
        prop::option::of("urn:[a-z]{1,6}"),
        prop::collection::vec((tag_name(), text()), 0..3),
        text(),
    )
        .prop_map(|(name, ns, attrs, t)| {
            let mut e = Element::new(name, ns.unwrap_or_else(|| cube_xmpp::ns::CLIENT.to_owned()));
            for (k, v) in attrs {
                e.set_attr(k, v);
            }
            e.push_text(t);
            e
        });
    leaf.prop_recursive(4, 24, 4, |inner| {
        (tag_name(), prop::collection::vec(inner, 0..4), text()).prop_map(|(name, children, t)| {
            let mut e = Element::new(name, cube_xmpp::ns::CLIENT);
            for c in children {
                e.push_child(c);
                e.push_text(t.clone());
            }
            e
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn random_splits_give_the_same_frames(points in prop::collection::vec(any::<usize>(), 0..40)) {
        let corpus = tcp_corpus();
        let (whole, err) = parse_all(Framing::Tcp, Limits::default(), &[&corpus]);
        prop_assert!(err.is_none());
        let chunks = split_at_points(&corpus, points);
        let (split, err) = parse_all(Framing::Tcp, Limits::default(), &chunks);
        prop_assert!(err.is_none());
        prop_assert_eq!(split, whole);
    }

    #[test]
    fn elements_round_trip_through_both_framings(e in element(), points in prop::collection::vec(any::<usize>(), 0..8)) {
        for framing in [Framing::WebSocket, Framing::Tcp] {
            let enc = Encoder::new(framing);
            let mut bytes = Vec::new();
            if framing == Framing::Tcp {
                enc.open(&StreamHeader::default(), &mut bytes);
            }
            enc.element(&e, &mut bytes);
            let chunks = split_at_points(&bytes, points.clone());
            let (frames, err) = parse_all(framing, Limits::default(), &chunks);
            prop_assert!(err.is_none(), "{:?}", err);
            let got = frames.into_iter().find_map(|f| match f { Frame::Element(e) => Some(e), _ => None });
            prop_assert_eq!(got.as_ref(), Some(&e));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_stay_bounded(
        chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..16),
        tcp in any::<bool>(),
    ) {
        let limits = Limits::default().with_max_stanza_bytes(256).with_max_depth(4).with_max_attributes(4);
        let framing = if tcp { Framing::Tcp } else { Framing::WebSocket };
        let mut p = StreamParser::new(framing, limits);
        for c in &chunks {
            p.feed(c);
            while let Ok(Some(_)) = p.next_frame() {}
            // Unparsed input never grows past one stanza plus the newest chunk.
            prop_assert!(p.buffered() <= 256 + 64 + 64, "buffered {}", p.buffered());
        }
    }

    #[test]
    fn markup_like_noise_never_panics(s in "[<>/a-z:='\"&;#x0-9 ]{0,200}") {
        for framing in [Framing::WebSocket, Framing::Tcp] {
            let bytes = s.as_bytes();
            let (_, _) = parse_all(framing, Limits::default(), &bytes.chunks(7).collect::<Vec<_>>());
        }
    }
}
