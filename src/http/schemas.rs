//! Parameter schemas of the OpenAPI document, built from the same definitions the handlers
//! validate with (the kind, status, category and CRS names, the limits), so that what the document
//! says and what the server accepts cannot drift apart.

use crate::domain::choice::{Choice, Format, Lang};
use crate::domain::crs::InputCrs;
use crate::domain::project::CATEGORIES;
use crate::domain::site_kind::KIND_NAMES;
use crate::domain::status::{REMEDIATION_STATES, STATUS_NAMES};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{Object, RefOr, Schema};

fn one_of(names: &[&str]) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names.iter().copied()))
        .into()
}

/// A comma-separated list of names, as a pattern (`a` or `a,b` …).
fn list_of(names: &[&str]) -> RefOr<Schema> {
    let one = format!("({})", names.join("|"));
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^{one}(,{one})*$")))
        .into()
}

/// A whole number in a range, as the handlers check it.
pub fn whole(min: i64, max: i64) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(min as f64))
        .maximum(Some(max as f64))
        .build()
}

pub fn kinds() -> RefOr<Schema> {
    list_of(&KIND_NAMES)
}

pub fn statuses() -> RefOr<Schema> {
    list_of(&STATUS_NAMES)
}

pub fn remediation_states() -> RefOr<Schema> {
    list_of(&REMEDIATION_STATES)
}

pub fn categories() -> RefOr<Schema> {
    list_of(&CATEGORIES)
}

pub fn parameters() -> RefOr<Schema> {
    one_of(&crate::domain::monitoring::parameter::PARAMETER_CODES)
}

pub fn crs() -> RefOr<Schema> {
    let names: Vec<&str> = InputCrs::ALL.iter().map(|c| c.name()).collect();
    one_of(&names)
}

pub fn report_format() -> RefOr<Schema> {
    let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
    one_of(&names)
}

pub fn report_lang() -> RefOr<Schema> {
    let names: Vec<&str> = Lang::ALL.iter().map(|l| l.name()).collect();
    one_of(&names)
}

/// A date, as `YYYY-MM-DD`.
pub fn date() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Date,
        )))
        .into()
}

/// A sort key from the handler's list, with `-` for descending.
pub fn sort_of(fields: &[(&str, &str)]) -> RefOr<Schema> {
    let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^-?({})$", names.join("|"))))
        .into()
}

/// `offset`: from 0.
pub fn offset() -> Object {
    whole(0, crate::http::extract::MAX_OFFSET)
}

/// A location query's radius in metres.
pub fn radius() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Number)
        .minimum(Some(0.0))
        .maximum(Some(crate::http::extract::MAX_RADIUS_M))
        .build()
}

/// `limit` of the JSON lists.
pub fn limit_page() -> Object {
    whole(1, crate::http::extract::MAX_PAGE)
}

/// `limit` of whole layers and OGC items.
pub fn limit_features() -> Object {
    whole(1, crate::http::extract::MAX_FEATURES)
}

pub fn project_sorts() -> RefOr<Schema> {
    sort_of(&crate::db::projects::SORTS)
}

pub fn site_sorts() -> RefOr<Schema> {
    sort_of(&crate::db::sites::SORTS)
}

/// The CRSs OGC API - Features offers, by URI.
pub fn ogc_crs() -> RefOr<Schema> {
    let uris: Vec<&str> = crate::domain::crs::OFFERED.iter().map(|c| c.uri).collect();
    one_of(&uris)
}

pub fn filter_lang() -> RefOr<Schema> {
    one_of(&["cql2-text"])
}

/// One coordinate of a point (longitude, latitude, easting or northing, as `crs` says).
pub fn coordinate() -> Object {
    ObjectBuilder::new().schema_type(Type::Number).build()
}
