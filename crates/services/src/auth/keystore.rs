//! Where generated signing keys live when none are configured (`CAPITOLE_JWT_KEYS`), and
//! how they rotate.
//!
//! Whoever holds a signing key can mint any person's access token, an administrator's
//! included. So a generated key is never kept inside an SQLite database, whose file (and
//! every backup of it) travels: it lives in a file beside it (`capitole.db-keys.json`),
//! readable by its owner only (mode 0600). On PostgreSQL, where replicas on several
//! machines must share the key, Capitole keeps it in the database only when told to
//! (`--allow-generated-key`); production configures its keys instead.
//!
//! A rotation adds a key that starts signing once every replica has had time to load it
//! ([`PROPAGATION`]), and retires the keys before it once the last token they signed has
//! expired: nobody is signed out.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use capitole_persistence::entities::signing_key;
use capitole_persistence::{Backend, Database, accounts};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

use super::jwt::{ACCESS_LIFETIME, LEEWAY_SECONDS, SigningKey};
use super::secrets;

/// How long a new key waits before it signs, so that every replica (which reloads keys
/// every [`RELOAD_EVERY`]) knows it before any token it signed reaches them.
pub const PROPAGATION: Duration = Duration::seconds(60);
/// How often a running server reloads stored keys.
pub const RELOAD_EVERY: std::time::Duration = std::time::Duration::from_secs(20);

/// A generated key and its schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredKey {
    /// The key id written in tokens' headers.
    pub kid: String,
    /// The secret, base64url.
    pub secret: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it starts signing.
    pub signs_from: DateTime<Utc>,
    /// When it stops verifying, once replaced.
    pub retires_at: Option<DateTime<Utc>>,
}

impl StoredKey {
    fn generate(now: DateTime<Utc>, signs_from: DateTime<Utc>) -> Self {
        let now = now.trunc_subsecs(0);
        Self {
            // Dated for people, and unique even for two keys made in one second.
            kid: format!(
                "gen-{}-{:08x}",
                now.format("%Y%m%dT%H%M%S"),
                rand::random::<u32>()
            ),
            secret: secrets::new_signing_secret(),
            created_at: now,
            signs_from: signs_from.trunc_subsecs(0),
            retires_at: None,
        }
    }

    fn verifies_at(&self, now: DateTime<Utc>) -> bool {
        self.retires_at.is_none_or(|at| at > now)
    }

    fn signing_key(&self) -> Option<SigningKey> {
        SigningKey::parse(&format!("{}:{}", self.kid, self.secret)).ok()
    }
}

/// The keys in force at `now`, the one that signs first: the latest whose time to sign
/// has come (or, if none has, the earliest), then every other key that still verifies.
pub(crate) fn in_force(stored: &[StoredKey], now: DateTime<Utc>) -> Vec<SigningKey> {
    let mut live: Vec<&StoredKey> = stored.iter().filter(|k| k.verifies_at(now)).collect();
    live.sort_by_key(|k| (k.signs_from, k.created_at));
    let signer = live
        .iter()
        .rposition(|k| k.signs_from <= now)
        .unwrap_or_default();
    if !live.is_empty() {
        let first = live.remove(signer);
        live.insert(0, first);
    }
    live.into_iter()
        .filter_map(StoredKey::signing_key)
        .collect()
}

#[derive(Default, Serialize, Deserialize)]
struct KeyFile {
    keys: Vec<StoredKey>,
    /// The generated VAPID private key of Web Push, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vapid: Option<String>,
}

/// Where generated keys are kept.
pub enum KeyStore {
    /// A file beside an SQLite database, readable by its owner only.
    File {
        /// The file.
        path: PathBuf,
        /// The database, whose keys stored by earlier versions move into the file.
        db: Database,
    },
    /// The PostgreSQL database itself, shared by every replica.
    Database(Database),
    /// This process only (an SQLite database in memory): tokens end with the process.
    Memory(Mutex<Vec<StoredKey>>),
}

impl KeyStore {
    /// The store that goes with a database: a file beside an SQLite file, memory for an
    /// SQLite database in memory, and the database itself for PostgreSQL, which needs
    /// `allow_database` (keys in a database travel with its backups).
    pub fn beside(db: &Database, database_url: &str, allow_database: bool) -> Result<Self, String> {
        match db.backend() {
            Backend::Postgres if allow_database => Ok(Self::Database(db.clone())),
            Backend::Postgres => Err(
                "no signing key is configured: set CAPITOLE_JWT_KEYS (see `openssl rand -base64 32`), \
                 or pass --allow-generated-key to keep a generated key in the database, where \
                 anyone with a backup can sign access tokens"
                    .to_owned(),
            ),
            Backend::Sqlite => Ok(match sqlite_file(database_url) {
                Some(path) => Self::File {
                    path: key_file(&path),
                    db: db.clone(),
                },
                None => Self::Memory(Mutex::default()),
            }),
        }
    }

