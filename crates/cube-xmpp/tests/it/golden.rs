//! The golden frames of the official JS SDK parse, write and parse back unchanged.

use cube_xmpp::{Frame, ParseError, StreamErrorCondition};

use crate::support::{equivalent, parse_element, parse_ws, stanza_file_frames, transcript_frames};

#[test]
fn every_transcript_frame_round_trips_through_the_codec() {
    let frames = transcript_frames();
    assert!(frames.len() > 200);
    let mut elements = 0;
    for f in &frames {
        match parse_ws(&f.xml) {
            Ok(Frame::Element(e)) => {
                let again = parse_element(&e.to_xml());
                assert_eq!(again, e, "{}: {}", f.label, f.xml);
                assert!(equivalent(&again, &e));
                elements += 1;
            }
            Ok(Frame::Open(_) | Frame::Close) => {}
            Err(e) => {
                // The one frame the SDK emits that is not XML (numeric element names).
                assert!(f.xml.contains("<0>"), "{}: {e}", f.label);
                assert_eq!(e.condition(), StreamErrorCondition::NotWellFormed);
            }
        }
    }
    assert!(elements > 180, "{elements}");
}

#[test]
fn the_stanza_file_agrees_with_the_transcripts() {
    let file = stanza_file_frames();
    let transcripts = transcript_frames();
    assert_eq!(file.len(), transcripts.len());
    for ((f, well_formed), t) in file.iter().zip(&transcripts) {
        assert_eq!(f.client_to_server, t.client_to_server);
        if *well_formed {
            match (parse_ws(&f.xml).unwrap(), parse_ws(&t.xml).unwrap()) {
                (Frame::Element(a), Frame::Element(b)) => {
                    assert!(equivalent(&a, &b), "{}", t.label);
                }
                (a, b) => assert_eq!(a, b, "{}", t.label),
            }
        } else {
            assert_eq!(f.xml, t.xml);
            assert!(matches!(
                parse_ws(&f.xml),
                Err(ParseError::NotWellFormed(_))
            ));
        }
    }
}
