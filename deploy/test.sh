#!/usr/bin/env bash
# Runs every check: formatting, clippy with warnings denied, and the whole
# test suite against a real PostgreSQL, real Mosquitto and RabbitMQ brokers
# and a real headless Chromium. Provisions what is missing first.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
deploy/provision.sh --with-browser

(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)

export ENVMON_TEST_DATABASE_URL="${ENVMON_TEST_DATABASE_URL:-postgres://envmon:envmon@127.0.0.1:5432/postgres}"

# Databases left by earlier test runs (each test makes its own).
psql "$ENVMON_TEST_DATABASE_URL" -qtAX -c "SELECT datname FROM pg_database WHERE datname LIKE 'envmon_t_%'" |
    while read -r db; do psql "$ENVMON_TEST_DATABASE_URL" -qtAX -c "DROP DATABASE IF EXISTS \"$db\"" || true; done
# The fault tests may restart this cluster (no other test runs meanwhile).
if [[ $EUID -eq 0 ]]; then
    export ENVMON_TEST_PG_CLUSTER="${ENVMON_TEST_PG_CLUSTER:-$(pg_lsclusters -h | awk 'NR == 1 { print $1 "/" $2 }')}"
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo test --workspace --quiet 2>&1 | tee "$log"
# One closing line for the whole suite, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "envmon: %d passed, %d failed\n", p, f }' "$log"