    /// Where the keys are, for the log.
    pub fn describe(&self) -> String {
        match self {
            Self::File { path, .. } => format!("the file {}", path.display()),
            Self::Database(_) => "the database".to_owned(),
            Self::Memory(_) => "memory (tokens end with the process)".to_owned(),
        }
    }

    async fn load(&self) -> Result<Vec<StoredKey>, String> {
        match self {
            Self::File { path, .. } => read_file(path).map(|file| file.keys),
            Self::Database(db) => Ok(accounts::signing_keys(db)
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|row| StoredKey {
                    signs_from: row.signs_from.unwrap_or(row.created_at),
                    kid: row.kid,
                    secret: row.secret,
                    created_at: row.created_at,
                    retires_at: row.retires_at,
                })
                .collect()),
            Self::Memory(keys) => Ok(keys.lock().map_err(|e| e.to_string())?.clone()),
        }
    }

    /// Adds `key`, and retires at `retire_at` every other key that has no retirement yet.
    async fn add(&self, key: StoredKey, retire_at: Option<DateTime<Utc>>) -> Result<(), String> {
        let retire = |keys: &mut Vec<StoredKey>| {
            if let Some(at) = retire_at {
                for other in keys.iter_mut().filter(|k| k.retires_at.is_none()) {
                    other.retires_at = Some(at);
                }
            }
        };
        match self {
            Self::File { path, .. } => {
                let mut file = read_file(path)?;
                retire(&mut file.keys);
                file.keys.push(key);
                write_file(path, &file)
            }
            Self::Database(db) => {
                let kid = key.kid.clone();
                accounts::insert_signing_key(
                    db,
                    signing_key::Model {
                        kid: key.kid,
                        secret: key.secret,
                        created_at: key.created_at,
                        signs_from: Some(key.signs_from),
                        retires_at: key.retires_at,
                    },
                )
                .await
                .map_err(|e| e.to_string())?;
                if let Some(at) = retire_at {
                    accounts::retire_signing_keys(db, &kid, at)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Ok(())
            }
            Self::Memory(keys) => {
                let mut keys = keys.lock().map_err(|e| e.to_string())?;
                retire(&mut keys);
                keys.push(key);
                Ok(())
            }
        }
    }

    /// Forgets the keys retired at or before `now`.
    async fn drop_retired(&self, now: DateTime<Utc>) -> Result<(), String> {
        match self {
            Self::File { path, .. } => {
                let mut file = read_file(path)?;
                let before = file.keys.len();
                file.keys.retain(|k| k.verifies_at(now));
                if file.keys.len() < before {
                    write_file(path, &file)?;
                }
                Ok(())
            }
            Self::Database(db) => accounts::delete_signing_keys(db, Some(now))
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Self::Memory(keys) => {
                keys.lock()
                    .map_err(|e| e.to_string())?
                    .retain(|k| k.verifies_at(now));
                Ok(())
            }
        }
    }

    /// The generated VAPID private key of Web Push, made by `generate` the first time and
    /// kept where the signing keys are (the key file, the database, or this process's
    /// memory, where each call makes a new one).
    pub async fn vapid_key(
        &self,
        generate: impl FnOnce() -> String,
        now: DateTime<Utc>,
    ) -> Result<String, String> {
        match self {
            Self::File { path, .. } => {
                let mut file = read_file(path)?;
                if let Some(key) = &file.vapid {
                    return Ok(key.clone());
                }
                let key = generate();
                file.vapid = Some(key.clone());
                write_file(path, &file)?;
                Ok(key)
            }
            Self::Database(db) => capitole_persistence::push::vapid_key(db, &generate(), now)
                .await
                .map_err(|e| e.to_string()),
            Self::Memory(_) => Ok(generate()),
        }
    }

    /// The stored keys, after moving keys that earlier versions kept in an SQLite database
    /// into the file, and generating the first key when there is none.
    pub async fn ensure(&self, now: DateTime<Utc>) -> Result<Vec<StoredKey>, String> {
        if let Self::File { path, db } = self {
            self.move_out_of(db, path).await?;
        }
        self.drop_retired(now).await?;
        let keys = self.load().await?;
        if keys.iter().any(|k| k.verifies_at(now)) {
            return Ok(keys);
        }
        tracing::warn!(
            store = %self.describe(),
            "no signing key is configured (CAPITOLE_JWT_KEYS): generated one"
        );
        self.add(StoredKey::generate(now, now), None).await?;
        // Another replica may have stored its key first: everyone uses what is stored.
        self.load().await
    }

    async fn move_out_of(&self, db: &Database, path: &Path) -> Result<(), String> {
        let legacy = accounts::signing_keys(db)
            .await
            .map_err(|e| e.to_string())?;
        if legacy.is_empty() {
            return Ok(());
        }
        let mut file = read_file(path)?;
        for row in legacy {
            if !file.keys.iter().any(|k| k.kid == row.kid) {
                file.keys.push(StoredKey {
                    signs_from: row.signs_from.unwrap_or(row.created_at),
                    kid: row.kid,
                    secret: row.secret,
                    created_at: row.created_at,
                    retires_at: row.retires_at,
                });
            }
        }
        write_file(path, &file)?;
        accounts::delete_signing_keys(db, None)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(file = %path.display(), "moved the signing keys out of the database");
        Ok(())
    }

    /// Adds a key that signs from `now` + [`PROPAGATION`] and retires the keys before it
    /// once the tokens they signed until then have expired. Returns the new key and when
    /// the old ones retire.
    pub async fn rotate(&self, now: DateTime<Utc>) -> Result<(StoredKey, DateTime<Utc>), String> {
        self.ensure(now).await?;
        let key = StoredKey::generate(now, now + PROPAGATION);
        let retire_at = (key.signs_from
            + ACCESS_LIFETIME
            + Duration::seconds(i64::try_from(LEEWAY_SECONDS).unwrap_or(60)))
        .trunc_subsecs(0);
        self.add(key.clone(), Some(retire_at)).await?;
        Ok((key, retire_at))
    }
}

