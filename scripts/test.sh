#!/usr/bin/env bash
# Runs the whole test suite against a real PostGIS: installs what is missing, creates the test
# database, then runs the Rust tests (each database test gets its own database).
source "$(dirname "$0")/lib.sh"

ensure_toolchain
ensure_database_server
ensure_web_packages

export DATABASE_URL=$TEST_DATABASE_URL
say "creating and migrating the test database"
cargo run --locked --quiet -- migrate
say "running the tests"
cargo test --locked --all-targets
