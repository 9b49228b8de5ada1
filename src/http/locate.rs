//! Location queries: "what is here" at a point, everything intersecting a drawn polygon, and
//! the clear-out state (归零) of a key zone. Input coordinates may come in any accepted CRS.

use super::AppState;
use super::access::Caller;
use super::extract::{
    ApiQuery, MAX_BBOX_SQUARE_DEGREES, parse_crs, parse_number, parse_radius, to_wgs84,
};
use crate::db::cases::{self, CaseFilter};
use crate::db::locate::{self, Clearance, Located};
use crate::db::projects::{self, Project, ProjectFilter};
use crate::db::sites::{self, Site, SiteFilter};
use crate::db::spatial::{self, SpatialFilter};
use crate::domain::InputCrs;
use crate::domain::casework::{CaseReader, CaseStatus};
use crate::domain::choice::Choice;
use crate::domain::geometry::search_area_wkb;
use crate::error::AppError;
use crate::http::problems::{BadInput, NotFound};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use sqlx::Postgres;
use sqlx::pool::PoolConnection;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(locate_point))
        .routes(routes!(search_sites))
        .routes(routes!(search_projects))
        .routes(routes!(zone_clearance))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocateQuery {
    /// longitude (or easting for EPSG:4549/4528)
    #[param(schema_with = crate::http::schemas::coordinate)]
    lon: Option<String>,
    /// latitude (or northing)
    #[param(schema_with = crate::http::schemas::coordinate)]
    lat: Option<String>,
    /// metres, default 200, at most 50000
    #[param(schema_with = crate::http::schemas::radius)]
    radius: Option<String>,
    /// EPSG:4326 (default), EPSG:4490, EPSG:4549, EPSG:4528 or gcj02
    #[param(schema_with = crate::http::schemas::crs)]
    crs: Option<String>,
}

/// What is here: the town, the sites containing the point or within the radius (nearest
/// first, geodesic metres), the key zones covering it, and the projects of those sites.
#[utoipa::path(get, path = "/locate", tag = "location", params(LocateQuery),
    responses((status = 200, description = "OK", body = Located), BadInput))]
async fn locate_point(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<LocateQuery>,
) -> Result<Json<Located>, AppError> {
    let crs = parse_crs(query.crs.as_deref())?;
    let (Some(x), Some(y)) = (query.lon.as_deref(), query.lat.as_deref()) else {
        return Err(AppError::BadRequest("give the point as lon and lat".into()));
    };
    let (lon, lat) = to_wgs84(
        &state,
        crs,
        parse_number("lon", x)?,
        parse_number("lat", y)?,
    )
    .await?;
    let radius = parse_radius(query.radius.as_deref())?;
    let mut conn = state.pool.acquire().await?;
    let mut located = locate::locate(&mut conn, lon, lat, radius).await?;
    let reader = CaseReader::of(caller.0.as_ref().map(|u| u.role));
    if reader.sees_petitions() {
        let filter = CaseFilter {
            statuses: CaseStatus::ALL
                .iter()
                .filter(|s| !s.is_resolved())
                .map(|s| s.name().to_string())
                .collect(),
            spatial: Some(SpatialFilter::Near {
                lon,
                lat,
                radius_m: radius,
            }),
            ..CaseFilter::new(reader)
        };
        let (_, open) = cases::list(&mut conn, &filter, ("received_on", true), 100, 0).await?;
        located.cases = open
            .into_iter()
            .filter_map(|c| c.for_reader(reader))
            .collect();
    }
    Ok(Json(located))
}

