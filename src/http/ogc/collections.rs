//! The collections (one per site kind, plus admin_area, projects and, for staff, cases), their
//! extents and the queryables their items can be filtered on.

use super::link;
use crate::db::cql2_sql::{LINKED_COLUMNS, SITE_COLUMNS};
use crate::db::{ogc, tiles};
use crate::domain::casework::{CaseKind, CaseStatus};
use crate::domain::choice::Choice;
use crate::domain::crs::{CRS84, OFFERED};
use crate::domain::site_kind::{AttrType, KIND_NAMES};
use crate::domain::status::STATUS_NAMES;
use crate::domain::{Audience, SiteKind};
use crate::error::AppError;
use crate::http::AppState;
use crate::http::access::Caller;
use crate::http::guard::BaseUrl;
use crate::http::problems::NotFound;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// A collection: the sites of one kind, the administrative areas, or the projects.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Collection {
    Sites(SiteKind),
    AdminAreas,
    Projects,
    /// the casework ledgers; staff only, so anonymous readers do not learn it exists
    Cases,
}

impl Collection {
    fn all(audience: Audience) -> impl Iterator<Item = Collection> {
        let cases = (audience == Audience::Staff).then_some(Collection::Cases);
        SiteKind::ALL
            .into_iter()
            .map(Collection::Sites)
            .chain([Collection::AdminAreas, Collection::Projects])
            .chain(cases)
    }

    pub fn id(self) -> &'static str {
        match self {
            Collection::Sites(kind) => kind.as_str(),
            Collection::AdminAreas => "admin_area",
            Collection::Projects => "projects",
            Collection::Cases => "cases",
        }
    }
}

/// The collection of an id, among those `audience` may see.
pub fn collection_of(id: &str, audience: Audience) -> Result<Collection, AppError> {
    Collection::all(audience)
        .find(|c| c.id() == id)
        .ok_or_else(|| {
            let ids: Vec<&str> = Collection::all(audience).map(Collection::id).collect();
            AppError::NotFound(format!(
                "no collection {id:?} (collections: {})",
                ids.join(", ")
            ))
        })
}

async fn describe(state: &AppState, base: &str, collection: Collection) -> Result<Value, AppError> {
    let bbox = match collection {
        Collection::Sites(kind) => tiles::extent(&state.pool, &[kind.as_str()]).await?,
        Collection::Projects => tiles::extent(&state.pool, &KIND_NAMES).await?,
        Collection::AdminAreas => ogc::admin_extent(&state.pool).await?,
        Collection::Cases => ogc::case_extent(&state.pool).await?,
    };
    let id = collection.id();
    let downloads = !matches!(collection, Collection::Cases);
    let mut collection = json!({
        "id": id,
        "title": id,
        "itemType": "feature",
        "crs": OFFERED.iter().map(|c| c.uri).collect::<Vec<_>>(),
        "storageCrs": CRS84,
        "links": [
            link(format!("{base}/ogc/collections/{id}"), "self", "application/json", "this collection"),
            link(format!("{base}/ogc/collections/{id}/items"), "items", "application/geo+json", "the features"),
            link(format!("{base}/ogc/collections/{id}/queryables"), "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json", "the attribute filters"),
        ],
    });
    if downloads && let Some(links) = collection["links"].as_array_mut() {
        for (f, media_type, title) in [
            (
                "gpkg",
                "application/geopackage+sqlite3",
                "the whole collection as a GeoPackage",
            ),
            (
                "fgb",
                "application/flatgeobuf",
                "the whole collection as FlatGeobuf",
            ),
        ] {
            links.push(link(
                format!("{base}/ogc/collections/{id}/items?f={f}"),
                "enclosure",
                media_type,
                title,
            ));
        }
    }
    if let Some(b) = bbox {
        collection["extent"] = json!({ "spatial": { "bbox": [b], "crs": CRS84 } });
    }
    Ok(collection)
}

#[utoipa::path(get, path = "/ogc/collections", tag = "ogc", responses((status = 200, description = "one collection per site kind, plus admin_area, projects and (for staff) cases", body = Object)))]
pub async fn collections(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
) -> Result<axum::Json<Value>, AppError> {
    let mut all = Vec::new();
    for collection in Collection::all(caller.audience()) {
        all.push(describe(&state, &base, collection).await?);
    }
    Ok(axum::Json(json!({
        "links": [link(format!("{base}/ogc/collections"), "self", "application/json", "the collections")],
        "collections": all,
    })))
}

