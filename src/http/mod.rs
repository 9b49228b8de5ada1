//! HTTP surface: one router per resource, merged here; `app(state)` builds the whole service
//! without a socket so tests can drive it directly. The OpenAPI document is generated from the
//! handlers' annotations and served at `/api/openapi.json`.

mod access;
mod alerts;
mod attachments;
mod audit;
mod auth;
mod cases;
mod export;
mod extract;
mod guard;
mod health;
mod imports;
mod layers;
mod locate;
mod ogc;
mod problems;
mod project_sheet;
mod projects;
mod reports;
mod samples;
mod schemas;
mod server;
mod settings;
mod site_writes;
mod sites;
mod stats;
mod tiles;

pub use access::{Caller, SESSION_COOKIE};
pub use server::{ConnectionLimits, serve};
pub use settings::Basemap;

use crate::tile_cache::TileCache;
use axum::http::HeaderValue;
use axum::routing::get;
use axum::{Json, Router};
use sqlx::PgPool;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub web_dir: PathBuf,
    pub session_ttl: chrono::Duration,
    /// Set the Secure flag on the session cookie (behind HTTPS).
    pub secure_cookies: bool,
    pub require_login_for_read: bool,
    /// Bytes of rendered tiles kept in memory; 0 turns the tile cache off.
    pub tile_cache_bytes: usize,
    /// a request running longer is stopped with a 503
    pub request_timeout: std::time::Duration,
    /// the same for report downloads, which replay every project's history
    pub report_timeout: std::time::Duration,
    /// origins of browser-based GIS clients allowed to read cross-origin (GET/HEAD only);
    /// empty: CORS closed; ["*"]: any origin
    pub cors_read_origins: Vec<String>,
    /// tiles rendered at once (the rest wait), so tiles never hold every pooled connection
    pub tile_render_concurrency: usize,
    /// largest request body accepted (413 past it)
    pub max_body_bytes: usize,
    /// largest lab sheet `POST /api/samples/import` accepts (413 past it)
    pub max_sheet_bytes: usize,
    /// failed logins of one username (or four times as many from one address) within
    /// `login_lock` that lock further attempts until the oldest of them is that old
    pub login_max_failures: u32,
    pub login_lock: chrono::Duration,
    /// basemaps the map page offers besides none
    pub basemaps: Vec<Basemap>,
    /// argon2 password checks run at once (logins beyond wait their turn, then get 503)
    pub password_check_concurrency: usize,
    /// the base of every absolute link this server writes (`PUBLIC_URL`), without a trailing /
    pub public_url: String,
    /// peers whose X-Forwarded-For/-Proto/-Host headers are believed (`TRUSTED_PROXIES`)
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// when an earlier petition counts as a likely repeat (`REPEAT_RADIUS_M`, `REPEAT_DAYS`)
    pub repeat_window: crate::domain::casework::RepeatWindow,
    /// largest attachment accepted (`MAX_UPLOAD_MB`, 413 past it)
    pub max_upload_bytes: usize,
    /// where uploads are staged while they arrive, before they go to the store
    pub upload_staging_dir: PathBuf,
    /// a photo taken further than this from what it is attached to is flagged
    pub photo_distance_warn_m: f64,
    /// where attachments' bytes live
    pub attachment_store: crate::attachments::store::StoreConfig,
}

impl HttpConfig {
    pub fn new(web_dir: PathBuf) -> Self {
        HttpConfig {
            web_dir,
            session_ttl: chrono::Duration::hours(12),
            secure_cookies: false,
            require_login_for_read: false,
            tile_cache_bytes: 64 << 20,
            request_timeout: std::time::Duration::from_secs(60),
            report_timeout: std::time::Duration::from_secs(600),
            max_body_bytes: 2 << 20,
            max_sheet_bytes: 64 << 20,
            cors_read_origins: Vec::new(),
            tile_render_concurrency: 8,
            login_max_failures: 5,
            login_lock: chrono::Duration::minutes(15),
            basemaps: Vec::new(),
            password_check_concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
            public_url: "http://127.0.0.1:8080".into(),
            trusted_proxies: Vec::new(),
            repeat_window: crate::domain::casework::RepeatWindow::default(),
            max_upload_bytes: 50 << 20,
            upload_staging_dir: std::env::temp_dir().join("remediation-tracker-uploads"),
            photo_distance_warn_m: 500.0,
            attachment_store: crate::attachments::store::StoreConfig::Directory(
                std::env::temp_dir().join("remediation-tracker-attachments"),
            ),
        }
    }

