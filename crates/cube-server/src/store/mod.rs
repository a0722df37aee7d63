//! SQLite storage: one writer thread that commits concurrent writes together, and readers.
//!
//! Every write is a closure run on the writer's connection inside a savepoint; the writer takes
//! all writes queued at that moment, runs them in one transaction and commits once (group
//! commit), and only then answers each caller. A write whose closure fails is rolled back to
//! its savepoint without disturbing the others. So an `Ok` from [`Store::write`] means the
//! change is on disk.

pub mod schema;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};

use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;

/// How many queued writes at most share one transaction.
const MAX_BATCH: usize = 512;

/// How many read connections a file database keeps open.
const READERS: usize = 4;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite refused a statement or the commit.
    #[error("database error")]
    Sqlite(#[from] rusqlite::Error),
    /// The database could not be opened.
    #[error("cannot open database {path}")]
    Open {
        /// The database path.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The writer thread is gone (the server is shutting down).
    #[error("storage is closed")]
    Closed,
    /// A storage closure panicked.
    #[error("storage operation panicked")]
    Panicked,
    /// The transaction holding this write failed to commit.
    #[error("commit failed: {0}")]
    Commit(String),
}

/// Where the database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A throw-away database in memory.
    Memory,
    /// A file (created if missing).
    File(PathBuf),
}

impl Location {
    /// `:memory:` means [`Location::Memory`], anything else a file path.
    pub fn parse(s: &str) -> Self {
        if s == ":memory:" {
            Self::Memory
        } else {
            Self::File(PathBuf::from(s))
        }
    }
}

/// Answers the caller once the transaction is over: `None` if it committed, or why not.
type Completion = Box<dyn FnOnce(Option<&str>) + Send>;
/// Runs on the connection (or, when no transaction could be opened, is told why) and says
/// whether it succeeded.
type Job = Box<dyn FnOnce(Result<&Connection, &str>) -> (bool, Completion) + Send>;

enum Command {
    Write(Job),
    Read(Job),
}

/// The database handle: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Store {
    writer: mpsc::Sender<Command>,
    readers: Option<Arc<Mutex<Vec<Connection>>>>,
    /// One permit per pooled read connection: readers wait here (asynchronously) rather than
    /// opening connections, which costs a schema parse and an empty statement cache.
    read_permits: Arc<tokio::sync::Semaphore>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "busy_timeout", 5000)?;
    conn.set_prepared_statement_cache_capacity(256);
    Ok(())
}

fn open_file(path: &Path, flags: OpenFlags) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    configure(&conn)?;
    Ok(conn)
}

fn reader_flags() -> OpenFlags {
    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI
}

impl Store {
    /// Opens (or creates) the database, applies migrations and starts the writer thread.
    pub fn open(location: &Location) -> Result<Self, StoreError> {
        let (mut conn, path) = match location {
            Location::Memory => {
                let conn = Connection::open_in_memory()?;
                configure(&conn)?;
                (conn, None)
            }
            Location::File(path) => {
                if let Some(parent) = path.parent() {
                    if !parent.as_os_str().is_empty() {
                        let _ = std::fs::create_dir_all(parent);
                    }
                }
                let conn = open_file(path, OpenFlags::default())?;
                conn.pragma_update(None, "journal_mode", "WAL")?;
                conn.pragma_update(None, "synchronous", "FULL")?;
                (conn, Some(path.clone()))
            }
        };
        schema::migrate(&mut conn)?;
        let readers = match &path {
            Some(path) => {
                let mut pool = Vec::with_capacity(READERS);
                for _ in 0..READERS {
                    pool.push(open_file(path, reader_flags())?);
                }
                Some(Arc::new(Mutex::new(pool)))
            }
            None => None,
        };
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("cube-store-writer".into())
            .spawn(move || writer_loop(&mut conn, &rx))
            .map_err(|_| StoreError::Closed)?;
        Ok(Self {
            writer: tx,
            readers,
            read_permits: Arc::new(tokio::sync::Semaphore::new(READERS)),
            path,
        })
    }

