//! Evidence files on projects, sites and cases: upload (editor; multipart, staged on disk with
//! the size bounded, the type sniffed from the bytes), the list of a parent, the download (with
//! ETag, ranges and a Chinese file name that survives; a public photo without its GPS), and the
//! admin's soft delete and purge, both audited.

use super::AppState;
use super::access::{Admin, Caller, Editor, Viewer};
use super::extract::{ApiQuery, parse_number, parse_spatial};
use crate::attachments::{self, Staging, UploadRefused, thumbnail};
use crate::db::attachments::{self as sql, AttachmentRow, NewAttachment};
use crate::domain::Audience;
use crate::domain::attachment::{AttachmentKind, ParentKind, Stage, content_disposition};
use crate::domain::choice::Choice;
use crate::error::AppError;
use crate::http::problems::{BadInput, Forbidden, NotFound, NotLoggedIn};
use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Text fields of an upload are short: a title, a kind, a stage.
const TEXT_FIELD_BYTES: usize = 1024;

pub fn routes(max_upload_bytes: usize) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_to_project, list_of_project))
        .routes(routes!(upload_to_site, list_of_site))
        .routes(routes!(upload_to_case, list_of_case))
        // the file is bounded by MAX_UPLOAD_MB as it is staged; this bounds the rest of the form
        .layer(DefaultBodyLimit::max(max_upload_bytes + (1 << 20)))
        .routes(routes!(download, delete_attachment))
        .routes(routes!(download_thumbnail))
        .routes(routes!(photos_layer))
        .routes(routes!(purge_attachment))
}

/// An attachment as the API gives it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Attachment {
    pub id: i64,
    /// project, site or case
    pub parent_kind: String,
    pub parent_id: i64,
    pub title: String,
    pub file_name: String,
    /// photo, document, drawing or other
    pub kind: String,
    /// before, during or after the works
    pub stage: Option<String>,
    /// sniffed from the bytes
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub staff_only: bool,
    /// where the photo was taken, from its EXIF (staff only)
    #[schema(value_type = Option<Object>)]
    pub location: Option<serde_json::Value>,
    /// when the photo was taken, from its EXIF
    pub taken_at: Option<DateTime<Utc>>,
    /// metres from where the photo was taken to what it is attached to (staff only)
    pub distance_m: Option<f64>,
    /// taken further than PHOTO_DISTANCE_WARN_M from what it is attached to (staff only)
    pub far_from_parent: bool,
    pub uploaded_by: Option<String>,
    pub uploaded_at: DateTime<Utc>,
    /// where the bytes are downloaded
    pub url: String,
    /// a 320 px JPEG of a photo, once it is made (after the upload)
    pub thumbnail_url: Option<String>,
}

fn attachment_json(row: AttachmentRow, audience: Audience, warn_m: f64) -> Attachment {
    let staff = audience == Audience::Staff;
    let location = match (row.lon, row.lat) {
        (Some(lon), Some(lat)) if staff => {
            Some(serde_json::json!({"type": "Point", "coordinates": [lon, lat]}))
        }
        _ => None,
    };
    let distance_m = row
        .distance_m
        .filter(|_| staff)
        .map(|d| (d * 10.0).round() / 10.0);
    Attachment {
        url: format!("/api/attachments/{}", row.id),
        thumbnail_url: row
            .thumbnail_key
            .as_ref()
            .map(|_| format!("/api/attachments/{}/thumbnail", row.id)),
        id: row.id,
        parent_kind: row.parent_kind,
        parent_id: row.parent_id,
        title: row.title,
        file_name: row.file_name,
        kind: row.kind,
        stage: row.stage,
        media_type: row.media_type,
        size_bytes: row.size_bytes,
        sha256: row.sha256,
        staff_only: row.staff_only,
        location,
        taken_at: row.taken_at,
        far_from_parent: distance_m.is_some_and(|d| d > warn_m),
        distance_m,
        uploaded_by: staff.then_some(row.uploaded_by_name),
        uploaded_at: row.uploaded_at,
    }
}

fn not_found(id: i64) -> AppError {
    AppError::NotFound(format!("there is no attachment {id}"))
}

/// Whether the caller may see attachments of this parent at all: cases are for staff only.
fn parent_visible(kind: ParentKind, audience: Audience) -> bool {
    kind != ParentKind::Case || audience == Audience::Staff
}

