//! The named choices users make on the command line and in query strings: the report's language
//! and format, and the format of a layer export. Each is parsed here, with the known names in the
//! error, so the CLI and the API accept the same words and say the same when they do not. The
//! `choice!` macro makes any closed vocabulary (the casework's kinds and statuses, say) such a
//! choice, with serde and the OpenAPI schema using the same words.

/// A word that is not one of a choice's names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {given:?} (known: {})", known.join(", "))]
pub struct UnknownChoice {
    pub what: &'static str,
    pub given: String,
    pub known: Vec<&'static str>,
}

/// An enum whose variants have one name each.
pub trait Choice: Sized + Copy + 'static {
    /// what the choice is, for messages ("format", "lang")
    const WHAT: &'static str;
    const ALL: &'static [Self];
    fn name(self) -> &'static str;

    /// The variant of a name, case-insensitively.
    fn parse(text: &str) -> Result<Self, UnknownChoice> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.name().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| UnknownChoice {
                what: Self::WHAT,
                given: text.to_string(),
                known: Self::ALL.iter().map(|c| c.name()).collect(),
            })
    }
}

macro_rules! choice {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($(#[$vmeta:meta])* $variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        // serde and the OpenAPI schema use the same words as the parser
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $word)] $variant),+
        }

        impl $crate::domain::choice::Choice for $name {
            const WHAT: &'static str = $what;
            const ALL: &'static [Self] = &[$($name::$variant),+];
            fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::domain::choice::Choice::name(*self))
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::domain::choice::UnknownChoice;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$name as $crate::domain::choice::Choice>::parse(s)
            }
        }
    };
}
pub(crate) use choice;

choice!(
    /// The language of the report's words.
    Lang, "lang", { Zh => "zh", En => "en" }
);

impl Lang {
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

choice!(
    /// The report's file formats.
    Format, "format", { Md => "md", Html => "html", Csv => "csv", Xlsx => "xlsx", Json => "json" }
);

impl Format {
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Md => "text/markdown; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Json => "application/json",
        }
    }

    pub fn extension(self) -> &'static str {
        self.name()
    }
}

choice!(
    /// The formats a layer exports to.
    ExportFormat, "export format", {
        Geojson => "geojson", Csv => "csv", Xlsx => "xlsx", Gpkg => "gpkg", Shp => "shp",
        Kml => "kml", Fgb => "fgb"
    }
);

impl ExportFormat {
    pub fn media_type(self) -> &'static str {
        match self {
            ExportFormat::Geojson => "application/geo+json",
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => Format::Xlsx.media_type(),
            ExportFormat::Gpkg => "application/geopackage+sqlite3",
            ExportFormat::Shp => "application/zip",
            ExportFormat::Kml => "application/vnd.google-earth.kml+xml",
            ExportFormat::Fgb => "application/flatgeobuf",
        }
    }

    /// The download's extension: a Shapefile comes zipped with its siblings.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Shp => "zip",
            other => other.name(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_parse_their_names_and_list_them_when_not() {
        assert_eq!("XLSX".parse(), Ok(Format::Xlsx));
        assert_eq!("en".parse(), Ok(Lang::En));
        assert_eq!(
            "pdf".parse::<Format>().unwrap_err().to_string(),
            "unknown format \"pdf\" (known: md, html, csv, xlsx, json)"
        );
        assert_eq!(ExportFormat::Geojson.to_string(), "geojson");
    }
}
