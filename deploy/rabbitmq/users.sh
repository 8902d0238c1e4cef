#!/usr/bin/env bash
# Makes envmon's RabbitMQ users and their permissions; safe to run again
# (an existing user gets the password of the file).
#
#   RABBITMQCTL="rabbitmqctl -n envmon@localhost" deploy/rabbitmq/users.sh VHOST USERS_FILE
#
# USERS_FILE has one user:password line per account. What each may do
# follows from its name, on the topic exchange amq.topic, where RabbitMQ's
# MQTT plugin writes MQTT's "/" as ".":
#   envmon-admin      administrator (management API), no MQTT rights
#   envmon-ingest     reads sensors/#, alone writes live/{air,river,source}/{station} and live/area/{id}
#   envmon-publisher  reads live/#, alone writes live/alert/{id} and live/forecast/{id}
#   envmon-anonymous  what anonymous clients log in as (mqtt.default_user):
#                     writes sensors/{kind}/{station}, reads nothing
#   anything else     a sensor named by its station code: writes only
#                     sensors/{kind}/{its own code}
# tests/system/helpers/rabbitmq_users.rs gives test nodes the same rights.
set -euo pipefail
vhost="$1"
users_file="$2"
# </dev/null: rabbitmqctl would otherwise read the rest of the users file.
ctl() { ${RABBITMQCTL:-rabbitmqctl} "$@" >/dev/null </dev/null; }

# A node that listens may still be starting its apps: wait for it first.
ctl await_startup
ctl add_vhost "$vhost" 2>/dev/null || true
# No guest account: every account is made here.
ctl delete_user guest 2>/dev/null || true
while IFS=: read -r user password; do
    [[ -z "$user" || "$user" == \#* ]] && continue
    if ! ctl add_user "$user" "$password" 2>/dev/null; then
        ctl change_password "$user" "$password"
    fi
    case "$user" in
        envmon-admin)
            ctl set_user_tags "$user" administrator
            ctl set_permissions -p "$vhost" "$user" '.*' '.*' '.*'
            continue
            ;;
        envmon-ingest) write='^live\.(air|river|source|plant|tap|radiation|area)\.[^.]+$' read='^sensors\..*' ;;
        envmon-publisher) write='^live\.(alert|forecast)\.[^.]+$' read='^live\..*' ;;
        envmon-anonymous) write='^sensors\.[^.]+\.[^.]+$' read='^$' ;;
        *) write='^sensors\.[^.]+\.{username}$' read='^$' ;;
    esac
    # The session queue and amq.topic; what may be published or subscribed
    # is decided by the topic permissions.
    ctl set_permissions -p "$vhost" "$user" '^mqtt-subscription-.*' \
        '^(amq\.topic|mqtt-subscription-.*)$' '^(amq\.topic|mqtt-subscription-.*)$'
    ctl set_topic_permissions -p "$vhost" "$user" amq.topic "$write" "$read"
done <"$users_file"
