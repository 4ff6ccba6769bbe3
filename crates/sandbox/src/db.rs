//! Optional persistence: an embedded SQLite file holding every record as JSON.
//!
//! Each change is written (and committed) before the request that made it is answered, so a
//! restart, even after a kill, loses nothing that was acknowledged. The schema is one table
//! of `(kind, id) → JSON`: the records are the sandbox's own Rust types, and a table per
//! type would add migrations without adding queries.

use std::path::Path;

use rusqlite::{Connection, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A SQLite file of records.
pub struct Db {
    connection: Connection,
}

/// What went wrong with the data file.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DbError(pub String);

fn error(context: &str, error: impl std::fmt::Display) -> DbError {
    DbError(format!("{context}: {error}"))
}

impl Db {
    /// Opens (creating if needed) the data file.
    pub fn open(path: &Path) -> Result<Self, DbError> {
        let where_ = format!("data file {}", path.display());
        let connection = Connection::open(path).map_err(|e| error(&where_, e))?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = FULL;
                 CREATE TABLE IF NOT EXISTS records (
                     kind TEXT NOT NULL,
                     id TEXT NOT NULL,
                     seq INTEGER NOT NULL,
                     body TEXT NOT NULL,
                     PRIMARY KEY (kind, id)
                 );",
            )
            .map_err(|e| error(&where_, e))?;
        Ok(Self { connection })
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
            .execute(
                "INSERT INTO records (kind, id, seq, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, body = excluded.body",
                params![kind, id, seq as i64, body],
            )
            .map_err(|e| error(&format!("writing {kind} {id}"), e))?;
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
