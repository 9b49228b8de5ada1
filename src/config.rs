//! Command-line interface and configuration: clap flags with environment fallbacks,
//! documented in `.env.example`.

use crate::domain::InputCrs;
use crate::domain::account::Role;
pub use crate::domain::casework::CaseKind;
pub use crate::domain::choice::ExportFormat;
use crate::domain::choice::{Format, Lang};
use crate::domain::import::ImportTarget;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "remediation-tracker",
    version,
    about = "Web GIS for tracking environmental remediation projects"
)]
pub struct Cli {
    /// PostgreSQL connection URL (PostGIS 3 required).
    #[arg(
        long,
        env = "DATABASE_URL",
        global = true,
        hide_env_values = true,
        default_value = "postgres://tracker:tracker@127.0.0.1:5432/remediation_tracker"
    )]
    pub database_url: String,

    /// Maximum number of pooled database connections [default: four per CPU core].
    #[arg(long, env = "DB_MAX_CONNECTIONS", global = true)]
    pub db_max_connections: Option<u32>,

    /// Seconds to wait for a pooled connection before giving up.
    #[arg(
        long,
        env = "DB_ACQUIRE_TIMEOUT_SECS",
        global = true,
        default_value_t = 5
    )]
    pub db_acquire_timeout_secs: u64,

    /// serve: seconds a single SQL statement may run before PostgreSQL cancels it.
    #[arg(
        long,
        env = "DB_STATEMENT_TIMEOUT_SECS",
        global = true,
        default_value_t = 30
    )]
    pub db_statement_timeout_secs: u64,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The database pool size: as configured, or four connections per CPU core. PostgreSQL does
    /// the most work with a few active connections per core; beyond that, requests wait in its
    /// CPU scheduler rather than in the pool's queue, and the slowest wait longest
    /// (bench/RESULTS.md: p99 at 32 clients on 2 cores, pools of 8, 12 and 16).
    pub fn pool_size(&self) -> u32 {
        self.db_max_connections
            .unwrap_or_else(|| {
                let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
                u32::try_from(4 * cores).unwrap_or(u32::MAX)
            })
            .max(1)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database if missing and apply pending migrations; run it as the database's
    /// owner. With --grant-to, the app's role gets the data rights it needs and nothing more.
    Migrate {
        /// A role to grant SELECT, INSERT, UPDATE and DELETE on every table (and the sequences and
        /// functions they use) after migrating: the role `serve` connects as.
        #[arg(long, env = "APP_DATABASE_ROLE")]
        grant_to: Option<String>,
    },
    /// Load the sample data set from the geodata folder; rows already present are left alone.
    Seed {
        /// Folder with the sample GeoJSON, programmes.json and projects.json.
        #[arg(long, env = "GEODATA_DIR", default_value = "geodata")]
        geodata: PathBuf,
    },
    /// Serve the web app, the API and health checks.
    Serve(Box<ServeArgs>),
    /// Import a file of one kind (GeoJSON, Shapefile, GeoPackage, KML, DXF, FlatGeobuf, or a CSV
    /// or xlsx sheet of points), all or nothing.
    Import {
        /// Site kind (river, black_odor_water, contaminated_plot, key_zone, monitoring_section,
        /// outfall, enterprise, facility) or admin_area.
        #[arg(long, value_parser = parse_target)]
        kind: ImportTarget,
        /// CRS of the file's coordinates. GeoJSON: EPSG:4326 (the default), EPSG:4490,
        /// EPSG:4549, EPSG:4528 or gcj02. Other formats take the CRS they name, and need this only
        /// when they name none (DXF, a Shapefile without .prj): EPSG:4326, 4490, or a Gauss-Krüger
        /// code of CGCS2000 (4491-4554), Xi'an 1980 (2327-2390) or Beijing 1954. A sheet's
        /// coordinate columns are in EPSG:4326 unless this names one of those.
        #[arg(long)]
        crs: Option<String>,
        /// The layer of a file with several (a GeoPackage, a KML with folders).
        #[arg(long)]
        layer: Option<String>,
        /// The text encoding of a Shapefile without .cpg or of a CSV (e.g. GB18030, UTF-8),
        /// instead of the one detected from its bytes.
        #[arg(long)]
        encoding: Option<String>,
        /// A JSON file mapping the file's fields to the kind's properties, e.g.
        /// {"地块名称": "name", "备注": null} (null leaves a field out); the web app saves the same.
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// Repair invalid geometries with ST_MakeValid instead of rejecting them.
        #[arg(long)]
        repair: bool,
        /// The file: GeoJSON (.geojson, .json), Shapefile (.zip, or .shp with its siblings),
        /// GeoPackage (.gpkg), KML (.kml, .kmz), DXF (.dxf), FlatGeobuf (.fgb), or a sheet
        /// (.csv, .xlsx) with coordinate columns (lon/lat, x/y, 经度/纬度) or a site-code
        /// column (site_code, 站点编码) placing each row on a stored site.
        file: PathBuf,
    },
    /// Measured water and soil quality.
    Samples {
        #[command(subcommand)]
        action: SamplesCommand,
    },
    /// The casework ledgers: petitions, hidden dangers, inspection findings, prominent problems.
    Cases {
        #[command(subcommand)]
        action: CasesCommand,
    },
    /// Projects in bulk: the towns' monthly progress sheet.
    Projects {
        #[command(subcommand)]
        action: ProjectsCommand,
    },
    /// Write a consistent copy of the database (pg_dump) and of every attachment's bytes, each
    /// checked against its SHA-256, to a new folder.
    Backup {
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Bring a backup back into an empty database, and its files into the attachment store.
    Restore {
        /// The backup's folder.
        from: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The evidence files' store: verify every attachment's bytes, or collect orphans.
    Attachments {
        #[command(subcommand)]
        action: AttachmentsCommand,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Write the half-year report as of a date (end of that day, China time), rebuilt from history.
    Report {
        /// The report date, YYYY-MM-DD; today when absent.
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
        /// Add what changed after this date (new projects, transitions, completions, slips).
        #[arg(long)]
        since: Option<chrono::NaiveDate>,
        /// md, html, csv, xlsx or json.
        #[arg(long, default_value_t = Format::Md)]
        format: Format,
        /// zh or en.
        #[arg(long, default_value_t = Lang::Zh)]
        lang: Lang,
        /// Output file; standard output when absent (xlsx needs a file).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Show the public before/after photos of each programme's completed items as
        /// thumbnails (html and json only).
        #[arg(long)]
        with_photos: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Export a layer, or a selection of it, in WGS84: GeoJSON, CSV, xlsx, GeoPackage, Shapefile
    /// (a zip with .prj, .cpg, a UTF-8 DBF and fields.csv listing the shortened names), KML or
    /// FlatGeobuf.
    Export {
        /// A site kind, admin_area, or project (each project with its sites' geometry).
        #[arg(long)]
        kind: crate::export::ExportLayer,
        /// geojson, csv, xlsx, gpkg, shp, kml or fgb.
        #[arg(long, default_value_t = ExportFormat::Geojson)]
        format: ExportFormat,
        /// Only these towns (codes, comma-separated).
        #[arg(long, value_delimiter = ',')]
        town: Vec<String>,
        /// Only projects in these statuses, or sites with a project in one of them.
        #[arg(long, value_delimiter = ',')]
        status: Vec<String>,
        /// Only what intersects this lon/lat box: minlon,minlat,maxlon,maxlat.
        #[arg(long, value_parser = parse_bbox)]
        bbox: Option<crate::db::spatial::SpatialFilter>,
        /// Output file; standard output when absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SamplesCommand {
    /// Import a lab's sheet (CSV or xlsx), all or nothing: one row per site and time
    /// (site_code, sampled_at), one column per parameter by code or Chinese name.
    Import {
        /// The lab, for a sheet without a lab column.
        #[arg(long)]
        lab: Option<String>,
        /// Check the sheet and report, writing nothing.
        #[arg(long)]
        dry_run: bool,
        /// The sheet.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AttachmentsCommand {
    /// Read every attachment's bytes back and compare their size and SHA-256 with its row;
    /// lists what is missing or corrupt and fails when anything is.
    Check,
    /// Delete stored bytes that no attachment claims (left by an upload whose row never
    /// committed, or a purge that was cut short), once they are older than the grace period.
    Gc {
        /// Minutes an unclaimed object is left alone, so that an upload in flight keeps its bytes.
        #[arg(long, default_value_t = 60)]
        grace_minutes: u32,
    },
}

/// Where attachments' bytes live: a directory by default, an S3-compatible bucket when
/// ATTACHMENT_S3_URL is set.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// The directory of the local store.
    #[arg(long, env = "ATTACHMENT_DIR", default_value = "data/attachments")]
    pub attachment_dir: PathBuf,
    /// The endpoint of an S3-compatible store (http://127.0.0.1:8333 for SeaweedFS, a cloud
    /// endpoint); set, it replaces the directory.
    #[arg(long, env = "ATTACHMENT_S3_URL")]
    pub attachment_s3_url: Option<String>,
    #[arg(
        long,
        env = "ATTACHMENT_S3_BUCKET",
        default_value = "remediation-tracker"
    )]
    pub attachment_s3_bucket: String,
    #[arg(
        long,
        env = "ATTACHMENT_S3_ACCESS_KEY",
        default_value = "",
        hide_env_values = true
    )]
    pub attachment_s3_access_key: String,
    #[arg(
        long,
        env = "ATTACHMENT_S3_SECRET_KEY",
        default_value = "",
        hide_env_values = true
    )]
    pub attachment_s3_secret_key: String,
    #[arg(long, env = "ATTACHMENT_S3_REGION", default_value = "us-east-1")]
    pub attachment_s3_region: String,
}