async fn upload(
    state: AppState,
    user: crate::db::users::CurrentUser,
    parent: ParentKind,
    parent_id: i64,
    mut form: Multipart,
) -> Result<Response, AppError> {
    {
        let mut conn = state.pool.acquire().await?;
        if !sql::parent_exists(&mut conn, parent.name(), parent_id).await? {
            return Err(AppError::NotFound(format!(
                "there is no {parent} {parent_id}"
            )));
        }
    }
    let limit = state.config.max_upload_bytes as u64;
    let mut staged = None;
    let mut file_name = None;
    let mut title = None;
    let mut kind = None;
    let mut stage = None;
    let mut staff_only = false;
    let mut lon = None;
    let mut lat = None;
    while let Some(mut field) = form.next_field().await.map_err(form_error)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            if staged.is_some() {
                return Err(AppError::BadRequest("send one file per upload".into()));
            }
            file_name = field.file_name().map(str::to_string);
            let mut staging = Staging::new(&state.config.upload_staging_dir, limit)
                .await
                .map_err(|e| AppError::Internal(e.into()))?;
            while let Some(chunk) = field.chunk().await.map_err(form_error)? {
                staging.push(&chunk).await.map_err(refusal)?;
            }
            staged = Some(staging.finish().await.map_err(refusal)?);
            continue;
        }
        let mut text = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(form_error)? {
            text.extend_from_slice(&chunk);
            if text.len() > TEXT_FIELD_BYTES {
                return Err(AppError::BadRequest(format!(
                    "the field {name} is longer than {TEXT_FIELD_BYTES} bytes"
                )));
            }
        }
        let text = String::from_utf8(text)
            .map_err(|_| AppError::BadRequest(format!("the field {name} is not UTF-8 text")))?;
        let text = text.trim().to_string();
        match name.as_str() {
            "title" => title = Some(text),
            "kind" => kind = Some(text.parse::<AttachmentKind>()?),
            "stage" if text.is_empty() => stage = None,
            "stage" => stage = Some(text.parse::<Stage>()?),
            "staff_only" => {
                staff_only = match text.as_str() {
                    "true" | "1" | "on" => true,
                    "false" | "0" | "" => false,
                    _ => {
                        return Err(AppError::BadRequest(format!(
                            "staff_only must be true or false, not {text:?}"
                        )));
                    }
                }
            }
            "lon" => lon = Some(parse_number("lon", &text)?),
            "lat" => lat = Some(parse_number("lat", &text)?),
            other => {
                return Err(AppError::BadRequest(format!(
                    "unknown field {other:?} (known: file, title, kind, stage, staff_only, lon, lat)"
                )));
            }
        }
    }
    let given_place = given_place(lon, lat)?;
    let staged = staged.ok_or_else(|| {
        AppError::BadRequest("the form has no field named file with the upload".into())
    })?;
    let inspected = staged.inspect().await.map_err(refusal)?;
    let file_name = file_name
        .map(|n| n.trim().chars().take(255).collect::<String>())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "upload".into());
    let title = title
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| file_name.clone());
    if title.chars().count() > 200 {
        return Err(AppError::BadRequest(
            "the title is longer than 200 characters".into(),
        ));
    }
    let kind = kind.unwrap_or(if inspected.media_type.starts_with("image/") {
        AttachmentKind::Photo
    } else {
        AttachmentKind::Document
    });
    let key = attachments::store_staged(&state.attachments, &staged)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("storing an upload: {e}")))?;
    // the row, its commit and the thumbnail's job run to their end even when the client goes
    // away meanwhile: a dropped request must not leave a committed photo without its job
    let sha256 = staged.sha256.clone();
    let size_bytes = i64::try_from(staged.size).unwrap_or(i64::MAX);
    let actor = user.actor();
    let recording = state.clone();
    let id = tokio::spawn(async move {
        let new = NewAttachment {
            parent_kind: parent.name(),
            parent_id,
            title: &title,
            file_name: &file_name,
            kind: kind.name(),
            stage: stage.map(|s| s.name()),
            media_type: inspected.media_type,
            size_bytes,
            sha256: &sha256,
            storage_key: &key,
            staff_only,
            // the camera's own record of the place wins over where the uploader stands
            location: inspected.photo.location.or(given_place),
            taken_at: inspected.photo.taken_at,
            orientation: inspected
                .photo
                .orientation
                .and_then(|o| i16::try_from(o).ok()),
        };
        let mut tx = recording.pool.begin().await?;
        let id = sql::insert(&mut tx, &actor, &new).await?;
        tx.commit().await?;
        if kind == AttachmentKind::Photo && thumbnail::thumbnailable(inspected.media_type) {
            tokio::spawn(thumbnail::make_and_record(
                recording.pool.clone(),
                recording.attachments.clone(),
                recording.thumbnail_turns.clone(),
                id,
                key,
                inspected.photo.orientation,
            ));
        }
        Ok::<i64, sqlx::Error>(id)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("recording an upload: {e}")))??;
    let row = {
        let mut conn = state.pool.acquire().await?;
        sql::get(&mut conn, id)
            .await?
            .ok_or_else(|| not_found(id))?
    };
    let body = attachment_json(row, Audience::Staff, state.config.photo_distance_warn_m);
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/attachments/{id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Where the uploader says the file was made, as WGS84 `lon` and `lat` fields: both or neither.
fn given_place(lon: Option<f64>, lat: Option<f64>) -> Result<Option<(f64, f64)>, AppError> {
    match (lon, lat) {
        (None, None) => Ok(None),
        (Some(lon), Some(lat))
            if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) =>
        {
            Ok(Some((lon, lat)))
        }
        (Some(_), Some(_)) => Err(AppError::BadRequest(
            "lon must be from -180 to 180 and lat from -90 to 90 (WGS84 degrees)".into(),
        )),
        _ => Err(AppError::BadRequest(
            "give the place as both lon and lat, or neither".into(),
        )),
    }
}

