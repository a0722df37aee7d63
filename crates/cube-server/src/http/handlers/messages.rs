//! Handlers of `/chat/Message`.

use std::collections::BTreeMap;

use cube_model::{
    DialogId, Message, MessageDeleteResult, MessageId, Page, SystemMessageResponse, UnreadCounts,
    UserId,
};
use cube_rest::chat::{
    create_message, create_system_message, delete_messages, list_messages, list_reactions,
    unread_counts, update_dialog_messages, update_messages, update_reactions,
};
use serde_json::{Map, Value};

use crate::domain::error::Error;
use crate::domain::messages::{MessageUpdate, NewMessage};
use crate::domain::{dialogs, messages, users};
use crate::http::{Context, Failure, Reply, model, ok, parse_ids};
use crate::service::Event;

/// `POST /chat/Message`: store a message in a dialog's history (and, with `send_to_chat`,
/// deliver it over chat).
pub(in crate::http) async fn create_message(
    ctx: &mut Context<'_>,
    r: cube_rest::chat::create_message::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let now = svc.now();
    let actor = ctx.actor()?;
    let mut custom: Map<String, Value> = r.custom.clone().into_iter().collect();
    let date_sent = custom.remove("date_sent").and_then(|v| match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    });
    let input = NewMessage {
        chat_dialog_id: match &r.target {
            create_message::Target::Dialog(d) => Some(d.to_string()),
            create_message::Target::Recipient(_) => None,
        },
        recipient_id: match &r.target {
            create_message::Target::Recipient(u) => Some(u.get() as i64),
            create_message::Target::Dialog(_) => None,
        },
        message: r.message.clone(),
        attachments: r
            .attachments
            .iter()
            .filter_map(|a| serde_json::to_value(a).ok())
            .collect(),
        custom,
        date_sent,
    };
    let (mid, did) = (svc.object_id(), svc.object_id());
    let (m, d) = svc
        .write(move |c| messages::create(c, actor, &input, &mid, &did, now))
        .await?;
    let json = m.to_json(actor.user_id, d.dialog_type);
    if r.send_to_chat {
        svc.publish(Event::MessageCreated {
            app_id: actor.app_id,
            message: json.clone(),
            dialog_type: d.dialog_type,
            recipients: d.members.clone(),
        });
    }
    ok(&create_message::Response::new(model::<Message>(json)?))
}

/// `GET /chat/Message`: page through a dialog's history, with filters and sort.
pub(in crate::http) async fn list_messages(
    ctx: &mut Context<'_>,
    r: cube_rest::chat::list_messages::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let actor = ctx.actor()?;
    let mut pairs = r.query.to_pairs(cube_model::ListStyle::Comma);
    pairs.push(("chat_dialog_id".into(), r.chat_dialog_id.to_string()));
    if !r.mark_as_read {
        pairs.push(("mark_as_read".into(), "0".into()));
    }
    if r.preview {
        pairs.push(("preview".into(), "1".into()));
    }
    // Marking read writes; a plain read of history needs no writer.
    let page = if r.mark_as_read {
        svc.write(move |c| messages::list(c, actor, &pairs)).await?
    } else {
        svc.read(move |c| messages::list(c, actor, &pairs)).await?
    };
    let items = page
        .items
        .iter()
        .map(|m| model::<Message>(m.to_json(actor.user_id, page.dialog_type)))
        .collect::<Result<Vec<_>, _>>()?;
    ok(&list_messages::Response::new(Page::new(
        page.skip as u64,
        page.limit as u64,
        items,
    )))
}

/// `PUT /chat/Message/{ids}`: mark messages read or delivered, or edit a message's text.
pub(in crate::http) async fn update_messages(
    ctx: &mut Context<'_>,
    r: cube_rest::chat::update_messages::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let now = svc.now();
    let actor = ctx.actor()?;
    let ids: Vec<String> = r.ids.iter().map(ToString::to_string).collect();
    let up = MessageUpdate {
        chat_dialog_id: r.chat_dialog_id.map(|d| d.to_string()),
        read: r.read,
        delivered: r.delivered,
        message: r.message.clone(),
    };
    svc.write(move |c| messages::update(c, actor, &ids, &up, now))
        .await?;
    ok(&update_messages::Response::new())
}

