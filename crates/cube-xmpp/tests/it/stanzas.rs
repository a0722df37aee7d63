//! Typed stanzas: the golden frames decode to the expected values and write back equivalently.

use cube_model::{AppId, UserId};
use cube_xmpp::nonza::{Packet, Sasl, Sm, StreamFeatures};
use cube_xmpp::sasl::plain_decode;
use cube_xmpp::stanza::{
    ChatMarker, ChatState, IqPayload, IqType, MessageType, Param, PresenceType, PrivacyAction,
    Reaction, Reactions, Stanza,
};
use cube_xmpp::{Element, Frame, Jid, Message, Presence};

use crate::support::{equivalent, parse_element, parse_ws, stanza_file_frames, transcript_frames};

fn packet(xml: &str) -> Packet {
    Packet::try_from(parse_element(xml)).unwrap()
}

fn message(xml: &str) -> Message {
    match packet(xml) {
        Packet::Stanza(Stanza::Message(m)) => m,
        other => panic!("not a message: {other:?}"),
    }
}

#[test]
fn every_client_frame_decodes_and_writes_back_equivalently() {
    let mut checked = 0;
    let frames = transcript_frames().into_iter().chain(
        stanza_file_frames()
            .into_iter()
            .filter(|(_, ok)| *ok)
            .map(|(f, _)| f),
    );
    for f in frames.filter(|f| f.client_to_server) {
        let Ok(Frame::Element(el)) = parse_ws(&f.xml) else {
            continue;
        };
        let typed = Packet::try_from(el.clone()).unwrap_or_else(|e| panic!("{}: {e}", f.label));
        assert!(
            !matches!(typed, Packet::Other(_)),
            "{}: untyped {}",
            f.label,
            f.xml
        );
        let written: Element = typed.clone().into();
        assert!(
            equivalent(&el, &written),
            "{}:\n  in:  {}\n  out: {}",
            f.label,
            el.to_xml(),
            written.to_xml()
        );
        assert_eq!(
            Packet::try_from(parse_element(&written.to_xml())).unwrap(),
            typed
        );
        checked += 1;
    }
    assert!(checked > 150, "{checked}");
}

#[test]
fn every_server_frame_decodes_and_round_trips_typed() {
    for f in transcript_frames()
        .into_iter()
        .filter(|f| !f.client_to_server)
    {
        let Ok(Frame::Element(el)) = parse_ws(&f.xml) else {
            continue;
        };
        let typed = Packet::try_from(el).unwrap_or_else(|e| panic!("{}: {e}", f.label));
        let again =
            Packet::try_from(parse_element(&Element::from(typed.clone()).to_xml())).unwrap();
        assert_eq!(again, typed, "{}", f.label);
    }
}

#[test]
fn one_to_one_message_with_extension() {
    let golden = transcript_frames()
        .into_iter()
        .find(|f| f.label == "send 1:1 chat message (with extension)" && f.client_to_server)
        .unwrap();
    let m = message(&golden.xml);
    assert_eq!(m.kind, Some(MessageType::Chat));
    assert_eq!(m.id.as_deref(), Some("65937d254b854839d7000000"));
    assert_eq!(m.from.as_ref().unwrap().resource(), Some("sdkres1"));
    assert_eq!(m.to.as_ref().unwrap().user_id(), Some(UserId(6)));
    assert_eq!(m.body.as_deref(), Some("Hello <Bob> & co"));
    let p = m.extra_params.as_ref().unwrap();
    assert!(p.save_to_history());
    assert_eq!(p.dialog_id(), Some("5f1e6a0c3d9e4a0001a1b2c3"));
    assert_eq!(p.date_sent_secs(), Some(1_704_164_645));
    assert_eq!(p.get("customParam"), Some("v"));
    let a = p.attachments().next().unwrap();
    assert_eq!(a.kind(), Some("image"));
    assert_eq!(a.url(), Some("https://x/y.png?a=1&b=2"));
    assert_eq!(a.size(), Some(1024));
    let nested = p.object("nested").unwrap();
    assert_eq!(
        nested[1],
        Param::Object {
            key: "b".into(),
            fields: vec![Param::Value {
                key: "c".into(),
                value: "d".into()
            }]
        }
    );
    let keys: Vec<&str> = p.params().iter().map(Param::key).collect();
    assert_eq!(
        keys,
        [
            "save_to_history",
            "dialog_id",
            "date_sent",
            "attachment",
            "customParam",
            "nested"
        ]
    );
}