fn refusal(e: UploadRefused) -> AppError {
    match e {
        UploadRefused::TooLarge(_) => {
            AppError::Status(StatusCode::PAYLOAD_TOO_LARGE, e.to_string())
        }
        UploadRefused::Type { .. } => {
            AppError::Status(StatusCode::UNSUPPORTED_MEDIA_TYPE, e.to_string())
        }
        UploadRefused::Empty => AppError::BadRequest(e.to_string()),
        UploadRefused::Io(e) => AppError::Internal(e.into()),
    }
}

fn form_error(e: axum::extract::multipart::MultipartError) -> AppError {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::Status(
            status,
            "the upload is larger than MAX_UPLOAD_MB allows".into(),
        )
    } else {
        AppError::Status(
            status,
            format!("the multipart form cannot be read: {}", e.body_text()),
        )
    }
}

async fn list(
    state: AppState,
    caller: Caller,
    parent: ParentKind,
    parent_id: i64,
) -> Result<Json<Vec<Attachment>>, AppError> {
    let audience = caller.audience();
    if !parent_visible(parent, audience) {
        return Err(AppError::NotFound(format!(
            "there is no {parent} {parent_id}"
        )));
    }
    let mut conn = state.pool.acquire().await?;
    if !sql::parent_exists(&mut conn, parent.name(), parent_id).await? {
        return Err(AppError::NotFound(format!(
            "there is no {parent} {parent_id}"
        )));
    }
    let rows = sql::list(
        &mut conn,
        parent.name(),
        parent_id,
        audience == Audience::Staff,
    )
    .await?;
    let warn = state.config.photo_distance_warn_m;
    Ok(Json(
        rows.into_iter()
            .map(|r| attachment_json(r, audience, warn))
            .collect(),
    ))
}

macro_rules! parent_routes {
    ($upload:ident, $list:ident, $kind:expr, $path:literal, $tag:literal) => {
        /// Upload a file (editor): multipart with `file`, and optionally `title`, `kind`
        /// (photo, document, drawing, other), `stage` (before, during, after), `staff_only`,
        /// and `lon` and `lat` (WGS84): where the uploader stands, the photo's place when its
        /// EXIF has none.
        #[utoipa::path(post, path = $path, tag = $tag, params(("id" = i64, Path)),
            request_body(content_type = "multipart/form-data", description = "the form with the field file"),
            responses((status = 201, description = "Stored", body = Attachment), BadInput, NotLoggedIn,
                      Forbidden, NotFound,
                      (status = 413, description = "Larger than MAX_UPLOAD_MB"),
                      (status = 415, description = "A type that is not accepted")),
            security(("session" = []), ("bearer" = [])))]
        async fn $upload(
            Editor(user): Editor,
            State(state): State<AppState>,
            Path(id): Path<i64>,
            form: Multipart,
        ) -> Result<Response, AppError> {
            upload(state, user, $kind, id, form).await
        }

        /// The attachments, oldest first. Anonymous readers see no staff-only ones, no places
        /// and no attachments of cases.
        #[utoipa::path(get, path = $path, tag = $tag, params(("id" = i64, Path)),
            responses((status = 200, description = "OK", body = Vec<Attachment>), NotFound))]
        async fn $list(
            caller: Caller,
            State(state): State<AppState>,
            Path(id): Path<i64>,
        ) -> Result<Json<Vec<Attachment>>, AppError> {
            list(state, caller, $kind, id).await
        }
    };
}

