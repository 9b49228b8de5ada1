//! `/api/settings`: what the web app needs to know about this installation (the basemaps it may
//! offer), and the Content-Security-Policy that lets the page load exactly those tile hosts.

use super::AppState;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_settings))
}

/// A raster basemap the map page may show under the data.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Basemap {
    /// osm, tianditu or gcj02
    pub id: &'static str,
    /// raster tile URL templates ({z}/{x}/{y}), drawn bottom to top
    pub layers: Vec<String>,
    pub attribution: &'static str,
    /// the tiles are in GCJ-02, so the data is shifted to GCJ-02 to line up with them
    pub gcj02: bool,
}

impl Basemap {
    /// The basemaps configuration turns on; "none" is always there and needs no entry.
    pub fn configured(osm_url: &str, tianditu_key: &str, gcj02_url: &str) -> Vec<Basemap> {
        let mut basemaps = Vec::new();
        if !osm_url.trim().is_empty() {
            basemaps.push(Basemap {
                id: "osm",
                layers: vec![osm_url.trim().to_string()],
                attribution: "© OpenStreetMap contributors",
                gcj02: false,
            });
        }
        let key = tianditu_key.trim();
        if !key.is_empty() {
            // Web Mercator (`_w`) WMTS tiles in CGCS2000, which lines up with WGS84 at map scales
            let tianditu = |layer: &str| {
                format!(
                    "https://t0.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
                )
            };
            basemaps.push(Basemap {
                id: "tianditu",
                layers: vec![tianditu("vec"), tianditu("cva")],
                attribution: "© 天地图 Tianditu",
                gcj02: false,
            });
        }
        if !gcj02_url.trim().is_empty() {
            basemaps.push(Basemap {
                id: "gcj02",
                layers: vec![gcj02_url.trim().to_string()],
                attribution: "GCJ-02 basemap",
                gcj02: true,
            });
        }
        basemaps
    }

    /// The scheme and host of each tile URL, for the CSP (`{s}`-style host templates become
    /// a wildcard label).
    fn origins(&self) -> impl Iterator<Item = String> + '_ {
        self.layers.iter().filter_map(|url| {
            let (scheme, rest) = url.split_once("://")?;
            let host = rest.split('/').next()?;
            let host: Vec<&str> = host
                .split('.')
                .map(|label| if label.contains('{') { "*" } else { label })
                .collect();
            Some(format!("{scheme}://{}", host.join(".")))
        })
    }
}

/// The policy the web app passes: its own scripts and workers (MapLibre runs blob workers), and
/// images and fetches from the configured basemap hosts only.
pub fn content_security_policy(basemaps: &[Basemap]) -> String {
    let mut hosts: Vec<String> = basemaps.iter().flat_map(Basemap::origins).collect();
    hosts.sort();
    hosts.dedup();
    let extra: String = hosts.iter().map(|h| format!(" {h}")).collect();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:{extra}; font-src 'self' data:; connect-src 'self'{extra}; \
         worker-src 'self' blob:; child-src 'self' blob:; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

#[derive(Serialize, ToSchema)]
pub struct Settings {
    /// basemaps besides "none" (the default, which needs no network)
    pub basemaps: Vec<Basemap>,
    /// layers with more sites than this are drawn from vector tiles, smaller ones from GeoJSON
    pub geojson_max_features: i64,
}

/// Layers above this many sites come from vector tiles: one GeoJSON document of them would be
/// megabytes to download and parse.
const GEOJSON_MAX_FEATURES: i64 = 5000;

/// The installation's settings for the web app.
#[utoipa::path(get, path = "/settings", tag = "layers", responses((status = 200, description = "OK", body = Settings)))]
async fn get_settings(State(state): State<AppState>) -> Json<Settings> {
    Json(Settings {
        basemaps: state.config.basemaps.clone(),
        geojson_max_features: GEOJSON_MAX_FEATURES,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_each_configured_tile_host_once() {
        let basemaps = Basemap::configured(
            "https://{s}.tile.example.org/{z}/{x}/{y}.png",
            "KEY",
            "http://10.0.0.5:8081/amap/{z}/{x}/{y}.png",
        );
        assert_eq!(
            basemaps.iter().map(|b| b.id).collect::<Vec<_>>(),
            ["osm", "tianditu", "gcj02"]
        );
        let csp = content_security_policy(&basemaps);
        assert!(csp.contains(
            "connect-src 'self' http://10.0.0.5:8081 https://*.tile.example.org https://t0.tianditu.gov.cn;"
        ));
        assert_eq!(
            content_security_policy(&[]),
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; child-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        );
    }
}
