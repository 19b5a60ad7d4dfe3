#!/usr/bin/env bash
# Impact report benchmark: cold report against the same SQL run directly, and
# the cached report against a plain endpoint serving the same bytes; prints
# ratios. Seeding 1,000,000 orders takes a few minutes.
#   scripts/bench-impact.sh                            # embedded SQLite
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres scripts/bench-impact.sh
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
cargo run --release --example bench_impact
