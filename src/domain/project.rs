//! Project fields as clients send them: the editable fields, their types and limits, parsed from
//! JSON into typed values before any SQL runs, so a bad value is a 400 that names the field.

use chrono::NaiveDate;
use serde_json::{Map, Value};

/// The categories of work (DESIGN.md §3).
pub const CATEGORIES: [&str; 5] = ["air", "water", "soil", "ecology", "safety"];

/// How a field's JSON value is checked and how it is cast in SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// non-empty text up to the given number of characters
    RequiredText(usize),
    /// text up to the given number of characters, or null
    Text(usize),
    Category,
    /// a programme code, or null
    Programme,
    /// an admin area code, or null
    Town,
    Date,
    /// 0..=100
    Progress,
    /// a non-negative amount in 万元, or null
    Amount,
    /// a JSON object
    Attrs,
}

impl FieldType {
    /// The SQL cast applied to the bound text value.
    pub fn sql_type(self) -> &'static str {
        match self {
            FieldType::Date => "date",
            FieldType::Progress => "smallint",
            FieldType::Amount => "numeric",
            FieldType::Attrs => "jsonb",
            _ => "text",
        }
    }
}

/// Fields a PATCH may change. Status changes go through transitions, progress through its own
/// route as well as here; code, version and timestamps never change by PATCH.
pub const EDITABLE: [(&str, FieldType); 16] = [
    ("name", FieldType::RequiredText(300)),
    ("name_en", FieldType::Text(300)),
    ("category", FieldType::Category),
    ("programme", FieldType::Programme),
    ("stage", FieldType::Text(100)),
    ("progress", FieldType::Progress),
    ("responsible_unit", FieldType::Text(300)),
    ("town_code", FieldType::Town),
    ("funding_source", FieldType::Text(300)),
    ("funding_amount", FieldType::Amount),
    ("planned_start", FieldType::Date),
    ("planned_end", FieldType::Date),
    ("actual_start", FieldType::Date),
    ("actual_end", FieldType::Date),
    ("description", FieldType::Text(10_000)),
    ("attrs", FieldType::Attrs),
];

/// One parsed field value, in its canonical JSON form (what history records as before/after)
/// and as the text bound to SQL.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldValue {
    pub field: &'static str,
    pub ty: FieldType,
    pub json: Value,
}

impl FieldValue {
    pub fn sql_text(&self) -> Option<String> {
        match &self.json {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }
}

/// One problem with a project field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldProblem {
    #[error("field {field} cannot be edited{hint}")]
    NotEditable { field: String, hint: &'static str },
    #[error("{field}: {why}")]
    Invalid {
        field: &'static str,
        why: InvalidValue,
    },
}

/// Every problem of a body, in order; shown joined by "; ".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct FieldProblems(pub Vec<FieldProblem>);

/// Why a value does not fit its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidValue {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {0} characters")]
    TooLong(usize),
    #[error("must be text")]
    NotText,
    #[error("must be text or null")]
    NotTextOrNull,
    #[error("must be one of {}", CATEGORIES.join(", "))]
    NotCategory,
    #[error("must be a date like 2025-06-30")]
    BadDate,
    #[error("must be a date like 2025-06-30, or null")]
    NotDate,
    #[error("must be a whole number from 0 to 100")]
    NotProgress,
    #[error("must be a non-negative number (万元), or null")]
    NotAmount,
    #[error("must be a JSON object")]
    NotObject,
}

