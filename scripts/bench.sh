#!/usr/bin/env bash
# Runs one benchmark in release mode and prints its ratios against the
# reference measured in the same run (targets in the README).
#   scripts/bench.sh impact|reports_streaming|communities|api|research|campaigns|training|webhooks|live
# Environment:
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
#                        PostgreSQL server for a scratch database (SQLite otherwise)
#   BENCH_REDIS_URL=redis://127.0.0.1:6379
#                        cache in Redis instead of in-process
#   BENCH_KEEP_DATABASE=1
#                        keep the scratch PostgreSQL database (and cache keys)
#                        for inspection; its name is printed at the end
#   BENCH_SCALE=10       impact: a tenth of the volume, for quick runs
#                        (reports_streaming: its default; BENCH_SCALE=1 for 1,000,000 orders)
#   BENCH_ROUND_SECS=15  reports_streaming: length of each round
#   BENCH_WRK_THREADS=2  wrk threads (default 1)
#   BENCH_PAGES_ONLY=1   communities: skip the ingest and idle-memory steps
#   BENCH_SOAK_SECS=600  communities: add a soak of mixed load, resident set every 30 s
#   HEARTH_...           settings of the benchmarked instance, as for the server
#                        (HEARTH_DATABASE__CONNECTION_PER_QUERY=false, say)
# Throughput is measured with wrk (Debian/Ubuntu: apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:-}"
case "$name" in
  impact | reports_streaming | communities | api | research | campaigns | training | webhooks | live) ;;
  *) echo "usage: scripts/bench.sh impact|reports_streaming|communities|api|research|campaigns|training|webhooks|live" >&2; exit 2 ;;
esac
# Each run drops the scratch database and cache keys it made itself.
# (communities uses it for its pages, which need PostgreSQL.)
if [ "$name" != reports_streaming ] && [ "$name" != webhooks ] && [ "$name" != live ] && { [ "$name" != communities ] || [ -n "${BENCH_DATABASE_URL:-}" ]; } && ! command -v wrk >/dev/null; then
  echo "wrk is needed: apt-get install wrk" >&2
  exit 1
fi
cargo run --release --example "bench_$name"
