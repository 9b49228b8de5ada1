//! Integration tests against a real PostGIS: every `#[sqlx::test]` gets its own database with the
//! migrations applied. One test binary keeps link time down on small machines.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod access;
mod api;
mod attachments;
mod cases;
mod cli;
mod common;
mod constraints;
mod cql2_differential;
mod data_exchange;
mod hardening;
mod hostile;
mod http;
mod import;
mod ogc;
mod ogc_edit;
mod ogc_filter;
mod openapi;
mod report;
mod samples;
mod security;
mod seed;
mod tile_cache;
mod tiles;
mod vector_files;
