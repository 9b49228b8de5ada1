//! The one write path for sites, shared by `/api/sites` and OGC API - Features Part 4: the
//! properties and geometry are validated like an import row, the version the writer read is
//! checked under a row lock, and the change and its history event go into the caller's
//! transaction together. A write that changes nothing records nothing.

use crate::db::events::{self, Actor};
use crate::db::sites::{self, Site};
use crate::domain::import::{ImportTarget, to_row};
use crate::domain::{InputCrs, SiteKind};
use crate::error::AppError;
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

/// How the properties of an edit apply to the stored ones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PropertyMode {
    /// JSON merge patch: named properties change, `null` removes one, the rest stay.
    Merge,
    /// The given properties are the whole new set (the code must stay as it is).
    Replace,
}

pub struct SiteChange {
    pub properties: Map<String, Value>,
    /// `None` keeps the stored geometry
    pub geometry: Option<Value>,
    /// the CRS of `geometry`, x (longitude or easting) first
    pub crs: InputCrs,
    pub mode: PropertyMode,
    pub note: Option<String>,
}

pub fn not_found(id: i64) -> AppError {
    AppError::NotFound(format!("there is no site {id}"))
}

/// Refuses a geometry PostGIS finds invalid or one outside the longitude/latitude range.
pub async fn check_geometry(
    conn: &mut PgConnection,
    wkb: &[u8],
    srid: i32,
) -> Result<(), AppError> {
    let reason = sites::geometry_problem(conn, wkb, srid).await?;
    match reason {
        Some(reason) => Err(AppError::BadRequest(reason)),
        None => Ok(()),
    }
}

