//! Chat's `save_to_history`: many messages stored in one write, with the same result as
//! [`messages::create`] for each.
//!
//! Per message this costs one insert; what concerns a dialog (loading it, its last message,
//! showing it again, the unread counters) is done once per dialog of the batch. Messages whose
//! private dialog is not known yet go through [`messages::create`] (which finds or creates it),
//! each in its own savepoint.

use std::collections::HashMap;

use cube_model::dialog::DialogType;
use cube_model::roles::Action;
use rusqlite::{Connection, OptionalExtension, params};

use super::dialogs::{self, Actor, DialogRecord};
use super::error::{Error, Result};
use super::messages::{self, MAX_TEXT, NewMessage};

/// One message to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// The sender.
    pub actor: Actor,
    /// The message (`chat_dialog_id`, or `recipient_id` for a private dialog).
    pub input: NewMessage,
    /// Its id; a message already stored under this id (a re-sent stanza) is answered as it is.
    pub id: String,
    /// The id of the private dialog, should one be created.
    pub new_dialog_id: String,
}

/// Where a message was stored: its dialog and its `date_sent` (unix seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// Dialog.
    pub dialog_id: String,
    /// Send time, unix seconds.
    pub date_sent: i64,
    /// The dialog as it was checked for sending (none for a message stored before), so the
    /// caller can route without reading it again.
    pub dialog: Option<DialogRecord>,
}

/// What the batch did to one dialog, applied once at the end.
struct Touched {
    dialog: DialogRecord,
    /// The last message stored: id, text, sender, date_sent.
    last: Option<(String, Option<String>, i64, i64)>,
    /// Messages stored per sender.
    sent: Vec<(i64, i64)>,
}

