//! Test data: the golden frames captured from the official JS SDK.
#![allow(dead_code)]

use cube_xmpp::{Element, Frame, Framing, Limits, StreamParser};

/// One captured frame.
#[derive(Debug, Clone)]
pub struct GoldenFrame {
    pub scenario: String,
    pub label: String,
    pub client_to_server: bool,
    pub xml: String,
}

pub const TRANSCRIPTS: &str = include_str!("../data/golden-xmpp-transcripts.json");
pub const STANZAS: &str = include_str!("../data/golden-stanzas.xml");

/// Every frame of golden-xmpp-transcripts.json, in order.
pub fn transcript_frames() -> Vec<GoldenFrame> {
    let json: serde_json::Value = serde_json::from_str(TRANSCRIPTS).expect("transcripts json");
    let mut out = Vec::new();
    for (scenario, body) in json.as_object().expect("object") {
        for f in body["transcript"].as_array().expect("transcript array") {
            out.push(GoldenFrame {
                scenario: scenario.clone(),
                label: f["label"].as_str().unwrap().to_owned(),
                client_to_server: f["dir"].as_str().unwrap() == "C->S",
                xml: f["xml"].as_str().unwrap().to_owned(),
            });
        }
    }
    out
}

/// The frames of one scenario.
pub fn scenario(name: &str) -> Vec<GoldenFrame> {
    transcript_frames()
        .into_iter()
        .filter(|f| f.scenario == name)
        .collect()
}

/// Every `<frame>` of golden-stanzas.xml (comments and the XML declaration stripped, since
/// XMPP parsers refuse them), with its well-formed flag.
pub fn stanza_file_frames() -> Vec<(GoldenFrame, bool)> {
    let mut text = STANZAS.to_owned();
    while let Some(start) = text.find("<!--") {
        let end = text[start..].find("-->").unwrap() + start + 3;
        text.replace_range(start..end, "");
    }
    let decl_end = text.find("?>").unwrap() + 2;
    text.replace_range(..decl_end, "");
    let mut p = StreamParser::new(
        Framing::WebSocket,
        Limits::default().with_max_stanza_bytes(1 << 20),
    );
    p.feed(text.as_bytes());
    let Some(Frame::Element(root)) = p.next_frame().unwrap() else {
        panic!("golden-stanzas.xml has no root");
    };
    let mut out = Vec::new();
    for scenario in root.children() {
        let name = scenario.attr("name").unwrap().to_owned();
        for case in scenario.children() {
            let label = case.attr("name").unwrap().to_owned();
            for frame in case.children() {
                let client_to_server = frame.attr("dir") == Some("C->S");
                let well_formed = frame.attr("well-formed") != Some("false");
                let xml = if well_formed {
                    frame.children().next().expect("frame element").to_xml()
                } else {
                    frame.text()
                };
                out.push((
                    GoldenFrame {
                        scenario: name.clone(),
                        label: label.clone(),
                        client_to_server,
                        xml,
                    },
                    well_formed,
                ));
            }
        }
    }
    out
}

/// Parses one WebSocket frame.
pub fn parse_ws(xml: &str) -> Result<Frame, cube_xmpp::ParseError> {
    let mut p = StreamParser::new(Framing::WebSocket, Limits::default());
    p.feed(xml.as_bytes());
    Ok(p.next_frame()?.expect("a complete frame"))
}

/// Parses one WebSocket frame that must be an element.
pub fn parse_element(xml: &str) -> Element {
    match parse_ws(xml).unwrap() {
        Frame::Element(e) => e,
        other => panic!("not an element: {other:?}"),
    }
}

/// Whether two elements are equal up to attribute order.
pub fn equivalent(a: &Element, b: &Element) -> bool {
    if a.name() != b.name() || a.ns() != b.ns() || a.attr_count() != b.attr_count() {
        return false;
    }
    if !a.attrs().all(|(k, v)| b.attr(k) == Some(v)) {
        return false;
    }
    let an: Vec<_> = a.nodes().iter().filter(|n| !is_blank(n)).collect();
    let bn: Vec<_> = b.nodes().iter().filter(|n| !is_blank(n)).collect();
    an.len() == bn.len()
        && an.iter().zip(bn).all(|(x, y)| match (x, y) {
            (cube_xmpp::Node::Element(x), cube_xmpp::Node::Element(y)) => equivalent(x, y),
            (cube_xmpp::Node::Text(x), cube_xmpp::Node::Text(y)) => x == y,
            _ => false,
        })
}

fn is_blank(n: &cube_xmpp::Node) -> bool {
    matches!(n, cube_xmpp::Node::Text(t) if t.trim().is_empty())
}

/// Whether two elements are equal up to attribute order and the order of child elements
/// (the JS SDK finds children by local name, wire.md §8.6).
pub fn equivalent_unordered(a: &Element, b: &Element) -> bool {
    if a.name() != b.name() || a.ns() != b.ns() || a.attr_count() != b.attr_count() {
        return false;
    }
    if !a.attrs().all(|(k, v)| b.attr(k) == Some(v)) || a.text().trim() != b.text().trim() {
        return false;
    }
    let bc: Vec<&Element> = b.children().collect();
    let mut used = vec![false; bc.len()];
    let mut count = 0;
    for x in a.children() {
        count += 1;
        let Some(i) = (0..bc.len()).find(|&i| !used[i] && equivalent_unordered(x, bc[i])) else {
            return false;
        };
        used[i] = true;
    }
    count == bc.len()
}
