//! What happens to a stanza sent by a bound resource: messages stored and routed (1:1, group,
//! public, broadcast, system), markers, edits and deletions applied to storage, iq answered,
//! privacy lists kept and enforced, roles checked.
//!
//! [`Router::handle`] takes one stanza and returns the stanzas to send back on the sender's
//! own connection; everything for other resources goes through the [`Hub`].

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use cube_model::dialog::DialogType;
use cube_model::roles::Action;
use cube_xmpp::stanza::{
    Carbon, ChatMarker, DefinedCondition, Delay, DiscoItem, DiscoItems, ErrorType, ExtraParams,
    Forwarded, Iq, IqPayload, IqType, LastActivity, ListRef, Message, MessageType, MucItem,
    MucUser, Param, Presence, PresenceType, PrivacyAction, PrivacyList, PrivacyQuery, Reaction,
    Reactions, StanzaError,
};
use cube_xmpp::{Element, Jid, Stanza};
use serde_json::{Map, Value};

use super::hub::{Hub, Session, UserKey};
use super::saver::Saver;
use super::store;
use crate::domain::dialogs::{self, Actor, DialogRecord};
use crate::domain::error::Error;
use crate::domain::history::{Pending, Stored};
use crate::domain::messages::{self, MessageUpdate, NewMessage};
use crate::domain::time::iso;
use crate::domain::users;
use crate::ids::is_object_id;
use crate::service::{Event, Service};
use crate::store::StoreError;
use tokio::sync::oneshot::{self, error::TryRecvError};

/// REST message fields that are not custom parameters.
const REST_FIELDS: &[&str] = &[
    "_id",
    "chat_dialog_id",
    "message",
    "date_sent",
    "sender_id",
    "recipient_id",
    "read_ids",
    "delivered_ids",
    "attachments",
    "read",
    "created_at",
    "updated_at",
    "views_count",
];

/// extraParams keys the server reads itself rather than storing as custom fields.
const CONTROL_PARAMS: &[&str] = &[
    "save_to_history",
    "dialog_id",
    "date_sent",
    "moduleIdentifier",
];

/// The routing and storage logic shared by every connection.
#[derive(Debug)]
pub struct Router {
    service: Service,
    hub: Arc<Hub>,
    domain: String,
    muc: String,
    offline_max: usize,
    privacy: Mutex<HashMap<UserKey, Option<Arc<PrivacyList>>>>,
    /// Bumped on every privacy list change.
    privacy_generation: AtomicU64,
    /// Users known to exist (users are rarely deleted; a stale entry only lets a message to a
    /// deleted user be queued offline).
    known: Mutex<HashSet<UserKey>>,
    /// Private dialogs by `(app, lower user id, higher user id)`, learnt from saved messages.
    pairs: Mutex<HashMap<(i64, i64, i64), String>>,
    /// Ids of recent content messages routed without being stored: markers for them need no
    /// storage update (the JS SDK sends a delivered marker for every message).
    unsaved: Mutex<(HashSet<String>, VecDeque<String>)>,
    /// Messages to store, gathered into shared writes.
    saver: Saver,
}

/// How many unsaved message ids the router remembers.
const UNSAVED_MEMORY: usize = 100_000;

/// Whether storage keeps this message (`save_to_history=1` on content that is not an edit or
/// a deletion).
fn is_saved(m: &Message) -> bool {
    m.extra_params
        .as_ref()
        .is_some_and(ExtraParams::save_to_history)
        && m.has_content()
        && m.replace.is_none()
        && m.remove.is_none()
}

/// A private dialog's key: `(app, lower user id, higher user id)`.
type Pair = (i64, i64, i64);

/// The answer of a message's save.
type Commit = oneshot::Receiver<Result<Stored, Error>>;

/// Whether a stanza is a message to store with nothing else to apply (no marker, edit or
/// deletion): [`Router::begin`] may start it while earlier ones of its connection commit.
pub fn pipelines(stanza: &Stanza) -> bool {
    matches!(stanza, Stanza::Message(m) if is_saved(m) && m.marker.is_none())
}

/// A stanza started by [`Router::begin`].
#[derive(Debug)]
pub enum Begun {
    /// Finished: the answers for its own connection.
    Done(Vec<Stanza>),
    /// Submitted to storage: route it with [`Router::route_saved`] once committed.
    Saving(Box<Saving>),
}

/// A message submitted to storage, waiting for its commit.
#[derive(Debug)]
pub struct Saving {
    m: Message,
    to: SavedTo,
    pair: Option<Pair>,
    commit: Commit,
    stored: Option<Result<Stored, Error>>,
}

#[derive(Debug)]
enum SavedTo {
    User(i64),
    Room(String),
}

impl Saving {
    /// Resolves once the save is answered (cancel-safe: the answer is kept).
    pub async fn committed(&mut self) {
        if self.stored.is_none() {
            let got = (&mut self.commit).await;
            self.stored = Some(Saver::answer(got));
        }
    }

    /// Whether the save is answered, without waiting.
    pub fn is_committed(&mut self) -> bool {
        if self.stored.is_none() {
            match self.commit.try_recv() {
                Ok(got) => self.stored = Some(got),
                Err(TryRecvError::Empty) => return false,
                Err(TryRecvError::Closed) => {
                    self.stored = Some(Err(Error::Store(StoreError::Closed)));
                }
            }
        }
        true
    }
}

fn error_stanza_for_message(m: &Message, error: StanzaError) -> Stanza {
    let mut reply = Message::new(MessageType::Error);
    reply.id.clone_from(&m.id);
    reply.from.clone_from(&m.to);
    reply.to.clone_from(&m.from);
    reply.error = Some(error);
    Stanza::Message(reply)
}

fn forbidden(text: &str) -> StanzaError {
    StanzaError::new(ErrorType::Auth, DefinedCondition::Forbidden).with_text(text)
}

fn cancel(condition: DefinedCondition, text: &str) -> StanzaError {
    StanzaError::new(ErrorType::Cancel, condition).with_text(text)
}