/// Parses the fields of a PATCH body; every problem is reported, not just the first.
pub fn parse_edit(
    body: &Map<String, Value>,
    ignore: &[&str],
) -> Result<Vec<FieldValue>, FieldProblems> {
    let mut values = Vec::new();
    let mut problems = Vec::new();
    // in the order of the field names, whatever order the map keeps
    let mut keys: Vec<&String> = body.keys().collect();
    keys.sort();
    for key in keys {
        let value = &body[key.as_str()];
        if ignore.contains(&key.as_str()) {
            continue;
        }
        let Some((field, ty)) = EDITABLE.iter().find(|(f, _)| f == key) else {
            let hint = match key.as_str() {
                "status" | "status_reason" => {
                    " (change the status with POST /api/projects/{id}/transitions)"
                }
                "code" | "id" | "created_at" | "updated_at" => " (it cannot be changed)",
                _ => "",
            };
            problems.push(FieldProblem::NotEditable {
                field: key.clone(),
                hint,
            });
            continue;
        };
        match parse_field(*ty, value) {
            Ok(json) => values.push(FieldValue {
                field,
                ty: *ty,
                json,
            }),
            Err(why) => problems.push(FieldProblem::Invalid { field, why }),
        }
    }
    if problems.is_empty() {
        Ok(values)
    } else {
        Err(FieldProblems(problems))
    }
}

pub fn parse_field(ty: FieldType, value: &Value) -> Result<Value, InvalidValue> {
    let text = |max: usize, required: bool| -> Result<Value, InvalidValue> {
        match value {
            Value::Null if !required => Ok(Value::Null),
            Value::String(s) => {
                let trimmed = s.trim();
                if trimmed.is_empty() {
                    if required {
                        Err(InvalidValue::Empty)
                    } else {
                        Ok(Value::Null)
                    }
                } else if trimmed.chars().count() > max {
                    Err(InvalidValue::TooLong(max))
                } else {
                    Ok(Value::String(trimmed.to_string()))
                }
            }
            _ if required => Err(InvalidValue::NotText),
            _ => Err(InvalidValue::NotTextOrNull),
        }
    };
    match ty {
        FieldType::RequiredText(max) => text(max, true),
        FieldType::Text(max) => text(max, false),
        FieldType::Programme | FieldType::Town => text(64, false),
        FieldType::Category => match value.as_str() {
            Some(c) if CATEGORIES.contains(&c) => Ok(value.clone()),
            _ => Err(InvalidValue::NotCategory),
        },
        FieldType::Date => match value {
            Value::Null => Ok(Value::Null),
            Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|d| Value::String(d.to_string()))
                .map_err(|_| InvalidValue::BadDate),
            _ => Err(InvalidValue::NotDate),
        },
        FieldType::Progress => match value.as_i64() {
            Some(p) if (0..=100).contains(&p) => Ok(Value::from(p)),
            _ => Err(InvalidValue::NotProgress),
        },
        FieldType::Amount => match value {
            Value::Null => Ok(Value::Null),
            _ => match value.as_f64() {
                Some(a) if a.is_finite() && (0.0..1e12).contains(&a) => Ok(value.clone()),
                _ => Err(InvalidValue::NotAmount),
            },
        },
        FieldType::Attrs => match value {
            Value::Object(_) => Ok(value.clone()),
            _ => Err(InvalidValue::NotObject),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn parses_and_normalises_fields() {
        let values = parse_edit(&map(json!({"name": "  毛龙河清水工程 ", "progress": 40, "planned_end": null, "version": 3})), &["version"]).unwrap();
        let got: Vec<(&str, Value)> = values.into_iter().map(|v| (v.field, v.json)).collect();
        assert_eq!(
            got,
            vec![
                ("name", json!("毛龙河清水工程")),
                ("planned_end", Value::Null),
                ("progress", json!(40))
            ]
        );
    }

    #[test]
    fn reports_every_bad_field() {
        let problems: Vec<String> = parse_edit(&map(json!({"name": "", "progress": 120, "status": "accepted", "planned_start": "30/06/2025", "colour": 1})), &[])
        .unwrap_err()
        .0
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            problems,
            vec![
                "field colour cannot be edited".to_string(),
                "name: must not be empty".to_string(),
                "planned_start: must be a date like 2025-06-30".to_string(),
                "progress: must be a whole number from 0 to 100".to_string(),
                "field status cannot be edited (change the status with POST /api/projects/{id}/transitions)".to_string(),
            ]
        );
    }
}
