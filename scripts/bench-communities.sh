#!/usr/bin/env bash
# Community benchmark: ingest and the nested members page against the raw
# database, in one run; prints ratios (see PERFORMANCE targets in the README).
#   scripts/bench-communities.sh                       # embedded SQLite
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres scripts/bench-communities.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cleanup() {
  # The run leaves its scratch database behind; drop it.
  if [ -n "${BENCH_DATABASE_URL:-}" ] && command -v psql >/dev/null; then
    psql "$BENCH_DATABASE_URL" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'hearth\_bench\_%'" |
      while read -r db; do psql "$BENCH_DATABASE_URL" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null; done
  fi
}
trap cleanup EXIT
cargo run --release --example bench_communities
