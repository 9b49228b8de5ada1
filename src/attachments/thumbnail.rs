//! Thumbnails of photos: 320 px JPEGs made after the upload, off the request path and a few at
//! a time, from the stored bytes; turned as the photo's EXIF says, so they show upright. A
//! thumbnail is re-encoded pixels and carries no EXIF, so it never gives away a place.

use super::THUMBNAILS;
use super::store::AttachmentStore;
use std::io::Cursor;

/// The longer side of a thumbnail, in pixels.
pub const THUMBNAIL_PX: u32 = 320;

/// Pixels a photo may have to be thumbnailed (a 100-megapixel camera's); larger ones keep none.
const MAX_SIDE_PX: u32 = 12_000;
const MAX_DECODE_BYTES: u64 = 512 << 20;

/// The media types thumbnails are made of (HEIF is not decoded here: it keeps none).
pub fn thumbnailable(media_type: &str) -> bool {
    matches!(media_type, "image/jpeg" | "image/png" | "image/webp")
}

/// A JPEG at most [`THUMBNAIL_PX`] on its longer side; None when the bytes do not decode
/// within the limits.
pub fn make(bytes: &[u8], orientation: Option<u16>) -> Option<Vec<u8>> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE_PX);
    limits.max_image_height = Some(MAX_SIDE_PX);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut photo = reader.decode().ok()?;
    if let Some(turn) = orientation
        .and_then(|o| u8::try_from(o).ok())
        .and_then(image::metadata::Orientation::from_exif)
    {
        photo.apply_orientation(turn);
    }
    let small = photo.thumbnail(THUMBNAIL_PX, THUMBNAIL_PX).into_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&small)
        .ok()?;
    Some(out)
}

/// Where the thumbnail of the object at `key` is stored.
pub fn key_of(key: &str) -> String {
    let name = key.rsplit('/').next().unwrap_or(key);
    format!("{THUMBNAILS}/{name}.jpg")
}

/// Makes and stores the thumbnail of one attachment and records it; waits for a turn first.
pub async fn make_and_record(
    pool: sqlx::PgPool,
    store: AttachmentStore,
    turns: std::sync::Arc<tokio::sync::Semaphore>,
    id: i64,
    key: String,
    orientation: Option<u16>,
) {
    let Ok(_turn) = turns.acquire().await else {
        return;
    };
    let result = async {
        let bytes = store.read_all(&key).await?;
        let thumbnail = tokio::task::spawn_blocking(move || make(&bytes, orientation))
            .await
            .map_err(|e| anyhow::anyhow!("the thumbnail task: {e}"))?;
        let Some(thumbnail) = thumbnail else {
            return Ok(());
        };
        let thumbnail_key = key_of(&key);
        store.put_bytes(&thumbnail_key, thumbnail.into()).await?;
        crate::db::attachments::set_thumbnail(&mut *pool.acquire().await?, id, &thumbnail_key)
            .await?;
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(attachment = id, error = %e, "no thumbnail made");
    }
}

/// Makes the thumbnails that are missing (an upload cut short, a server stopped before its
/// turn came), one after another in the background.
pub async fn make_missing(
    pool: sqlx::PgPool,
    store: AttachmentStore,
    turns: std::sync::Arc<tokio::sync::Semaphore>,
) {
    let missing = match pool.acquire().await {
        Ok(mut conn) => crate::db::attachments::missing_thumbnails(&mut conn).await,
        Err(e) => Err(e),
    };
    match missing {
        Ok(missing) => {
            for (id, key, media_type, orientation) in missing {
                if thumbnailable(&media_type) {
                    let orientation = orientation.and_then(|o| u16::try_from(o).ok());
                    make_and_record(
                        pool.clone(),
                        store.clone(),
                        turns.clone(),
                        id,
                        key,
                        orientation,
                    )
                    .await;
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "missing thumbnails not looked up"),
    }
}
