//! Optional persistence: an embedded SQLite file holding every record as JSON.
//!
//! Each change is written (and committed) before the request that made it is answered, so a
//! restart, even after a kill, loses nothing that was acknowledged. The file is in WAL mode
//! with `synchronous = NORMAL`: a commit is in the operating system's hands when it returns,
//! which survives the process being killed; only an operating-system crash or power loss
//! may lose the last transactions. That is the durability a sandbox needs, and it spares an
//! fsync per write (which, under the state's one lock, held every request up).
//!
//! The schema is one table of `(kind, id) → JSON`: the records are the sandbox's own Rust
//! types, and a table per type would add migrations without adding queries.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A SQLite file of records, used by this process alone.
pub struct Db {
    connection: Connection,
    /// The lock that makes this sandbox the file's only user (see [`lock`]); released when
    /// the process ends, however it ends.
    _lock: File,
}

/// The lock file beside a data file: `FILE.lock`.
pub fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the exclusive lock of `FILE.lock` and writes this process's id in it.
///
/// Two sandboxes on one data file would each keep their own view of it in memory, so each
/// would answer from stale data and let the other's writes collide with its own (two users
/// with one email; a replayed idempotency key answering `409`). SQLite's own locks guard
/// single transactions, not that; an advisory lock held for the whole run does. The
/// operating system releases it when the process ends, even by `kill -9`, so no stale
/// lock is ever left to clean up.
fn lock(path: &Path) -> Result<File, DbError> {
    // One lock per file, whatever path names it (a symbolic link, `./x` and `x`): the lock
    // sits beside the file's canonical path. The file may not exist yet; its directory must.
    let canonical = match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            let dir = dir
                .canonicalize()
                .map_err(|e| error(&format!("data file directory {}", dir.display()), e))?;
            let file = dir.join(name);
            file.canonicalize().unwrap_or(file)
        }
        _ => path.to_path_buf(),
    };
    let lock_path = lock_path(&canonical);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|e| error(&format!("lock file {}", lock_path.display()), e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(DbError(format!(
                "{} is in use by another sandbox ({}); stop it, or give this one another --data file",
                path.display(),
                if holder.is_empty() {
                    format!("it holds {}", lock_path.display())
                } else {
                    format!("{holder}, per {}", lock_path.display())
                }
            )));
        }
        Err(TryLockError::Error(e)) => {
            return Err(error(&format!("lock file {}", lock_path.display()), e));
        }
    }
    // Who holds the lock, for the message of the next one to try.
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = writeln!(file, "process {}", std::process::id());
    Ok(file)
}

/// What went wrong with the data file.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DbError(pub String);

fn error(context: &str, error: impl std::fmt::Display) -> DbError {
    DbError(format!("{context}: {error}"))
}

impl Db {
    /// Opens (creating if needed) the data file, for this process alone.
    ///
    /// # Errors
    /// When another sandbox uses the file (naming its process), or the file cannot be
    /// opened or set up.
    pub fn open(path: &Path) -> Result<Self, DbError> {
        let lock = lock(path)?;
        let where_ = format!("data file {}", path.display());
        let connection = Connection::open(path).map_err(|e| error(&where_, e))?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 CREATE TABLE IF NOT EXISTS records (
                     kind TEXT NOT NULL,
                     id TEXT NOT NULL,
                     seq INTEGER NOT NULL,
                     body TEXT NOT NULL,
                     PRIMARY KEY (kind, id)
                 );",
            )
            .map_err(|e| error(&where_, e))?;
        Ok(Self {
            connection,
            _lock: lock,
        })
    }

    /// Writes one record (replacing any with the same kind and id).
    pub fn put(
        &self,
        kind: &str,
        id: &str,
        seq: u64,
        record: &impl Serialize,
    ) -> Result<(), DbError> {
        let body = serde_json::to_string(record).map_err(|e| error(kind, e))?;
        self.connection
            .prepare_cached(
                "INSERT INTO records (kind, id, seq, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, body = excluded.body",
            )
            .and_then(|mut statement| statement.execute(params![kind, id, seq as i64, body]))
            // The id is left out: an idempotency record's id holds the API key.
            .map_err(|e| error(&format!("writing a {kind} record"), e))?;
        Ok(())
    }

    /// Starts a transaction.
    pub fn begin(&self) -> Result<(), DbError> {
        self.connection
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| error("beginning a transaction", e))
    }

    /// Commits the transaction.
    pub fn commit(&self) -> Result<(), DbError> {
        self.connection
            .execute_batch("COMMIT")
            .map_err(|e| error("committing", e))
    }

    /// Rolls the transaction back.
    pub fn rollback(&self) -> Result<(), DbError> {
        self.connection
            .execute_batch("ROLLBACK")
            .map_err(|e| error("rolling back", e))
    }

    /// Every record of a kind, in the order they were first written.
    pub fn all<T: DeserializeOwned>(&self, kind: &str) -> Result<Vec<T>, DbError> {
        let mut statement = self
            .connection
            .prepare("SELECT id, body FROM records WHERE kind = ?1 ORDER BY seq")
            .map_err(|e| error(kind, e))?;
        let rows = statement
            .query_map(params![kind], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })
            .map_err(|e| error(kind, e))?;
        let mut records = Vec::new();
        for row in rows {
            let (id, body) = row.map_err(|e| error(kind, e))?;
            records.push(
                serde_json::from_str(&body)
                    .map_err(|e| error(&format!("{kind} {id} in the data file"), e))?,
            );
        }
        Ok(records)
    }
}