#[utoipa::path(get, path = "/ogc/collections/{id}", tag = "ogc", params(("id" = String, Path, description = "collection id")), responses((status = 200, description = "extent, CRSs and links of the collection", body = Object), NotFound))]
pub async fn collection(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    BaseUrl(base): BaseUrl,
) -> Result<axum::Json<Value>, AppError> {
    let collection = collection_of(&id, caller.audience())?;
    Ok(axum::Json(describe(&state, &base, collection).await?))
}

/// What a collection's items can be filtered on: for sites, everything CQL2 filters accept
/// (columns, linked-project properties, the kind's attributes, the geometry); for the other
/// collections, the attribute parameters of `items`.
pub fn queryable_properties(collection: Collection, audience: Audience) -> Value {
    let linked = |name: &str| match name {
        "status" => {
            json!({ "type": "string", "enum": STATUS_NAMES, "description": "status of a linked project" })
        }
        "programme" => {
            json!({ "type": "string", "description": "programme code of a linked project" })
        }
        _ => json!({ "type": "string", "description": "category of a linked project" }),
    };
    match collection {
        Collection::AdminAreas => {
            json!({ "town": { "type": "string", "description": "the area's code" } })
        }
        Collection::Projects => json!({
            "status": { "type": "string", "enum": STATUS_NAMES, "description": "the project's status" },
            "town": { "type": "string", "description": "code of the street/town (admin_area)" },
            "programme": { "type": "string", "description": "programme code" },
        }),
        Collection::Cases => json!({
            "status": { "type": "string", "enum": case_names::<CaseStatus>(), "description": "the case's status" },
            "kind": { "type": "string", "enum": case_names::<CaseKind>(), "description": "the ledger" },
            "town": { "type": "string", "description": "code of the street/town (admin_area)" },
        }),
        Collection::Sites(kind) => {
            let mut properties = Map::new();
            for (name, _, ty) in SITE_COLUMNS {
                properties.insert(name.into(), ty.schema());
            }
            if kind == SiteKind::KeyZone {
                properties.insert("radius_m".into(), json!({ "type": "number" }));
            }
            for (name, _) in LINKED_COLUMNS {
                properties.insert(name.into(), linked(name));
            }
            for spec in kind.visible_attributes(audience) {
                properties.insert(spec.name.into(), attribute_schema(spec.ty));
            }
            properties.insert(
                "geometry".into(),
                json!({ "format": "geometry-any", "x-ogc-role": "primary-geometry" }),
            );
            Value::Object(properties)
        }
    }
}

fn case_names<T: Choice>() -> Vec<&'static str> {
    T::ALL.iter().map(|c| c.name()).collect()
}

fn attribute_schema(ty: AttrType) -> Value {
    match ty {
        AttrType::Text | AttrType::TextList => json!({ "type": "string" }),
        AttrType::Bool => json!({ "type": "boolean" }),
        AttrType::PositiveNumber => json!({ "type": "number" }),
        AttrType::Enum(values) | AttrType::EnumList(values) => {
            json!({ "type": "string", "enum": values })
        }
        AttrType::IntEnum(values) => json!({ "type": "integer", "enum": values }),
    }
}

/// The attribute filters items accept, as a JSON Schema.
#[utoipa::path(get, path = "/ogc/collections/{id}/queryables", tag = "ogc", params(("id" = String, Path, description = "collection id")), responses((status = 200, description = "what filters can name, as JSON Schema", body = Object, content_type = "application/schema+json"), NotFound))]
pub async fn queryables(
    caller: Caller,
    Path(id): Path<String>,
    BaseUrl(base): BaseUrl,
) -> Result<Response, AppError> {
    let collection = collection_of(&id, caller.audience())?;
    let body = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("{base}/ogc/collections/{id}/queryables"),
        "type": "object",
        "title": id,
        "properties": queryable_properties(collection, caller.audience()),
        "additionalProperties": false,
    });
    Ok((
        [(header::CONTENT_TYPE, "application/schema+json")],
        axum::Json(body),
    )
        .into_response())
}
