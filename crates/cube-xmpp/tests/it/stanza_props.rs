//! Property tests: every stanza type survives write, parse (both framings) and decode.

use cube_model::{AppId, UserId};
use cube_xmpp::nonza::{Packet, Sasl, Sm, StreamFeatures};
use cube_xmpp::stanza::{
    Attachment, ChatMarker, ChatState, DefinedCondition, Delay, ErrorType, ExtraParams, Iq,
    IqPayload, IqType, LastActivity, MessageType, Mobile, MucJoin, Param, PresenceType, Remove,
    Replace, Show, StanzaError, StatusSubscribe,
};
use cube_xmpp::{
    Element, Encoder, Frame, Framing, Jid, Limits, Message, Presence, StreamHeader, StreamParser,
};
use proptest::prelude::*;

fn key() -> impl Strategy<Value = String> {
    "[a-zA-Z_][a-zA-Z0-9_.-]{0,10}"
}

fn text() -> impl Strategy<Value = String> {
    "[ -~\u{e9}\u{4e2d}\u{1F44D}\n\t]{0,30}"
}

fn id() -> impl Strategy<Value = String> {
    "[0-9a-f]{24}"
}

fn jid() -> impl Strategy<Value = Jid> {
    (
        1u64..100_000,
        1u64..10_000,
        prop::option::of("[a-z0-9]{1,16}"),
    )
        .prop_map(|(u, a, r)| {
            let bare = Jid::user(UserId(u), AppId(a), "chat.connectycube.com").unwrap();
            match r {
                Some(r) => bare.with_resource(&r).unwrap(),
                None => bare,
            }
        })
}

fn param() -> impl Strategy<Value = Param> {
    let leaf = prop_oneof![
        (key(), text()).prop_map(|(key, value)| Param::Value { key, value }),
        prop::collection::vec((key(), text()), 1..4).prop_map(|attrs| {
            let mut a = Attachment::new();
            for (k, v) in attrs {
                a.set(&k, v).unwrap();
            }
            Param::Attachment(a)
        }),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        (key(), prop::collection::vec(inner, 1..4))
            .prop_map(|(key, fields)| Param::Object { key, fields })
    })
}

fn extra_params() -> impl Strategy<Value = ExtraParams> {
    prop::collection::vec(param(), 0..6).prop_map(|params| {
        let mut p = ExtraParams::new();
        for x in params {
            p.push(x);
        }
        p
    })
}

fn stanza_error() -> impl Strategy<Value = StanzaError> {
    (
        prop::sample::select(vec![ErrorType::Cancel, ErrorType::Modify, ErrorType::Wait]),
        prop::sample::select(vec![
            DefinedCondition::ServiceUnavailable,
            DefinedCondition::ItemNotFound,
            DefinedCondition::NotAllowed,
            DefinedCondition::Other("x-custom".into()),
        ]),
        prop::option::of(text()),
    )
        .prop_map(|(t, c, text)| {
            let mut e = StanzaError::new(t, c);
            e.text = text;
            e
        })
}

fn message() -> impl Strategy<Value = Message> {
    (
        (
            prop::option::of(jid()),
            prop::option::of(jid()),
            prop::option::of(id()),
        ),
        prop::option::of(prop::sample::select(vec![
            MessageType::Chat,
            MessageType::Groupchat,
            MessageType::Headline,
            MessageType::Error,
        ])),
        (prop::option::of(text()), prop::option::of(text())),
        prop::option::of(prop::sample::select(vec![
            ChatState::Composing,
            ChatState::Paused,
            ChatState::Gone,
        ])),
        prop::option::of(prop_oneof![
            Just(ChatMarker::Markable),
            id().prop_map(|id| ChatMarker::Received { id }),
            id().prop_map(|id| ChatMarker::Displayed { id }),
        ]),
        (
            prop::option::of((id(), any::<bool>())),
            prop::option::of(id()),
        ),
        prop::option::of(extra_params()),
        prop::option::of(stanza_error()),
        prop::option::of("[0-9]{4}-[0-9]{2}-[0-9]{2}T00:00:00Z"),
    )
        .prop_map(
            |(
                (from, to, id),
                kind,
                (body, thread),
                state,
                marker,
                (replace, remove),
                params,
                error,
                delay,
            )| {
                let mut m = Message::default();
                m.from = from;
                m.to = to;
                m.id = id;
                m.kind = kind;
                m.body = body;
                m.thread = thread;
                m.chat_state = state;
                m.marker = marker;
                m.replace = replace.map(|(id, last)| Replace::new(id).with_last(last));
                m.remove = remove.map(Remove::new);
                m.extra_params = params;
                m.error = error;
                m.delay = delay.map(Delay::new);
                m
            },
        )
}