/// The file of an SQLite URL (`sqlite://capitole.db?mode=rwc`), or `None` in memory.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let in_memory =
        path.is_empty() || path == ":memory:" || query.split('&').any(|pair| pair == "mode=memory");
    (!in_memory).then(|| PathBuf::from(path))
}

/// The key file beside a database file: `capitole.db` keeps its keys in
/// `capitole.db-keys.json`.
fn key_file(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push("-keys.json");
    PathBuf::from(name)
}

fn read_file(path: &Path) -> Result<KeyFile, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(KeyFile::default());
        }
        Err(error) => return Err(format!("cannot read {}: {error}", path.display())),
    };
    warn_if_shared(path);
    serde_json::from_str(&text)
        .map_err(|error| format!("{} is not a key file: {error}", path.display()))
}

#[cfg(unix)]
fn warn_if_shared(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            file = %path.display(),
            "the signing key file is readable by others; run `chmod 600` on it"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_path: &Path) {}

/// Writes the file whole, readable by its owner only, replacing it in one step.
fn write_file(path: &Path, file: &KeyFile) -> Result<(), String> {
    use std::io::Write;
    let text = serde_json::to_string_pretty(file).map_err(|e| e.to_string())?;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".new");
    let temporary = PathBuf::from(temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let failed = |error: std::io::Error| format!("cannot write {}: {error}", path.display());
    let mut out = options.open(&temporary).map_err(failed)?;
    out.write_all(text.as_bytes()).map_err(failed)?;
    out.sync_all().map_err(failed)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(0o600))
            .map_err(failed)?;
    }
    std::fs::rename(&temporary, path).map_err(failed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn a_new_key_signs_after_its_propagation_and_the_old_one_verifies_until_retired() {
        let old = StoredKey::generate(at(0), at(0));
        let mut new = StoredKey::generate(at(100), at(160));
        assert_ne!(StoredKey::generate(at(0), at(0)).kid, old.kid);
        new.kid = "gen-new".into();
        let mut retired_old = old.clone();
        retired_old.retires_at = Some(at(160 + 900 + 30));
        let keys = [retired_old, new];
        let kids =
            |now| -> Vec<String> { in_force(&keys, now).into_iter().map(|k| k.kid).collect() };
        assert_eq!(kids(at(100)), [old.kid.clone(), "gen-new".into()]);
        assert_eq!(kids(at(160)), ["gen-new".to_owned(), old.kid.clone()]);
        assert_eq!(kids(at(1090)), ["gen-new".to_owned()]);
    }

    #[test]
    fn sqlite_urls_name_their_file_or_memory() {
        assert_eq!(
            sqlite_file("sqlite://capitole.db?mode=rwc"),
            Some(PathBuf::from("capitole.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:///var/lib/capitole/city.db"),
            Some(PathBuf::from("/var/lib/capitole/city.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(
            sqlite_file("sqlite://city.db?mode=memory&cache=shared"),
            None
        );
        assert_eq!(
            key_file(Path::new("/data/capitole.db")),
            PathBuf::from("/data/capitole.db-keys.json")
        );
    }
}
