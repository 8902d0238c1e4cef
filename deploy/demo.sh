#!/usr/bin/env bash
# Runs the whole system with simulated Shanghai stations: provisions
# PostgreSQL and the broker (RabbitMQ by default; ENVMON_BROKER=mosquitto for
# Mosquitto), then `envmon demo`, whose daemons log in to the broker with the
# accounts provisioning made. Open the URL it prints.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
deploy/provision.sh --broker "${ENVMON_BROKER:-rabbitmq}"
export ENVMON__BROKER_USERS__FILE="${ENVMON__BROKER_USERS__FILE:-$ROOT/.envmon/broker-users}"
if [[ -n "${ENVMON_BROKER_PORT:-}" ]]; then
    export ENVMON__BROKER__PORT="$ENVMON_BROKER_PORT"
fi
# Sixty days of hourly history before going live, so the city's calendar, its
# good-day ratio and the rankings over a period have something to show (about
# a minute of rollup on two cores); the simulator's own default is a day.
export ENVMON__SIMULATOR__BACKFILL="${ENVMON__SIMULATOR__BACKFILL:-60days}"
exec cargo run --release --quiet -- demo "$@"
