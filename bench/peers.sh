#!/usr/bin/env bash
# Installs the reference servers the OGC/tiles benchmark compares against, into
# bench/.scratch/peers (never a dependency of the project or its tests):
#   Martin 1.14.0 (tiles), built with cargo: newer Martin needs a newer rustc;
#   tipg (OGC API - Features), from PyPI into a virtualenv.
# Safe to run twice. Building Martin takes ~15 minutes on 2 cores: do not run it while another
# cargo build is running.
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS=bench/.scratch/peers
mkdir -p "$PEERS"
if [ ! -x "$PEERS/martin/bin/martin" ]; then
    echo "==> building Martin 1.14.0 into $PEERS/martin"
    cargo install martin@1.14.0 --locked --no-default-features --features postgres --root "$PEERS/martin"
fi
if [ ! -x "$PEERS/tipg/bin/uvicorn" ]; then
    echo "==> installing tipg into $PEERS/tipg"
    python3 -m venv "$PEERS/tipg"
    "$PEERS/tipg/bin/pip" install --quiet tipg uvicorn
fi
"$PEERS/martin/bin/martin" --version
"$PEERS/tipg/bin/pip" show tipg | grep -E '^(Name|Version)'