/// The stanza error for a refused domain operation.
fn stanza_error(e: &Error) -> StanzaError {
    match e {
        Error::Forbidden(reason) => forbidden(reason),
        Error::NotFound(what) => cancel(DefinedCondition::ItemNotFound, what),
        Error::Unprocessable(_) | Error::BadRequest(_) => {
            let text = e
                .body()
                .get("errors")
                .map(Value::to_string)
                .unwrap_or_default();
            StanzaError::new(ErrorType::Modify, DefinedCondition::NotAcceptable).with_text(text)
        }
        _ => StanzaError::new(ErrorType::Wait, DefinedCondition::InternalServerError),
    }
}

/// A JSON value of an extraParams parameter (every value a string, objects nested).
fn param_json(fields: &[Param]) -> Map<String, Value> {
    let mut out = Map::new();
    for p in fields {
        match p {
            Param::Value { key, value } => {
                out.insert(key.clone(), Value::String(value.clone()));
            }
            Param::Object { key, fields } => {
                out.insert(key.clone(), Value::Object(param_json(fields)));
            }
            _ => {}
        }
    }
    out
}

fn attachment_json(a: &cube_xmpp::stanza::Attachment) -> Value {
    let mut obj = Map::new();
    for (k, v) in a.attrs() {
        let value = match (k, v.parse::<i64>()) {
            ("size" | "width" | "height" | "duration", Ok(n)) => Value::from(n),
            _ => Value::String(v.to_owned()),
        };
        obj.insert(k.to_owned(), value);
    }
    Value::Object(obj)
}

/// What storage keeps of a chat message: text, attachments, custom fields, send time.
fn new_message(m: &Message) -> NewMessage {
    let mut input = NewMessage {
        message: m.body.clone(),
        ..NewMessage::default()
    };
    if let Some(p) = &m.extra_params {
        input.attachments = p.attachments().map(attachment_json).collect();
        input.date_sent = p.date_sent_secs();
        let custom: Vec<Param> = p
            .params()
            .iter()
            .filter(|x| !CONTROL_PARAMS.contains(&x.key()))
            .cloned()
            .collect();
        input.custom = param_json(&custom);
    }
    input
}

fn json_to_params(map: &Map<String, Value>) -> Vec<Param> {
    let mut out = Vec::new();
    for (k, v) in map {
        if !cube_xmpp::element::is_valid_name(k) {
            continue;
        }
        match v {
            Value::Object(inner) => out.push(Param::Object {
                key: k.clone(),
                fields: json_to_params(inner),
            }),
            Value::Null => out.push(Param::Value {
                key: k.clone(),
                value: String::new(),
            }),
            Value::String(s) => out.push(Param::Value {
                key: k.clone(),
                value: s.clone(),
            }),
            other => out.push(Param::Value {
                key: k.clone(),
                value: other.to_string(),
            }),
        }
    }
    out
}

