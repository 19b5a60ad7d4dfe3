#!/usr/bin/env bash
# Runs one benchmark in release mode and prints its ratios against the
# reference measured in the same run (targets in the README).
#   scripts/bench.sh impact|communities|api|research
# Environment:
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
#                        PostgreSQL server for a scratch database (SQLite otherwise)
#   BENCH_REDIS_URL=redis://127.0.0.1:6379
#                        cache in Redis instead of in-process
#   BENCH_SCALE=10       impact: a tenth of the volume, for quick runs
#   BENCH_WRK_THREADS=2  wrk threads (default 1)
# Throughput is measured with wrk (Debian/Ubuntu: apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:-}"
case "$name" in
  impact | communities | api | research) ;;
  *) echo "usage: scripts/bench.sh impact|communities|api|research" >&2; exit 2 ;;
esac
cleanup() {
  # A run leaves its scratch database and cache keys behind; drop them.
  if [ -n "${BENCH_DATABASE_URL:-}" ] && command -v psql >/dev/null; then
    psql "$BENCH_DATABASE_URL" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'hearth\_bench\_%'" |
      while read -r db; do psql "$BENCH_DATABASE_URL" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null; done
  fi
  if [ -n "${BENCH_REDIS_URL:-}" ] && command -v redis-cli >/dev/null; then
    redis-cli -u "$BENCH_REDIS_URL" --scan --pattern 'hearth_bench_*' |
      xargs -r redis-cli -u "$BENCH_REDIS_URL" DEL >/dev/null
  fi
}
trap cleanup EXIT
if [ "$name" != communities ] && ! command -v wrk >/dev/null; then
  echo "wrk is needed: apt-get install wrk" >&2
  exit 1
fi
cargo run --release --example "bench_$name"
