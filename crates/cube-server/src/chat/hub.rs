//! The routing hub: which resources of which users are connected, and delivery to them.
//!
//! Every bound resource registers a [`Session`] here with a bounded outgoing queue. Delivery
//! never waits: a full queue means a slow reader, whose connection is told to close with a
//! stream error (so one slow client never slows the others down).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use cube_xmpp::{Jid, Stanza};
use tokio::sync::{Notify, mpsc};

/// A user of an application: `(app_id, user_id)`.
pub type UserKey = (i64, i64);

/// A stanza in an outgoing queue, numbered in the order the hub routed it.
pub type Queued = (u64, Stanza);

/// Why a connection could not be registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimitError {
    /// The user already has the most connections allowed.
    #[error("too many connections for this user")]
    PerUser,
    /// The server already has the most connections allowed.
    #[error("too many connections")]
    Total,
}

/// One bound resource of a user.
#[derive(Debug)]
pub struct Session {
    /// Unique within the process.
    pub id: u64,
    /// Application.
    pub app_id: i64,
    /// User.
    pub user_id: i64,
    /// The bound full JID.
    pub jid: Jid,
    tx: mpsc::Sender<Queued>,
    seq: Arc<AtomicU64>,
    registered: u64,
    carbons: AtomicBool,
    inactive: AtomicBool,
    overflowed: AtomicBool,
    taken_over: AtomicBool,
    kick: Notify,
}

impl Session {
    /// The resource part of the bound JID.
    pub fn resource(&self) -> &str {
        self.jid.resource().unwrap_or_default()
    }

    /// Whether this resource asked for carbons.
    pub fn carbons(&self) -> bool {
        self.carbons.load(Ordering::Relaxed)
    }

    /// Turns carbons on or off for this resource.
    pub fn set_carbons(&self, on: bool) {
        self.carbons.store(on, Ordering::Relaxed);
    }

    /// Whether the app marked itself inactive (Tigase mobile#v2).
    pub fn inactive(&self) -> bool {
        self.inactive.load(Ordering::Relaxed)
    }

    /// Marks the app active or inactive.
    pub fn set_inactive(&self, on: bool) {
        self.inactive.store(on, Ordering::Relaxed);
    }

