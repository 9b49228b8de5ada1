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

# the schema's owner migrates and grants the server's role its rows; the server owns nothing
app_role=$(sed -E 's|^[a-z]+://([^:@/]+).*|\1|' <<<"$APP_DATABASE_URL")
DATABASE_URL=$OWNER_DATABASE_URL "$bin" migrate --grant-to "$app_role"
DATABASE_URL=$APP_DATABASE_URL "$bin" seed --geodata geodata
say "serving on http://$BIND_ADDR/ (Ctrl-C stops)"
exec env DATABASE_URL="$APP_DATABASE_URL" "$bin" serve --bind "$BIND_ADDR" --web-dir web
