#!/usr/bin/env bash
# Installs and starts what envmon needs on a Debian machine: PostgreSQL and
# Mosquitto (and, with --with-browser, Chromium and Node.js for the browser
# tests). Idempotent: safe to run again; it only does what is missing.
#
#   deploy/provision.sh [--with-browser]
#
# Afterwards: PostgreSQL on 127.0.0.1:5432 with role and database "envmon"
# (password "envmon", allowed to create test databases), and Mosquitto on
# 127.0.0.1:1883 with deploy/mosquitto/envmon.conf.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="$ROOT/.envmon"
WITH_BROWSER=0
[[ "${1:-}" == "--with-browser" ]] && WITH_BROWSER=1

log() { printf 'provision: %s\n' "$*" >&2; }

as_root() {
    if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
install_packages() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    ((${#missing[@]} == 0)) && return 0
    if ((apt_updated == 0)); then
        log "apt-get update"
        as_root apt-get update -qq
        apt_updated=1
    fi
    log "installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# fonts-noto-cjk: the publisher draws Chinese text into PNG charts with it.
# libxml2-utils: xmllint, which validates our CAP output against the OASIS schema.
packages=(postgresql mosquitto mosquitto-clients openssl python3-venv fonts-noto-cjk libxml2-utils)
if ((WITH_BROWSER)); then
    packages+=(chromium)
    command -v node >/dev/null || packages+=(nodejs)
    command -v npm >/dev/null || packages+=(npm)
fi
install_packages "${packages[@]}"

# --- PostgreSQL --------------------------------------------------------------
# PostgreSQL refuses to run as root: pg_ctlcluster switches to its owner.
pg_version="$(ls /usr/lib/postgresql | sort -V | tail -1)"
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$pg_version main$"; then
    log "creating PostgreSQL $pg_version cluster"
    as_root pg_createcluster "$pg_version" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$pg_version" '$1==v && $2=="main" {print $4}' | grep -q online; then
    log "starting PostgreSQL $pg_version"
    as_root pg_ctlcluster "$pg_version" main start
fi
pg_port="$(pg_lsclusters -h | awk -v v="$pg_version" '$1==v && $2=="main" {print $3}')"
psql_admin() { as_root su postgres -c "psql -p $pg_port -qtAX -v ON_ERROR_STOP=1 -c \"$1\""; }
for _ in $(seq 1 30); do psql_admin "SELECT 1" >/dev/null 2>&1 && break; sleep 1; done
if [[ "$(psql_admin "SELECT 1 FROM pg_roles WHERE rolname = 'envmon'")" != "1" ]]; then
    log "creating role envmon"
    psql_admin "CREATE ROLE envmon LOGIN CREATEDB PASSWORD 'envmon'"
fi
if [[ "$(psql_admin "SELECT 1 FROM pg_database WHERE datname = 'envmon'")" != "1" ]]; then
    log "creating database envmon"
    psql_admin "CREATE DATABASE envmon OWNER envmon"
fi
if [[ "$pg_port" != "5432" ]]; then
    log "note: PostgreSQL listens on port $pg_port; set ENVMON__DATABASE__URL accordingly"
fi

# --- Mosquitto ---------------------------------------------------------------
# Our own instance with envmon's configuration, unless something already
# listens on 1883 (a system broker, or ours from an earlier run).
broker_up() { (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; }
if ! broker_up; then
    mkdir -p "$STATE_DIR/mosquitto"
    chmod 0777 "$STATE_DIR/mosquitto"
    sed -e "s|@PORT@|1883|" -e "s|@DATA_DIR@|$STATE_DIR/mosquitto|" \
        "$ROOT/deploy/mosquitto/envmon.conf" >"$STATE_DIR/mosquitto.conf"
    log "starting Mosquitto on 127.0.0.1:1883"
    /usr/sbin/mosquitto -c "$STATE_DIR/mosquitto.conf" -d
    for _ in $(seq 1 50); do broker_up && break; sleep 0.1; done
    broker_up || { log "Mosquitto did not start"; exit 1; }
fi
# --- check-jsonschema ------------------------------------------------------
# Validates deploy/compose.yaml against the vendored Compose schema in the
# tests; pinned, in a virtual environment of its own.
if [[ ! -x "$STATE_DIR/venv/bin/check-jsonschema" ]]; then
    log "installing check-jsonschema into $STATE_DIR/venv"
    python3 -m venv "$STATE_DIR/venv"
    "$STATE_DIR/venv/bin/pip" install -q check-jsonschema==0.39.0
fi

log "ready: PostgreSQL on 127.0.0.1:$pg_port, Mosquitto on 127.0.0.1:1883"
