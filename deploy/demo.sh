#!/usr/bin/env bash
# Runs the whole system with simulated Shanghai stations: provisions
# PostgreSQL and Mosquitto, then `envmon demo`. Open the URL it prints.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
deploy/provision.sh
exec cargo run --release --quiet -- demo "$@"