    /// Runs `f` in a write transaction; `Ok` means committed.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    {
        self.submit(f, true).await
    }

    /// Runs `f` on a read connection (a snapshot of committed data).
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    {
        let (Some(pool), Some(path)) = (self.readers.clone(), self.path.clone()) else {
            return self.submit(f, false).await;
        };
        let Ok(permit) = self.read_permits.clone().acquire_owned().await else {
            return Err(E::from(StoreError::Closed));
        };
        let joined = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let pooled = pool.lock().ok().and_then(|mut p| p.pop());
            let conn = match pooled {
                Some(conn) => conn,
                None => open_file(&path, reader_flags())?,
            };
            let result = catch_unwind(AssertUnwindSafe(|| f(&conn)))
                .unwrap_or_else(|_| Err(E::from(StoreError::Panicked)));
            if let Ok(mut p) = pool.lock() {
                if p.len() < READERS {
                    p.push(conn);
                }
            }
            result
        })
        .await;
        joined.unwrap_or_else(|_| Err(E::from(StoreError::Panicked)))
    }

    /// Runs `f` on the writer thread and waits for the result, blocking the calling thread.
    ///
    /// For start-up and command-line code outside the async runtime.
    pub fn write_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.send(f, true, tx)?;
        rx.blocking_recv()
            .unwrap_or_else(|_| Err(E::from(StoreError::Closed)))
    }

    async fn submit<T, E, F>(&self, f: F, write: bool) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.send(f, write, tx)?;
        rx.await
            .unwrap_or_else(|_| Err(E::from(StoreError::Closed)))
    }

    fn send<T, E, F>(
        &self,
        f: F,
        write: bool,
        reply: oneshot::Sender<Result<T, E>>,
    ) -> Result<(), E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    {
        let job: Job = Box::new(move |conn| {
            let conn = match conn {
                Ok(conn) => conn,
                Err(why) => {
                    let _ = reply.send(Err(E::from(StoreError::Commit(why.to_owned()))));
                    return (false, Box::new(|_| {}));
                }
            };
            let result = catch_unwind(AssertUnwindSafe(|| f(conn)))
                .unwrap_or_else(|_| Err(E::from(StoreError::Panicked)));
            let ok = result.is_ok();
            let done: Completion = Box::new(move |commit_error| {
                let answer = match commit_error {
                    Some(message) if ok => Err(E::from(StoreError::Commit(message.to_owned()))),
                    _ => result,
                };
                let _ = reply.send(answer);
            });
            (ok, done)
        });
        let command = if write {
            Command::Write(job)
        } else {
            Command::Read(job)
        };
        self.writer
            .send(command)
            .map_err(|_| E::from(StoreError::Closed))
    }
}

fn writer_loop(conn: &mut Connection, rx: &mpsc::Receiver<Command>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(cmd) => batch.push(cmd),
                Err(_) => break,
            }
        }
        run_batch(conn, batch);
    }
}

/// Runs one transaction-control statement (`BEGIN`, `SAVEPOINT`, ...) from the statement
/// cache: on the writer's hot path, parsing them for every job cost as much as a small insert.
fn control(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

fn run_batch(conn: &Connection, batch: Vec<Command>) {
    let mut done: Vec<Completion> = Vec::with_capacity(batch.len());
    let began = control(conn, "BEGIN IMMEDIATE");
    if let Err(e) = began {
        // Without a transaction nothing runs: every job is answered with the reason.
        let message = e.to_string();
        for cmd in batch {
            let (Command::Write(job) | Command::Read(job)) = cmd;
            let _ = job(Err(&message));
        }
        return;
    }
    for cmd in batch {
        match cmd {
            Command::Read(job) => {
                let (_, finish) = job(Ok(conn));
                done.push(finish);
            }
            Command::Write(job) => {
                if let Err(e) = control(conn, "SAVEPOINT job") {
                    let _ = job(Err(&e.to_string()));
                    continue;
                }
                let (ok, finish) = job(Ok(conn));
                if !ok {
                    let _ = control(conn, "ROLLBACK TO job");
                }
                let _ = control(conn, "RELEASE job");
                done.push(finish);
            }
        }
    }
    match control(conn, "COMMIT") {
        Ok(()) => {
            for finish in done {
                finish(None);
            }
        }
        Err(e) => {
            let _ = control(conn, "ROLLBACK");
            let message = e.to_string();
            for finish in done {
                finish(Some(&message));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    enum TestError {
        Store,
        Refused,
    }
    impl From<StoreError> for TestError {
        fn from(_: StoreError) -> Self {
            Self::Store
        }
    }

    #[tokio::test]
    async fn failed_writes_roll_back_alone() {
        let store = Store::open(&Location::Memory).unwrap();
        let ok = store.write(|c| {
            c.execute("INSERT INTO counters (name, value) VALUES ('a', 1)", [])
                .map_err(StoreError::from)?;
            Ok::<_, TestError>(())
        });
        let bad = store.write(|c| {
            c.execute("INSERT INTO counters (name, value) VALUES ('b', 1)", [])
                .map_err(StoreError::from)?;
            Err::<(), _>(TestError::Refused)
        });
        let (ok, bad) = tokio::join!(ok, bad);
        assert!(ok.is_ok());
        assert!(matches!(bad, Err(TestError::Refused)));
        let names: Vec<String> = store
            .read(|c| {
                let mut st = c
                    .prepare("SELECT name FROM counters ORDER BY name")
                    .map_err(StoreError::from)?;
                let rows = st.query_map([], |r| r.get(0)).map_err(StoreError::from)?;
                Ok::<_, TestError>(rows.filter_map(Result::ok).collect())
            })
            .await
            .unwrap();
        assert_eq!(names, vec!["a".to_owned()]);
    }

    #[tokio::test]
    async fn file_database_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.sqlite3");
        {
            let store = Store::open(&Location::File(path.clone())).unwrap();
            store
                .write(|c| {
                    c.execute("INSERT INTO counters (name, value) VALUES ('k', 7)", [])
                        .map_err(StoreError::from)?;
                    Ok::<_, TestError>(())
                })
                .await
                .unwrap();
        }
        let store = Store::open(&Location::File(path)).unwrap();
        let v: i64 = store
            .read(|c| {
                Ok::<_, TestError>(
                    c.query_row("SELECT value FROM counters WHERE name='k'", [], |r| {
                        r.get(0)
                    })
                    .map_err(StoreError::from)?,
                )
            })
            .await
            .unwrap();
        assert_eq!(v, 7);
    }
}
