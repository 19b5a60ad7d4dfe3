#!/usr/bin/env bash
# Impact report benchmark: cold report against the same SQL run directly, and
# the cached report against a plain endpoint serving the same bytes; prints
# ratios. Seeding 1,000,000 orders takes a few minutes.
#   scripts/bench-impact.sh                            # embedded SQLite
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres scripts/bench-impact.sh
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release --example bench_impact
