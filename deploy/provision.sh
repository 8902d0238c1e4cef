#!/usr/bin/env bash
# Installs and starts what envmon needs on a Debian machine: PostgreSQL and
# the MQTT broker (and, with --with-browser, Chromium and Node.js for the
# browser tests). Idempotent: safe to run again; it only does what is missing.
#
#   deploy/provision.sh [--with-browser] [--broker rabbitmq|mosquitto]
#
# Afterwards: PostgreSQL on 127.0.0.1:5432 with role and database "envmon"
# (password "envmon", allowed to create test databases), and the broker's
# MQTT on 127.0.0.1:1883 (ENVMON_BROKER_PORT to change it):
# - rabbitmq (the default): a RabbitMQ node envmon@localhost with the MQTT
#   plugin and quorum queues (deploy/rabbitmq/envmon.conf), data in
#   .envmon/rabbitmq; PUBACK means stored, across restarts and crashes.
# - mosquitto: Mosquitto with deploy/mosquitto/envmon.conf, which can lose
#   acknowledged messages when it crashes (see docs/operations.md).
# Either way the daemons' accounts get random passwords, written to
# .envmon/broker-users (readable by its owner only), which deploy/demo.sh
# hands to envmon; anonymous clients may write sensor topics only.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="$ROOT/.envmon"
WITH_BROWSER=0
BROKER=rabbitmq
BROKER_PORT="${ENVMON_BROKER_PORT:-1883}"
while (($#)); do
    case "$1" in
        --with-browser) WITH_BROWSER=1 ;;
        --broker) BROKER="${2:-}"; shift ;;
        --broker=*) BROKER="${1#--broker=}" ;;
        *) echo "usage: $0 [--with-browser] [--broker rabbitmq|mosquitto]" >&2; exit 2 ;;
    esac
    shift
done
case "$BROKER" in
    rabbitmq | mosquitto) ;;
    *) echo "provision: --broker is rabbitmq or mosquitto, not '$BROKER'" >&2; exit 2 ;;
esac

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
# mosquitto: the tests' private brokers and mosquitto_pub, whichever broker
# the demo uses; rabbitmq-server: the default broker and the fault tests'.
packages=(postgresql mosquitto mosquitto-clients rabbitmq-server openssl python3-venv fonts-noto-cjk libxml2-utils python3-aiosmtpd python3-cryptography)
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

# --- The broker ------------------------------------------------------------
mkdir -p "$STATE_DIR"
random_password() { openssl rand -hex 24; }
# The daemons' accounts: made once, kept across runs, owner-only.
USERS_FILE="$STATE_DIR/broker-users"
if [[ ! -s "$USERS_FILE" ]]; then
    log "making the daemons' broker accounts in $USERS_FILE"
    (umask 077 && printf 'envmon-ingest:%s\nenvmon-publisher:%s\n' \
        "$(random_password)" "$(random_password)" >"$USERS_FILE")
fi
chmod 600 "$USERS_FILE"
echo "$BROKER" >"$STATE_DIR/broker"

broker_up() { (exec 3<>"/dev/tcp/127.0.0.1/$BROKER_PORT") 2>/dev/null; }

if [[ "$BROKER" == mosquitto ]]; then
    # Our own instance with envmon's configuration, unless something already
    # listens on the port (ours from an earlier run).
    dir="$STATE_DIR/mosquitto"
    mkdir -p "$dir"
    chmod 0777 "$dir"
    cp "$ROOT/deploy/mosquitto/acl" "$dir/acl"
    rm -f "$dir/passwd"
    while IFS=: read -r user password; do
        mosquitto_passwd -b $([[ -f "$dir/passwd" ]] || echo -c) "$dir/passwd" "$user" "$password"
    done <"$USERS_FILE"
    # Mosquitto started as root reads it as its own user.
    chown mosquitto "$dir/passwd" 2>/dev/null || true
    chmod 600 "$dir/passwd"
    sed -e "s|@PORT@|$BROKER_PORT|" -e "s|@DATA_DIR@|$dir|" \
        "$ROOT/deploy/mosquitto/envmon.conf" >"$STATE_DIR/mosquitto.conf"
    if ! broker_up; then
        log "starting Mosquitto on 127.0.0.1:$BROKER_PORT"
        /usr/sbin/mosquitto -c "$STATE_DIR/mosquitto.conf" -d
        for _ in $(seq 1 50); do broker_up && break; sleep 0.1; done
        broker_up || { log "Mosquitto did not start"; exit 1; }
    fi
