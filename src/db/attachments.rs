//! SQL of attachments: their rows (written after their bytes are stored), the lists of a
//! parent with each photo's distance from what it is attached to, soft deletes and purges with
//! their audit, and the keys the store's check and collection compare with.

use crate::db::audit;
use crate::db::events::Actor;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;

/// One attachment as stored, with its distance (metres, geodesic) from the geometry of what it
/// is attached to when both are known.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttachmentRow {
    pub id: i64,
    pub parent_kind: String,
    pub parent_id: i64,
    pub title: String,
    pub file_name: String,
    pub kind: String,
    pub stage: Option<String>,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub storage_key: String,
    pub staff_only: bool,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub taken_at: Option<DateTime<Utc>>,
    pub orientation: Option<i16>,
    pub thumbnail_key: Option<String>,
    pub uploaded_by_name: String,
    pub uploaded_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub purged_at: Option<DateTime<Utc>>,
    pub distance_m: Option<f64>,
}

/// What an upload adds.
#[derive(Debug, Clone)]
pub struct NewAttachment<'a> {
    pub parent_kind: &'a str,
    pub parent_id: i64,
    pub title: &'a str,
    pub file_name: &'a str,
    pub kind: &'a str,
    pub stage: Option<&'a str>,
    pub media_type: &'a str,
    pub size_bytes: i64,
    pub sha256: &'a str,
    pub storage_key: &'a str,
    pub staff_only: bool,
    pub location: Option<(f64, f64)>,
    pub taken_at: Option<DateTime<Utc>>,
    pub orientation: Option<i16>,
}

/// Whether the parent exists.
pub async fn parent_exists(conn: &mut PgConnection, kind: &str, id: i64) -> sqlx::Result<bool> {
    let exists = sqlx::query_scalar!(
        r#"SELECT CASE $1
               WHEN 'project' THEN EXISTS (SELECT 1 FROM project WHERE id = $2)
               WHEN 'site' THEN EXISTS (SELECT 1 FROM site WHERE id = $2)
               WHEN 'case' THEN EXISTS (SELECT 1 FROM casework WHERE id = $2)
               ELSE false END AS "exists!""#,
        kind,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(exists)
}

pub async fn insert(
    conn: &mut PgConnection,
    actor: &Actor,
    new: &NewAttachment<'_>,
) -> sqlx::Result<i64> {
    let id = sqlx::query_scalar!(
        r#"INSERT INTO attachment (parent_kind, parent_id, title, file_name, kind, stage, media_type,
               size_bytes, sha256, storage_key, staff_only, location, taken_at, orientation,
               uploaded_by, uploaded_by_name)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
               CASE WHEN $12::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($12, $13), 4326) END,
               $14, $15, $16, $17)
           RETURNING id"#,
        new.parent_kind,
        new.parent_id,
        new.title,
        new.file_name,
        new.kind,
        new.stage,
        new.media_type,
        new.size_bytes,
        new.sha256,
        new.storage_key,
        new.staff_only,
        new.location.map(|l| l.0),
        new.location.map(|l| l.1),
        new.taken_at,
        new.orientation,
        actor.id,
        actor.name
    )
    .fetch_one(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        "attachment.uploaded",
        &format!("{} {}", new.parent_kind, new.parent_id),
        json!({"attachment": id, "file_name": new.file_name, "sha256": new.sha256, "size_bytes": new.size_bytes}),
    )
    .await?;
    Ok(id)
}

/// The attachments of a parent that are not deleted, oldest first; staff-only ones only when
/// asked.
pub async fn list(
    conn: &mut PgConnection,
    parent_kind: &str,
    parent_id: i64,
    with_staff_only: bool,
) -> sqlx::Result<Vec<AttachmentRow>> {
    sqlx::query_as!(
        AttachmentRow,
        r#"SELECT a.id, a.parent_kind, a.parent_id, a.title, a.file_name, a.kind, a.stage,
                  a.media_type, a.size_bytes, a.sha256, a.storage_key, a.staff_only,
                  ST_X(a.location) AS lon, ST_Y(a.location) AS lat, a.taken_at, a.orientation,
                  a.thumbnail_key, a.uploaded_by_name, a.uploaded_at, a.deleted_at, a.purged_at,
                  attachment_distance_m(a.parent_kind, a.parent_id, a.location) AS distance_m
           FROM attachment a
           WHERE a.parent_kind = $1 AND a.parent_id = $2 AND a.deleted_at IS NULL
             AND ($3 OR NOT a.staff_only)
           ORDER BY a.uploaded_at, a.id"#,
        parent_kind,
        parent_id,
        with_staff_only
    )
    .fetch_all(conn)
    .await
}