/// The chat stanza for a message created over REST (`send_to_chat=1`).
fn stanza_from_rest(json: &Value, kind: MessageType, from: Jid, to: Jid) -> Message {
    let mut params = ExtraParams::new().with("save_to_history", "1");
    let dialog = json.get("chat_dialog_id").and_then(Value::as_str);
    if let Some(d) = dialog {
        params = params.with("dialog_id", d);
    }
    if let Some(ds) = json.get("date_sent").and_then(Value::as_i64) {
        params = params.with("date_sent", ds.to_string());
    }
    if let Some(obj) = json.as_object() {
        let custom: Map<String, Value> = obj
            .iter()
            .filter(|(k, _)| !REST_FIELDS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for p in json_to_params(&custom) {
            params.push(p);
        }
    }
    if let Some(list) = json.get("attachments").and_then(Value::as_array) {
        for a in list.iter().filter_map(Value::as_object) {
            let mut att = cube_xmpp::stanza::Attachment::new();
            for (k, v) in a {
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                let _ = att.set(k, text);
            }
            params = params.with_attachment(att);
        }
    }
    let mut m = Message::new(kind)
        .with_from(from)
        .with_to(to)
        .with_extra_params(params);
    if let Some(id) = json.get("_id").and_then(Value::as_str) {
        m = m.with_id(id);
    }
    if let Some(text) = json.get("message").and_then(Value::as_str) {
        m = m.with_body(text);
    }
    m
}

/// `(user_id, app_id)` of a user JID, as storage numbers them.
fn user_of(jid: &Jid) -> Option<(i64, i64)> {
    let (user, app) = jid.user_and_app()?;
    Some((
        i64::try_from(user.get()).ok()?,
        i64::try_from(app.get()).ok()?,
    ))
}

/// `(app_id, dialog_id)` of a room JID.
fn room_of(jid: &Jid) -> Option<(i64, &str)> {
    let (app, dialog) = jid.room_parts()?;
    Some((i64::try_from(app.get()).ok()?, dialog))
}

/// Whether an undelivered stanza is kept for the user's other or next sessions: messages,
/// except typing notifications (iq answers and presence belong to the connection that ended).
pub fn worth_keeping(stanza: &Stanza) -> bool {
    matches!(stanza, Stanza::Message(m)
        if m.message_type() != MessageType::Error && (m.chat_state.is_none() || m.has_content()))
}

/// Whether `list` keeps messages from `values` (the sender's addresses) out.
fn denies(list: &PrivacyList, values: &[&str], only_total: bool) -> bool {
    for item in &list.items {
        let covers = item.message || item.applies_to_all();
        if !covers || (only_total && !item.applies_to_all()) {
            continue;
        }
        let matches = match (item.kind.as_deref(), item.value.as_deref()) {
            (None, _) => true,
            (Some("jid"), Some(v)) => values.iter().any(|x| x.eq_ignore_ascii_case(v)),
            _ => false,
        };
        if matches {
            return item.action == PrivacyAction::Deny;
        }
    }
    false
}

impl Router {
    /// A router over this service and hub.
    pub fn new(service: Service, hub: Arc<Hub>, offline_max: usize) -> Self {
        let domain = service.domain().to_owned();
        Self {
            saver: Saver::new(service.clone()),
            muc: format!("muc.{domain}"),
            domain,
            service,
            hub,
            offline_max,
            privacy: Mutex::new(HashMap::new()),
            privacy_generation: AtomicU64::new(0),
            known: Mutex::new(HashSet::new()),
            pairs: Mutex::new(HashMap::new()),
            unsaved: Mutex::new((HashSet::new(), VecDeque::new())),
        }
    }

    /// The chat domain.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The hub.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    /// The service.
    pub fn service(&self) -> &Service {
        &self.service
    }

    fn user_jid(&self, app_id: i64, user_id: i64) -> Option<Jid> {
        Jid::new(Some(&format!("{user_id}-{app_id}")), &self.domain, None).ok()
    }

    fn room_jid(&self, app_id: i64, dialog_id: &str) -> Option<Jid> {
        Jid::new(Some(&format!("{app_id}_{dialog_id}")), &self.muc, None).ok()
    }

    fn server_jid(&self) -> Option<Jid> {
        Jid::domain_jid(&self.domain).ok()
    }

    /// Handles one stanza from a bound resource; the answers for its own connection.
    pub async fn handle(&self, s: &Arc<Session>, stanza: Stanza) -> Vec<Stanza> {
        match stanza {
            Stanza::Message(m) => self.on_message(s, m).await,
            Stanza::Iq(iq) => self.on_iq(s, iq).await,
            Stanza::Presence(p) => self.on_presence(s, p).await,
        }
    }

    /// Starts a stanza: a message [`pipelines`] accepts is checked and submitted to storage
    /// (routed later by [`Router::route_saved`]); anything else is handled now.
    pub async fn begin(&self, s: &Arc<Session>, stanza: Stanza) -> Begun {
        if !pipelines(&stanza) {
            return Begun::Done(self.handle(s, stanza).await);
        }
        let Stanza::Message(mut m) = stanza else {
            return Begun::Done(Vec::new());
        };
        m.from = Some(s.jid.clone());
        let to = m.to.clone();
        let dest = match &to {
            Some(to) if to.domain().eq_ignore_ascii_case(&self.muc) => room_of(to)
                .filter(|(app, _)| *app == s.app_id)
                .map(|(_, d)| SavedTo::Room(d.to_owned())),
            Some(to) => match user_of(to) {
                Some((user, app))
                    if app == s.app_id && to.domain().eq_ignore_ascii_case(&self.domain) =>
                {
                    Some(SavedTo::User(user))
                }
                _ => None,
            },
            None => None,
        };
        // Errors and oddities take the ordinary path (which stores nothing for them).
        let Some(dest) = dest else {
            return Begun::Done(self.on_message(s, m).await);
        };
        let (dialog, recipient) = match &dest {
            SavedTo::User(r) => {
                if let Some(refused) = self.refuse_direct(s, &m, *r).await {
                    return Begun::Done(vec![refused]);
                }
                (None, Some(*r))
            }
            SavedTo::Room(d) => (Some(d.clone()), None),
        };
        match self.submit(s, &mut m, dialog, recipient) {
            Some((commit, pair)) => Begun::Saving(Box::new(Saving {
                m,
                to: dest,
                pair,
                commit,
                stored: None,
            })),
            None => Begun::Done(self.on_message(s, m).await),
        }
    }

    /// Routes a message started by [`Router::begin`] once its save is answered (see
    /// [`Saving::committed`]); the answers for its own connection.
    pub async fn route_saved(&self, s: &Arc<Session>, saving: Box<Saving>) -> Vec<Stanza> {
        let Saving {
            mut m,
            to,
            pair,
            stored,
            ..
        } = *saving;
        let stored =
            stored.unwrap_or_else(|| Err(Error::Internal("routed before its commit".into())));
        let checked = match self.saved(&mut m, pair, stored) {
            Ok(checked) => checked,
            Err(e) => return vec![error_stanza_for_message(&m, stanza_error(&e))],
        };
        match to {
            SavedTo::User(r) => self.route_direct(s, m, r).await,
            SavedTo::Room(d) => self.route_saved_to_room(s, m, &d, checked).await,
        }
    }

    // ----- messages -------------------------------------------------------------------------

    async fn on_message(&self, s: &Arc<Session>, mut m: Message) -> Vec<Stanza> {
        m.from = Some(s.jid.clone());
        let Some(to) = m.to.clone() else {
            return Vec::new();
        };
        if m.message_type() == MessageType::Error {
            return Vec::new();
        }
        if to.domain().eq_ignore_ascii_case(&self.muc) {
            let Some((app, dialog)) = room_of(&to) else {
                return vec![error_stanza_for_message(
                    &m,
                    cancel(DefinedCondition::ItemNotFound, "No such room"),
                )];
            };
            if app != s.app_id {
                return vec![error_stanza_for_message(
                    &m,
                    cancel(DefinedCondition::ItemNotFound, "No such room"),
                )];
            }
            let dialog = dialog.to_owned();
            return self.group_message(s, m, &dialog).await;
        }
        match user_of(&to) {
            Some((user, app))
                if app == s.app_id && to.domain().eq_ignore_ascii_case(&self.domain) =>
            {
                self.direct_message(s, m, user).await
            }
            _ if to.node().is_none() => Vec::new(),
            _ => vec![error_stanza_for_message(
                &m,
                cancel(DefinedCondition::ItemNotFound, "No such user"),
            )],
        }
    }

    async fn privacy_list(&self, app_id: i64, user_id: i64) -> Option<Arc<PrivacyList>> {
        let key = (app_id, user_id);
        if let Some(cached) = self
            .privacy
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
        {
            return cached.clone();
        }
        // A list changed while this read ran must not be cached with its old value.
        let generation = self.privacy_generation.load(Ordering::Acquire);
        let list = self
            .service
            .read(move |c| {
                let Some(name) = store::privacy_default(c, app_id, user_id)? else {
                    return Ok(None);
                };
                store::privacy_list(c, app_id, user_id, &name)
            })
            .await
            .ok()
            .flatten()
            .map(Arc::new);
        let mut cache = self
            .privacy
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.len() > 100_000 {
            cache.clear();
        }
        if self.privacy_generation.load(Ordering::Acquire) == generation {
            cache.insert(key, list.clone());
        }
        list
    }

    fn remember_unsaved(&self, id: &str) {
        let mut guard = self
            .unsaved
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (set, order) = &mut *guard;
        if set.insert(id.to_owned()) {
            order.push_back(id.to_owned());
            if order.len() > UNSAVED_MEMORY {
                if let Some(old) = order.pop_front() {
                    set.remove(&old);
                }
            }
        }
    }

    /// Whether a marker refers to a message routed here without being stored.
    fn was_unsaved(&self, marker: &ChatMarker) -> bool {
        let (ChatMarker::Received { id } | ChatMarker::Displayed { id }) = marker else {
            return false;
        };
        self.unsaved
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0
            .contains(id)
    }

    fn pairs_lock(&self) -> std::sync::MutexGuard<'_, HashMap<(i64, i64, i64), String>> {
        self.pairs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn user_exists(&self, app_id: i64, user_id: i64) -> bool {
        let key = (app_id, user_id);
        let lock = || {
            self.known
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if lock().contains(&key) || self.hub.is_online(app_id, user_id) {
            return true;
        }
        let exists = self
            .service
            .read(move |c| users::exists(c, app_id, user_id))
            .await
            .unwrap_or(false);
        if exists {
            let mut known = lock();
            if known.len() > 1_000_000 {
                known.clear();
            }
            known.insert(key);
        }
        exists
    }

    fn forget_privacy(&self, app_id: i64, user_id: i64) {
        self.privacy_generation.fetch_add(1, Ordering::AcqRel);
        self.privacy
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&(app_id, user_id));
    }

    /// Whether `recipient` blocks messages of `sender` (1:1 or, with `group`, in rooms).
    async fn blocks(&self, app_id: i64, recipient: i64, sender: i64, group: bool) -> bool {
        let Some(list) = self.privacy_list(app_id, recipient).await else {
            return false;
        };
        let bare = format!("{sender}-{app_id}@{}", self.domain);
        let muc = format!("{}/{sender}", self.muc);
        if group {
            denies(&list, &[&muc, &bare], false)
        } else {
            denies(&list, &[&bare], false)
        }
    }

    /// Applies a marker, edit or deletion to storage; an error refuses the stanza.
    async fn apply_to_storage(&self, s: &Session, m: &Message) -> Result<(), Error> {
        let actor = Actor {
            app_id: s.app_id,
            user_id: s.user_id,
        };
        let now = self.service.now();
        let marker = m.marker.as_ref().filter(|k| !self.was_unsaved(k));
        if let Some(ChatMarker::Received { id } | ChatMarker::Displayed { id }) = marker {
            let read = matches!(marker, Some(ChatMarker::Displayed { .. }));
            let ids = vec![id.clone()];
            let up = MessageUpdate {
                read,
                delivered: !read,
                ..MessageUpdate::default()
            };
            // Markers for messages that were never stored (or ids that are not ours) are
            // still routed: storage has nothing to update.
            let _ = self
                .service
                .write(move |c| messages::update(c, actor, &ids, &up, now))
                .await;
        }
        if let (Some(r), Some(body)) = (&m.replace, &m.body) {
            let ids = vec![r.id.clone()];
            let up = MessageUpdate {
                message: Some(body.clone()),
                ..MessageUpdate::default()
            };
            match self
                .service
                .write(move |c| messages::update(c, actor, &ids, &up, now))
                .await
            {
                Ok(()) | Err(Error::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if let Some(r) = &m.remove {
            let id = r.id.clone();
            match self
                .service
                .write(move |c| messages::delete_one(c, actor, &id, true))
                .await
            {
                Ok(_) | Err(Error::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Stores a content message with `save_to_history=1`; fills `dialog_id` and `date_sent`.
    ///
    /// Answers the dialog as storage checked it (the sender may send there), when it did.
    async fn save(
        &self,
        s: &Session,
        m: &mut Message,
        dialog: Option<String>,
        recipient: Option<i64>,
    ) -> Result<Option<DialogRecord>, Error> {
        match self.submit(s, m, dialog, recipient) {
            None => Ok(None),
            Some((commit, pair)) => self.saved(m, pair, Saver::answer(commit.await)),
        }
    }

    /// Queues a message with `save_to_history=1` for storage (other messages: `None`); the
    /// commit's receiver and the private pair the message goes to.
    fn submit(
        &self,
        s: &Session,
        m: &mut Message,
        dialog: Option<String>,
        recipient: Option<i64>,
    ) -> Option<(Commit, Option<Pair>)> {
        if !is_saved(m) {
            if m.has_content() && m.replace.is_none() && m.remove.is_none() {
                if let Some(id) = &m.id {
                    self.remember_unsaved(id);
                }
            }
            return None;
        }
        let actor = Actor {
            app_id: s.app_id,
            user_id: s.user_id,
        };
        let mut input = new_message(m);
        input.chat_dialog_id = dialog.or_else(|| m.dialog_id().map(str::to_owned));
        let pair = match (&input.chat_dialog_id, recipient) {
            (None, Some(r)) => Some((s.app_id, s.user_id.min(r), s.user_id.max(r))),
            _ => None,
        };
        if input.chat_dialog_id.is_none() {
            input.recipient_id = recipient;
            input.chat_dialog_id = pair.and_then(|p| self.pairs_lock().get(&p).cloned());
        }
        let id = match m.id.as_deref() {
            Some(id) if is_object_id(id) => id.to_owned(),
            _ => self.service.object_id(),
        };
        if m.id.is_none() {
            m.id = Some(id.clone());
        }
        let commit = self.saver.submit(Pending {
            actor,
            input,
            id,
            new_dialog_id: self.service.object_id(),
        });
        Some((commit, pair))
    }

    /// After a submitted message's commit: remembers its private dialog and fills
    /// `dialog_id` and `date_sent`; the dialog as storage checked it, when it did.
    fn saved(
        &self,
        m: &mut Message,
        pair: Option<Pair>,
        stored: Result<Stored, Error>,
    ) -> Result<Option<DialogRecord>, Error> {
        let stored = stored?;
        let (dialog_id, date_sent, checked) = (stored.dialog_id, stored.date_sent, stored.dialog);
        if let Some(p) = pair {
            let mut pairs = self.pairs_lock();
            if pairs.len() > 100_000 {
                pairs.clear();
            }
            pairs.insert(p, dialog_id.clone());
        }
        let params = m.extra_params.get_or_insert_with(ExtraParams::new);
        if params.dialog_id().is_none() {
            let _ = params.set("dialog_id", dialog_id);
        }
        if params.date_sent().is_none() {
            let _ = params.set("date_sent", date_sent.to_string());
        }
        Ok(checked)
    }

    /// Queues a stanza for a user who is not connected.
    async fn keep_offline(&self, app_id: i64, user_id: i64, stanza: &Stanza) {
        let xml = Element::from(stanza.clone()).to_xml();
        let (now, max) = (self.service.now(), self.offline_max);
        let _ = self
            .service
            .write(move |c| store::push_offline(c, app_id, user_id, &xml, now, max))
            .await;
    }

    /// Refuses a 1:1 message the recipient may not get: the error for the sender.
    async fn refuse_direct(&self, s: &Session, m: &Message, recipient: i64) -> Option<Stanza> {
        let app = s.app_id;
        if !self.user_exists(app, recipient).await {
            return Some(error_stanza_for_message(
                m,
                cancel(DefinedCondition::ItemNotFound, "No such user"),
            ));
        }
        if self.blocks(app, recipient, s.user_id, false).await {
            return Some(error_stanza_for_message(
                m,
                cancel(
                    DefinedCondition::ServiceUnavailable,
                    "The recipient has blocked messages from you",
                ),
            ));
        }
        if let Some(own) = self.privacy_list(app, s.user_id).await {
            let bare = format!("{recipient}-{app}@{}", self.domain);
            if denies(&own, &[&bare], true) {
                return Some(error_stanza_for_message(
                    m,
                    cancel(
                        DefinedCondition::NotAcceptable,
                        "You have blocked this user",
                    ),
                ));
            }
        }
        None
    }

    async fn direct_message(
        &self,
        s: &Arc<Session>,
        mut m: Message,
        recipient: i64,
    ) -> Vec<Stanza> {
        if let Some(refused) = self.refuse_direct(s, &m, recipient).await {
            return vec![refused];
        }
        if let Err(e) = self.apply_to_storage(s, &m).await {
            return vec![error_stanza_for_message(&m, stanza_error(&e))];
        }
        if let Err(e) = self.save(s, &mut m, None, Some(recipient)).await {
            return vec![error_stanza_for_message(&m, stanza_error(&e))];
        }
        self.route_direct(s, m, recipient).await
    }

    /// Delivers a checked (and, if asked, stored) 1:1 message, with carbons.
    async fn route_direct(&self, s: &Arc<Session>, m: Message, recipient: i64) -> Vec<Stanza> {
        let app = s.app_id;
        let typing_only = m.chat_state.is_some() && !m.has_content();
        let kind = m.message_type();
        let el = Stanza::Message(m.clone());
        let delivered = self.hub.deliver(app, recipient, &el, None);
        if delivered == 0 && !typing_only {
            self.keep_offline(app, recipient, &el).await;
        }
        if kind == MessageType::Chat && !typing_only {
            for other in self.hub.sessions(app, s.user_id) {
                if other.id == s.id || !other.carbons() {
                    continue;
                }
                let mut copy = Message::new(MessageType::Chat);
                copy.from = Some(s.jid.to_bare());
                copy.to = Some(other.jid.clone());
                copy.carbon = Some(Carbon::Sent(Forwarded::new(m.clone())));
                other.send(Stanza::Message(copy));
            }
        }
        Vec::new()
    }

    async fn group_message(
        &self,
        s: &Arc<Session>,
        mut m: Message,
        dialog_id: &str,
    ) -> Vec<Stanza> {
        let (app, user) = (s.app_id, s.user_id);
        let content = m.has_content() || m.replace.is_some() || m.remove.is_some();
        let action = if content {
            Action::SendMessage
        } else {
            Action::ReadHistory
        };
        // A message to store with nothing else to apply: storing it checks the dialog and
        // the sender's right to send (one storage round trip rather than a read and a write).
        if is_saved(&m) && m.marker.is_none() {
            let dialog = match self.save(s, &mut m, Some(dialog_id.to_owned()), None).await {
                Ok(Some(d)) => Some(d),
                Ok(None) => None,
                Err(e) => return vec![error_stanza_for_message(&m, stanza_error(&e))],
            };
            return self.route_saved_to_room(s, m, dialog_id, dialog).await;
        }
        let dialog = match self.readable_dialog(app, user, dialog_id, action).await {
            Ok(d) => d,
            Err(e) => return vec![error_stanza_for_message(&m, stanza_error(&e))],
        };
        if let Err(e) = self.apply_to_storage(s, &m).await {
            return vec![error_stanza_for_message(&m, stanza_error(&e))];
        }
        if let Err(e) = self.save(s, &mut m, Some(dialog.id.clone()), None).await {
            return vec![error_stanza_for_message(&m, stanza_error(&e))];
        }
        self.route_to_room(&dialog, m, user, content).await
    }

    /// Routes a message stored with nothing else to apply to the room of `dialog_id`; the
    /// dialog as its save checked it, if it did.
    async fn route_saved_to_room(
        &self,
        s: &Session,
        m: Message,
        dialog_id: &str,
        checked: Option<DialogRecord>,
    ) -> Vec<Stanza> {
        let (app, user) = (s.app_id, s.user_id);
        let content = m.has_content() || m.replace.is_some() || m.remove.is_some();
        let action = if content {
            Action::SendMessage
        } else {
            Action::ReadHistory
        };
        let dialog = match checked {
            Some(d) => d,
            // Stored before (a re-sent stanza): the dialog is read as for any message.
            None => match self.readable_dialog(app, user, dialog_id, action).await {
                Ok(d) => d,
                Err(e) => return vec![error_stanza_for_message(&m, stanza_error(&e))],
            },
        };
        self.route_to_room(&dialog, m, user, content).await
    }

    /// Dialog `id` when `user` may do `action` there.
    async fn readable_dialog(
        &self,
        app: i64,
        user: i64,
        id: &str,
        action: Action,
    ) -> Result<DialogRecord, Error> {
        let id = id.to_owned();
        self.service
            .read(move |c| {
                let d = dialogs::load(c, app, &id)?;
                dialogs::require(c, &d, user, action)?;
                Ok(d)
            })
            .await
    }

    /// Sends a checked (and, if asked, stored) message from `user` to the dialog's room.
    async fn route_to_room(
        &self,
        dialog: &DialogRecord,
        mut m: Message,
        user: i64,
        content: bool,
    ) -> Vec<Stanza> {
        let app = dialog.app_id;
        let Some(room) = self.room_jid(app, &dialog.id) else {
            return Vec::new();
        };
        let Ok(from) = room.with_resource(&user.to_string()) else {
            return Vec::new();
        };
        m.from = Some(from);
        self.fan_out(dialog, m, Some(user), content).await;
        Vec::new()
    }

    /// Sends a room message to every recipient of the dialog who does not block the sender.
    async fn fan_out(&self, dialog: &DialogRecord, m: Message, sender: Option<i64>, keep: bool) {
        let app = dialog.app_id;
        let recipients: Vec<i64> = match dialog.kind() {
            DialogType::Broadcast => self.hub.online_users(app),
            DialogType::Public => {
                let mut r = dialog.members.clone();
                r.push(dialog.user_id);
                r.extend(&dialog.admins);
                r.sort_unstable();
                r.dedup();
                r
            }
            _ => dialog.members.clone(),
        };
        let queue_offline =
            keep && matches!(dialog.kind(), DialogType::Group | DialogType::Private);
        for r in recipients {
            if let Some(sender) = sender {
                if r != sender && self.blocks(app, r, sender, true).await {
                    continue;
                }
            }
            let mut copy = m.clone();
            copy.to = self.user_jid(app, r);
            let el = Stanza::Message(copy);
            if self.hub.deliver(app, r, &el, None) == 0 && queue_offline && Some(r) != sender {
                self.keep_offline(app, r, &el).await;
            }
        }
    }

    /// Delivers the offline queue of a freshly bound resource, each stanza with a `<delay>`.
    pub async fn offline_for(&self, s: &Session) -> Vec<Stanza> {
        let (app, user) = (s.app_id, s.user_id);
        let rows = self
            .service
            .write(move |c| store::take_offline(c, app, user))
            .await
            .unwrap_or_default();
        rows.into_iter()
            .filter_map(|(xml, stamp)| {
                let el = store::parse_element(&xml)?;
                let mut m = Message::try_from(el).ok()?;
                if m.delay.is_none() {
                    let mut delay = Delay::new(iso(stamp));
                    delay.from = Some(self.domain.clone());
                    m.delay = Some(delay);
                }
                Some(Stanza::Message(m))
            })
            .collect()
    }

    /// Puts stanzas that could not be delivered (a connection ended with them unacknowledged)
    /// back into the user's offline queue.
    pub async fn requeue(&self, app_id: i64, user_id: i64, stanzas: Vec<Stanza>) {
        for stanza in stanzas.iter().filter(|s| worth_keeping(s)) {
            self.keep_offline(app_id, user_id, stanza).await;
        }
    }

    /// Records the end of a user's last connection (last activity).
    pub async fn went_offline(&self, app_id: i64, user_id: i64) {
        let now = self.service.now();
        let _ = self
            .service
            .write(move |c| store::set_last_seen(c, app_id, user_id, now))
            .await;
    }

    // ----- iq ---------------------------------------------------------------------------------

    async fn on_iq(&self, s: &Arc<Session>, mut iq: Iq) -> Vec<Stanza> {
        if !iq.is_request() {
            return Vec::new();
        }
        iq.from = Some(s.jid.clone());
        let reply = |iq: &Iq, payload: Option<IqPayload>| -> Vec<Stanza> {
            vec![Stanza::Iq(Iq::result_for(iq, payload))]
        };
        let fail =
            |iq: &Iq, e: StanzaError| -> Vec<Stanza> { vec![Stanza::Iq(Iq::error_for(iq, e))] };
        let payload = iq.payload.clone();
        match (iq.kind.clone(), payload) {
            // Status streaming needs no state here: last activity is answered when asked.
            (_, Some(IqPayload::Ping | IqPayload::Session))
            | (IqType::Set, Some(IqPayload::StatusSubscribe(_))) => reply(&iq, None),
            (IqType::Set, Some(IqPayload::CarbonsEnable)) => {
                s.set_carbons(true);
                reply(&iq, None)
            }
            (IqType::Set, Some(IqPayload::CarbonsDisable)) => {
                s.set_carbons(false);
                reply(&iq, None)
            }
            (IqType::Set, Some(IqPayload::Mobile(mobile))) => {
                s.set_inactive(mobile.enable);
                reply(&iq, None)
            }
            // Status streaming needs no server state here: last activity is always current.
            (IqType::Get, Some(IqPayload::LastActivity(_))) => {
                match self.last_activity(s, &iq).await {
                    Ok(seconds) => reply(
                        &iq,
                        Some(IqPayload::LastActivity(LastActivity::seconds(seconds))),
                    ),
                    Err(e) => fail(&iq, e),
                }
            }
            (kind, Some(IqPayload::Privacy(q))) => {
                match self.privacy(s, kind == IqType::Set, q).await {
                    Ok(answer) => reply(&iq, answer.map(IqPayload::Privacy)),
                    Err(e) => fail(&iq, e),
                }
            }
            (IqType::Get, Some(IqPayload::DiscoItems(_))) => match self.room_items(s, &iq).await {
                Ok(items) => reply(&iq, Some(IqPayload::DiscoItems(items))),
                Err(e) => fail(&iq, e),
            },
            (_, Some(IqPayload::Bind(_))) => fail(
                &iq,
                StanzaError::new(ErrorType::Cancel, DefinedCondition::NotAllowed)
                    .with_text("A resource is already bound"),
            ),
            _ => fail(
                &iq,
                StanzaError::new(ErrorType::Cancel, DefinedCondition::ServiceUnavailable),
            ),
        }
    }

    async fn last_activity(&self, s: &Session, iq: &Iq) -> Result<u64, StanzaError> {
        let Some(to) = iq.to.as_ref().filter(|t| t.node().is_some()) else {
            return Ok(0);
        };
        let not_found = || cancel(DefinedCondition::ItemNotFound, "No such user");
        let (user, app) = user_of(to).ok_or_else(not_found)?;
        if app != s.app_id {
            return Err(not_found());
        }
        if self.hub.is_online(app, user) {
            return Ok(0);
        }
        let seen = self
            .service
            .read(move |c| {
                if !users::exists(c, app, user)? {
                    return Ok(None);
                }
                let seen = store::last_seen(c, app, user)?;
                let fallback = users::get(c, app, user)
                    .map(|u| u.last_request_at.unwrap_or(u.created_at))
                    .ok();
                Ok(Some(seen.or(fallback).unwrap_or(0)))
            })
            .await
            .map_err(|e| stanza_error(&e))?
            .ok_or_else(not_found)?;
        let now = self.service.now();
        Ok(u64::try_from((now - seen).max(0) / 1000).unwrap_or(0))
    }

    async fn privacy(
        &self,
        s: &Session,
        set: bool,
        q: PrivacyQuery,
    ) -> Result<Option<PrivacyQuery>, StanzaError> {
        let (app, user) = (s.app_id, s.user_id);
        let bad = |t: &str| {
            StanzaError::new(ErrorType::Modify, DefinedCondition::BadRequest).with_text(t)
        };
        if !set {
            if let Some(list) = q.lists.first() {
                let name = list.name.clone();
                let found = self
                    .service
                    .read(move |c| store::privacy_list(c, app, user, &name))
                    .await
                    .map_err(|e| stanza_error(&e))?;
                let Some(list) = found else {
                    return Err(cancel(
                        DefinedCondition::ItemNotFound,
                        "No such privacy list",
                    ));
                };
                let mut answer = PrivacyQuery::default();
                answer.lists.push(list);
                return Ok(Some(answer));
            }
            let (names, default) = self
                .service
                .read(move |c| {
                    Ok((
                        store::privacy_names(c, app, user)?,
                        store::privacy_default(c, app, user)?,
                    ))
                })
                .await
                .map_err(|e| stanza_error(&e))?;
            let mut answer = PrivacyQuery::default();
            if let Some(d) = default {
                answer.active = Some(ListRef::named(d.clone()));
                answer.default = Some(ListRef::named(d));
            }
            answer.lists = names.into_iter().map(PrivacyList::named).collect();
            return Ok(Some(answer));
        }
        let parts =
            usize::from(q.active.is_some()) + usize::from(q.default.is_some()) + q.lists.len();
        if parts != 1 {
            return Err(bad("Exactly one of active, default or list"));
        }
        if let Some(list) = q.lists.into_iter().next() {
            self.service
                .write(move |c| store::put_privacy_list(c, app, user, &list))
                .await
                .map_err(|e| stanza_error(&e))?;
        } else if let Some(default) = q.default {
            let name = default.name;
            self.service
                .write(move |c| {
                    if let Some(n) = &name {
                        if store::privacy_list(c, app, user, n)?.is_none() {
                            return Ok(false);
                        }
                    }
                    store::set_privacy_default(c, app, user, name.as_deref())?;
                    Ok(true)
                })
                .await
                .map_err(|e| stanza_error(&e))?
                .then_some(())
                .ok_or_else(|| cancel(DefinedCondition::ItemNotFound, "No such privacy list"))?;
        } else if let Some(ListRef { name: Some(n), .. }) = q.active {
            let exists = self
                .service
                .read(move |c| store::privacy_list(c, app, user, &n))
                .await
                .map_err(|e| stanza_error(&e))?
                .is_some();
            if !exists {
                return Err(cancel(
                    DefinedCondition::ItemNotFound,
                    "No such privacy list",
                ));
            }
        }
        self.forget_privacy(app, user);
        Ok(None)
    }

    async fn room_items(&self, s: &Session, iq: &Iq) -> Result<DiscoItems, StanzaError> {
        let not_found = || cancel(DefinedCondition::ItemNotFound, "No such room");
        let to = iq.to.clone().ok_or_else(not_found)?;
        let (app, dialog) = room_of(&to).ok_or_else(not_found)?;
        if app != s.app_id {
            return Err(not_found());
        }
        let (app, user, dialog) = (s.app_id, s.user_id, dialog.to_owned());
        let d = self
            .service
            .read(move |c| {
                let d = dialogs::load(c, app, &dialog)?;
                dialogs::require(c, &d, user, Action::ReadHistory)?;
                Ok(d)
            })
            .await
            .map_err(|e| stanza_error(&e))?;
        let mut items = DiscoItems::default();
        for m in &d.members {
            if self.hub.is_online(app, *m) {
                items
                    .items
                    .push(DiscoItem::new(format!("{}/{m}", to.to_bare()), None));
            }
        }
        Ok(items)
    }

    // ----- presence ---------------------------------------------------------------------------

    async fn on_presence(&self, s: &Arc<Session>, p: Presence) -> Vec<Stanza> {
        let Some(to) = p.to.clone() else {
            return Vec::new();
        };
        if !to.domain().eq_ignore_ascii_case(&self.muc) || room_of(&to).is_none() {
            return Vec::new();
        }
        // MUC join or leave: no join is needed to chat, but answer as a room would.
        let (app, user) = (s.app_id, s.user_id);
        let dialog = room_of(&to).map(|(_, d)| d.to_owned()).unwrap_or_default();
        let allowed = self
            .service
            .read(move |c| {
                let d = dialogs::load(c, app, &dialog)?;
                dialogs::require(c, &d, user, Action::ReadHistory)
            })
            .await;
        let Ok(me) = to.to_bare().with_resource(&user.to_string()) else {
            return Vec::new();
        };
        let mut answer = Presence::default().with_from(me).with_to(s.jid.clone());
        answer.id.clone_from(&p.id);
        if let Err(e) = allowed {
            answer.kind = Some(PresenceType::Error);
            answer.error = Some(stanza_error(&e));
            return vec![Stanza::Presence(answer)];
        }
        answer.kind = p.kind.clone().filter(|k| *k == PresenceType::Unavailable);
        let mut item = MucItem::default();
        item.affiliation = Some("member".into());
        item.role = Some(
            if answer.kind.is_some() {
                "none"
            } else {
                "participant"
            }
            .into(),
        );
        let mut x = MucUser::default();
        x.items.push(item);
        x.status_codes.push(110);
        answer.muc_user = Some(x);
        vec![Stanza::Presence(answer)]
    }

    // ----- REST events ------------------------------------------------------------------------

    /// Delivers what the REST API asked to send over chat.
    pub async fn on_event(&self, event: Event) {
        match event {
            Event::MessageCreated {
                app_id,
                message,
                dialog_type,
                recipients,
            } => {
                let sender = message
                    .get("sender_id")
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                let dialog_id = message
                    .get("chat_dialog_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let Some(sender_jid) = self.user_jid(app_id, sender) else {
                    return;
                };
                if DialogType::from_code(dialog_type) == DialogType::Private {
                    for r in recipients.into_iter().filter(|r| *r != sender) {
                        let Some(to) = self.user_jid(app_id, r) else {
                            continue;
                        };
                        let m =
                            stanza_from_rest(&message, MessageType::Chat, sender_jid.clone(), to);
                        let el = Stanza::Message(m);
                        if self.hub.deliver(app_id, r, &el, None) == 0 {
                            self.keep_offline(app_id, r, &el).await;
                        }
                    }
                    return;
                }
                let (app, id) = (app_id, dialog_id.clone());
                let Ok(dialog) = self.service.read(move |c| dialogs::load(c, app, &id)).await
                else {
                    return;
                };
                let Some(from) = self
                    .room_jid(app_id, &dialog_id)
                    .and_then(|r| r.with_resource(&sender.to_string()).ok())
                else {
                    return;
                };
                let to = from.to_bare();
                let m = stanza_from_rest(&message, MessageType::Groupchat, from, to);
                self.fan_out(&dialog, m, Some(sender), true).await;
            }
            Event::SystemMessage {
                app_id,
                sender_id,
                recipient_id,
                message_id,
                params,
            } => {
                let (Some(from), Some(to)) = (
                    self.user_jid(app_id, sender_id),
                    self.user_jid(app_id, recipient_id),
                ) else {
                    return;
                };
                let mut extra = ExtraParams::new().with("moduleIdentifier", "SystemNotifications");
                let body = params
                    .get("message")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let rest: Map<String, Value> = params
                    .into_iter()
                    .filter(|(k, _)| k != "message" && k != "recipient_id")
                    .collect();
                for p in json_to_params(&rest) {
                    extra.push(p);
                }
                let mut m = Message::new(MessageType::Headline)
                    .with_from(from)
                    .with_to(to)
                    .with_id(message_id)
                    .with_extra_params(extra);
                m.body = body;
                let el = Stanza::Message(m);
                if self.hub.deliver(app_id, recipient_id, &el, None) == 0 {
                    self.keep_offline(app_id, recipient_id, &el).await;
                }
            }
            Event::MessagesDeleted {
                app_id,
                dialog_id,
                ids,
            } => {
                let (app, id) = (app_id, dialog_id.clone());
                let Ok(dialog) = self.service.read(move |c| dialogs::load(c, app, &id)).await
                else {
                    return;
                };
                let Some(server) = self.server_jid() else {
                    return;
                };
                for mid in ids {
                    let mut m = Message::new(if dialog.kind() == DialogType::Private {
                        MessageType::Chat
                    } else {
                        MessageType::Groupchat
                    })
                    .with_from(server.clone())
                    .with_id(self.service.object_id())
                    .with_remove(cube_xmpp::stanza::Remove::new(mid))
                    .with_extra_params(ExtraParams::new().with("dialog_id", dialog.id.clone()));
                    if dialog.kind() != DialogType::Private {
                        m.from = self.room_jid(app_id, &dialog.id);
                    }
                    self.fan_out(&dialog, m, None, false).await;
                }
            }
            Event::ReactionsChanged {
                app_id,
                dialog_id,
                message_id,
                user_id,
                add,
                remove,
            } => {
                let (app, id) = (app_id, dialog_id);
                let Ok(dialog) = self.service.read(move |c| dialogs::load(c, app, &id)).await
                else {
                    return;
                };
                let Some(m) = self.reactions_stanza(&dialog, &message_id, user_id, add, remove)
                else {
                    return;
                };
                self.fan_out(&dialog, m, None, false).await;
            }
        }
    }

    /// The `<reactions message_id user_id>` notice of a reaction change (wire.md §8.6), from
    /// the room (the server for private dialogs), with the dialog in its extra parameters.
    fn reactions_stanza(
        &self,
        dialog: &DialogRecord,
        message_id: &str,
        user_id: i64,
        add: Option<String>,
        remove: Option<String>,
    ) -> Option<Message> {
        let mut reactions = Reactions::new(message_id).with_user_id(user_id.to_string());
        if let Some(kind) = add {
            reactions = reactions.with_reaction(Reaction::add(kind));
        }
        if let Some(kind) = remove {
            reactions = reactions.with_reaction(Reaction::remove(kind));
        }
        let private = dialog.kind() == DialogType::Private;
        let from = if private {
            self.server_jid()?
        } else {
            self.room_jid(dialog.app_id, &dialog.id)?
        };
        let m = Message::new(if private {
            MessageType::Chat
        } else {
            MessageType::Groupchat
        })
        .with_from(from)
        .with_id(self.service.object_id())
        .with_extra_params(ExtraParams::new().with("dialog_id", dialog.id.clone()))
        .with_reactions(reactions);
        Some(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privacy_items_decide_in_order() {
        let list = PrivacyList::for_users(
            "l",
            &[
                (cube_model::UserId(6), PrivacyAction::Deny, false),
                (cube_model::UserId(7), PrivacyAction::Deny, true),
            ],
            cube_model::AppId(1),
            "localhost",
            "muc.localhost",
        );
        assert!(denies(&list, &["6-1@localhost"], false));
        assert!(denies(&list, &["muc.localhost/6"], false));
        assert!(!denies(&list, &["8-1@localhost"], false));
        assert!(!denies(&list, &["6-1@localhost"], true));
        assert!(denies(&list, &["7-1@localhost"], true));
    }

    #[test]
    fn stored_fields_leave_control_params_out() {
        let p = ExtraParams::new()
            .with("save_to_history", "1")
            .with("dialog_id", "d")
            .with("date_sent", "1704164645")
            .with("customParam", "v");
        let m = Message::new(MessageType::Chat)
            .with_body("hi")
            .with_extra_params(p);
        let input = new_message(&m);
        assert_eq!(input.date_sent, Some(1_704_164_645));
        assert_eq!(input.custom.get("customParam"), Some(&Value::from("v")));
        assert!(!input.custom.contains_key("save_to_history"));
    }
}
