//! The before/after photos of each programme's completed items, written into the report as
//! thumbnails (data URIs) so that the HTML file stands alone; only when asked. Only public photos
//! are used, since a report is read by anyone, and a thumbnail is re-encoded pixels without EXIF.

use super::{Format, Lang, Report, end_of_day};
use crate::attachments::store::AttachmentStore;
use crate::attachments::thumbnail;
use crate::db::attachments::{self as sql, ReportPhoto};
use base64::Engine;
use chrono::NaiveDate;
use futures_util::StreamExt;
use serde::Serialize;
use sqlx::PgPool;
use std::collections::HashMap;

/// Photos of one stage an item shows: the newest ones.
const PER_STAGE: i64 = 2;

/// Photos one report holds at most (some 20 KB each), so that a programme of thousands of
/// completed items still makes a file a browser opens; the rest are counted, not shown.
pub const MAX_PHOTOS: usize = 400;

/// Thumbnails read from the store at once.
const READS_AT_ONCE: usize = 8;

/// Refuses photos in a format without a place for an image, naming it (`option` is how the
/// caller spelt the option).
pub fn check_format(format: Format, option: &str) -> Result<(), String> {
    if matches!(format, Format::Html | Format::Json) {
        Ok(())
    } else {
        Err(format!(
            "{option} needs format html or json: {format} has no place for images"
        ))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct EvidencePhoto {
    pub attachment_id: i64,
    pub stage: String,
    pub stage_label: String,
    pub title: String,
    /// the day it was taken, in China, when its EXIF says
    pub taken_on: Option<NaiveDate>,
    /// the thumbnail as a `data:image/jpeg;base64,…` URI
    pub thumbnail: String,
}

/// What the report says about its photos.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PhotoSummary {
    pub shown: usize,
    /// beyond [`MAX_PHOTOS`]
    pub left_out: usize,
    /// rows whose bytes could not be read or decoded (`attachments check` names them)
    pub unreadable: usize,
}

fn stage_label(stage: &str, lang: Lang) -> &'static str {
    match stage {
        "before" => lang.pick("整治前", "before"),
        _ => lang.pick("整治后", "after"),
    }
}

/// The thumbnail's bytes: the stored one, or one made now from the photo when the server has
/// not made it yet.
async fn thumbnail_bytes(store: &AttachmentStore, photo: &ReportPhoto) -> Option<Vec<u8>> {
    if let Some(key) = &photo.thumbnail_key
        && let Ok(bytes) = store.read_all(key).await
    {
        return Some(bytes.to_vec());
    }
    if !thumbnail::thumbnailable(&photo.media_type) {
        return None;
    }
    let original = store.read_all(&photo.storage_key).await.ok()?;
    let orientation = photo.orientation.and_then(|o| u16::try_from(o).ok());
    tokio::task::spawn_blocking(move || thumbnail::make(&original, orientation))
        .await
        .ok()
        .flatten()
}

/// Adds to each completed item of every programme its public before and after photos.
pub async fn add_photos(
    pool: &PgPool,
    store: &AttachmentStore,
    report: &mut Report,
) -> sqlx::Result<()> {
    let mut project_ids: Vec<i64> = Vec::new();
    for part in report.sections.iter().flat_map(|s| &s.programmes) {
        project_ids.extend(part.items.iter().filter(|i| i.done).map(|i| i.project_id));
    }
    let mut found = {
        let mut conn = pool.acquire().await?;
        sql::report_photos(&mut conn, &project_ids, end_of_day(report.as_of), PER_STAGE).await?
    };
    // the report's order decides which photos are kept when there are too many
    let order: HashMap<i64, usize> = project_ids
        .iter()
        .enumerate()
        .rev()
        .map(|(turn, id)| (*id, turn))
        .collect();
    found.sort_by_key(|p| order.get(&p.project_id).copied().unwrap_or(usize::MAX));
    let mut summary = PhotoSummary {
        left_out: found.len().saturating_sub(MAX_PHOTOS),
        ..PhotoSummary::default()
    };
    found.truncate(MAX_PHOTOS);

    let lang = report.lang;
    let read: Vec<(i64, Option<EvidencePhoto>)> = futures_util::stream::iter(found)
        .map(|photo| async move {
            let bytes = thumbnail_bytes(store, &photo).await;
            let evidence = bytes.map(|bytes| EvidencePhoto {
                attachment_id: photo.id,
                stage_label: stage_label(&photo.stage, lang).to_string(),
                stage: photo.stage,
                title: photo.title,
                taken_on: photo
                    .taken_at
                    .map(|t| (t + chrono::Duration::hours(8)).date_naive()),
                thumbnail: format!(
                    "data:image/jpeg;base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(bytes)
                ),
            });
            (photo.project_id, evidence)
        })
        .buffered(READS_AT_ONCE)
        .collect()
        .await;
    let mut by_project: HashMap<i64, Vec<EvidencePhoto>> = HashMap::new();
    for (project_id, evidence) in read {
        match evidence {
            Some(photo) => {
                summary.shown += 1;
                by_project.entry(project_id).or_default().push(photo);
            }
            None => summary.unreadable += 1,
        }
    }
    for part in report.sections.iter_mut().flat_map(|s| &mut s.programmes) {
        for item in part.items.iter_mut().filter(|i| i.done) {
            if let Some(photos) = by_project.get(&item.project_id) {
                item.photos = photos.clone();
            }
        }
    }
    if summary.unreadable > 0 {
        tracing::warn!(
            unreadable = summary.unreadable,
            "report photos left out: their bytes could not be read"
        );
    }
    report.photos = Some(summary);
    Ok(())
}
