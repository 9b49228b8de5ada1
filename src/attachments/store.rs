//! The attachment store: where the bytes of attachments live, behind one interface with two
//! back ends from `object_store`, a local directory (the default) and an S3-compatible bucket.
//! Keys are random, so an object is written once and never overwritten.

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::path::Path as Key;
use object_store::{GetOptions, GetRange, ObjectStore, WriteMultipart};
use std::ops::Range;
use std::sync::Arc;
use tokio::io::AsyncReadExt;

/// Bytes sent to the store per part; an upload holds at most this times the parts in flight.
/// S3 takes no part under 5 MiB but the last; a directory needs no large parts at all.
const S3_PART_BYTES: usize = 5 * 1024 * 1024;
const DIRECTORY_PART_BYTES: usize = 1024 * 1024;
const PARTS_IN_FLIGHT: usize = 2;

/// Where the store is, from the configuration.
#[derive(Clone)]
pub enum StoreConfig {
    Directory(std::path::PathBuf),
    S3 {
        endpoint: String,
        bucket: String,
        access_key: String,
        secret_key: String,
        region: String,
    },
}

impl StoreConfig {
    /// The directory or the bucket, without the keys.
    pub fn describe(&self) -> String {
        match self {
            StoreConfig::Directory(dir) => format!("directory {}", dir.display()),
            StoreConfig::S3 {
                endpoint, bucket, ..
            } => format!("bucket {bucket} at {endpoint}"),
        }
    }
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

#[derive(Clone)]
pub struct AttachmentStore {
    /// the store, or why it could not be opened (every use then fails with that reason)
    inner: Result<Arc<dyn ObjectStore>, String>,
    part_bytes: usize,
    /// for messages: the directory or the bucket
    pub description: String,
}

impl std::fmt::Debug for AttachmentStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

/// What the store says of one object.
#[derive(Debug, Clone)]
pub struct StoredObject {
    pub key: String,
    pub size: u64,
    pub last_modified: chrono::DateTime<chrono::Utc>,
}

impl AttachmentStore {
    /// The store of the configuration, or one that refuses every use with the reason it could
    /// not be opened (the server checks it with [`AttachmentStore::ready`] before it starts).
    pub fn open_or_unavailable(config: &StoreConfig) -> Self {
        Self::open(config).unwrap_or_else(|e| Self {
            inner: Err(format!("{e:#}")),
            part_bytes: DIRECTORY_PART_BYTES,
            description: config.describe(),
        })
    }

    /// Whether the store opened; the reason when it did not.
    pub fn ready(&self) -> Result<(), String> {
        self.inner.as_ref().map(|_| ()).map_err(Clone::clone)
    }

    fn store(&self) -> object_store::Result<&Arc<dyn ObjectStore>> {
        self.inner
            .as_ref()
            .map_err(|reason| generic(reason.clone()))
    }

    pub fn open(config: &StoreConfig) -> anyhow::Result<Self> {
        match config {
            StoreConfig::Directory(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    anyhow::anyhow!("the attachment directory {}: {e}", dir.display())
                })?;
                let store = object_store::local::LocalFileSystem::new_with_prefix(dir)?
                    .with_automatic_cleanup(true);
                Ok(Self {
                    inner: Ok(Arc::new(store)),
                    part_bytes: DIRECTORY_PART_BYTES,
                    description: config.describe(),
                })
            }
            StoreConfig::S3 {
                endpoint,
                bucket,
                access_key,
                secret_key,
                region,
            } => {
                let store = object_store::aws::AmazonS3Builder::new()
                    .with_endpoint(endpoint)
                    .with_bucket_name(bucket)
                    .with_access_key_id(access_key)
                    .with_secret_access_key(secret_key)
                    .with_region(region)
                    .with_allow_http(endpoint.starts_with("http://"))
                    .with_virtual_hosted_style_request(false)
                    .build()?;
                Ok(Self {
                    inner: Ok(Arc::new(store)),
                    part_bytes: S3_PART_BYTES,
                    description: config.describe(),
                })
            }
        }
    }

    /// Copies a local file to `key`, a part at a time.
    pub async fn put_file(&self, key: &str, file: &std::path::Path) -> object_store::Result<()> {
        let upload = self.store()?.put_multipart(&Key::from(key)).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, self.part_bytes);
        let mut source = tokio::fs::File::open(file)
            .await
            .map_err(|e| generic(format!("reading the staged upload: {e}")))?;
        let mut buffer = vec![0u8; 256 * 1024];
        loop {
            let read = match source.read(&mut buffer).await {
                Ok(read) => read,
                Err(e) => {
                    writer.abort().await?;
                    return Err(generic(format!("reading the staged upload: {e}")));
                }
            };
            if read == 0 {
                break;
            }
            writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
            writer.write(&buffer[..read]);
        }
        writer.finish().await?;
        Ok(())
    }

    /// The bytes of `key` (a range of them when given) and the object's size.
    pub async fn get(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> object_store::Result<(
        u64,
        impl Stream<Item = object_store::Result<Bytes>> + Send + 'static,
    )> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let result = self.store()?.get_opts(&Key::from(key), options).await?;
        Ok((result.meta.size, result.into_stream()))
    }

    /// The whole object, for the files read in full (a photo to strip or to thumbnail).
    pub async fn read_all(&self, key: &str) -> object_store::Result<Bytes> {
        self.store()?.get(&Key::from(key)).await?.bytes().await
    }

    pub async fn put_bytes(&self, key: &str, bytes: Bytes) -> object_store::Result<()> {
        self.store()?.put(&Key::from(key), bytes.into()).await?;
        Ok(())
    }

    pub async fn delete(&self, key: &str) -> object_store::Result<()> {
        match self.store()?.delete(&Key::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Every object under `prefix`.
    pub async fn list(&self, prefix: &str) -> object_store::Result<Vec<StoredObject>> {
        self.store()?
            .list(Some(&Key::from(prefix)))
            .map_ok(|meta| StoredObject {
                key: meta.location.to_string(),
                size: meta.size,
                last_modified: meta.last_modified,
            })
            .try_collect()
            .await
    }

    /// The SHA-256 of the stored bytes, and their length, read as a stream.
    pub async fn digest(&self, key: &str) -> object_store::Result<(String, u64)> {
        use sha2::Digest;
        let (_, mut stream) = self.get(key, None).await?;
        let mut hasher = sha2::Sha256::new();
        let mut length = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            length += chunk.len() as u64;
            hasher.update(&chunk);
        }
        Ok((hex(&hasher.finalize()), length))
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn generic(message: String) -> object_store::Error {
    object_store::Error::Generic {
        store: "attachments",
        source: message.into(),
    }
}
