//! Evidence files: what they are attached to, their kind and stage, the allowlist of file types
//! (sniffed from the bytes, never taken from the name or the header), the facts a photo's EXIF
//! records (place, time, orientation), and the download name as RFC 6266 / 5987 write it.

use super::choice::choice;
use super::monitoring::china_time;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

choice!(
    /// What an attachment belongs to.
    ParentKind, "attachment parent", {
        Project => "project",
        Site => "site",
        Case => "case",
    }
);

choice!(
    /// What an attachment is.
    AttachmentKind, "attachment kind", {
        Photo => "photo",
        Document => "document",
        Drawing => "drawing",
        Other => "other",
    }
);

choice!(
    /// When in the works a photo or document was made (整治前/中/后).
    Stage, "stage", {
        Before => "before",
        During => "during",
        After => "after",
    }
);

/// Bytes enough to tell every allowed type (and the ZIP's local header) apart.
pub const SNIFF_BYTES: usize = 8192;

/// The file types accepted, by the media type stored for them.
pub const ACCEPTED: &[(&str, &str)] = &[
    ("image/jpeg", "JPEG"),
    ("image/png", "PNG"),
    ("image/webp", "WebP"),
    ("image/heif", "HEIC"),
    ("application/pdf", "PDF"),
    (DOCX, "DOCX"),
    (XLSX, "XLSX"),
    ("image/vnd.dwg", "DWG"),
    ("image/vnd.dxf", "DXF"),
    (ZIP, "ZIP of these"),
];

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const ZIP: &str = "application/zip";

/// What the first bytes of a file are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sniffed {
    /// an accepted type other than a plain ZIP
    Accepted(&'static str),
    /// a ZIP that is neither DOCX nor XLSX: accepted when every entry is an accepted type
    Zip,
    /// anything else, named as well as the bytes allow
    Refused(String),
}

/// The type of a file from its first bytes (at least [`SNIFF_BYTES`] of them when it is longer).
pub fn sniff(head: &[u8]) -> Sniffed {
    if is_dwg(head) {
        return Sniffed::Accepted("image/vnd.dwg");
    }
    if is_dxf(head) {
        return Sniffed::Accepted("image/vnd.dxf");
    }
    if looks_like_markup(head, b"<svg") {
        return Sniffed::Refused("image/svg+xml".into());
    }
    if looks_like_markup(head, b"<html") || looks_like_markup(head, b"<!doctype html") {
        return Sniffed::Refused("text/html".into());
    }
    let Some(found) = infer::get(head) else {
        return Sniffed::Refused(if std::str::from_utf8(head).is_ok() {
            "text/plain".into()
        } else {
            "an unrecognised binary type".into()
        });
    };
    let media = match found.mime_type() {
        // HEIC and the other HEIF images are stored under the one type
        "image/heic" | "image/heic-sequence" | "image/heif-sequence" => "image/heif",
        other => other,
    };
    if media == ZIP {
        return Sniffed::Zip;
    }
    match ACCEPTED.iter().find(|(accepted, _)| *accepted == media) {
        Some((accepted, _)) => Sniffed::Accepted(accepted),
        None => Sniffed::Refused(media.to_string()),
    }
}

/// The accepted types as a message lists them.
pub fn accepted_names() -> String {
    ACCEPTED
        .iter()
        .map(|(_, name)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// AutoCAD's DWG starts with its version, "AC1" and three digits (AC1015 … AC1032).
fn is_dwg(head: &[u8]) -> bool {
    head.len() >= 6 && head.starts_with(b"AC1") && head[3..6].iter().all(u8::is_ascii_digit)
}

/// A DXF, binary or ASCII (group code 0, then SECTION).
fn is_dxf(head: &[u8]) -> bool {
    if head.starts_with(b"AutoCAD Binary DXF\r\n\x1a\0") {
        return true;
    }
    let text = String::from_utf8_lossy(&head[..head.len().min(64)]);
    let mut lines = text.lines().map(str::trim);
    // a DXF may start with a 999 comment group
    let mut first = lines.next();
    if first == Some("999") {
        lines.next();
        first = lines.next();
    }
    first == Some("0") && lines.next() == Some("SECTION")
}

/// Whether text markup with this tag opens the file (after white space, an XML declaration or
/// comments), case-insensitively.
fn looks_like_markup(head: &[u8], tag: &[u8]) -> bool {
    let lower: Vec<u8> = head.iter().take(1024).map(u8::to_ascii_lowercase).collect();
    let start = lower
        .iter()
        .position(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF)
        .unwrap_or(lower.len());
    let rest = &lower[start..];
    rest.starts_with(tag)
        || ((rest.starts_with(b"<?xml") || rest.starts_with(b"<!--"))
            && rest.windows(tag.len()).any(|w| w == tag))
}

/// What a photo's EXIF says about where, when and how it was taken.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PhotoFacts {
    /// (longitude, latitude) in WGS84, as phones record it
    pub location: Option<(f64, f64)>,
    pub taken_at: Option<DateTime<Utc>>,
    /// EXIF orientation, 1-8
    pub orientation: Option<u16>,
}

/// Reads the EXIF of a JPEG, HEIF, PNG or WebP; a file without EXIF (or with unreadable EXIF)
/// has no facts. `head` holds the start of the file, which is where the EXIF of a photo is.
pub fn photo_facts(head: &[u8]) -> PhotoFacts {
    let Ok(exif) = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(head)) else {
        return PhotoFacts::default();
    };
    let field = |tag| exif.get_field(tag, exif::In::PRIMARY);
    let degrees = |value_tag, ref_tag, negative: &str| -> Option<f64> {
        let exif::Value::Rational(parts) = &field(value_tag)?.value else {
            return None;
        };
        let [d, m, s] = parts.get(..3)? else {
            return None;
        };
        let value = d.to_f64() + m.to_f64() / 60.0 + s.to_f64() / 3600.0;
        let reference = field(ref_tag)?.display_value().to_string();
        let value = if reference.trim_matches('"').eq_ignore_ascii_case(negative) {
            -value
        } else {
            value
        };
        value.is_finite().then_some(value)
    };
    let lat = degrees(exif::Tag::GPSLatitude, exif::Tag::GPSLatitudeRef, "S");
    let lon = degrees(exif::Tag::GPSLongitude, exif::Tag::GPSLongitudeRef, "W");
    let location = match (lon, lat) {
        (Some(lon), Some(lat))
            if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) =>
        {
            Some((lon, lat))
        }
        _ => None,
    };
    let ascii = |tag| -> Option<String> {
        match &field(tag)?.value {
            exif::Value::Ascii(parts) => parts
                .first()
                .map(|bytes| String::from_utf8_lossy(bytes).trim().to_string()),
            _ => None,
        }
    };
    let taken_at = ascii(exif::Tag::DateTimeOriginal)
        .or_else(|| ascii(exif::Tag::DateTime))
        .and_then(|text| {
            taken_time(
                &text,
                ascii(exif::Tag::OffsetTimeOriginal)
                    .or_else(|| ascii(exif::Tag::OffsetTime))
                    .as_deref(),
            )
        });
    let orientation = field(exif::Tag::Orientation)
        .and_then(|f| f.value.get_uint(0))
        .and_then(|o| u16::try_from(o).ok())
        .filter(|o| (1..=8).contains(o));
    PhotoFacts {
        location,
        taken_at,
        orientation,
    }
}