fn presence() -> impl Strategy<Value = Presence> {
    (
        prop::option::of(jid()),
        prop::option::of(prop::sample::select(vec![
            PresenceType::Unavailable,
            PresenceType::Subscribe,
        ])),
        prop::option::of(prop::sample::select(vec![
            Show::Away,
            Show::Dnd,
            Show::Chat,
        ])),
        prop::option::of(text()),
        prop::option::of(any::<i8>()),
        any::<bool>(),
    )
        .prop_map(|(to, kind, show, status, priority, muc)| {
            let mut p = Presence::available();
            p.to = to;
            p.kind = kind;
            p.show = show;
            p.status = status;
            p.priority = priority;
            p.muc = muc.then(MucJoin::without_history);
            p
        })
}

fn iq() -> impl Strategy<Value = Iq> {
    (
        "[a-z0-9:-]{1,40}",
        prop::option::of(jid()),
        prop_oneof![
            Just(IqPayload::Ping),
            Just(IqPayload::CarbonsEnable),
            Just(IqPayload::Session),
            prop::option::of(0u64..1_000_000).prop_map(|s| IqPayload::LastActivity(match s {
                Some(s) => LastActivity::seconds(s),
                None => LastActivity::query(),
            })),
            any::<bool>().prop_map(|enable| {
                let mut el = Element::new("mobile", cube_xmpp::ns::MOBILE_V2);
                el.set_attr("enable", enable.to_string());
                IqPayload::Mobile(Mobile::try_from(el).unwrap())
            }),
            (jid(), any::<bool>()).prop_map(|(j, enable)| {
                let el: Element = Element::new("subscribe", cube_xmpp::ns::STATUS_STREAMING)
                    .with_attr("user_jid", j.to_bare().to_string())
                    .with_attr("enable", enable.to_string());
                IqPayload::StatusSubscribe(StatusSubscribe::try_from(el).unwrap())
            }),
        ],
        prop::sample::select(vec![IqType::Get, IqType::Set, IqType::Result]),
    )
        .prop_map(|(id, to, payload, kind)| {
            let mut iq = Iq::new(kind, id, Some(payload));
            iq.to = to;
            iq
        })
}

fn through_wire(el: &Element, framing: Framing) -> Element {
    let enc = Encoder::new(framing);
    let mut bytes = Vec::new();
    if framing == Framing::Tcp {
        enc.open(&StreamHeader::new(), &mut bytes);
    }
    enc.element(el, &mut bytes);
    let mut p = StreamParser::new(framing, Limits::default());
    p.feed(&bytes);
    loop {
        match p.next_frame().unwrap() {
            Some(Frame::Element(e)) => return e,
            Some(_) => {}
            None => panic!("no element in {}", String::from_utf8_lossy(&bytes)),
        }
    }
}

fn round_trips<T>(value: T) -> Result<(), TestCaseError>
where
    T: Clone + PartialEq + std::fmt::Debug + Into<Element> + TryFrom<Element>,
    <T as TryFrom<Element>>::Error: std::fmt::Debug,
{
    let el: Element = value.clone().into();
    for framing in [Framing::WebSocket, Framing::Tcp] {
        let back = T::try_from(through_wire(&el, framing));
        prop_assert_eq!(
            back.as_ref().ok(),
            Some(&value),
            "{:?} via {}",
            back,
            el.to_xml()
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn messages_round_trip(m in message()) {
        round_trips(m)?;
    }

    #[test]
    fn carbons_round_trip(m in message()) {
        let mut outer = Message::new(MessageType::Chat);
        outer.carbon = Some(cube_xmpp::stanza::Carbon::Sent(cube_xmpp::stanza::Forwarded::new(m)));
        round_trips(outer)?;
    }

    #[test]
    fn presences_round_trip(p in presence()) {
        round_trips(p)?;
    }

    #[test]
    fn iqs_round_trip(iq in iq()) {
        round_trips(iq)?;
    }

    #[test]
    fn extra_params_round_trip(p in extra_params()) {
        round_trips(p)?;
    }

    #[test]
    fn nonzas_round_trip(
        data in prop::collection::vec(any::<u8>(), 0..64),
        h in any::<u32>(),
        id in "[a-z0-9]{1,20}",
        mechs in prop::collection::vec("[A-Z0-9-]{1,20}", 0..4),
    ) {
        round_trips(Packet::Sasl(Sasl::Auth { mechanism: "PLAIN".into(), initial: Some(data.clone()) }))?;
        round_trips(Packet::Sasl(Sasl::Challenge(data.clone())))?;
        round_trips(Packet::Sasl(Sasl::Response { data: data.clone(), mechanism: Some("SCRAM-SHA-1".into()) }))?;
        round_trips(Packet::Sasl(Sasl::Success(Some(data).filter(|d| !d.is_empty()))))?;
        round_trips(Packet::Sm(Sm::Ack { h }))?;
        round_trips(Packet::Sm(Sm::Resume { previd: id.clone(), h }))?;
        round_trips(Packet::Sm(Sm::Enabled { id: Some(id), resume: true, max: Some(300), location: None }))?;
        round_trips(Packet::Features(StreamFeatures::sasl(mechs)))?;
        round_trips(Packet::Features(StreamFeatures::bind(true)))?;
    }
}
