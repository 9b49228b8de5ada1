//! Evidence files between the HTTP layer and the store: an upload is staged in a local file
//! (hashed and measured as it arrives, so memory stays bounded whatever its size), its type is
//! sniffed from the bytes (a ZIP entry by entry), a photo's EXIF is read, and only then are the
//! bytes copied to the store under a fresh random key. The row is written after that, so no row
//! ever points at missing bytes; `gc` removes the bytes whose row never committed.

pub mod backup;
pub mod store;
pub mod thumbnail;

use crate::domain::attachment::{
    PhotoFacts, SNIFF_BYTES, Sniffed, accepted_names, photo_facts, sniff,
};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use std::io::Read;
use store::{AttachmentStore, hex};
use tokio::io::AsyncWriteExt;

/// The start of a file kept in memory while it is staged: its type and a photo's EXIF are read
/// from it (EXIF sits at the start of JPEG, HEIF, PNG and WebP files).
const HEAD_BYTES: usize = 256 * 1024;

/// Where the attachments' bytes live under the store: the objects, and their thumbnails.
pub const OBJECTS: &str = "objects";
pub const THUMBNAILS: &str = "thumbnails";

/// An upload being written to its staging file.
pub struct Staging {
    file: tokio::fs::File,
    path: tempfile::TempPath,
    hasher: Sha256,
    size: u64,
    limit: u64,
    head: Vec<u8>,
}

/// A staged upload, complete.
pub struct Staged {
    pub path: tempfile::TempPath,
    pub size: u64,
    pub sha256: String,
    head: Vec<u8>,
}

/// Why an upload is not taken.
#[derive(Debug, thiserror::Error)]
pub enum UploadRefused {
    #[error("the file is larger than the {0} MB an upload may be (MAX_UPLOAD_MB)")]
    TooLarge(u64),
    #[error("the file is empty")]
    Empty,
    #[error(
        "files of type {found} are not accepted; accepted: {}",
        accepted_names()
    )]
    Type { found: String },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Staging {
    /// A staging file in `dir` for an upload of at most `limit` bytes.
    pub async fn new(dir: &std::path::Path, limit: u64) -> std::io::Result<Self> {
        tokio::fs::create_dir_all(dir).await?;
        let (file, path) = tempfile::Builder::new()
            .prefix("upload-")
            .tempfile_in(dir)?
            .into_parts();
        Ok(Self {
            file: tokio::fs::File::from_std(file),
            path,
            hasher: Sha256::new(),
            size: 0,
            limit,
            head: Vec::new(),
        })
    }

    pub async fn push(&mut self, chunk: &[u8]) -> Result<(), UploadRefused> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(UploadRefused::TooLarge(self.limit >> 20));
        }
        if self.head.len() < HEAD_BYTES {
            let room = HEAD_BYTES - self.head.len();
            self.head.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
        self.hasher.update(chunk);
        self.file.write_all(chunk).await?;
        Ok(())
    }

    pub async fn finish(mut self) -> Result<Staged, UploadRefused> {
        if self.size == 0 {
            return Err(UploadRefused::Empty);
        }
        self.file.flush().await?;
        Ok(Staged {
            path: self.path,
            size: self.size,
            sha256: hex(&self.hasher.finalize()),
            head: self.head,
        })
    }
}

/// What the bytes of a staged upload are.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspected {
    pub media_type: &'static str,
    pub photo: PhotoFacts,
}

impl Staged {
    /// Sniffs the type (every entry of a ZIP too) and reads a photo's EXIF.
    pub async fn inspect(&self) -> Result<Inspected, UploadRefused> {
        let media_type = match sniff(&self.head[..self.head.len().min(SNIFF_BYTES)]) {
            Sniffed::Accepted(media) => media,
            Sniffed::Refused(found) => return Err(UploadRefused::Type { found }),
            Sniffed::Zip => {
                let path = self.path.to_path_buf();
                tokio::task::spawn_blocking(move || zip_entries_refused(&path))
                    .await
                    .map_err(std::io::Error::other)??;
                crate::domain::attachment::ZIP
            }
        };
        let photo = if media_type.starts_with("image/") {
            photo_facts(&self.head)
        } else {
            PhotoFacts::default()
        };
        Ok(Inspected { media_type, photo })
    }
}