parent_routes!(
    upload_to_project,
    list_of_project,
    ParentKind::Project,
    "/projects/{id}/attachments",
    "projects"
);
parent_routes!(
    upload_to_site,
    list_of_site,
    ParentKind::Site,
    "/sites/{id}/attachments",
    "sites"
);
parent_routes!(
    upload_to_case,
    list_of_case,
    ParentKind::Case,
    "/cases/{id}/attachments",
    "cases"
);

/// The row of an attachment the caller may download.
async fn visible(state: &AppState, id: i64, audience: Audience) -> Result<AttachmentRow, AppError> {
    let mut conn = state.pool.acquire().await?;
    let row = sql::get(&mut conn, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let parent = row.parent_kind.parse::<ParentKind>().ok();
    let hidden = row.deleted_at.is_some()
        || (audience == Audience::Public
            && (row.staff_only || !parent.is_some_and(|p| parent_visible(p, audience))));
    if hidden {
        return Err(not_found(id));
    }
    Ok(row)
}

/// Download an attachment: its sniffed type, its name (RFC 6266 / 5987), an ETag (the SHA-256)
/// and single byte ranges. Anonymous readers get public photos without their EXIF GPS.
#[utoipa::path(get, path = "/attachments/{id}", tag = "attachments",
    params(("id" = i64, Path), ("Range" = Option<String>, Header), ("If-None-Match" = Option<String>, Header)),
    responses((status = 200, description = "The file"), (status = 206, description = "A range of it"),
              (status = 304, description = "Not modified"), (status = 416, description = "Range not satisfiable"),
              NotFound))]
async fn download(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let audience = caller.audience();
    let row = visible(&state, id, audience).await?;
    let strip_gps = audience == Audience::Public && row.lon.is_some();
    let etag = if strip_gps {
        format!("\"{}-public\"", row.sha256)
    } else {
        format!("\"{}\"", row.sha256)
    };
    let inline = row.media_type.starts_with("image/") || row.media_type == "application/pdf";
    let mut common = HeaderMap::new();
    let mut put = |name: header::HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            common.insert(name, value);
        }
    };
    put(header::ETAG, &etag);
    put(header::CONTENT_TYPE, &row.media_type);
    put(
        header::CONTENT_DISPOSITION,
        &content_disposition(&row.file_name, inline),
    );
    put(
        header::CACHE_CONTROL,
        if row.staff_only {
            "private, no-cache"
        } else {
            "no-cache"
        },
    );
    put(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        })
    {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    let store = &state.attachments;
    if strip_gps {
        let bytes = store
            .read_all(&row.storage_key)
            .await
            .map_err(store_error)?;
        let public = attachments::without_gps(&row.media_type, bytes).ok_or_else(|| {
            AppError::Forbidden(format!(
                "attachment {id} is a {} whose place cannot be removed: log in to download it",
                row.media_type
            ))
        })?;
        return Ok((StatusCode::OK, common, public).into_response());
    }
    let size = u64::try_from(row.size_bytes).unwrap_or(0);
    common.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        None => None,
        Some(text) => match http_range_header::parse_range_header(text)
            .and_then(|parsed| parsed.validate(size))
        {
            // several ranges are answered whole, as RFC 9110 allows
            Ok(ranges) if ranges.len() == 1 => Some(ranges[0].clone()),
            Ok(_) => None,
            Err(_) => {
                let mut response = AppError::Status(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    format!("the range {text:?} does not fit the {size} bytes of attachment {id}"),
                )
                .into_response();
                if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    response.headers_mut().insert(header::CONTENT_RANGE, value);
                }
                return Ok(response);
            }
        },
    };
    let (_, stream) = store
        .get(
            &row.storage_key,
            range.clone().map(|r| *r.start()..*r.end() + 1),
        )
        .await
        .map_err(store_error)?;
    let body = Body::from_stream(stream.map_err(std::io::Error::other));
    let mut response = (common, body).into_response();
    match range {
        Some(range) => {
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            let length = range.end() - range.start() + 1;
            let headers = response.headers_mut();
            if let Ok(value) =
                HeaderValue::from_str(&format!("bytes {}-{}/{size}", range.start(), range.end()))
            {
                headers.insert(header::CONTENT_RANGE, value);
            }
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        }
        None => {
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(size));
        }
    }
    Ok(response)
}

/// A photo's thumbnail (a 320 px JPEG without EXIF), for whoever may see the photo; 404 until
/// it is made.
#[utoipa::path(get, path = "/attachments/{id}/thumbnail", tag = "attachments", params(("id" = i64, Path)),
    responses((status = 200, description = "A JPEG", content_type = "image/jpeg"), NotFound))]
