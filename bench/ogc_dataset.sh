# Sourced by the OGC and tile benchmarks: makes sure $DB_URL holds their data set, 100,000
# generated contaminated plots and 20,000 rivers over Jiangsu, imported by $BIN and clustered on
# the geometry index. Needs $SERVER, $DB_URL, $BIN and $SCRATCH.
if [ "$(psql -qAt "$DB_URL" -c "SELECT count(*) FROM site" 2>/dev/null)" != 120000 ]; then
    echo "==> building rt_ogc_bench" >&2
    psql -q "$SERVER/postgres" -c "DROP DATABASE IF EXISTS rt_ogc_bench" -c "CREATE DATABASE rt_ogc_bench"
    DATABASE_URL=$DB_URL "$BIN" migrate 2>/dev/null
    for spec in "contaminated_plot 100000 21 OGC-CP-" "river 20000 22 OGC-RV-"; do
        set -- $spec
        file="$SCRATCH/$1-$2-ogc.geojson"
        [ -f "$file" ] || python3 bench/gen_sites.py --kind "$1" --count "$2" --seed "$3" --code-prefix "$4" --out "$file"
        DATABASE_URL=$DB_URL "$BIN" import --kind "$1" "$file" 2>&1 | grep -v WARN >&2
    done
    psql -q "$DB_URL" -c "CLUSTER site USING site_geom_idx" -c "ANALYZE"
fi
