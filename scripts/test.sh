#!/usr/bin/env bash
# Runs the whole test suite against a real PostGIS: installs what is missing, creates the test
# database, runs the Rust tests (each database test gets its own database), then the browser
# tests in headless Chromium against the real server with the sample data, after clients nobody
# here wrote (GDAL, OWSLib, schemathesis) have checked that server.
source "$(dirname "$0")/lib.sh"

ensure_toolchain
ensure_database_server
ensure_web_packages
ensure_browser
ensure_outside_clients

ensure_cargo_tool cargo-deny 0.20.2 cargo-deny --no-default-features

say "checking the formatting, the lints and the dependencies' licences and sources"
cargo fmt --all -- --check
cargo clippy --locked --all-targets --quiet -- -D warnings
"$TOOLS_BIN/cargo-deny" --log-level error check licenses bans sources

export DATABASE_URL=$TEST_DATABASE_URL
say "creating and migrating the test database"
cargo run --locked --quiet -- migrate
say "checking the SQL of the checked queries against the migrated database (.sqlx)"
ensure_cargo_tool sqlx-cli 0.8.6 cargo-sqlx --no-default-features --features postgres
PATH=$TOOLS_BIN:$PATH cargo sqlx prepare --check -- --all-targets
say "running the Rust tests"
cargo test --locked --all-targets

say "starting the server with the sample data, in a database made afresh, for the clients and browser tests"
# the browser tests write (they move projects on, import a sheet, enter cases): a database of
# their own, dropped and seeded on every run, keeps the clients' exact figures true on a rerun
test_base=${TEST_DATABASE_URL%%\?*}
test_query=""
[ "$test_base" != "$TEST_DATABASE_URL" ] && test_query="?${TEST_DATABASE_URL#*\?}"
web_database=${test_base##*/}_web
psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $web_database WITH (FORCE)"
export DATABASE_URL="${test_base%/*}/$web_database$test_query"
target/debug/remediation-tracker migrate
target/debug/remediation-tracker seed --geodata geodata
# the accounts the browser tests log in with
for account in web-editor:editor web-viewer:viewer; do
    printf '%s-pass-1\n' "${account%%:*}" | target/debug/remediation-tracker user add --username "${account%%:*}" --role "${account##*:}"
done
port=${WEB_TEST_PORT:-18765}
# a GCJ-02 basemap on a host the browser tests answer themselves (there is no internet in CI)
BASEMAP_GCJ02_URL='http://gcj02-basemap.test/{z}/{x}/{y}.png' \
    target/debug/remediation-tracker serve --bind "127.0.0.1:$port" --web-dir web >target/web-test-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 $server 2>/dev/null || { cat target/web-test-server.log >&2; exit 1; }
    sleep 0.2
done
say "checking the server with outside clients: openapi-spec-validator, GDAL, OWSLib, schemathesis"
"$CLIENTS_VENV/bin/python" tests/clients/check.py "http://127.0.0.1:$port" web-editor web-editor-pass-1
say "running the browser tests"
(cd web && BASE_URL="http://127.0.0.1:$port" node --test --test-concurrency=1 --test-timeout=180000 tests/)
