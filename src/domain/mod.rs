//! Pure domain types and rules: site kinds and their attributes, the project lifecycle,
//! input coordinate systems, grading by the standards. Nothing here touches the database or HTTP.

pub mod account;
pub mod attachment;
pub mod casework;
pub mod choice;
pub mod coords;
pub mod cql2;
pub mod crs;
pub mod file_crs;
pub mod geometry;
pub mod import;
pub mod monitoring;
pub mod project;
pub mod site_kind;
pub mod status;
pub mod text;
pub mod tile;
pub mod time;
pub mod zone;

pub use crs::InputCrs;
pub use site_kind::{Audience, GeomType, SiteKind};
pub use status::ProjectStatus;
