//! Times as clients write them: an RFC 3339 instant, or a date meaning its midnight UTC. One parser
//! for every time parameter (`updated_since`, the audit's `since`/`until`, OGC `datetime`).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

/// An instant from RFC 3339 text or a date (`2025-06-30`, midnight UTC); `None` when it is
/// neither.
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .map(|d| d.and_time(NaiveTime::MIN).and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_and_dates() {
        assert_eq!(
            parse_instant("2025-06-30T08:00:00+08:00").map(|t| t.to_rfc3339()),
            Some("2025-06-30T00:00:00+00:00".into())
        );
        assert_eq!(
            parse_instant("2025-06-30").map(|t| t.to_rfc3339()),
            Some("2025-06-30T00:00:00+00:00".into())
        );
        assert_eq!(parse_instant("30/06/2025"), None);
    }
}
