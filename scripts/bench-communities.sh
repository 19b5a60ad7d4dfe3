#!/usr/bin/env bash
# Community benchmark: ingest and the nested members page against the raw
# database, in one run; prints ratios (see PERFORMANCE targets in the README).
#   scripts/bench-communities.sh                       # embedded SQLite
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres scripts/bench-communities.sh
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release --example bench_communities
