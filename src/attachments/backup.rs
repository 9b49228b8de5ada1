//! Backup and restore of a deployment: the database as `pg_dump` writes it and the bytes of
//! every attachment it claims, both taken from one snapshot, each file checked against its
//! SHA-256 on the way out and again on the way back into an empty database and store.

use super::store::{AttachmentStore, hex};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::path::Path;
use tokio::io::AsyncWriteExt;

const DUMP: &str = "database.dump";
const MANIFEST: &str = "manifest.json";
const FILES: &str = "files";

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    objects: Vec<ObjectEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ObjectEntry {
    key: String,
    size: u64,
    sha256: String,
}

/// What a backup or a restore carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Carried {
    pub objects: usize,
    pub bytes: u64,
}

/// Writes the database and the attachments' bytes to `out` (a new or empty folder).
pub async fn backup(
    database_url: &str,
    pool: &PgPool,
    store: &AttachmentStore,
    out: &Path,
) -> anyhow::Result<Carried> {
    tokio::fs::create_dir_all(out.join(FILES)).await?;
    if std::fs::read_dir(out)?.count() > 1 {
        anyhow::bail!(
            "{} is not empty: a backup goes into a new folder",
            out.display()
        );
    }
    // one snapshot for the dump and for the list of files it claims
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
        .fetch_one(&mut *tx)
        .await?;
    let claimed = crate::db::attachments::claimed_keys(&mut tx).await?;
    // the rows' own hashes: a file that does not match its row is not backed up as if it did
    let recorded: std::collections::HashMap<String, (i64, String)> =
        crate::db::attachments::claimed(&mut tx)
            .await?
            .into_iter()
            .map(|(id, key, _, sha256)| (key, (id, sha256)))
            .collect();
    let dumped = tokio::process::Command::new("pg_dump")
        .args([
            "--format=custom",
            "--no-owner",
            "--snapshot",
            &snapshot,
            "--file",
        ])
        .arg(out.join(DUMP))
        .arg("--dbname")
        .arg(database_url)
        .status()
        .await
        .map_err(|e| anyhow::anyhow!("running pg_dump (PostgreSQL's client tools): {e}"))?;
    tx.rollback().await?;
    if !dumped.success() {
        anyhow::bail!("pg_dump failed ({dumped})");
    }
    let mut objects = Vec::with_capacity(claimed.len());
    for key in claimed {
        let target = out.join(FILES).join(&key);
        if let Some(parent) = target.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        let (_, mut stream) = store
            .get(&key, None)
            .await
            .map_err(|e| anyhow::anyhow!("reading {key} from the {}: {e}", store.description))?;
        let mut file = tokio::fs::File::create(&target).await?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            hasher.update(&chunk);
            size += chunk.len() as u64;
            file.write_all(&chunk).await?;
        }
        file.flush().await?;
        let sha256 = hex(&hasher.finalize());
        if let Some((id, recorded)) = recorded.get(&key)
            && *recorded != sha256
        {
            anyhow::bail!(
                "attachment {id}'s bytes ({key}) do not match its SHA-256: run `attachments check`"
            );
        }
        objects.push(ObjectEntry { key, size, sha256 });
    }
    let carried = Carried {
        objects: objects.len(),
        bytes: objects.iter().map(|o| o.size).sum(),
    };
    let manifest = Manifest { format: 1, objects };
    tokio::fs::write(out.join(MANIFEST), serde_json::to_vec_pretty(&manifest)?).await?;
    Ok(carried)
}

/// Brings a backup back into an empty database and its files into the store, every file
/// checked against the hash the backup recorded first.
pub async fn restore(
    database_url: &str,
    pool: &PgPool,
    store: &AttachmentStore,
    from: &Path,
) -> anyhow::Result<Carried> {
    let manifest: Manifest = serde_json::from_slice(
        &tokio::fs::read(from.join(MANIFEST))
            .await
            .map_err(|e| anyhow::anyhow!("{}: {e}", from.join(MANIFEST).display()))?,
    )?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables
         WHERE table_schema = 'public' AND table_name NOT IN ('spatial_ref_sys')",
    )
    .fetch_one(pool)
    .await?;
    if tables > 0 {
        anyhow::bail!(
            "the database holds {tables} table(s): a backup is restored into an empty database"
        );
    }
    for object in &manifest.objects {
        let path = from.join(FILES).join(&object.key);
        let (sha256, size) = file_digest(path.clone())
            .await
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        if sha256 != object.sha256 || size != object.size {
            anyhow::bail!(
                "{} is damaged: its SHA-256 is not the one recorded",
                path.display()
            );
        }
        store.put_file(&object.key, &path).await.map_err(|e| {
            anyhow::anyhow!("writing {} to the {}: {e}", object.key, store.description)
        })?;
    }
    let restored = tokio::process::Command::new("pg_restore")
        .args([
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
        ])
        .arg(database_url)
        .arg(from.join(DUMP))
        .status()
        .await
        .map_err(|e| anyhow::anyhow!("running pg_restore (PostgreSQL's client tools): {e}"))?;
    if !restored.success() {
        anyhow::bail!("pg_restore failed ({restored}); the database is left as it was");
    }
    Ok(Carried {
        objects: manifest.objects.len(),
        bytes: manifest.objects.iter().map(|o| o.size).sum(),
    })
}

/// The SHA-256 and length of a local file, read a block at a time.
async fn file_digest(path: std::path::PathBuf) -> std::io::Result<(String, u64)> {
    tokio::task::spawn_blocking(move || {
        let mut hasher = Sha256::new();
        let size = std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
        Ok((hex(&hasher.finalize()), size))
    })
    .await
    .map_err(std::io::Error::other)?
}