    /// Whether the public URL is https: cookies are then Secure and responses carry HSTS.
    pub fn https(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// What every handler and middleware shares. Each layer and extractor clones the state per
/// request, so it is one `Arc`: a clone is one atomic increment (bench/instructions.sh measured
/// the clones of the fields, two of them `String`s, at 13 % of a cached tile's instructions).
#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

impl std::ops::Deref for AppState {
    type Target = SharedState;
    fn deref(&self) -> &SharedState {
        &self.0
    }
}

#[derive(Clone)]
pub struct SharedState {
    /// requests' connections, each statement bounded by DB_STATEMENT_TIMEOUT_SECS
    pub pool: PgPool,
    /// report builds' connections, with their own (longer) statement bound
    pub report_pool: PgPool,
    pub config: Arc<HttpConfig>,
    pub tiles: Arc<TileCache>,
    /// Reports read every project's history: one is built at a time, so that a burst of report
    /// requests queues instead of taking the database and memory from everything else.
    pub report_builds: Arc<tokio::sync::Semaphore>,
    pub tile_renders: Arc<tokio::sync::Semaphore>,
    /// turns at argon2 work (logins, new passwords)
    pub password_checks: Arc<tokio::sync::Semaphore>,
    /// where attachments' bytes live
    pub attachments: crate::attachments::store::AttachmentStore,
    /// turns at making thumbnails, so that a burst of photo uploads never takes every core
    pub thumbnail_turns: Arc<tokio::sync::Semaphore>,
    /// turns at writing a layer export, which may hold a whole layer's rows in GDAL
    pub export_turns: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// The tile cache stays inactive until `start_tile_cache` connects its listener.
    pub fn new(pool: PgPool, config: HttpConfig) -> Self {
        let buffer_fraction =
            f64::from(crate::db::tiles::BUFFER) / f64::from(crate::db::tiles::EXTENT);
        AppState(Arc::new(SharedState {
            report_pool: pool.clone(),
            pool,
            tiles: Arc::new(TileCache::new(config.tile_cache_bytes, buffer_fraction)),
            report_builds: Arc::new(tokio::sync::Semaphore::new(1)),
            tile_renders: Arc::new(tokio::sync::Semaphore::new(config.tile_render_concurrency)),
            password_checks: Arc::new(tokio::sync::Semaphore::new(
                config.password_check_concurrency.max(1),
            )),
            thumbnail_turns: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism()
                    .map_or(2, |n| n.get())
                    .div_ceil(2),
            )),
            export_turns: Arc::new(tokio::sync::Semaphore::new(2)),
            attachments: crate::attachments::store::AttachmentStore::open_or_unavailable(
                &config.attachment_store,
            ),
            config: Arc::new(config),
        }))
    }

    /// Builds reports on `pool` (its connections carry the statement bound for reports).
    pub fn with_report_pool(mut self, pool: PgPool) -> Self {
        Arc::make_mut(&mut self.0).report_pool = pool;
        self
    }

    /// Starts the listener that keeps the tile cache fresh; caching begins once it is connected.
    pub fn start_tile_cache(&self) -> tokio::task::JoinHandle<()> {
        crate::tile_cache::spawn_listener(self.pool.clone(), self.tiles.clone())
    }
}

/// After a successful write, waits until the tile cache has evicted what the write changed, so
/// that the writer's next tile request shows it.
async fn tiles_follow_writes(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let write = !request.method().is_safe();
    let response = next.run(request).await;
    if write && response.status().is_success() {
        state.tiles.sync(&state.pool).await;
    }
    response
}