else
    # A RabbitMQ node of our own: own node name, data directory and cookie.
    dir="$STATE_DIR/rabbitmq"
    mkdir -p "$dir"
    ADMIN_FILE="$dir/admin-users"
    if [[ ! -s "$ADMIN_FILE" ]]; then
        (umask 077 && printf 'envmon-admin:%s\nenvmon-anonymous:%s\n' \
            "$(random_password)" "$(random_password)" >"$ADMIN_FILE")
    fi
    [[ -s "$dir/.erlang.cookie" ]] || (umask 077 && random_password >"$dir/.erlang.cookie")
    chmod 400 "$dir/.erlang.cookie"
    admin_password="$(awk -F: '$1 == "envmon-admin" { print $2 }' "$ADMIN_FILE")"
    anonymous_password="$(awk -F: '$1 == "envmon-anonymous" { print $2 }' "$ADMIN_FILE")"
    (umask 077 && sed -e "s|@AMQP_PORT@|${ENVMON_AMQP_PORT:-5672}|" \
        -e "s|@MQTT_PORT@|$BROKER_PORT|" \
        -e "s|@MANAGEMENT_PORT@|${ENVMON_MANAGEMENT_PORT:-15672}|" \
        -e "s|@VHOST@|/|" \
        -e "s|@ANONYMOUS_USER@|envmon-anonymous|" -e "s|@ANONYMOUS_PASSWORD@|$anonymous_password|" \
        -e "s|@ADMIN_USER@|envmon-admin|" -e "s|@ADMIN_PASSWORD@|$admin_password|" \
        "$ROOT/deploy/rabbitmq/envmon.conf" >"$dir/rabbitmq.conf")
    echo "[rabbitmq_mqtt,rabbitmq_management]." >"$dir/enabled_plugins"
    rabbit_env=(HOME="$dir" RABBITMQ_NODENAME=envmon@localhost
        RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf"
        RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
        RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log"
        RABBITMQ_DIST_PORT="${ENVMON_DIST_PORT:-25672}")
    ours() { [[ -s "$dir/pid" ]] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; }
    if ! broker_up; then
        log "starting RabbitMQ (node envmon@localhost) with MQTT on 127.0.0.1:$BROKER_PORT"
        # RUNNING_UNDER_SYSTEMD: the script execs the VM, so $! is the node.
        env "${rabbit_env[@]}" RUNNING_UNDER_SYSTEMD=1 \
            setsid /usr/lib/rabbitmq/bin/rabbitmq-server >"$dir/console.log" 2>&1 </dev/null &
        echo $! >"$dir/pid"
        for _ in $(seq 1 1200); do broker_up && break; sleep 0.1; done
        broker_up || { log "RabbitMQ did not start; see $dir/console.log"; exit 1; }
    elif ! ours; then
        # Another broker (an earlier --broker mosquitto) holds the port: leave
        # it alone; the demo uses whatever answers there.
        log "note: something other than our RabbitMQ listens on $BROKER_PORT; not starting RabbitMQ"
    fi
    if ours; then
        log "making envmon's RabbitMQ users"
        cat "$ADMIN_FILE" "$USERS_FILE" >"$dir/all-users"
        chmod 600 "$dir/all-users"
        RABBITMQCTL="env ${rabbit_env[*]} /usr/lib/rabbitmq/bin/rabbitmqctl -n envmon@localhost" \
            "$ROOT/deploy/rabbitmq/users.sh" / "$dir/all-users"
        rm -f "$dir/all-users"
    fi
fi

# --- check-jsonschema ------------------------------------------------------
# Validates deploy/compose.yaml against the vendored Compose schema in the
# tests; pinned, in a virtual environment of its own.
if [[ ! -x "$STATE_DIR/venv/bin/check-jsonschema" ]]; then
    log "installing check-jsonschema into $STATE_DIR/venv"
    python3 -m venv "$STATE_DIR/venv"
    "$STATE_DIR/venv/bin/pip" install -q check-jsonschema==0.39.0
fi
# paho-mqtt: the independent sensor of the broker-durability fault tests.
if ! "$STATE_DIR/venv/bin/python" -c "import paho.mqtt" 2>/dev/null; then
    log "installing paho-mqtt into $STATE_DIR/venv"
    "$STATE_DIR/venv/bin/pip" install -q paho-mqtt==2.1.0
fi

log "ready: PostgreSQL on 127.0.0.1:$pg_port, $BROKER on 127.0.0.1:$BROKER_PORT (accounts in $USERS_FILE)"