    /// Queues a stanza; false (and the connection is told to close) when the queue is full.
    pub fn send(&self, el: Stanza) -> bool {
        let n = self.seq.fetch_add(1, Ordering::Relaxed);
        match self.tx.try_send((n, el)) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.overflowed.store(true, Ordering::Relaxed);
                self.kick.notify_one();
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// The routing number taken when this session was registered.
    pub fn registered(&self) -> u64 {
        self.registered
    }

    /// Whether this session was registered after the stanza numbered `seq` was routed (so it
    /// did not get its own copy).
    pub fn missed(&self, seq: u64) -> bool {
        self.registered > seq
    }

    /// Whether the outgoing queue overflowed (the reader is too slow).
    pub fn overflowed(&self) -> bool {
        self.overflowed.load(Ordering::Relaxed)
    }

    /// Tells the connection to let go of the session so that a resuming connection can take
    /// it over (XEP-0198: the old connection may not have noticed it is dead yet).
    pub fn take_over(&self) {
        self.taken_over.store(true, Ordering::Relaxed);
        self.kick.notify_one();
    }

    /// The session was resumed on a new connection: it is no longer being taken over.
    pub fn resumed(&self) {
        self.taken_over.store(false, Ordering::Relaxed);
    }

    /// Whether a resuming connection asked for this session.
    pub fn taken_over(&self) -> bool {
        self.taken_over.load(Ordering::Relaxed)
    }

    /// Tells the connection to close (resource conflict, overflow, shutdown).
    pub fn kick(&self) {
        self.kick.notify_one();
    }

    /// Resolves when the connection was told to close.
    pub async fn kicked(&self) {
        self.kick.notified().await;
    }
}

#[derive(Debug, Default)]
struct State {
    users: HashMap<UserKey, Vec<Arc<Session>>>,
    total: usize,
}

/// The registry of connected resources. Cheap to share (`Arc<Hub>`).
#[derive(Debug)]
pub struct Hub {
    state: Mutex<State>,
    next_id: AtomicU64,
    seq: Arc<AtomicU64>,
    max_per_user: usize,
    max_total: usize,
    queue: usize,
}

impl Hub {
    /// A hub with these limits: connections per user, in total, and the outgoing queue length.
    pub fn new(max_per_user: usize, max_total: usize, queue: usize) -> Self {
        Self {
            state: Mutex::new(State::default()),
            next_id: AtomicU64::new(1),
            seq: Arc::new(AtomicU64::new(0)),
            max_per_user,
            max_total,
            queue: queue.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere; the map itself stays consistent.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers a bound resource; its queue's receiving end goes to the connection.
    pub fn register(
        &self,
        app_id: i64,
        user_id: i64,
        jid: Jid,
    ) -> Result<(Arc<Session>, mpsc::Receiver<Queued>), LimitError> {
        let (tx, rx) = mpsc::channel(self.queue);
        let session = Arc::new(Session {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            app_id,
            user_id,
            jid,
            tx,
            registered: self.seq.fetch_add(1, Ordering::Relaxed),
            seq: self.seq.clone(),
            carbons: AtomicBool::new(false),
            inactive: AtomicBool::new(false),
            overflowed: AtomicBool::new(false),
            taken_over: AtomicBool::new(false),
            kick: Notify::new(),
        });
        let mut state = self.lock();
        if state.total >= self.max_total {
            return Err(LimitError::Total);
        }
        let list = state.users.entry((app_id, user_id)).or_default();
        if list.len() >= self.max_per_user {
            return Err(LimitError::PerUser);
        }
        list.push(session.clone());
        state.total += 1;
        Ok((session, rx))
    }

    /// Removes a resource; true when it was the user's last one.
    pub fn unregister(&self, session: &Session) -> bool {
        let mut state = self.lock();
        let key = (session.app_id, session.user_id);
        let Some(list) = state.users.get_mut(&key) else {
            return false;
        };
        let before = list.len();
        list.retain(|s| s.id != session.id);
        let removed = before != list.len();
        let last = list.is_empty();
        if last {
            state.users.remove(&key);
        }
        if removed {
            state.total -= 1;
        }
        removed && last
    }

    /// The connected resources of a user.
    pub fn sessions(&self, app_id: i64, user_id: i64) -> Vec<Arc<Session>> {
        self.lock()
            .users
            .get(&(app_id, user_id))
            .cloned()
            .unwrap_or_default()
    }

    /// Whether the user has at least one connected resource.
    pub fn is_online(&self, app_id: i64, user_id: i64) -> bool {
        self.lock().users.contains_key(&(app_id, user_id))
    }

    /// The connected users of an application.
    pub fn online_users(&self, app_id: i64) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .lock()
            .users
            .keys()
            .filter(|(a, _)| *a == app_id)
            .map(|(_, u)| *u)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Connections open now.
    pub fn total(&self) -> usize {
        self.lock().total
    }

    /// Queues a stanza to every resource of a user, except `skip`; how many took it.
    pub fn deliver(&self, app_id: i64, user_id: i64, el: &Stanza, skip: Option<u64>) -> usize {
        self.sessions(app_id, user_id)
            .iter()
            .filter(|s| Some(s.id) != skip)
            .filter(|s| s.send(el.clone()))
            .count()
    }

    /// Tells every connection to close (shutdown).
    pub fn kick_all(&self) {
        for s in self.lock().users.values().flatten() {
            s.kick();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jid(u: i64, r: &str) -> Jid {
        Jid::new(Some(&format!("{u}-1")), "localhost", Some(r)).unwrap()
    }

    #[test]
    fn limits_and_delivery() {
        let hub = Hub::new(2, 3, 1);
        let (a1, mut ra1) = hub.register(1, 5, jid(5, "a")).unwrap();
        let (_a2, mut ra2) = hub.register(1, 5, jid(5, "b")).unwrap();
        assert_eq!(
            hub.register(1, 5, jid(5, "c")).unwrap_err(),
            LimitError::PerUser
        );
        let (b, _rb) = hub.register(1, 6, jid(6, "a")).unwrap();
        assert_eq!(
            hub.register(1, 7, jid(7, "a")).unwrap_err(),
            LimitError::Total
        );
        let el = Stanza::Message(cube_xmpp::Message::default());
        assert_eq!(hub.deliver(1, 5, &el, Some(a1.id)), 1);
        assert!(ra2.try_recv().is_ok());
        assert!(ra1.try_recv().is_err());
        // A full queue marks the session as overflowed.
        assert!(b.send(el.clone()));
        assert!(!b.send(el));
        assert!(b.overflowed());
        assert!(!hub.unregister(&a1));
        assert_eq!(hub.online_users(1), vec![5, 6]);
        assert_eq!(hub.total(), 2);
    }
}