#[derive(OpenApi)]
#[openapi(
    info(title = "remediation-tracker API", description = "Projects, sites, location queries and statistics of an environmental bureau's remediation work under /api; OGC API - Features under /ogc; vector tiles under /tiles. Errors are application/problem+json."),
    modifiers(&SecuritySchemes),
    components(schemas(crate::error::Problem)),
    tags((name = "auth", description = "login, logout and API tokens"), (name = "layers", description = "whole layers as GeoJSON"), (name = "projects", description = "projects, their lifecycle, links and history"), (name = "cases", description = "the casework ledgers: petitions, hidden dangers, inspection findings and prominent problems"), (name = "sites", description = "mapped sites of every kind"), (name = "location", description = "queries by point, radius, polygon and key zone"), (name = "stats", description = "figures for the dashboard and reports"), (name = "reports", description = "the half-year report for any date, and its editable templates"), (name = "samples", description = "measured water and soil quality, graded by the national standards"), (name = "attachments", description = "evidence files: photos and documents on projects, sites and cases"), (name = "ogc", description = "OGC API - Features (Parts 1 to 4) over every layer"), (name = "tiles", description = "Mapbox vector tiles and TileJSON"))
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Documents, on every operation of the route table, the refusals any of them can give before
/// its handler runs: 401 for a credential that is not valid (or none, with
/// REQUIRE_LOGIN_FOR_READ), and, where it takes parameters or a body, 400 for one that cannot
/// be read (a path id beyond int64, say).
fn document_common_refusals(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::IntoResponses;
    let not_logged_in = problems::NotLoggedIn::responses();
    let bad_input = problems::BadInput::responses();
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let takes_input = operation.request_body.is_some()
                || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let refusals = not_logged_in
                .iter()
                .chain(bad_input.iter().filter(|_| takes_input));
            for (status, response) in refusals {
                operation
                    .responses
                    .responses
                    .entry(status.clone())
                    .or_insert_with(|| response.clone());
            }
        }
    }
}

pub fn app(state: AppState) -> Router {
    let web_dir = state.config.web_dir.clone();
    // the configured URLs are checked to be header-safe text by the HeaderValue conversion; a
    // URL that is not falls back to the policy without basemap hosts
    let policy = HeaderValue::from_str(&settings::content_security_policy(&state.config.basemaps))
        .unwrap_or_else(|_| {
            HeaderValue::from_str(&settings::content_security_policy(&[]))
                .unwrap_or(HeaderValue::from_static("default-src 'self'"))
        });
    let headers = guard::SecurityHeaders {
        policy,
        hsts: state.config.https(),
    };
    let problem_state = state.clone();
    let api = OpenApiRouter::new()
        .merge(auth::routes())
        .merge(auth::user_routes())
        .merge(layers::routes())
        .merge(projects::routes())
        .merge(project_sheet::routes(state.config.max_sheet_bytes))
        .merge(cases::routes(state.config.max_sheet_bytes))
        .merge(sites::routes())
        .merge(locate::routes())
        .merge(stats::routes())
        .merge(reports::routes())
        .merge(samples::routes(state.config.max_sheet_bytes))
        .merge(attachments::routes(state.config.max_upload_bytes))
        .merge(imports::routes(state.config.max_upload_bytes))
        .merge(export::routes())
        .merge(alerts::routes())
        .merge(audit::routes())
        .merge(settings::routes());
    let (api, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api", api)
        .split_for_parts();
    // tile paths end in a file suffix ({y}.mvt) that axum cannot route as a pattern, and OGC
    // items answer OPTIONS: both keep their own routers and are documented by annotation
    doc.merge(ogc::OgcDoc::openapi());
    doc.merge(tiles::TilesDoc::openapi());
    document_common_refusals(&mut doc);
    let doc = Arc::new(doc);
    let api = api.route(
        "/api/openapi.json",
        get(move || async move { Json(doc.as_ref().clone()) }),
    );

    let cors = guard::read_only_cors(&state.config.cors_read_origins);
    let router = Router::new()
        .merge(health::routes())
        .merge(tiles::routes())
        .merge(ogc::routes())
        .merge(api)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            tiles_follow_writes,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::request_timeout,
        ))
        .layer(axum::middleware::from_fn(guard::same_site_writes))
        // outside the timeout and body limit: who is asking is decided before anything else
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::gate,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(
            state.config.max_body_bytes,
        ))
        .with_state(state)
        .route_service("/", ServeFile::new(web_dir.join("index.html")))
        .route_service("/dashboard", ServeFile::new(web_dir.join("dashboard.html")))
        .route_service(
            "/projects/{id}",
            ServeFile::new(web_dir.join("project.html")),
        )
        .route_service("/cases", ServeFile::new(web_dir.join("cases.html")))
        .route_service("/cases/{id}", ServeFile::new(web_dir.join("case.html")))
        .nest_service(
            "/vendor/maplibre-gl",
            ServeDir::new(web_dir.join("node_modules/maplibre-gl/dist")),
        )
        .nest_service(
            "/vendor/chart.js",
            ServeDir::new(web_dir.join("node_modules/chart.js/dist")),
        )
        .fallback_service(ServeDir::new(web_dir.join("src")))
        .layer(axum::middleware::from_fn_with_state(
            problem_state,
            guard::errors_as_problems,
        ))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            headers,
            guard::security_headers,
        ));
    match cors {
        Some(cors) => router.layer(cors),
        None => router,
    }
    .layer(TraceLayer::new_for_http())
}
