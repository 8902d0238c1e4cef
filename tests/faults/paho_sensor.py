"""An independent sensor for the broker-durability fault tests.

Publishes one-reading native JSON records with paho-mqtt (not envmon's own
MQTT client) at QoS 1 under a persistent session, at a fixed rate, and
writes down every record the broker acknowledged with PUBACK: from that
moment a real sensor forgets the reading, so each one must end up stored.

Record `seq` is station `stations[seq % len(stations)]` observed at
`start + seq` seconds, so a stored row names the record it came from.

On a lost connection it reconnects, trying the next of `--broker` in turn,
and paho sends again whatever was not yet acknowledged.

    paho_sensor.py --broker 127.0.0.1:1883 [--broker HOST:PORT ...]
        --client-id ID --count N --rate PER_SECOND --start 2026-01-01T00:00:00Z
        --stations 1141A,1142A --out acked.json [--username U --password-file F]

The result file is JSON: {"published": N, "acked": [seq, ...], "reconnects": N}.
"""

import argparse
import datetime
import json
import sys
import time

import paho.mqtt.client as mqtt


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--broker", action="append", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--start", required=True)
    parser.add_argument("--stations", required=True)
    parser.add_argument("--topic-prefix", default="")
    parser.add_argument("--out", required=True)
    parser.add_argument("--username")
    parser.add_argument("--password-file")
    parser.add_argument("--drain-seconds", type=float, default=120.0)
    return parser.parse_args()


class Sensor:
    def __init__(self, args):
        self.brokers = [(h, int(p)) for h, p in (b.rsplit(":", 1) for b in args.broker)]
        self.next_broker = 0
        # Every publish in order of seq; paho marks each one published when
        # its PUBACK arrives, also after it was sent again on a new connection.
        self.infos = []
        self.reconnects = 0
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=args.client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
        )
        if args.username:
            password = None
            if args.password_file:
                with open(args.password_file, encoding="utf-8") as f:
                    password = f.read().strip()
            client.username_pw_set(args.username, password)
        # As a small logger would: a few messages in flight, the rest queued
        # in the client until the broker acknowledges.
        client.max_inflight_messages_set(100)
        client.max_queued_messages_set(0)
        client.reconnect_delay_set(min_delay=0.1, max_delay=1)
        client.on_disconnect = self.on_disconnect
        self.client = client

    def on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.reconnects += 1
        if len(self.brokers) > 1:
            self.next_broker = (self.next_broker + 1) % len(self.brokers)
            host, port = self.brokers[self.next_broker]
            try:
                client.host = host
                client.port = port
            except RuntimeError:
                pass

    # Read paho's flag itself: is_published() raises for a message published
    # while disconnected, even after it was sent on reconnect and acknowledged.
    def acked(self):
        return [seq for seq, info in enumerate(self.infos) if info._published]

    def unacked(self):
        return sum(1 for info in self.infos if not info._published)


def main():
    args = parse_args()
    stations = args.stations.split(",")
    start = datetime.datetime.fromisoformat(args.start.replace("Z", "+00:00"))
    prefix = args.topic_prefix
    sensor = Sensor(args)
    host, port = sensor.brokers[0]
    sensor.client.connect_async(host, port, keepalive=15)
    sensor.client.loop_start()

    began = time.monotonic()
    for seq in range(args.count):
        # Pace to the rate: never ahead of schedule.
        due = began + seq / args.rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        station = stations[seq % len(stations)]
        observed_at = (start + datetime.timedelta(seconds=seq)).isoformat().replace("+00:00", "Z")
        payload = json.dumps(
            {"station": station, "observed_at": observed_at, "readings": {"pm25": 20 + seq % 50}}
        )
        sensor.infos.append(sensor.client.publish(f"{prefix}sensors/air/{station}", payload, qos=1))
        if seq % 5000 == 0:
            print(f"sensor: {seq} published, {sensor.unacked()} unacknowledged", file=sys.stderr, flush=True)

    deadline = time.monotonic() + args.drain_seconds
    while sensor.unacked() > 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    sensor.client.disconnect()
    sensor.client.loop_stop()
    result = {"published": args.count, "acked": sensor.acked(), "reconnects": sensor.reconnects}
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f)
    print(
        f"sensor: {args.count} published, {len(result['acked'])} acknowledged, "
        f"{sensor.reconnects} reconnects",
        file=sys.stderr,
        flush=True,
    )


if __name__ == "__main__":
    main()