/// `DELETE /chat/Message/{ids}`: delete messages for the current user, or with `force` for
/// everyone.
pub(in crate::http) async fn delete_messages(
    ctx: &mut Context<'_>,
    r: cube_rest::chat::delete_messages::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let actor = ctx.actor()?;
    let ids: Vec<String> = r.ids.iter().map(ToString::to_string).collect();
    let force = r.force;
    let single = ids.len() == 1;
    let (out, deleted) = if single {
        let id = ids[0].clone();
        let m = svc
            .write(move |c| messages::delete_one(c, actor, &id, force))
            .await?;
        let out = dialogs::DeleteOutcome {
            deleted: vec![m.id.clone()],
            ..Default::default()
        };
        (out, vec![m])
    } else {
        svc.write(move |c| messages::delete_many(c, actor, &ids, force))
            .await?
    };
    if force && !deleted.is_empty() {
        let mut by_dialog: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for m in &deleted {
            by_dialog
                .entry(m.dialog_id.clone())
                .or_default()
                .push(m.id.clone());
        }
        for (dialog_id, ids) in by_dialog {
            svc.publish(Event::MessagesDeleted {
                app_id: actor.app_id,
                dialog_id,
                ids,
            });
        }
    }
    ok(&delete_messages::Response::new(
        MessageDeleteResult::from_lists(
            parse_ids::<MessageId>(&out.deleted),
            parse_ids(&out.not_found),
            parse_ids(&out.wrong_permissions),
        ),
    ))
}

/// `GET /chat/Message/unread`: count unread messages, in total and per dialog.
pub(in crate::http) async fn unread_counts(
    ctx: &mut Context<'_>,
    r: cube_rest::chat::unread_counts::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let actor = ctx.actor()?;
    let ids: Vec<String> = r.chat_dialog_ids.iter().map(ToString::to_string).collect();
    let (_, map) = svc
        .read(move |c| {
            messages::unread_counts(c, actor, (!ids.is_empty()).then_some(ids.as_slice()))
        })
        .await?;
    let per: BTreeMap<DialogId, u64> = map
        .into_iter()
        .filter_map(|(k, v)| Some((k.parse().ok()?, v.max(0) as u64)))
        .collect();
    ok(&unread_counts::Response::new(
        UnreadCounts::from_per_dialog(per),
    ))
}

/// `POST /chat/Message/system`: send a system message (delivered over chat, not stored).
pub(in crate::http) async fn create_system_message(
    ctx: &mut Context<'_>,
    r: cube_rest::chat::create_system_message::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let actor = ctx.actor()?;
    let recipient = r.recipient_id.get() as i64;
    let exists = svc
        .read(move |c| users::exists(c, actor.app_id, recipient))
        .await?;
    if !exists {
        return Err(Error::invalid("recipientId", "is not a user").into());
    }
    let mid = svc.object_id();
    let params: BTreeMap<String, String> = r
        .extra
        .iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), s)
        })
        .collect();
    svc.publish(Event::SystemMessage {
        app_id: actor.app_id,
        sender_id: actor.user_id,
        recipient_id: recipient,
        message_id: mid.clone(),
        params: r.extra.clone().into_iter().collect(),
    });
    let message_id: MessageId = mid
        .parse()
        .map_err(|_| Failure::from(Error::Internal("bad object id".into())))?;
    ok(&create_system_message::Response::new(
        SystemMessageResponse::new(message_id, r.recipient_id, params),
    ))
}

/// `PUT /chat/Message` (no ids): mark every message of a dialog read or delivered.
pub(in crate::http) async fn update_dialog_messages(
    ctx: &mut Context<'_>,
    r: cube_rest::chat::update_dialog_messages::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let now = svc.now();
    let actor = ctx.actor()?;
    let up = MessageUpdate {
        chat_dialog_id: Some(r.chat_dialog_id.to_string()),
        read: r.read,
        delivered: r.delivered,
        message: None,
    };
    svc.write(move |c| messages::update(c, actor, &[], &up, now))
        .await?;
    ok(&update_dialog_messages::Response::new())
}

/// `PUT /chat/Message/{id}/reactions`: add, remove or replace the caller's reaction.
pub(in crate::http) async fn update_reactions(
    ctx: &mut Context<'_>,
    r: cube_rest::chat::update_reactions::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let now = svc.now();
    let actor = ctx.actor()?;
    let id = r.id.to_string();
    let (add, remove) = (r.add.clone(), r.remove.clone());
    let (m, d) = svc
        .write(move |c| messages::react(c, actor, &id, add.as_deref(), remove.as_deref(), now))
        .await?;
    svc.publish(Event::ReactionsChanged {
        app_id: actor.app_id,
        dialog_id: d.id,
        message_id: m.id,
        user_id: actor.user_id,
        add: r.add,
        remove: r.remove,
    });
    ok(&update_reactions::Response::new())
}

/// `GET /chat/Message/{id}/reactions`: the users of each reaction to a message.
pub(in crate::http) async fn list_reactions(
    ctx: &mut Context<'_>,
    r: cube_rest::chat::list_reactions::Request,
) -> Reply {
    let svc = ctx.service.clone();
    let actor = ctx.actor()?;
    let id = r.id.to_string();
    let found = svc
        .read(move |c| messages::reactions(c, actor, &id))
        .await?;
    let by_reaction = found
        .into_iter()
        .map(|(k, users)| (k, users.into_iter().map(|u| UserId(u as u64)).collect()))
        .collect();
    ok(&list_reactions::Response::new(by_reaction))
}
