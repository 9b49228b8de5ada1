#!/usr/bin/env bash
# Builds the benchmark dataset in database rt_bench on the server of $DATABASE_URL: a grid of
# generated towns, 1,000,000 generated sites over Jiangsu (700,000 enterprise points, 280,000
# contaminated-plot polygons, 20,000 rivers) imported with the release binary, and 100,000
# projects each linked to 1-5 random sites, with statuses spread over the lifecycle; the site
# table is then clustered on its spatial index. Safe to re-run: it starts afresh.
#
#   bench/dataset.sh            (about three minutes on 2 cores, once the release build exists)
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${DATABASE_URL:-postgres://tracker:tracker@127.0.0.1:5432/remediation_tracker}
SERVER=${BASE%/*}
export BENCH_URL="$SERVER/rt_bench"
SCRATCH=bench/.scratch
mkdir -p "$SCRATCH"
BIN=target/release/remediation-tracker
cargo build --release --locked --quiet

psql -q "$SERVER/postgres" -c "DROP DATABASE IF EXISTS rt_bench" -c "CREATE DATABASE rt_bench"
DATABASE_URL=$BENCH_URL "$BIN" migrate 2>/dev/null
# Towns for the whole box the sites are drawn in (a province has about 1,300): a 0.1° grid of
# 2,464 cells of 160 vertices each, so every site gets its town on import and the town lookup of
# GET /api/locate tests a point against polygons of a realistic size.
psql -v ON_ERROR_STOP=1 -q "$BENCH_URL" <<'SQL'
INSERT INTO admin_area (code, name, level, approximate, source, geom)
SELECT '3299' || lpad((r * 56 + c + 1)::text, 5, '0'), '合成街道 ' || (r * 56 + c + 1), 'town', true,
       'bench/dataset.sh: generated 0.1° grid cell',
       ST_Multi(ST_Segmentize(ST_MakeEnvelope(116.3 + c * 0.1, 30.7 + r * 0.1, 116.4 + c * 0.1, 30.8 + r * 0.1, 4326), 0.0025))
FROM generate_series(0, 55) c, generate_series(0, 43) r;
SQL

generate() { # kind count seed prefix
    local file="$SCRATCH/$1-$2.geojson"
    [ -f "$file" ] || python3 bench/gen_sites.py --kind "$1" --count "$2" --seed "$3" --code-prefix "$4" --out "$file"
    echo "$file"
}
for spec in "enterprise 700000 11 GEN-EN-" "contaminated_plot 280000 12 GEN-CP-" "river 20000 13 GEN-RV-"; do
    set -- $spec
    file=$(generate "$1" "$2" "$3" "$4")
    echo "importing $2 $1"
    DATABASE_URL=$BENCH_URL "$BIN" import --kind "$1" "$file" 2>&1 | grep -v WARN
done

psql -v ON_ERROR_STOP=1 -q "$BENCH_URL" <<'SQL'
INSERT INTO programme (code, name, category, target_count, target_start_rate)
SELECT 'BENCH-' || g, '基准项目清单 ' || g, 'water', 10000, 0.7 FROM generate_series(1, 10) g;
INSERT INTO project (code, name, category, status, status_reason, progress, programme_id, responsible_unit)
SELECT 'BP-' || lpad(g::text, 6, '0'), '合成项目 ' || g,
       (ARRAY['air', 'water', 'soil', 'ecology', 'safety'])[1 + g % 5],
       (ARRAY['planned', 'preparing', 'in_progress', 'in_progress', 'completed', 'accepted', 'suspended', 'cancelled'])[1 + g % 8],
       CASE WHEN g % 8 = 6 THEN '待资金' END,
       (g * 7) % 101,
       (SELECT id FROM programme WHERE code = 'BENCH-' || (1 + g % 10)),
       '责任单位 ' || (g % 97)
FROM generate_series(1, 100000) g;
-- 1-5 sites per project, spread over the whole id range
INSERT INTO project_site (project_id, site_id)
SELECT DISTINCT p.id, 1 + ((p.id * 7919 + k * 104729) % 1000000)
FROM project p, generate_series(0, 4) k
WHERE k <= p.id % 5;
INSERT INTO project_event (project_id, actor_name, kind, to_status, note)
SELECT id, 'bench', 'created', status, 'generated' FROM project;
-- Rows near each other on the map go near each other on disk, as on a maintained PostGIS table
-- (generated rows arrive in random order; survey data arrives by area).
CLUSTER site USING site_geom_idx;
VACUUM ANALYZE;
SQL
psql -qAt "$BENCH_URL" -c "SELECT 'sites: ' || count(*) FROM site" -c "SELECT 'projects: ' || count(*) FROM project" -c "SELECT 'links: ' || count(*) FROM project_site"
