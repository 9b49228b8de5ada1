#!/usr/bin/env bash
# Runs the tracker on http://127.0.0.1:8080 (or $BIND_ADDR) with the sample data loaded:
# installs what is missing, creates and migrates the app and test databases, seeds once, serves.
source "$(dirname "$0")/lib.sh"

BIND_ADDR=${BIND_ADDR:-127.0.0.1:8080}
if (exec 3<>"/dev/tcp/${BIND_ADDR%:*}/${BIND_ADDR##*:}") 2>/dev/null; then
    say "something already listens on $BIND_ADDR (an earlier run?): open http://$BIND_ADDR/"
    exit 0
fi

ensure_toolchain
ensure_database_server
ensure_web_packages

say "building (release)"
cargo build --release --locked --quiet
bin=target/release/remediation-tracker

DATABASE_URL=$TEST_DATABASE_URL "$bin" migrate
DATABASE_URL=$APP_DATABASE_URL "$bin" migrate
DATABASE_URL=$APP_DATABASE_URL "$bin" seed --geodata geodata
say "serving on http://$BIND_ADDR/ (Ctrl-C stops)"
exec env DATABASE_URL="$APP_DATABASE_URL" "$bin" serve --bind "$BIND_ADDR" --web-dir web
