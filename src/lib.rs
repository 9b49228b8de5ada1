//! remediation-tracker: a web GIS that tracks an environmental bureau's remediation projects and
//! the places they treat, on PostgreSQL/PostGIS.

/// Alert events delivered to a webhook after commit, retried with backoff.
pub mod alert_delivery;
/// Evidence files: staging, sniffing and EXIF of uploads, and the store their bytes live in.
pub mod attachments;
/// Command-line flags and configuration with environment fallbacks.
pub mod config;
/// The CSV writer of downloads, safe to open in a spreadsheet.
pub mod csv_out;
/// Database pool, migrations, and the SQL of each aggregate.
pub mod db;
/// Pure domain types and rules.
pub mod domain;
/// The HTTP error type and its problem+json rendering.
pub mod error;
/// Export of a layer or a selection in every exchange format (GeoJSON, CSV, xlsx, GDAL's).
pub mod export;
/// The HTTP service: routers, state, static files.
pub mod http;
/// All-or-nothing import of sites and areas from GeoJSON, every vector format GDAL reads, and
/// sheets of points.
pub mod import;
/// The casework ledgers (台账) in: all-or-nothing import of a sheet of cases.
pub mod ledger;
/// The towns' monthly progress sheet in: project updates through the lifecycle, previewed first.
pub mod progress_sheet;
/// The half-year report: point-in-time state, figures against targets, sentences, formats.
pub mod report;
/// The lab's sheets of measurements: import, checks and the regrading of sites.
pub mod samples;
/// Loading the sample data set.
pub mod seed;
/// Reading CSV and xlsx sheets row by row.
pub mod sheet;
/// The never-stale in-memory cache of rendered vector tiles.
pub mod tile_cache;