/// EXIF's "2025:06:03 09:30:00" with its offset ("+08:00"); a time without one is China time,
/// as the camera's clock was set where it was used.
fn taken_time(text: &str, offset: Option<&str>) -> Option<DateTime<Utc>> {
    let local = NaiveDateTime::parse_from_str(text, "%Y:%m:%d %H:%M:%S").ok()?;
    let zone = offset
        .and_then(|o| chrono::FixedOffset::from_str(o).ok())
        .unwrap_or_else(china_time);
    zone.from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

use std::str::FromStr;

/// A `Content-Disposition` value whose name survives in every client: an ASCII fallback, and the
/// UTF-8 name percent-encoded as RFC 5987 asks (`filename*=UTF-8''…`).
pub fn content_disposition(file_name: &str, inline: bool) -> String {
    let fallback: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(file_name, RFC5987_ESCAPED);
    format!(
        "{}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}",
        if inline { "inline" } else { "attachment" }
    )
}

/// Everything but RFC 5987's attr-char is escaped.
const RFC5987_ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_told_by_their_bytes() {
        assert_eq!(
            sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF\0"),
            Sniffed::Accepted("image/jpeg")
        );
        assert_eq!(sniff(b"%PDF-1.7\n"), Sniffed::Accepted("application/pdf"));
        assert_eq!(sniff(b"AC1027\0\0\0"), Sniffed::Accepted("image/vnd.dwg"));
        assert_eq!(
            sniff(b"  0\r\nSECTION\r\n  2\r\nHEADER\r\n"),
            Sniffed::Accepted("image/vnd.dxf")
        );
        let mut elf = b"\x7FELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3E\0".to_vec();
        elf.resize(64, 0);
        assert_eq!(
            sniff(&elf),
            Sniffed::Refused("application/x-executable".into())
        );
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>"),
            Sniffed::Refused("image/svg+xml".into())
        );
        assert_eq!(
            sniff(b"\n<!DOCTYPE html><html>"),
            Sniffed::Refused("text/html".into())
        );
        assert_eq!(sniff(b"PK\x03\x04\x14\0\0\0"), Sniffed::Zip);
    }

    #[test]
    fn exif_times_without_an_offset_are_china_time() {
        assert_eq!(
            taken_time("2025:06:03 09:30:00", None).map(|t| t.to_rfc3339()),
            Some("2025-06-03T01:30:00+00:00".into())
        );
        assert_eq!(
            taken_time("2025:06:03 09:30:00", Some("+02:00")).map(|t| t.to_rfc3339()),
            Some("2025-06-03T07:30:00+00:00".into())
        );
        assert_eq!(taken_time("2025-06-03", None), None);
    }

    #[test]
    fn chinese_file_names_survive_the_header() {
        assert_eq!(
            content_disposition("整治前 照片.jpg", false),
            "attachment; filename=\"___ __.jpg\"; filename*=UTF-8''%E6%95%B4%E6%B2%BB%E5%89%8D%20%E7%85%A7%E7%89%87.jpg"
        );
        assert_eq!(
            content_disposition("a\"b.pdf", true),
            "inline; filename=\"a_b.pdf\"; filename*=UTF-8''a%22b.pdf"
        );
    }
}