async fn download_thumbnail(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let row = visible(&state, id, caller.audience()).await?;
    let key = row
        .thumbnail_key
        .ok_or_else(|| AppError::NotFound(format!("attachment {id} has no thumbnail (yet)")))?;
    let bytes = state
        .attachments
        .read_all(&key)
        .await
        .map_err(store_error)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "max-age=86400"),
        ],
        bytes,
    )
        .into_response())
}

/// Photos the layer answers at most; the newest first.
const MAX_LAYER_PHOTOS: i64 = 2000;

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PhotosQuery {
    /// minx,miny,maxx,maxy in `crs`
    bbox: String,
    /// the CRS of the bbox: EPSG:4326 (default), EPSG:4490, EPSG:4549, EPSG:4528 or gcj02
    crs: Option<String>,
}

/// The photos taken in a box, as GeoJSON points where their EXIF places them (staff only):
/// each links to what it is attached to, with its stage, time, distance and thumbnail.
#[utoipa::path(get, path = "/attachments/photos", tag = "attachments", params(PhotosQuery),
    responses((status = 200, description = "A FeatureCollection", body = Object), BadInput, NotLoggedIn),
    security(("session" = []), ("bearer" = [])))]
async fn photos_layer(
    Viewer(_user): Viewer,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<PhotosQuery>,
) -> Result<Json<serde_json::Value>, AppError> {
    let Some(crate::db::spatial::SpatialFilter::BBox {
        min_lon,
        min_lat,
        max_lon,
        max_lat,
    }) = parse_spatial(&state, None, None, Some(&query.bbox), query.crs.as_deref()).await?
    else {
        return Err(AppError::BadRequest("bbox is required".into()));
    };
    let mut conn = state.pool.acquire().await?;
    let photos = sql::photos_in(
        &mut conn,
        (min_lon, min_lat, max_lon, max_lat),
        MAX_LAYER_PHOTOS,
    )
    .await?;
    let warn = state.config.photo_distance_warn_m;
    let features: Vec<serde_json::Value> = photos
        .into_iter()
        .map(|p| {
            serde_json::json!({
                "type": "Feature",
                "id": p.id,
                "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                "properties": {
                    "title": p.title, "stage": p.stage, "parent_kind": p.parent_kind,
                    "parent_id": p.parent_id, "taken_at": p.taken_at,
                    "distance_m": p.distance_m.map(|d| (d * 10.0).round() / 10.0),
                    "far_from_parent": p.distance_m.is_some_and(|d| d > warn),
                    "url": format!("/api/attachments/{}", p.id),
                    "thumbnail_url": p.has_thumbnail.then(|| format!("/api/attachments/{}/thumbnail", p.id)),
                }
            })
        })
        .collect();
    Ok(Json(
        serde_json::json!({"type": "FeatureCollection", "features": features}),
    ))
}

fn store_error(e: object_store::Error) -> AppError {
    AppError::Internal(anyhow::anyhow!("the attachment store: {e}"))
}

/// Delete an attachment (admin): hidden everywhere at once, its bytes kept until a purge.
#[utoipa::path(delete, path = "/attachments/{id}", tag = "attachments", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted"), NotLoggedIn, Forbidden, NotFound),
    security(("session" = []), ("bearer" = [])))]
async fn delete_attachment(
    Admin(user): Admin,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    let mut tx = state.pool.begin().await?;
    if !sql::soft_delete(&mut tx, &user.actor(), id).await? {
        return Err(not_found(id));
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Purge a deleted attachment's bytes (admin): the row stays, marked purged, with the audit.
#[utoipa::path(post, path = "/attachments/{id}/purge", tag = "attachments", params(("id" = i64, Path)),
    responses((status = 204, description = "Purged"), NotLoggedIn, Forbidden, NotFound,
              (status = 409, description = "Not deleted, or purged already")),
    security(("session" = []), ("bearer" = [])))]
async fn purge_attachment(
    Admin(user): Admin,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    let mut tx = state.pool.begin().await?;
    let Some(keys) = sql::purge(&mut tx, &user.actor(), id).await? else {
        let exists = sql::get(&mut tx, id).await?.is_some();
        return Err(if exists {
            AppError::Conflict(format!(
                "attachment {id} is not deleted, or is purged already: delete it first"
            ))
        } else {
            not_found(id)
        });
    };
    tx.commit().await?;
    for key in keys {
        // bytes left behind by a failure here have no row: `attachments gc` collects them
        if let Err(e) = state.attachments.delete(&key).await {
            tracing::warn!(attachment = id, error = %e, "purged bytes not deleted");
        }
    }
    Ok(StatusCode::NO_CONTENT)
}
