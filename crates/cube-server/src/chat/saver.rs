//! The chat side's `save_to_history` writes, gathered: every message waiting to be stored goes
//! into one queue, and a few tasks take everything queued and store it in one write each
//! ([`history::save_all`]); two writes in flight keep the writer thread busy while the answers
//! of the previous one travel back. Each sender waits for its own message's answer, so a message is
//! still committed before it is routed or acknowledged; under load the storage cost per message
//! falls to about one insert.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

use crate::domain::error::Error;
use crate::domain::history::{self, Pending, Stored};
use crate::service::Service;
use crate::store::StoreError;

/// Most messages stored by one write.
const MAX_BATCH: usize = 512;

/// Most writes of messages in flight at once.
const FLUSHERS: usize = 2;

type Reply = oneshot::Sender<Result<Stored, Error>>;

#[derive(Default)]
struct Queue {
    waiting: Vec<(Pending, Reply)>,
    /// Tasks storing (each takes what is queued when its write is done).
    flushing: usize,
}

/// The queue of messages to store, shared by every connection.
pub struct Saver {
    service: Service,
    queue: Arc<Mutex<Queue>>,
}

impl std::fmt::Debug for Saver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Saver").finish_non_exhaustive()
    }
}

impl Saver {
    /// A queue storing through `service`.
    pub fn new(service: Service) -> Self {
        Self {
            service,
            queue: Arc::new(Mutex::new(Queue::default())),
        }
    }

    /// Stores `message`; answers once it is committed (or refused, or storage failed).
    pub async fn save(&self, message: Pending) -> Result<Stored, Error> {
        Self::answer(self.submit(message).await)
    }

    /// The answer a [`Saver::submit`] receiver resolved to.
    pub fn answer(
        got: Result<Result<Stored, Error>, oneshot::error::RecvError>,
    ) -> Result<Stored, Error> {
        got.unwrap_or_else(|_| Err(Error::Store(StoreError::Closed)))
    }

    /// Queues `message` now (messages submitted one after another are committed in that
    /// order); the receiver answers once it is committed (or refused, or storage failed).
    pub fn submit(&self, message: Pending) -> oneshot::Receiver<Result<Stored, Error>> {
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut q = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            q.waiting.push((message, tx));
            let start = q.flushing < FLUSHERS;
            if start {
                q.flushing += 1;
            }
            start
        };
        if start {
            tokio::spawn(flush(self.service.clone(), self.queue.clone()));
        }
        rx
    }
}

/// Stores what is queued, batch after batch, until the queue is empty.
async fn flush(service: Service, queue: Arc<Mutex<Queue>>) {
    loop {
        let batch: Vec<(Pending, Reply)> = {
            let mut q = queue.lock().unwrap_or_else(PoisonError::into_inner);
            if q.waiting.is_empty() {
                q.flushing -= 1;
                return;
            }
            let n = q.waiting.len().min(MAX_BATCH);
            q.waiting.drain(..n).collect()
        };
        let (messages, replies): (Vec<Pending>, Vec<Reply>) = batch.into_iter().unzip();
        let messages = Arc::new(messages);
        let now = service.now();
        let shared = messages.clone();
        match service
            .write(move |c| history::save_all(c, &shared, now))
            .await
        {
            Ok(results) => {
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(result);
                }
            }
            // Nothing of the batch was committed: each message on its own, so one failure
            // does not take the others with it.
            Err(_) => {
                for (i, reply) in replies.into_iter().enumerate() {
                    let one = messages.clone();
                    let result = service
                        .write(move |c| {
                            let mut r = history::save_all(c, &one[i..=i], now)?;
                            r.pop().unwrap_or_else(|| {
                                Err(Error::Internal("no answer for a message".into()))
                            })
                        })
                        .await;
                    let _ = reply.send(result);
                }
            }
        }
    }
}