/// A site's fields as its history records them: the properties (kind attributes included)
/// and the geometry.
fn recorded_fields(site: &Site) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("kind".into(), json!(site.kind));
    fields.insert("code".into(), json!(site.code));
    fields.insert("name".into(), json!(site.name));
    fields.insert("name_en".into(), json!(site.name_en));
    fields.insert("town_code".into(), json!(site.town_code));
    fields.insert("placeholder".into(), json!(site.placeholder));
    if let Some(radius) = site.radius_m {
        fields.insert("radius_m".into(), json!(radius));
    }
    if let Value::Object(attrs) = &site.attrs.0 {
        for (key, value) in attrs {
            fields.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    fields.insert("geometry".into(), site.geometry_value());
    fields
}

/// {"field": {"before": …, "after": …}} for every field that differs.
fn field_changes(before: &Map<String, Value>, after: &Map<String, Value>) -> Value {
    let mut changes = Map::new();
    for key in before.keys().chain(after.keys()) {
        let (old, new) = (before.get(key), after.get(key));
        if old != new && !changes.contains_key(key) {
            changes.insert(
                key.clone(),
                json!({ "before": old.cloned().unwrap_or(Value::Null), "after": new.cloned().unwrap_or(Value::Null) }),
            );
        }
    }
    Value::Object(changes)
}

pub async fn create(
    tx: &mut PgConnection,
    actor: &Actor,
    kind: SiteKind,
    properties: Map<String, Value>,
    geometry: Value,
    crs: InputCrs,
) -> Result<Site, AppError> {
    let feature = json!({ "type": "Feature", "properties": properties, "geometry": geometry });
    let row = to_row(0, feature, ImportTarget::Site(kind), crs)?;
    let srid = crs.postgis_srid().unwrap_or(4326);
    check_geometry(tx, &row.wkb, srid).await?;
    let id = sites::create(tx, kind.as_str(), &row, srid).await?;
    let site = sites::get(tx, id).await?.ok_or_else(|| not_found(id))?;
    let changes = field_changes(&Map::new(), &recorded_fields(&site));
    events::insert_site_event(tx, actor, id, "created", changes, None).await?;
    Ok(site)
}

/// Locks the site and checks it is of `kind` (when given) and still at `expected` (when given).
async fn lock_current(
    tx: &mut PgConnection,
    id: i64,
    kind: Option<SiteKind>,
    expected: Option<i32>,
) -> Result<Site, AppError> {
    let Some((version, stored_kind)) = sites::lock(tx, id).await? else {
        return Err(not_found(id));
    };
    if kind.is_some_and(|k| k.as_str() != stored_kind) {
        return Err(not_found(id));
    }
    let current = sites::get(tx, id).await?.ok_or_else(|| not_found(id))?;
    if let Some(expected) = expected.filter(|e| *e != version) {
        return Err(AppError::Stale {
            message: format!(
                "site {id} was changed by someone else since you read it (you read version {expected}, it is now at version {version}); nothing was changed"
            ),
            current: serde_json::to_value(&current).unwrap_or(Value::Null),
        });
    }
    Ok(current)
}

/// Edits a site. `expected` is the version the writer read; `None` edits the current version.
pub async fn edit(
    tx: &mut PgConnection,
    actor: &Actor,
    id: i64,
    kind: Option<SiteKind>,
    expected: Option<i32>,
    change: SiteChange,
) -> Result<Site, AppError> {
    let current = lock_current(tx, id, kind, expected).await?;
    let kind: SiteKind = current.kind.parse()?;
    if let Some(code) = change.properties.get("code")
        && code.as_str() != Some(current.code.as_str())
    {
        return Err(AppError::BadRequest("a site's code cannot change".into()));
    }
    let mut props = Map::new();
    if change.mode == PropertyMode::Merge {
        props = current.attrs.0.as_object().cloned().unwrap_or_default();
        props.insert("name".into(), json!(current.name));
        props.insert("name_en".into(), json!(current.name_en));
        props.insert("placeholder".into(), json!(current.placeholder));
        if kind == SiteKind::KeyZone {
            props.insert("radius_m".into(), json!(current.radius_m));
        }
    }
    props.insert("code".into(), json!(current.code));
    for (key, value) in change.properties {
        if value.is_null() && !["name_en", "town_code"].contains(&key.as_str()) {
            props.remove(&key);
        } else {
            props.insert(key, value);
        }
    }
    let (geometry, geometry_crs) = match change.geometry {
        Some(g) => (g, change.crs),
        None => (current.geometry_value(), InputCrs::Wgs84),
    };
    let feature = json!({ "type": "Feature", "properties": props, "geometry": geometry });
    let row = to_row(0, feature, ImportTarget::Site(kind), geometry_crs)?;
    let srid = geometry_crs.postgis_srid().unwrap_or(4326);
    check_geometry(tx, &row.wkb, srid).await?;
    let new_geometry = (geometry_crs != InputCrs::Wgs84 || current.geometry_value() != geometry)
        .then_some((row.wkb.as_slice(), srid));
    if !sites::replace(tx, id, &row, new_geometry).await? {
        return Ok(current);
    }
    let site = sites::get(tx, id).await?.ok_or_else(|| not_found(id))?;
    let changes = field_changes(&recorded_fields(&current), &recorded_fields(&site));
    events::insert_site_event(tx, actor, id, "edited", changes, change.note.as_deref()).await?;
    Ok(site)
}

/// Deletes a site that no project is linked to; its history stays.
pub async fn delete(
    tx: &mut PgConnection,
    actor: &Actor,
    id: i64,
    kind: Option<SiteKind>,
    expected: Option<i32>,
) -> Result<(), AppError> {
    let current = lock_current(tx, id, kind, expected).await?;
    let linked = sites::linked_projects(tx, id).await?;
    if !linked.is_empty() {
        return Err(AppError::Conflict(format!(
            "site {id} ({}) is linked to project(s) {}; unlink it from them first; nothing was deleted",
            current.code,
            linked.join(", ")
        )));
    }
    sites::delete(tx, id).await?;
    let changes = field_changes(&recorded_fields(&current), &Map::new());
    events::insert_site_event(tx, actor, id, "deleted", changes, None).await?;
    Ok(())
}