/// Parses a search body: a GeoJSON Polygon or MultiPolygon (or a Feature holding one) in `crs`,
/// as WKB in its SRID; PostGIS then checks its validity on the connection the search goes on to use.
async fn search_area(
    state: &AppState,
    body: &Bytes,
    crs: InputCrs,
) -> Result<(PoolConnection<Postgres>, Vec<u8>, i32), AppError> {
    let wkb = search_area_wkb(body, crs)?;
    let srid = crs.postgis_srid().unwrap_or(4326);
    let mut conn = state.pool.acquire().await?;
    super::site_writes::check_geometry(&mut conn, &wkb, srid).await?;
    // the same bound as a bbox: a search lists and counts every match
    let extent = spatial::extent_square_degrees(&mut conn, &wkb, srid).await?;
    if extent > MAX_BBOX_SQUARE_DEGREES {
        return Err(AppError::BadRequest(format!(
            "the area's bounding box covers {extent:.0} square degrees; at most {MAX_BBOX_SQUARE_DEGREES:.0} (about four provinces) are accepted, as for bbox: search a smaller area"
        )));
    }
    Ok((conn, wkb, srid))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// CRS of the polygon: EPSG:4326 (default), EPSG:4490, EPSG:4549, EPSG:4528 or gcj02
    #[param(schema_with = crate::http::schemas::crs)]
    crs: Option<String>,
    /// 1 to 1000, default 200
    #[param(schema_with = crate::http::schemas::limit_page)]
    limit: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SiteMatches {
    pub total: i64,
    pub items: Vec<Site>,
}

#[derive(Serialize, ToSchema)]
pub struct ProjectMatches {
    pub total: i64,
    pub items: Vec<ProjectMatch>,
}

#[derive(Serialize, ToSchema)]
pub struct ProjectMatch {
    #[serde(flatten)]
    pub project: Project,
    /// geodesic metres from the area's centre to the nearest of the project's sites inside it
    pub distance_m: Option<f64>,
}

/// Sites intersecting a GeoJSON Polygon or MultiPolygon, each with its geodesic distance from
/// the area's centre as `distance_m`.
#[utoipa::path(post, path = "/sites/search", tag = "location", params(SearchQuery),
    request_body(content = Object, description = "GeoJSON Polygon or MultiPolygon (or a Feature with one)"),
    responses((status = 200, description = "OK", body = SiteMatches), BadInput))]
async fn search_sites(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<SearchQuery>,
    body: Bytes,
) -> Result<Json<SiteMatches>, AppError> {
    let crs = parse_crs(query.crs.as_deref())?;
    let (mut conn, wkb, srid) = search_area(&state, &body, crs).await?;
    let (limit, _) =
        super::extract::parse_page(query.limit.as_deref(), None, 200, super::extract::MAX_PAGE)?;
    let filter = SiteFilter {
        spatial: Some(SpatialFilter::Intersects {
            wkb: wkb.clone(),
            srid,
        }),
        ..SiteFilter::default()
    };
    let (total, items) = sites::list(&mut conn, &filter, ("code", false), limit, 0).await?;
    let ids: Vec<i64> = items.iter().map(|s| s.id).collect();
    let distances = locate::site_distances_from_area_centre(&mut conn, &wkb, srid, &ids).await?;
    let audience = caller.audience();
    let items = items
        .into_iter()
        .map(|mut site| {
            site.distance_m = distances.get(&site.id).copied();
            site.for_audience(audience)
        })
        .collect();
    Ok(Json(SiteMatches { total, items }))
}

/// Projects with a site intersecting a GeoJSON Polygon or MultiPolygon, each with the distance
/// from the area's centre to the nearest of its sites inside.
#[utoipa::path(post, path = "/projects/search", tag = "location", params(SearchQuery),
    request_body(content = Object, description = "GeoJSON Polygon or MultiPolygon (or a Feature with one)"),
    responses((status = 200, description = "OK", body = ProjectMatches), BadInput))]
async fn search_projects(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<SearchQuery>,
    body: Bytes,
) -> Result<Json<ProjectMatches>, AppError> {
    let crs = parse_crs(query.crs.as_deref())?;
    let (mut conn, wkb, srid) = search_area(&state, &body, crs).await?;
    let (limit, _) =
        super::extract::parse_page(query.limit.as_deref(), None, 200, super::extract::MAX_PAGE)?;
    let filter = ProjectFilter {
        spatial: Some(SpatialFilter::Intersects {
            wkb: wkb.clone(),
            srid,
        }),
        ..ProjectFilter::default()
    };
    let (total, items) = projects::list(&mut conn, &filter, ("code", false), limit, 0).await?;
    let ids: Vec<i64> = items.iter().map(|p| p.id).collect();
    let distances = locate::project_distances_from_area_centre(&mut conn, &wkb, srid, &ids).await?;
    let items = items
        .into_iter()
        .map(|project| ProjectMatch {
            distance_m: distances.get(&project.id).copied(),
            project,
        })
        .collect();
    Ok(Json(ProjectMatches { total, items }))
}

/// The problem sites inside a key zone, grouped by kind and remediation state. A problem site is
/// one with a live project; it is open while that work is in progress or suspended. The zone is
/// cleared (归零) when no problem site is open.
#[utoipa::path(get, path = "/zones/{id}/clearance", tag = "location", params(("id" = i64, Path, description = "site id of a key_zone")),
    responses((status = 200, description = "OK", body = Clearance), NotFound))]
async fn zone_clearance(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Clearance>, AppError> {
    let mut conn = state.pool.acquire().await?;
    locate::clearance(&mut conn, id)
        .await?
        .map(Json)
        .ok_or_else(|| AppError::NotFound(format!("there is no key zone with id {id}")))
}
