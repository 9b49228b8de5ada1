//! Bounds on the text clients send: every string a request carries has a limit in characters,
//! checked while the request is parsed, before anything is hashed, looked up or written. Also the
//! neutralising of text that spreadsheets would read as a formula.

use serde::{Deserialize, Deserializer};
use std::fmt;

/// Usernames: the database's own format allows 2 to 64 characters.
pub const USERNAME_MAX: usize = 64;
/// Passwords are hashed as given; far beyond any passphrase, well below a cost for argon2.
pub const PASSWORD_MAX: usize = 1024;
/// What an API token is for.
pub const TOKEN_NAME_MAX: usize = 200;
/// Notes and reasons of history events.
pub const NOTE_MAX: usize = 2000;
/// Codes of projects, sites, programmes, towns and report sections.
pub const CODE_MAX: usize = 64;
/// A free-text search (`q`).
pub const SEARCH_MAX: usize = 200;
/// Any one query parameter; a CQL2 filter may be longer (see `FILTER_MAX`).
pub const QUERY_VALUE_MAX: usize = 4096;
/// A CQL2 text filter.
pub const FILTER_MAX: usize = 16_384;
/// A text attribute of a site.
pub const ATTRIBUTE_TEXT_MAX: usize = 2000;

/// A record's code as given: trimmed, 1 to [`CODE_MAX`] characters; the message says so.
pub fn checked_code(code: &str) -> Result<String, String> {
    let code = code.trim();
    if code.is_empty() || code.chars().count() > CODE_MAX {
        Err(format!("code must have 1 to {CODE_MAX} characters"))
    } else {
        Ok(code.to_string())
    }
}

/// A value longer than its field allows; the message names the field and the limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} must be at most {max} characters (got {got})")]
pub struct TooLong {
    pub field: String,
    pub max: usize,
    pub got: usize,
}

/// Checks `value` against `max` characters.
pub fn check_length(field: &str, value: &str, max: usize) -> Result<(), TooLong> {
    // counting stops past the limit, so a huge value costs no more than a long one
    let got = value.chars().take(max + 1).count();
    if got > max {
        return Err(TooLong {
            field: field.to_string(),
            max,
            got: value.chars().count(),
        });
    }
    Ok(())
}

/// A string of at most `MAX` characters; longer input fails deserialisation with a message that
/// names the limit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bounded<const MAX: usize>(pub String);

impl<const MAX: usize> Bounded<MAX> {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<const MAX: usize> fmt::Display for Bounded<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de, const MAX: usize> Deserialize<'de> for Bounded<MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let got = text.chars().take(MAX + 1).count();
        if got > MAX {
            return Err(serde::de::Error::custom(format!(
                "must be at most {MAX} characters (got {})",
                text.chars().count()
            )));
        }
        Ok(Bounded(text))
    }
}

/// A cell as a spreadsheet should show it: text that Excel or LibreOffice would take for a
/// formula (a leading `=`, `+`, `-`, `@`, tab or carriage return) gets a leading apostrophe;
/// a number (such as -3.5) stays a number.
pub fn spreadsheet_text(text: &str) -> std::borrow::Cow<'_, str> {
    let number = text.parse::<f64>().is_ok_and(f64::is_finite);
    if !number && text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// A bounded, escaped prefix of text a client chose, for logs: an attacker's 8 KB username must
/// not fill the log, nor forge lines in it.
pub fn loggable(text: &str) -> String {
    const SHOWN: usize = 32;
    let mut shown: String = text
        .chars()
        .take(SHOWN)
        .collect::<String>()
        .escape_debug()
        .to_string();
    if text.chars().nth(SHOWN).is_some() {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_text_names_its_limit() {
        let ok: Bounded<3> = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(ok.as_str(), "abc");
        let err = serde_json::from_str::<Bounded<3>>("\"abcd\"").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("must be at most 3 characters (got 4)"),
            "{err}"
        );
        // characters, not bytes
        assert!(serde_json::from_str::<Bounded<2>>("\"水体\"").is_ok());
        assert_eq!(
            check_length("q", &"x".repeat(201), SEARCH_MAX),
            Err(TooLong {
                field: "q".into(),
                max: 200,
                got: 201
            })
        );
    }

    #[test]
    fn formulas_are_neutralised_and_other_text_kept() {
        assert_eq!(
            spreadsheet_text("=HYPERLINK(\"http://x\",\"y\")"),
            "'=HYPERLINK(\"http://x\",\"y\")"
        );
        for risky in ["+1+2", "-1-cmd", "@SUM(A1)", "\tx", "\rx", "=1"] {
            assert!(spreadsheet_text(risky).starts_with('\''), "{risky}");
        }
        assert_eq!(spreadsheet_text("-3.5"), "-3.5");
        assert_eq!(spreadsheet_text("+12"), "+12");
        assert_eq!(spreadsheet_text("新闸大周村中河"), "新闸大周村中河");
    }

    #[test]
    fn log_text_is_bounded_and_escaped() {
        assert_eq!(loggable("li\nroot"), "li\\nroot");
        let long = loggable(&"a".repeat(8192));
        assert_eq!(long, format!("{}…", "a".repeat(32)));
    }
}
