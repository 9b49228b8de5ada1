//! SQL of the export: the rows of one layer, or of a selection of it, each as its properties
//! (the columns every format writes) and its geometry as WKB, streamed in code order.

use crate::db::sites::{SiteFilter, push_filter};
use crate::db::spatial::{SpatialFilter, push_site_filter};
use crate::export::ExportLayer;
use geozero::wkb::Wkb;
use geozero::{ToGeo, ToWkt};
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder};

/// Which rows of a layer: the map's filters or an API's. Empty means all.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// town codes
    pub towns: Vec<String>,
    /// project statuses: a project by its own, a site by those of its projects
    pub statuses: Vec<String>,
    /// project categories: a project by its own, a site by those of its projects
    pub categories: Vec<String>,
    /// programme codes, likewise
    pub programmes: Vec<String>,
    /// a lon/lat box the geometry intersects (a project's: one of its sites')
    pub bbox: Option<SpatialFilter>,
}

#[derive(Debug, sqlx::FromRow)]
pub struct ExportRecord {
    pub props: Json<Value>,
    /// none for a project without sites
    pub wkb: Option<Vec<u8>>,
}

impl ExportRecord {
    pub fn wkt(&self) -> geozero::error::Result<String> {
        match &self.wkb {
            None => Ok(String::new()),
            Some(wkb) => Wkb(wkb.as_slice()).to_wkt(),
        }
    }

    /// The longitude and latitude of a point geometry.
    pub fn point(&self) -> geozero::error::Result<Option<(f64, f64)>> {
        let Some(wkb) = &self.wkb else {
            return Ok(None);
        };
        Ok(match Wkb(wkb.as_slice()).to_geo()? {
            geo_types::Geometry::Point(p) => Some((p.x(), p.y())),
            _ => None,
        })
    }
}

/// The query of the layer's rows; its binds are owned, so it may outlive the selection.
pub fn query(layer: ExportLayer, selection: &Selection) -> QueryBuilder<'static, Postgres> {
    match layer {
        ExportLayer::Site(kind) => {
            let mut q = QueryBuilder::new(
                "SELECT jsonb_build_object('code', s.code, 'name', s.name, 'name_en', s.name_en,
                        'town_code', s.town_code, 'placeholder', s.placeholder, 'radius_m', s.radius_m)
                        || s.attrs AS props,
                        ST_AsBinary(s.geom) AS wkb
                 FROM site s",
            );
            let filter = SiteFilter {
                kinds: vec![kind.as_str().to_string()],
                towns: selection.towns.clone(),
                project_statuses: selection.statuses.clone(),
                categories: selection.categories.clone(),
                programmes: selection.programmes.clone(),
                spatial: selection.bbox.clone(),
                ..SiteFilter::default()
            };
            push_filter(&mut q, &filter, false);
            q.push(" ORDER BY s.code");
            q
        }
        ExportLayer::AdminArea => {
            let mut q = QueryBuilder::new(
                "SELECT jsonb_build_object('code', s.code, 'name', s.name, 'name_en', s.name_en,
                        'level', s.level, 'parent_code', s.parent_code, 'approximate', s.approximate,
                        'source', s.source) AS props,
                        ST_AsBinary(s.geom) AS wkb
                 FROM admin_area s WHERE true",
            );
            if !selection.towns.is_empty() {
                q.push(" AND (s.code = ANY(")
                    .push_bind(selection.towns.clone())
                    .push(") OR s.level <> 'town')");
            }
            if let Some(bbox) = &selection.bbox {
                q.push(" AND ");
                push_site_filter(&mut q, bbox, "s");
            }
            q.push(
                " ORDER BY array_position(ARRAY['province', 'city', 'district', 'town'], s.level), s.code",
            );
            q
        }
        ExportLayer::Project => {
            let mut q = QueryBuilder::new(
                "SELECT jsonb_build_object('code', p.code, 'name', p.name, 'name_en', p.name_en,
                        'category', p.category, 'programme', g.code, 'status', p.status,
                        'stage', p.stage, 'progress', p.progress,
                        'responsible_unit', p.responsible_unit, 'town_code', p.town_code,
                        'planned_start', p.planned_start, 'planned_end', p.planned_end,
                        'actual_start', p.actual_start, 'actual_end', p.actual_end,
                        'site_codes', (SELECT string_agg(s.code, ',' ORDER BY s.code)
                                       FROM project_site ps JOIN site s ON s.id = ps.site_id
                                       WHERE ps.project_id = p.id)) AS props,
                        (SELECT ST_AsBinary(ST_Collect(s.geom ORDER BY s.code))
                         FROM project_site ps JOIN site s ON s.id = ps.site_id
                         WHERE ps.project_id = p.id) AS wkb
                 FROM project p LEFT JOIN programme g ON g.id = p.programme_id WHERE true",
            );
            if !selection.statuses.is_empty() {
                q.push(" AND p.status = ANY(")
                    .push_bind(selection.statuses.clone())
                    .push(")");
            }
            if !selection.categories.is_empty() {
                q.push(" AND p.category = ANY(")
                    .push_bind(selection.categories.clone())
                    .push(")");
            }
            if !selection.programmes.is_empty() {
                q.push(" AND g.code = ANY(")
                    .push_bind(selection.programmes.clone())
                    .push(")");
            }
            if !selection.towns.is_empty() {
                q.push(" AND p.town_code = ANY(")
                    .push_bind(selection.towns.clone())
                    .push(")");
            }
            if let Some(bbox) = &selection.bbox {
                q.push(
                    " AND EXISTS (SELECT 1 FROM project_site ps JOIN site s ON s.id = ps.site_id
                      WHERE ps.project_id = p.id AND ",
                );
                push_site_filter(&mut q, bbox, "s");
                q.push(")");
            }
            q.push(" ORDER BY p.code");
            q
        }
    }
}