/// One attachment, deleted or not.
pub async fn get(conn: &mut PgConnection, id: i64) -> sqlx::Result<Option<AttachmentRow>> {
    sqlx::query_as!(
        AttachmentRow,
        r#"SELECT a.id, a.parent_kind, a.parent_id, a.title, a.file_name, a.kind, a.stage,
                  a.media_type, a.size_bytes, a.sha256, a.storage_key, a.staff_only,
                  ST_X(a.location) AS lon, ST_Y(a.location) AS lat, a.taken_at, a.orientation,
                  a.thumbnail_key, a.uploaded_by_name, a.uploaded_at, a.deleted_at, a.purged_at,
                  attachment_distance_m(a.parent_kind, a.parent_id, a.location) AS distance_m
           FROM attachment a WHERE a.id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// Hides an attachment everywhere; its bytes stay until a purge. False when it was not there
/// or already deleted.
pub async fn soft_delete(conn: &mut PgConnection, actor: &Actor, id: i64) -> sqlx::Result<bool> {
    let deleted = sqlx::query_scalar!(
        "UPDATE attachment SET deleted_at = now(), deleted_by_name = $2
         WHERE id = $1 AND deleted_at IS NULL RETURNING storage_key",
        id,
        actor.name
    )
    .fetch_optional(&mut *conn)
    .await?;
    if deleted.is_none() {
        return Ok(false);
    }
    audit::record(
        conn,
        actor,
        "attachment.deleted",
        &format!("attachment {id}"),
        json!({}),
    )
    .await?;
    Ok(true)
}

/// Marks a deleted attachment purged and answers the keys whose bytes are to go; None when it
/// is not deleted or is purged already. The caller deletes the bytes after the commit, so a
/// failed purge leaves bytes without a row (collected by `gc`), never a row without bytes that
/// still claims them.
pub async fn purge(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
) -> sqlx::Result<Option<Vec<String>>> {
    let purged = sqlx::query!(
        "UPDATE attachment SET purged_at = now()
         WHERE id = $1 AND deleted_at IS NOT NULL AND purged_at IS NULL
         RETURNING storage_key, thumbnail_key, sha256",
        id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(purged) = purged else {
        return Ok(None);
    };
    audit::record(
        conn,
        actor,
        "attachment.purged",
        &format!("attachment {id}"),
        json!({"sha256": purged.sha256}),
    )
    .await?;
    Ok(Some(
        std::iter::once(purged.storage_key)
            .chain(purged.thumbnail_key)
            .collect(),
    ))
}

/// A photo with its place, for the map's photos layer.
#[derive(Debug, Clone)]
pub struct PlacedPhoto {
    pub id: i64,
    pub title: String,
    pub stage: Option<String>,
    pub parent_kind: String,
    pub parent_id: i64,
    pub taken_at: Option<DateTime<Utc>>,
    pub lon: f64,
    pub lat: f64,
    pub has_thumbnail: bool,
    pub distance_m: Option<f64>,
}

/// The photos taken in a lon/lat box (every one that is not deleted, staff-only ones too: the
/// layer is for staff), newest first, at most `limit`.
pub async fn photos_in(
    conn: &mut PgConnection,
    (min_lon, min_lat, max_lon, max_lat): (f64, f64, f64, f64),
    limit: i64,
) -> sqlx::Result<Vec<PlacedPhoto>> {
    sqlx::query_as!(
        PlacedPhoto,
        r#"SELECT a.id, a.title, a.stage, a.parent_kind, a.parent_id, a.taken_at,
                  ST_X(a.location) AS "lon!", ST_Y(a.location) AS "lat!",
                  a.thumbnail_key IS NOT NULL AS "has_thumbnail!",
                  attachment_distance_m(a.parent_kind, a.parent_id, a.location) AS distance_m
           FROM attachment a
           WHERE a.deleted_at IS NULL AND a.kind = 'photo'
             AND a.location && ST_MakeEnvelope($1, $2, $3, $4, 4326)
           ORDER BY a.taken_at DESC NULLS LAST, a.id DESC
           LIMIT $5"#,
        min_lon,
        min_lat,
        max_lon,
        max_lat,
        limit
    )
    .fetch_all(conn)
    .await
}

/// Records a photo's thumbnail, unless the attachment was purged meanwhile.
/// A public before/after photo of a project, as the report shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReportPhoto {
    pub id: i64,
    pub project_id: i64,
    pub stage: String,
    pub title: String,
    pub media_type: String,
    pub storage_key: String,
    pub thumbnail_key: Option<String>,
    pub orientation: Option<i16>,
    pub taken_at: Option<DateTime<Utc>>,
}

/// The newest `per_stage` public `before` and `after` photos of each project, uploaded by
/// `until` and not deleted, before ones first, each stage in the order they were taken. Staff-only
/// photos never reach a report: reports are read by anyone.
pub async fn report_photos(
    conn: &mut PgConnection,
    project_ids: &[i64],
    until: DateTime<Utc>,
    per_stage: i64,
) -> sqlx::Result<Vec<ReportPhoto>> {
    sqlx::query_as!(
        ReportPhoto,
        r#"SELECT id AS "id!", parent_id AS "project_id!", stage AS "stage!", title AS "title!",
                  media_type AS "media_type!", storage_key AS "storage_key!", thumbnail_key,
                  orientation, taken_at
           FROM (SELECT a.*, row_number() OVER (PARTITION BY a.parent_id, a.stage
                            ORDER BY coalesce(a.taken_at, a.uploaded_at) DESC, a.id DESC) AS turn
                 FROM attachment a
                 WHERE a.parent_kind = 'project' AND a.parent_id = ANY($1) AND a.kind = 'photo'
                   AND a.stage IN ('before', 'after') AND NOT a.staff_only
                   AND a.deleted_at IS NULL AND a.uploaded_at <= $2) newest
           WHERE turn <= $3
           ORDER BY parent_id, stage = 'after', coalesce(taken_at, uploaded_at), id"#,
        project_ids,
        until,
        per_stage
    )
    .fetch_all(conn)
    .await
}

pub async fn set_thumbnail(conn: &mut PgConnection, id: i64, key: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE attachment SET thumbnail_key = $2 WHERE id = $1 AND purged_at IS NULL",
        id,
        key
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The photos still without a thumbnail (an upload cut short before it was made): (id, key,
/// media type, orientation).
pub async fn missing_thumbnails(
    conn: &mut PgConnection,
) -> sqlx::Result<Vec<(i64, String, String, Option<i16>)>> {
    let rows = sqlx::query!(
        "SELECT id, storage_key, media_type, orientation FROM attachment
         WHERE thumbnail_key IS NULL AND deleted_at IS NULL AND kind = 'photo' ORDER BY id"
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.storage_key, r.media_type, r.orientation))
        .collect())
}

/// The bytes every unpurged row claims: (id, key, size, sha256).
pub async fn claimed(conn: &mut PgConnection) -> sqlx::Result<Vec<(i64, String, i64, String)>> {
    let rows = sqlx::query!(
        "SELECT id, storage_key, size_bytes, sha256 FROM attachment WHERE purged_at IS NULL ORDER BY id"
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.storage_key, r.size_bytes, r.sha256))
        .collect())
}

/// Every key an unpurged row points at, thumbnails included.
pub async fn claimed_keys(conn: &mut PgConnection) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"SELECT storage_key AS "key!" FROM attachment WHERE purged_at IS NULL
           UNION ALL
           SELECT thumbnail_key FROM attachment WHERE purged_at IS NULL AND thumbnail_key IS NOT NULL"#
    )
    .fetch_all(conn)
    .await
}
