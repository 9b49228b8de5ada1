#!/usr/bin/env bash
# Evidence uploads (issue 18), in database rt_attachments_bench (the sample data set, seeded),
# with the release binary and the local store in bench/.scratch/attachments:
#   upload:     one 50 MB PDF with curl, three times: MB/s, and the server's resident memory
#               before the uploads against its peak (VmHWM) after them;
#   parallel:   32 concurrent uploads of a 5 MB photo under wrk for SECONDS: req/s, p50, p99;
#   thumbnails: 40 photos of 4000 × 3000 pixels uploaded, then the time until every one has its
#               thumbnail: thumbnails per second.
#
#   bench/attachments_bench.sh [SECONDS]     default 5 (each parallel upload stores 5 MB)
# Prints markdown rows for bench/RESULTS.md. Do not run it while a cargo build is running.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-5}
BASE=${DATABASE_URL:-postgres://tracker:tracker@127.0.0.1:5432/remediation_tracker}
DB_URL="${BASE%/*}/rt_attachments_bench"
SCRATCH=bench/.scratch
STORE=$SCRATCH/attachments
BIN=target/release/remediation-tracker
PORT=18097
mkdir -p "$SCRATCH"
cargo build --release --locked --quiet
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
# Debian's Python with Debian's Pillow draws the photos
/usr/bin/python3 -c 'import PIL' 2>/dev/null || apt-get install -y -qq python3-pil >/dev/null

psql -q "${BASE%/*}/postgres" -c "DROP DATABASE IF EXISTS rt_attachments_bench" -c "CREATE DATABASE rt_attachments_bench"
DATABASE_URL=$DB_URL "$BIN" migrate 2>/dev/null
DATABASE_URL=$DB_URL "$BIN" seed --geodata geodata >/dev/null 2>&1
printf 'bench password\n' | DATABASE_URL=$DB_URL "$BIN" user add --username bench-editor --role editor 2>/dev/null
rm -rf "$STORE"
DATABASE_URL=$DB_URL RUST_LOG=warn ATTACHMENT_DIR=$STORE "$BIN" serve --bind "127.0.0.1:$PORT" --web-dir web >"$SCRATCH/attachments-server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
token=$(python3 bench/api_token.py "$PORT" bench-editor "bench password" "attachments bench")
site=$(psql -qAt "$DB_URL" -c "SELECT id FROM site WHERE kind = 'black_odor_water' ORDER BY code LIMIT 1")
url="http://127.0.0.1:$PORT/api/sites/$site/attachments"

# the files: a 50 MB PDF, a 5 MB JPEG, 40 photos of 12 megapixels
/usr/bin/python3 - "$SCRATCH" <<'PY'
import io, os, random, sys
from PIL import Image
scratch = sys.argv[1]
random.seed(18)
with open(f"{scratch}/evidence-50mb.pdf", "wb") as f:
    f.write(b"%PDF-1.7\n")
    f.write(os.urandom(50 * 1024 * 1024 - 9))
def photo(width, height, seed):
    rng = random.Random(seed)
    small = Image.frombytes("RGB", (64, 48), bytes(rng.randrange(256) for _ in range(64 * 48 * 3)))
    out = io.BytesIO()
    small.resize((width, height), Image.BICUBIC).save(out, "JPEG", quality=95)
    return out.getvalue()
# a 5 MB photo: a 12-megapixel JPEG padded with a comment-free trailer to 5 MB
five = photo(4000, 3000, 5)
five += os.urandom(max(0, 5 * 1024 * 1024 - len(five)))
boundary = "bench-boundary-18"
body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"整治中.jpg\"\r\n"
        "Content-Type: image/jpeg\r\n\r\n").encode() + five + f"\r\n--{boundary}--\r\n".encode()
open(f"{scratch}/photo-5mb.form", "wb").write(body)
os.makedirs(f"{scratch}/photos", exist_ok=True)
for i in range(40):
    open(f"{scratch}/photos/photo-{i:02d}.jpg", "wb").write(photo(4000, 3000, 100 + i))
PY

pid_rss() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }
rss_before=$(pid_rss)
for run in 1 2 3; do
    secs=$(curl -fs -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $token" -F "file=@$SCRATCH/evidence-50mb.pdf;filename=一河一策-$run.pdf" "$url")
    echo "| upload 50 MB to the local store, run $run | $(python3 -c "print(round(50 / $secs, 1))") MB/s | ${secs} s |"
done
peak=$(awk '/^VmHWM/ {print $2}' "/proc/$server/status")
echo "| server memory: resident before the uploads, peak after them | $((rss_before / 1024)) MB | $((peak / 1024)) MB (rise $(((peak - rss_before) / 1024)) MB) |"

cat >"$SCRATCH/upload.lua" <<LUA
local f = io.open("$SCRATCH/photo-5mb.form", "rb")
wrk.method = "POST"
wrk.body = f:read("*all")
f:close()
wrk.headers["Content-Type"] = "multipart/form-data; boundary=bench-boundary-18"
wrk.headers["Authorization"] = "Bearer $token"
LUA
out=$(wrk -t2 -c32 -d"${SECONDS_PER_RUN}s" --latency -s "$SCRATCH/upload.lua" "$url")
rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
p50=$(awk '$1 == "50%" {print $2}' <<<"$out"); p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
echo "| 32 parallel uploads of a 5 MB photo, ${SECONDS_PER_RUN} s | $rps req/s | p50 $p50, p99 $p99 | non-2xx: ${non2xx:-0} |"
# the parallel uploads' thumbnails are made in the background: let them finish first
for _ in $(seq 600); do
    [ "$(psql -qAt "$DB_URL" -c "SELECT count(*) FROM attachment WHERE kind = 'photo' AND thumbnail_key IS NULL")" = 0 ] && break
    sleep 1
done

before=$(psql -qAt "$DB_URL" -c "SELECT count(*) FROM attachment WHERE thumbnail_key IS NOT NULL")
start=$(date +%s.%N)
for photo in "$SCRATCH"/photos/*.jpg; do
    curl -fs -o /dev/null -H "Authorization: Bearer $token" -F "file=@$photo" "$url"
done
uploaded=$(date +%s.%N)
for _ in $(seq 1200); do
    done_now=$(psql -qAt "$DB_URL" -c "SELECT count(*) FROM attachment WHERE thumbnail_key IS NOT NULL")
    [ $((done_now - before)) -ge 40 ] && break
    sleep 0.1
done
finish=$(date +%s.%N)
python3 -c "print(f'| thumbnails of 40 photos of 4000 × 3000 | {40 / ($finish - $start):.1f} per second | uploads took {$uploaded - $start:.1f} s, all thumbnails done at {$finish - $start:.1f} s |')"
psql -qAt "$DB_URL" -c "SELECT 'stored: ' || count(*) || ' attachments, ' || pg_size_pretty(sum(size_bytes)) FROM attachment" >&2
rm -rf "$STORE"