#[test]
fn markers_states_edits_deletes_and_system_messages() {
    let find = |label: &str| {
        transcript_frames()
            .into_iter()
            .find(|f| f.label == label && f.client_to_server)
            .unwrap()
            .xml
    };
    let typing = message(&find("typing (composing) 1:1"));
    assert_eq!(typing.chat_state, Some(ChatState::Composing));
    assert!(typing.id.is_none());
    let paused = message(&find("stop typing (paused) 1:1"));
    assert_eq!(paused.chat_state, Some(ChatState::Paused));
    let delivered = message(&find("delivered marker"));
    assert_eq!(
        delivered.marker,
        Some(ChatMarker::Received {
            id: "65941c2541d1b400e8d2b100".into()
        })
    );
    assert_eq!(delivered.dialog_id(), Some("5f1e6a0c3d9e4a0001a1b2c3"));
    let read = message(&find("read marker"));
    assert!(matches!(read.marker, Some(ChatMarker::Displayed { .. })));
    let edit = message(&find("edit message (replace)"));
    let replace = edit.replace.unwrap();
    assert_eq!(replace.id, "65941c2541d1b400e8d2b100");
    assert_eq!(replace.last, Some(true));
    let delete = message(&find("delete message (remove)"));
    assert_eq!(delete.kind, Some(MessageType::Groupchat));
    assert_eq!(delete.remove.unwrap().id, "65941c2541d1b400e8d2b100");
    assert_eq!(
        delete.to.unwrap().room_parts(),
        Some((AppId(385), "5f1e6a0c3d9e4a0001a1b2c3"))
    );
    let system = message(&find("system message (headline)"));
    assert_eq!(system.kind, Some(MessageType::Headline));
    assert!(system.from.is_none());
    assert_eq!(
        system.extra_params.unwrap().module_identifier(),
        Some("SystemNotifications")
    );
    let call = message(&find("webrtc signaling message (headline)"));
    let p = call.extra_params.unwrap();
    assert_eq!(p.module_identifier(), Some("WebRTCVideoChat"));
    assert_eq!(p.get("signalType"), Some("call"));
    let ice = p.object("iceCandidates").unwrap();
    let Param::Object { fields, .. } = &ice[0] else {
        panic!("iceCandidate is an object")
    };
    assert_eq!(
        fields[2],
        Param::Value {
            key: "sdpMLineIndex".into(),
            value: String::new()
        }
    );
}

#[test]
fn iq_payloads_and_presences() {
    let find = |label: &str| {
        transcript_frames()
            .into_iter()
            .find(|f| f.label == label && f.client_to_server)
            .unwrap()
            .xml
    };
    let iq = |xml: &str| match packet(xml) {
        Packet::Stanza(Stanza::Iq(iq)) => iq,
        other => panic!("not an iq: {other:?}"),
    };
    let last = iq(&find("last activity query"));
    assert_eq!(last.kind, IqType::Get);
    assert!(matches!(last.payload, Some(IqPayload::LastActivity(ref l)) if l.seconds.is_none()));
    let sub = iq(&find("subscribe to last activity (status streaming)"));
    let Some(IqPayload::StatusSubscribe(s)) = sub.payload else {
        panic!()
    };
    assert!(s.enable);
    assert_eq!(s.user_jid.user_id(), Some(UserId(6)));
    let inactive = iq(&find("markInactive (mobile on)"));
    assert!(matches!(inactive.payload, Some(IqPayload::Mobile(ref m)) if m.enable));
    assert!(matches!(iq(&find("ping")).payload, Some(IqPayload::Ping)));
    assert!(matches!(
        iq(&find("muc listOnlineUsers")).payload,
        Some(IqPayload::DiscoItems(_))
    ));
    let Some(IqPayload::Privacy(q)) = iq(&find("privacy list create")).payload else {
        panic!()
    };
    assert_eq!(
        q.lists[0].users(),
        [
            (UserId(6), PrivacyAction::Deny),
            (UserId(7), PrivacyAction::Allow)
        ]
    );
    assert_eq!(
        q.lists[0],
        cube_xmpp::stanza::PrivacyList::for_users(
            "myList",
            &[
                (UserId(6), PrivacyAction::Deny, false),
                (UserId(7), PrivacyAction::Allow, false)
            ],
            AppId(385),
            "chat.connectycube.com",
            "muc.chat.connectycube.com"
        )
    );
    let Some(IqPayload::Privacy(q)) = iq(&find("privacy list setAsDefault(null)")).payload else {
        panic!()
    };
    assert_eq!(q.default.unwrap().name, None);
    let join = match packet(&find("muc join")) {
        Packet::Stanza(Stanza::Presence(p)) => p,
        other => panic!("{other:?}"),
    };
    assert_eq!(join.muc.unwrap().history_max_stanzas, Some(0));
    assert_eq!(join.to.unwrap().resource(), Some("5"));
    let leave = match packet(&find("muc leave")) {
        Packet::Stanza(Stanza::Presence(p)) => p,
        other => panic!("{other:?}"),
    };
    assert_eq!(leave.kind, Some(PresenceType::Unavailable));
    assert_eq!(
        packet("<presence xmlns=\"jabber:client\"/>"),
        Packet::Stanza(Stanza::Presence(Presence::available()))
    );
}