/// Refuses a ZIP with an entry that is not an accepted type (a ZIP inside one included).
fn zip_entries_refused(path: &std::path::Path) -> Result<(), UploadRefused> {
    let refused = |found: String| UploadRefused::Type { found };
    let file = std::fs::File::open(path)?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| refused(format!("a damaged ZIP ({e})")))?;
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|e| refused(format!("a damaged ZIP ({e})")))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().map(|n| n.to_string()).unwrap_or_default();
        let mut head = Vec::with_capacity(SNIFF_BYTES);
        (&mut entry)
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut head)
            .map_err(|e| refused(format!("a damaged ZIP ({e})")))?;
        match sniff(&head) {
            Sniffed::Accepted(_) => {}
            Sniffed::Zip => return Err(refused(format!("a ZIP holding another ZIP ({name})"))),
            Sniffed::Refused(found) => {
                return Err(refused(format!("a ZIP holding {found} ({name})")));
            }
        }
    }
    Ok(())
}

/// A fresh key for an object: random, so that a key is written once and never reused.
pub fn new_key() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    let now = chrono::Utc::now();
    format!("{OBJECTS}/{}/{}", now.format("%Y/%m"), hex(&bytes))
}

/// Copies the staged bytes to the store under a new key and answers the key.
pub async fn store_staged(
    store: &AttachmentStore,
    staged: &Staged,
) -> object_store::Result<String> {
    let key = new_key();
    store.put_file(&key, &staged.path).await?;
    Ok(key)
}

/// A JPEG, PNG or WebP photo with every GPS field of its EXIF removed and the rest kept (its
/// orientation included), for readers who may not learn more than the map shows. None for a
/// type whose metadata cannot be rewritten here (HEIF), which is then not given out.
pub fn without_gps(media_type: &str, bytes: bytes::Bytes) -> Option<bytes::Bytes> {
    use img_parts::ImageEXIF;
    if !matches!(media_type, "image/jpeg" | "image/png" | "image/webp") {
        return None;
    }
    let mut image = img_parts::DynImage::from_bytes(bytes).ok()??;
    let Some(raw) = image.exif() else {
        return Some(image.encoder().bytes());
    };
    // EXIF that cannot be read cannot be checked for a place: it goes whole
    let kept = exif::Reader::new()
        .read_raw(raw.to_vec())
        .ok()
        .and_then(|exif| {
            let mut writer = exif::experimental::Writer::new();
            for field in exif
                .fields()
                .filter(|f| f.ifd_num == exif::In::PRIMARY && f.tag.context() != exif::Context::Gps)
            {
                writer.push_field(field);
            }
            let mut out = std::io::Cursor::new(Vec::new());
            writer.write(&mut out, exif.little_endian()).ok()?;
            Some(bytes::Bytes::from(out.into_inner()))
        });
    image.set_exif(kept);
    Some(image.encoder().bytes())
}

/// What `attachments check` found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CheckReport {
    pub checked: usize,
    /// (attachment id, key) whose bytes are not in the store
    pub missing: Vec<(i64, String)>,
    /// (attachment id, key, what differs)
    pub corrupt: Vec<(i64, String, String)>,
}

/// Reads every claimed object back and compares its length and SHA-256 with its row.
pub async fn check(pool: &sqlx::PgPool, store: &AttachmentStore) -> anyhow::Result<CheckReport> {
    let claimed = crate::db::attachments::claimed(&mut *pool.acquire().await?).await?;
    let mut report = CheckReport::default();
    for (id, key, size, sha256) in claimed {
        report.checked += 1;
        match store.digest(&key).await {
            Ok((digest, length)) => {
                if i64::try_from(length).ok() != Some(size) {
                    report.corrupt.push((
                        id,
                        key,
                        format!("{length} bytes stored, {size} recorded"),
                    ));
                } else if digest != sha256 {
                    report
                        .corrupt
                        .push((id, key, format!("SHA-256 {digest}, {sha256} recorded")));
                }
            }
            Err(object_store::Error::NotFound { .. }) => report.missing.push((id, key)),
            Err(e) => {
                return Err(anyhow::anyhow!(
                    "reading {key} from the {}: {e}",
                    store.description
                ));
            }
        }
    }
    Ok(report)
}

/// Deletes the objects no row claims that are older than `grace`; answers their keys.
pub async fn collect_orphans(
    pool: &sqlx::PgPool,
    store: &AttachmentStore,
    grace: chrono::Duration,
) -> anyhow::Result<Vec<String>> {
    // the store is listed before the claims are read: an upload that commits in between is
    // then claimed, and one that has not committed yet is younger than the grace period
    let mut stored = store.list(OBJECTS).await?;
    stored.extend(store.list(THUMBNAILS).await?);
    let claimed: std::collections::HashSet<String> =
        crate::db::attachments::claimed_keys(&mut *pool.acquire().await?)
            .await?
            .into_iter()
            .collect();
    let cutoff = chrono::Utc::now() - grace;
    let mut deleted = Vec::new();
    for object in stored {
        if !claimed.contains(&object.key) && object.last_modified < cutoff {
            store.delete(&object.key).await?;
            deleted.push(object.key);
        }
    }
    Ok(deleted)
}