/// The message `id` of application `app_id` if already stored: its dialog and date_sent.
fn existing(conn: &Connection, app_id: i64, id: &str) -> Result<Option<Stored>> {
    Ok(conn
        .prepare_cached("SELECT dialog_id, date_sent, app_id FROM messages WHERE id = ?1")?
        .query_row([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .optional()?
        .and_then(|(dialog_id, date_sent, app)| {
            (app == app_id).then_some(Stored {
                dialog_id,
                date_sent,
                dialog: None,
            })
        }))
}

/// Runs `f` in a nested savepoint: rolled back alone when it fails.
fn isolated<T>(conn: &Connection, f: impl FnOnce() -> Result<T>) -> Result<T> {
    conn.prepare_cached("SAVEPOINT item")?.execute([])?;
    let out = f();
    if out.is_err() {
        conn.prepare_cached("ROLLBACK TO item")?.execute([])?;
    }
    conn.prepare_cached("RELEASE item")?.execute([])?;
    out
}

/// Whether `e` refuses one message (rather than failing the storage).
fn is_refusal(e: &Error) -> bool {
    !matches!(e, Error::Store(_) | Error::Internal(_))
}

/// A dialog of the batch: loaded (its index in `touched`) or refused.
#[derive(Clone)]
enum Slot {
    Loaded(usize),
    NotFound(String),
    Forbidden(String),
}

/// Stores every message, in order, and answers for each one where it went or why not.
///
/// A message refused (unknown dialog, not allowed to write, too long) changes nothing; the
/// others are stored. A message whose id is already stored in its application (a re-sent
/// stanza) is answered as stored. An `Err` of the whole call is a storage failure: the caller
/// rolls the whole batch back.
pub fn save_all(conn: &Connection, batch: &[Pending], now: i64) -> Result<Vec<Result<Stored>>> {
    let mut out = Vec::with_capacity(batch.len());
    let mut touched: Vec<Touched> = Vec::new();
    let mut known: HashMap<(i64, String), Slot> = HashMap::new();
    let mut seq: Option<i64> = None;
    let reserve = i64::try_from(batch.len()).unwrap_or(i64::MAX);
    for p in batch {
        let actor = p.actor;
        if let Some(text) = &p.input.message {
            if text.chars().count() > MAX_TEXT {
                out.push(Err(Error::invalid("message", "is too long")));
                continue;
            }
        }
        let Some(dialog_id) = p.input.chat_dialog_id.clone() else {
            // The rare path (a private dialog not known yet): done at once, so the batch's
            // pending dialog updates go first to keep the order of last messages.
            apply(conn, &mut touched, now)?;
            out.push(single(conn, p, now)?);
            continue;
        };
        let key = (actor.app_id, dialog_id);
        let slot = if let Some(slot) = known.get(&key) {
            slot.clone()
        } else {
            let slot = match dialogs::load_for_sending(conn, actor.app_id, &key.1) {
                Ok(dialog) => {
                    touched.push(Touched {
                        dialog,
                        last: None,
                        sent: Vec::new(),
                    });
                    Slot::Loaded(touched.len() - 1)
                }
                Err(Error::NotFound(what)) => Slot::NotFound(what),
                Err(Error::Forbidden(why)) => Slot::Forbidden(why),
                Err(e) => return Err(e),
            };
            known.insert(key, slot.clone());
            slot
        };
        let refusal = match slot {
            Slot::Loaded(index) => match dialogs::require(
                conn,
                &touched[index].dialog,
                actor.user_id,
                Action::SendMessage,
            ) {
                Ok(()) => None,
                Err(e) if is_refusal(&e) => Some(e),
                Err(e) => return Err(e),
            }
            .map_or(Ok(index), Err),
            // A remembered private dialog that is gone: find or create it again.
            Slot::NotFound(_) if p.input.recipient_id.is_some() => {
                let mut again = p.clone();
                again.input.chat_dialog_id = None;
                apply(conn, &mut touched, now)?;
                out.push(single(conn, &again, now)?);
                continue;
            }
            Slot::NotFound(what) => Err(Error::NotFound(what)),
            Slot::Forbidden(why) => Err(Error::Forbidden(why)),
        };
        let index = match refusal {
            Ok(index) => index,
            Err(e) => {
                // Stored before (a re-sent stanza) is stored, whatever changed since.
                out.push(existing(conn, actor.app_id, &p.id)?.ok_or(e));
                continue;
            }
        };
        let t = &mut touched[index];
        let recipient = if t.dialog.kind() == DialogType::Private {
            t.dialog
                .members
                .iter()
                .copied()
                .find(|u| *u != actor.user_id)
        } else {
            None
        };
        let next = match seq {
            Some(s) => s + 1,
            // Numbers for the whole batch at once; unused ones are skipped.
            None => {
                conn.prepare_cached(
                    "INSERT INTO counters (name, value) VALUES ('message_seq', ?1) \
                     ON CONFLICT(name) DO UPDATE SET value = value + ?1 RETURNING value",
                )?
                .query_row([reserve], |r| r.get::<_, i64>(0))?
                    - reserve
                    + 1
            }
        };
        seq = Some(next);
        let date_sent = p.input.date_sent.unwrap_or_else(|| now.div_euclid(1000));
        let inserted = conn
            .prepare_cached(
                "INSERT INTO messages (id, app_id, dialog_id, seq, sender_id, recipient_id, \
                 body, date_sent, attachments, custom, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11) \
                 ON CONFLICT(id) DO NOTHING",
            )?
            .execute(params![
                p.id,
                actor.app_id,
                t.dialog.id,
                next,
                actor.user_id,
                recipient,
                p.input.message,
                date_sent,
                serde_json::Value::from(p.input.attachments.clone()).to_string(),
                serde_json::Value::Object(p.input.custom.clone()).to_string(),
                now,
            ])?;
        if inserted == 0 {
            // The id is taken: by a message stored before (a re-sent stanza: answered as it
            // was stored) or by another application's message (refused).
            out.push(
                existing(conn, actor.app_id, &p.id)?
                    .ok_or_else(|| Error::invalid("_id", "is already taken")),
            );
            continue;
        }
        t.last = Some((
            p.id.clone(),
            p.input.message.clone(),
            actor.user_id,
            date_sent,
        ));
        match t.sent.iter_mut().find(|(u, _)| *u == actor.user_id) {
            Some((_, n)) => *n += 1,
            None => t.sent.push((actor.user_id, 1)),
        }
        out.push(Ok(Stored {
            dialog_id: t.dialog.id.clone(),
            date_sent,
            dialog: Some(t.dialog.clone()),
        }));
    }
    apply(conn, &mut touched, now)?;
    Ok(out)
}

/// Writes what the batch did to each dialog so far (last message, shown again, unread
/// counts), as [`messages::create`] does per message, and forgets it.
fn apply(conn: &Connection, touched: &mut [Touched], now: i64) -> Result<()> {
    for t in touched {
        let Some((id, text, sender, date_sent)) = t.last.take() else {
            continue;
        };
        conn.prepare_cached(
            "UPDATE dialogs SET last_message_id = ?1, last_message = ?2, \
             last_message_user_id = ?3, last_message_date_sent = ?4, updated_at = ?5 WHERE id = ?6",
        )?
        .execute(params![id, text, sender, date_sent, now, t.dialog.id])?;
        dialogs::unhide_all(conn, &t.dialog.id)?;
        let sent = std::mem::take(&mut t.sent);
        if t.dialog.kind() == DialogType::Broadcast {
            continue;
        }
        for (sender, n) in sent {
            conn.prepare_cached(
                "INSERT INTO dialog_user_state (dialog_id, user_id, unread) \
                 SELECT ?1, user_id, ?3 FROM dialog_occupants \
                 WHERE dialog_id = ?1 AND user_id != ?2 \
                 ON CONFLICT(dialog_id, user_id) DO UPDATE SET unread = unread + excluded.unread",
            )?
            .execute(params![t.dialog.id, sender, n])?;
        }
    }
    Ok(())
}

/// One message through [`messages::create`] (after the re-send check), rolled back alone if
/// refused.
fn single(conn: &Connection, p: &Pending, now: i64) -> Result<Result<Stored>> {
    if let Some(found) = existing(conn, p.actor.app_id, &p.id)? {
        return Ok(Ok(found));
    }
    let created = isolated(conn, || {
        messages::create(conn, p.actor, &p.input, &p.id, &p.new_dialog_id, now)
    });
    match created {
        Ok((m, d)) => Ok(Ok(Stored {
            dialog_id: m.dialog_id,
            date_sent: m.date_sent,
            dialog: Some(d),
        })),
        Err(e) if is_refusal(&e) => Ok(Err(e)),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dialogs::NewDialog;
    use crate::domain::dialogs::tests::db_with_users;

    fn oid(n: u32) -> String {
        format!("{n:024x}")
    }

    fn pending(user: i64, dialog: Option<&str>, to: Option<i64>, text: &str, id: u32) -> Pending {
        Pending {
            actor: Actor {
                app_id: 1,
                user_id: user,
            },
            input: NewMessage {
                chat_dialog_id: dialog.map(str::to_owned),
                recipient_id: to,
                message: Some(text.to_owned()),
                ..NewMessage::default()
            },
            id: oid(id),
            new_dialog_id: oid(900 + id),
        }
    }

    /// Users 1..=4, a group of 1, 2, 3 (4 is an outsider) and a private dialog of 1 and 2.
    fn db() -> Connection {
        let c = db_with_users(4);
        let owner = Actor {
            app_id: 1,
            user_id: 1,
        };
        let group = NewDialog {
            dialog_type: 2,
            name: Some("g".into()),
            occupants_ids: vec![2, 3],
            ..NewDialog::default()
        };
        dialogs::create(&c, owner, &group, &oid(500), false, 1_000).unwrap();
        let private = NewDialog {
            dialog_type: 3,
            occupants_ids: vec![2],
            ..NewDialog::default()
        };
        dialogs::create(&c, owner, &private, &oid(501), false, 1_000).unwrap();
        c
    }

    /// What the REST API can see of messages and dialogs, without sequence numbers.
    fn state(c: &Connection) -> Vec<String> {
        let mut out = Vec::new();
        for sql in [
            "SELECT id || dialog_id || sender_id || COALESCE(recipient_id, '-') || body \
             || date_sent || created_at FROM messages ORDER BY id",
            "SELECT id || COALESCE(last_message_id, '-') || COALESCE(last_message, '-') \
             || COALESCE(last_message_user_id, '-') || COALESCE(last_message_date_sent, '-') \
             || updated_at FROM dialogs ORDER BY id",
            "SELECT dialog_id || user_id || hidden || unread FROM dialog_user_state \
             ORDER BY dialog_id, user_id",
            "SELECT dialog_id || user_id FROM dialog_occupants ORDER BY dialog_id, user_id",
        ] {
            let mut st = c.prepare(sql).unwrap();
            let rows = st.query_map([], |r| r.get::<_, String>(0)).unwrap();
            out.extend(rows.map(Result::unwrap));
        }
        out
    }

    /// The per-message path this replaces: a re-send check, then `messages::create`.
    fn one_by_one(c: &Connection, batch: &[Pending], now: i64) -> Vec<Result<Stored>> {
        batch
            .iter()
            .map(|p| {
                if let Some(found) = existing(c, p.actor.app_id, &p.id)? {
                    return Ok(found);
                }
                let mut input = p.input.clone();
                let r = isolated(c, || {
                    messages::create(c, p.actor, &input, &p.id, &p.new_dialog_id, now)
                });
                let r = match r {
                    Err(Error::NotFound(_)) if input.recipient_id.is_some() => {
                        input.chat_dialog_id = None;
                        isolated(c, || {
                            messages::create(c, p.actor, &input, &p.id, &p.new_dialog_id, now)
                        })
                    }
                    other => other,
                };
                r.map(|(m, d)| Stored {
                    dialog_id: m.dialog_id,
                    date_sent: m.date_sent,
                    dialog: Some(d),
                })
            })
            .collect()
    }

    fn outcome(r: &Result<Stored>) -> String {
        match r {
            Ok(s) => format!("ok {} {}", s.dialog_id, s.date_sent),
            Err(e) => format!("refused {e}"),
        }
    }

    #[test]
    fn a_batch_stores_what_one_message_at_a_time_would() {
        let (g, p) = (oid(500), oid(501));
        let batch = vec![
            pending(2, Some(&g), None, "one", 1),
            pending(3, Some(&g), None, "two", 2),
            pending(1, Some(&p), Some(2), "private", 3),
            pending(4, Some(&g), None, "outsider", 4),
            pending(2, Some(&g), None, "re-sent", 1),
            pending(2, Some(&g), None, "three", 5),
            pending(3, None, Some(4), "new private", 6),
            pending(4, None, Some(3), "answer", 7),
            pending(1, Some(&oid(999)), Some(3), "gone private", 8),
            pending(1, Some(&oid(998)), None, "no dialog", 9),
            pending(2, Some(&g), None, &"x".repeat(MAX_TEXT + 1), 10),
            pending(1, Some(&g), None, "last", 11),
        ];
        let (a, b) = (db(), db());
        let batched = save_all(&a, &batch, 9_000).unwrap();
        let single = one_by_one(&b, &batch, 9_000);
        let show = |v: &[Result<Stored>]| v.iter().map(outcome).collect::<Vec<_>>();
        assert_eq!(show(&batched), show(&single));
        assert!(batched[3].is_err() && batched[9].is_err() && batched[10].is_err());
        assert_eq!(outcome(&batched[4]), outcome(&batched[0]));
        assert_eq!(state(&a), state(&b));
        assert_eq!(
            dialogs::unread_count(&a, &dialogs::load(&a, 1, &g).unwrap(), 1).unwrap(),
            3
        );
    }

    #[test]
    fn the_sending_load_is_the_full_load_without_pins() {
        let c = db();
        for id in [oid(500), oid(501)] {
            let mut full = dialogs::load(&c, 1, &id).unwrap();
            full.pins.clear();
            assert_eq!(dialogs::load_for_sending(&c, 1, &id).unwrap(), full);
        }
        assert!(matches!(
            dialogs::load_for_sending(&c, 1, &oid(999)),
            Err(Error::NotFound(_))
        ));
        assert!(matches!(
            dialogs::load_for_sending(&c, 2, &oid(500)),
            Err(Error::NotFound(_))
        ));
    }
}
