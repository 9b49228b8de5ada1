#!/usr/bin/env bash
# Shared set-up for scripts/run.sh and scripts/test.sh: installs or starts what is missing,
# and works out the database URLs. Safe to run any number of times.
#
# With DATABASE_URL set, that server is used and nothing else on the machine is touched:
# the app uses DATABASE_URL, the tests use the same server with "_test" appended to the name.
# Without it, a local PostgreSQL cluster with PostGIS is installed or started, with three roles:
#   tracker_owner  owns the app database and runs its migrations (no superuser; PostGIS is
#                  created in the database by the postgres superuser here);
#   tracker        the role the server runs as: no superuser, no CREATEDB, only the rows of the
#                  tables (granted by `migrate --grant-to tracker`);
#   tracker_test   superuser, for the test suite only: #[sqlx::test] creates a database per test
#                  and the postgis extension in each.
# Passwords are the role names: fine on a developer's machine, see the README for production.

set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing ${missing[*]}"
    if [ $apt_updated = 0 ]; then
        as_root apt-get update -qq
        apt_updated=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_toolchain() {
    if ! command -v cargo >/dev/null; then
        echo "cargo is missing: install the stable Rust toolchain (https://rustup.rs), then run this again" >&2
        exit 1
    fi
    command -v cc >/dev/null || apt_install gcc libc6-dev
    # the import and export of Shapefile, GeoPackage, KML, DXF and FlatGeobuf link GDAL
    apt_install libgdal-dev pkg-config
}

# Sets OWNER_DATABASE_URL (migrations), APP_DATABASE_URL (the server) and TEST_DATABASE_URL.
ensure_database_server() {
    if [ -n "${DATABASE_URL:-}" ]; then
        APP_DATABASE_URL=$DATABASE_URL
        OWNER_DATABASE_URL=${MIGRATE_DATABASE_URL:-$DATABASE_URL}
        local base=${DATABASE_URL%%\?*} query=""
        [ "$base" != "$DATABASE_URL" ] && query="?${DATABASE_URL#*\?}"
        TEST_DATABASE_URL="${base}_test${query}"
        return 0
    fi
    apt_install postgresql postgresql-common
    local major
    major=$(pg_lsclusters -h 2>/dev/null | awk '{print $1}' | sort -n | tail -1)
    if [ -z "$major" ]; then
        major=$(ls /usr/lib/postgresql | sort -n | tail -1)
        say "creating PostgreSQL $major cluster"
        as_root pg_createcluster "$major" main >/dev/null
    fi
    apt_install "postgresql-$major-postgis-3"
    local cluster port status
    read -r _ cluster port status _ < <(pg_lsclusters -h | awk -v v="$major" '$1 == v' | head -1)
    if [ "$status" != online ]; then
        say "starting PostgreSQL $major/$cluster"
        as_root pg_ctlcluster --skip-systemctl-redirect "$major" "$cluster" start
    fi
    # PostgreSQL refuses to run as root: talk to it as the postgres user over its socket.
    local psql=(as_root runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qtA)
    "${psql[@]}" -c "
        DO \$\$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tracker_owner') THEN
                CREATE ROLE tracker_owner LOGIN PASSWORD 'tracker_owner';
            END IF;
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tracker') THEN
                CREATE ROLE tracker LOGIN PASSWORD 'tracker';
            END IF;
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tracker_test') THEN
                CREATE ROLE tracker_test LOGIN SUPERUSER PASSWORD 'tracker_test';
            END IF;
        END \$\$;
        -- earlier versions of this script made tracker a superuser that owned everything
        ALTER ROLE tracker NOSUPERUSER NOCREATEDB NOCREATEROLE;
        ALTER ROLE tracker_owner NOSUPERUSER NOCREATEDB NOCREATEROLE;" >/dev/null
    if [ -z "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'remediation_tracker'")" ]; then
        "${psql[@]}" -c "CREATE DATABASE remediation_tracker OWNER tracker_owner" >/dev/null
    fi
    # the owner owns the schema objects too (a database made by an earlier version belonged to tracker)
    "${psql[@]}" -d remediation_tracker -c "
        ALTER DATABASE remediation_tracker OWNER TO tracker_owner;
        CREATE EXTENSION IF NOT EXISTS postgis;
        REASSIGN OWNED BY tracker TO tracker_owner;" >/dev/null
    OWNER_DATABASE_URL="postgres://tracker_owner:tracker_owner@127.0.0.1:$port/remediation_tracker"
    APP_DATABASE_URL="postgres://tracker:tracker@127.0.0.1:$port/remediation_tracker"
    TEST_DATABASE_URL="postgres://tracker_test:tracker_test@127.0.0.1:$port/remediation_tracker_test"
}

# A cargo tool at a pinned version, built once per machine into the user's cache (a debug build:
# these tools check, they need no speed), so that every clone shares it. Sets TOOLS_BIN.
TOOLS_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/remediation-tracker/tools
ensure_cargo_tool() {
    local crate=$1 version=$2 binary=$3
    shift 3
    TOOLS_BIN=$TOOLS_ROOT/bin
    if ! "$TOOLS_BIN/$binary" --version 2>/dev/null | grep -qF "$version"; then
        say "building $crate $version (once per machine)"
        CARGO_PROFILE_DEV_DEBUG=0 cargo install --quiet --locked --debug --root "$TOOLS_ROOT" --version "$version" "$@" "$crate"
    fi
}

ensure_web_packages() {
    if ! command -v npm >/dev/null; then
        apt_install nodejs npm
    fi
    if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
        say "installing web packages (npm ci)"
        (cd web && npm ci --no-audit --no-fund --loglevel=error)
    fi
}

ensure_browser() {
    command -v chromium >/dev/null || apt_install chromium
    # readable Chinese in screenshots
    apt_install fonts-noto-cjk
}

# A Python venv with the clients the suite checks the server with, nobody here wrote: the
# OpenAPI validator, OWSLib and schemathesis (pinned in tests/clients/requirements.txt); and
# GDAL's command-line tools from Debian.
ensure_outside_clients() {
    CLIENTS_VENV=target/clients-venv
    if [ ! -x "$CLIENTS_VENV/bin/python" ]; then
        python3 -m venv "$CLIENTS_VENV" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$CLIENTS_VENV"; }
    fi
    "$CLIENTS_VENV/bin/pip" install --quiet --disable-pip-version-check -r tests/clients/requirements.txt |
        grep -v 'already satisfied' || true
    command -v ogrinfo >/dev/null || apt_install gdal-bin
}