#[test]
fn sasl_and_stream_management_frames() {
    let plain = crate::support::scenario("plain");
    let auth = plain.iter().find(|f| f.xml.starts_with("<auth")).unwrap();
    let Packet::Sasl(Sasl::Auth { mechanism, initial }) = packet(&auth.xml) else {
        panic!()
    };
    assert_eq!(mechanism, "PLAIN");
    let creds = plain_decode(&initial.unwrap()).unwrap();
    assert_eq!(creds.authcid, "5-385");
    assert_eq!(creds.password.expose(), "USER_TOKEN_0123456789abcdef");
    let scram = crate::support::scenario("scram");
    let response = scram
        .iter()
        .find(|f| f.xml.starts_with("<response"))
        .unwrap();
    let Packet::Sasl(Sasl::Response { data, mechanism }) = packet(&response.xml) else {
        panic!()
    };
    assert_eq!(mechanism.as_deref(), Some("SCRAM-SHA-1"));
    assert!(data.starts_with(b"c=biws,r=d960dd29"));
    let features = scram
        .iter()
        .find(|f| f.xml.contains("<mechanism>"))
        .unwrap();
    let Packet::Features(f) = packet(&features.xml) else {
        panic!()
    };
    assert_eq!(f, StreamFeatures::sasl(["PLAIN", "SCRAM-SHA-1"]));
    let success = scram
        .iter()
        .find(|f| f.xml.starts_with("<success"))
        .unwrap();
    let Packet::Sasl(Sasl::Success(Some(v))) = packet(&success.xml) else {
        panic!()
    };
    assert!(v.starts_with(b"v="));
    let sm = crate::support::scenario("sm");
    let kinds: Vec<Sm> = sm
        .iter()
        .filter_map(|f| match parse_ws(&f.xml) {
            Ok(Frame::Element(e)) => match Packet::try_from(e).ok()? {
                Packet::Sm(s) => Some(s),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        [
            Sm::Enable {
                resume: false,
                max: None
            },
            Sm::Enabled {
                id: Some("sm-1".into()),
                resume: false,
                max: None,
                location: None
            },
            Sm::Request,
            Sm::Ack { h: 4 },
            Sm::Request,
            Sm::Ack { h: 1 },
        ]
    );
}

#[test]
fn incoming_carbons_errors_and_muc_presences() {
    let find = |label: &str| {
        transcript_frames()
            .into_iter()
            .find(|f| f.label == label && !f.client_to_server)
            .unwrap()
            .xml
    };
    let carbon = message(&find(
        "IN: carbon copy of own message sent from other resource",
    ));
    let Some(cube_xmpp::stanza::Carbon::Sent(fwd)) = carbon.carbon else {
        panic!()
    };
    assert_eq!(fwd.message.body.as_deref(), Some("from my phone"));
    assert_eq!(
        fwd.message.from.as_ref().unwrap().resource(),
        Some("otherres")
    );
    let err = message(&find("IN: message error"));
    let e = err.error.unwrap();
    assert_eq!(e.code, Some(503));
    assert_eq!(
        e.condition,
        cube_xmpp::stanza::DefinedCondition::ServiceUnavailable
    );
    assert_eq!(e.text.as_deref(), Some("Service not available."));
    let kick = match packet(&find(
        "IN: muc kick self-presence (status 301) [6.1.2 does not detect, see bug]",
    )) {
        Packet::Stanza(Stanza::Presence(p)) => p,
        other => panic!("{other:?}"),
    };
    let user = kick.muc_user.unwrap();
    assert_eq!(user.status_codes, [301]);
    assert_eq!(
        user.items[0].actor.as_deref(),
        Some("6-385@chat.connectycube.com")
    );
    let reactions = message(&find("IN: reactions (inferred shape)"));
    let r = reactions.reactions.unwrap();
    assert_eq!(r.message_id, "65941c2541d1b400e8d2b201");
    assert!(r.reactions[0].add && !r.reactions[1].add);
    // The public constructors build the same payload.
    let mut built = Reactions::new(r.message_id.clone());
    if let Some(user) = &r.user_id {
        built = built.with_user_id(user.clone());
    }
    for one in &r.reactions {
        built = built.with_reaction(if one.add {
            Reaction::add(one.kind.clone())
        } else {
            Reaction::remove(one.kind.clone())
        });
    }
    assert_eq!(built, r);
    let notice = Message::new(MessageType::Chat).with_reactions(built);
    let back = Message::try_from(Element::from(notice)).unwrap();
    assert_eq!(back.reactions.as_ref(), Some(&r));
    let markable = message(&find(
        "IN: 1:1 message with extraParams (SDK auto-replies <received>)",
    ));
    assert_eq!(markable.marker, Some(ChatMarker::Markable));
    let from: Jid = "385_5f1e6a0c3d9e4a0001a1b2c3@muc.chat.connectycube.com/6"
        .parse()
        .unwrap();
    let group = message(&find(
        "IN: group message from room occupant (SDK auto-replies <received> 1:1)",
    ));
    assert_eq!(group.from, Some(from.clone()));
    assert_eq!(from.occupant_user_id(), Some(UserId(6)));
}