impl StoreArgs {
    pub fn store_config(&self) -> crate::attachments::store::StoreConfig {
        use crate::attachments::store::StoreConfig;
        match self.attachment_s3_url.as_deref().filter(|u| !u.is_empty()) {
            Some(endpoint) => StoreConfig::S3 {
                endpoint: endpoint.trim_end_matches('/').to_string(),
                bucket: self.attachment_s3_bucket.clone(),
                access_key: self.attachment_s3_access_key.clone(),
                secret_key: self.attachment_s3_secret_key.clone(),
                region: self.attachment_s3_region.clone(),
            },
            None => StoreConfig::Directory(self.attachment_dir.clone()),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ProjectsCommand {
    /// Update projects from a progress sheet (CSV or xlsx), all or nothing: a project-code column
    /// (项目编号) and any of 状态, 进度, 阶段, 实际开工日期, 实际完工日期, 责任单位, 备注 (or
    /// their codes). Statuses go through the lifecycle; each change is recorded with the note
    /// "imported from FILE, row N"; rows that change nothing record nothing. Prints every change,
    /// before → after.
    Update {
        /// Check the sheet and print what would change, writing nothing.
        #[arg(long)]
        dry_run: bool,
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum CasesCommand {
    /// Import a ledger (CSV or xlsx) of one kind of case, all or nothing: columns by code or by
    /// the usual Chinese headers (编号, 受理日期, 来源, 类别, 地址/位置, 经度, 纬度, 站点编码,
    /// 责任单位, 办理期限, 办理状态, 办结情况 …).
    Import {
        /// petition, hidden_danger, inspection_finding or prominent_problem.
        #[arg(long, value_parser = parse_case_kind)]
        kind: CaseKind,
        /// CRS of the coordinates: EPSG:4326, EPSG:4490, EPSG:4549, EPSG:4528 or gcj02.
        #[arg(long, default_value = "EPSG:4326", value_parser = parse_crs)]
        crs: InputCrs,
        /// Check the ledger and report, writing nothing.
        #[arg(long)]
        dry_run: bool,
        /// The ledger.
        file: PathBuf,
    },
}

fn parse_case_kind(s: &str) -> Result<CaseKind, crate::domain::choice::UnknownChoice> {
    s.parse()
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input (one line).
    Add {
        #[arg(long)]
        username: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// List users.
    List,
    /// Disable a user: their sessions end and their tokens stop working.
    Disable {
        #[arg(long)]
        username: String,
    },
}

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long = "bind", env = "BIND_ADDR", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Folder of the web app (index.html and node_modules with maplibre-gl).
    #[arg(long, env = "WEB_DIR", default_value = "web")]
    pub web_dir: PathBuf,
    /// Require a login for reads too (by default anyone may read).
    #[arg(long, env = "REQUIRE_LOGIN_FOR_READ", default_value_t = false, action = clap::ArgAction::Set)]
    pub require_login_for_read: bool,
    /// Hours a login session lasts.
    #[arg(long, env = "SESSION_HOURS", default_value_t = 12)]
    pub session_hours: u32,
    /// Mark the session cookie Secure; always on when PUBLIC_URL is https.
    #[arg(long, env = "SECURE_COOKIES", default_value_t = false, action = clap::ArgAction::Set)]
    pub secure_cookies: bool,
    /// The URL clients reach this server at, the base of every absolute link it writes (OGC
    /// API, TileJSON); https turns on Secure cookies and HSTS [default: http://BIND_ADDR].
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Reverse proxies (addresses or CIDR blocks, comma separated) whose X-Forwarded-For,
    /// X-Forwarded-Proto and X-Forwarded-Host are believed. Empty: none is.
    #[arg(
        long,
        env = "TRUSTED_PROXIES",
        default_value = "",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<String>,
    /// Password checks (argon2) run at once; further logins wait up to 10 s, then get 503
    /// [default: one per CPU core].
    #[arg(long, env = "LOGIN_CONCURRENCY")]
    pub login_concurrency: Option<usize>,
    /// Seconds from the first byte of a request until its header must be complete.
    #[arg(long, env = "HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    pub header_read_timeout_secs: u64,
    /// Seconds a connection may wait for a request, or for the client to read a response,
    /// before it is closed.
    #[arg(long, env = "IDLE_TIMEOUT_SECS", default_value_t = 60)]
    pub idle_timeout_secs: u64,
    /// Connections open at once; further clients wait in the listen backlog.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
    /// A database URL of the schema's owner: with it, `serve` applies pending migrations at
    /// start (and grants the serving role its rights); without it, `serve` never changes the
    /// schema and runs with the least privilege of DATABASE_URL.
    #[arg(long, env = "MIGRATE_DATABASE_URL", hide_env_values = true)]
    pub migrate_database_url: Option<String>,
    /// Megabytes of rendered vector tiles kept in memory (0 turns the tile cache off).
    #[arg(long, env = "TILE_CACHE_MB", default_value_t = 64)]
    pub tile_cache_mb: usize,
    /// Origins allowed to read the API, OGC API and tiles from browser pages of other sites, comma
    /// separated (`*` for any); reads only. Empty: CORS closed.
    #[arg(
        long,
        env = "CORS_READ_ORIGINS",
        default_value = "",
        value_delimiter = ','
    )]
    pub cors_read_origins: Vec<String>,
    /// Tiles rendered at once; further uncached tile requests wait [default: half the pool].
    #[arg(long, env = "TILE_RENDER_CONCURRENCY")]
    pub tile_render_concurrency: Option<usize>,
    /// Megabytes a request body may have (413 past it). Imports run from the command line and
    /// have no limit.
    #[arg(long, env = "MAX_BODY_MB", default_value_t = 2)]
    pub max_body_mb: usize,
    /// Megabytes of a lab sheet sent to POST /api/samples/import (413 past it).
    #[arg(long, env = "MAX_SHEET_MB", default_value_t = 64)]
    pub max_sheet_mb: usize,
    /// Megabytes an uploaded attachment may have (413 past it).
    #[arg(long, env = "MAX_UPLOAD_MB", default_value_t = 50)]
    pub max_upload_mb: usize,
    /// Metres between where a photo was taken (its EXIF) and what it is attached to beyond
    /// which it is flagged.
    #[arg(long, env = "PHOTO_DISTANCE_WARN_M", default_value_t = 500.0)]
    pub photo_distance_warn_m: f64,
    #[command(flatten)]
    pub store: StoreArgs,
    /// A webhook that gets every alert opened, acknowledged or closed as a JSON POST (the robots
    /// of WeCom and DingTalk take it as it is). Unset: alerts are only in the app.
    #[arg(long, env = "ALERT_WEBHOOK_URL")]
    pub alert_webhook_url: Option<String>,
    /// Attempts per alert event before it is given up (each is recorded).
    #[arg(long, env = "ALERT_WEBHOOK_MAX_ATTEMPTS", default_value_t = 8)]
    pub alert_webhook_max_attempts: i32,
    /// Seconds before the first retry; each further retry waits twice as long.
    #[arg(long, env = "ALERT_WEBHOOK_BACKOFF_SECS", default_value_t = 5)]
    pub alert_webhook_backoff_secs: u64,
    /// Seconds a request may run before it is stopped with a 503.
    #[arg(long, env = "REQUEST_TIMEOUT_SECS", default_value_t = 60)]
    pub request_timeout_secs: u64,
    /// Failed logins of one username within the lock time that lock it (an address gets four
    /// times as many, across usernames).
    #[arg(long, env = "LOGIN_MAX_FAILURES", default_value_t = 5)]
    pub login_max_failures: u32,
    /// Minutes that failed logins count against a username or address.
    #[arg(long, env = "LOGIN_LOCK_MINUTES", default_value_t = 15)]
    pub login_lock_minutes: u32,
    /// An OSM-style raster tile URL ({z}/{x}/{y}) offered as a basemap; empty: not offered.
    #[arg(
        long,
        env = "BASEMAP_OSM_URL",
        default_value = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    )]
    pub basemap_osm_url: String,
    /// A Tianditu key (tk); with one, Tianditu's vector map and labels are offered.
    #[arg(long, env = "TIANDITU_KEY", default_value = "", hide_env_values = true)]
    pub tianditu_key: String,
    /// Seconds a report request, and each statement of its build, may run: reports read every
    /// project's history, so they get longer than REQUEST_TIMEOUT_SECS and
    /// DB_STATEMENT_TIMEOUT_SECS allow other requests.
    #[arg(long, env = "REPORT_TIMEOUT_SECS", default_value_t = 600)]
    pub report_timeout_secs: u64,
    /// A raster tile URL in GCJ-02 (AMap style) offered as a basemap; the data is shifted to
    /// GCJ-02 for display on it. Empty: not offered.
    #[arg(long, env = "BASEMAP_GCJ02_URL", default_value = "")]
    pub basemap_gcj02_url: String,
    /// Metres (geodesic) within which an earlier petition of the same category is a likely
    /// repeat of a new one.
    #[arg(long, env = "REPEAT_RADIUS_M", default_value_t = 200.0, value_parser = parse_repeat_radius)]
    pub repeat_radius_m: f64,
    /// Days before a new petition within which an earlier one is a likely repeat.
    #[arg(long, env = "REPEAT_DAYS", default_value_t = 180, value_parser = clap::value_parser!(i64).range(0..=3650))]
    pub repeat_days: i64,
}

fn parse_repeat_radius(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(m) if (0.0..=50_000.0).contains(&m) => Ok(m),
        _ => Err(format!(
            "REPEAT_RADIUS_M must be metres from 0 to 50000, got {s:?}"
        )),
    }
}

fn parse_target(s: &str) -> Result<ImportTarget, crate::domain::import::UnknownTarget> {
    s.parse()
}

fn parse_bbox(s: &str) -> Result<crate::db::spatial::SpatialFilter, String> {
    let numbers: Vec<f64> = s
        .split(',')
        .map(|n| n.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("bbox {s:?} must be four numbers minlon,minlat,maxlon,maxlat"))?;
    match numbers.as_slice() {
        [min_lon, min_lat, max_lon, max_lat] if min_lon <= max_lon && min_lat <= max_lat => {
            Ok(crate::db::spatial::SpatialFilter::BBox {
                min_lon: *min_lon,
                min_lat: *min_lat,
                max_lon: *max_lon,
                max_lat: *max_lat,
            })
        }
        _ => Err(format!(
            "bbox {s:?} must be four numbers minlon,minlat,maxlon,maxlat with min ≤ max"
        )),
    }
}

fn parse_role(s: &str) -> Result<Role, crate::domain::account::UnknownRole> {
    s.parse()
}

fn parse_crs(s: &str) -> Result<InputCrs, crate::domain::crs::UnknownCrs> {
    s.parse()
}
