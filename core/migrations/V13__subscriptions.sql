-- envmon schema, version 13: subscriptions (e-mail, webhook, Web Push), the
-- outbox their messages start from, and one delivery row per message.

-- What happened, written in the same transaction as the cause (a notice
-- issued, an hour of AQI rolled up, a forecast published), so a message is
-- owed exactly when the cause committed. The delivery worker fans each
-- event out once (`fanned_out_at`), then events are kept a while for audit.
CREATE TABLE outbox_event (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('notice', 'hourly_aqi', 'daily_summary',
                       'daily_forecast', 'confirmation', 'webhook_disabled')),
    payload        jsonb NOT NULL,
    -- Causes that must happen once however often they are found (the
    -- summary of one day) name themselves here.
    once_key       text UNIQUE,
    created_at     timestamptz NOT NULL DEFAULT now(),
    fanned_out_at  timestamptz
);
CREATE INDEX outbox_event_to_fan_out ON outbox_event (id) WHERE fanned_out_at IS NULL;

-- One subscription: one channel, one address, one topic. No account: the
-- person holds two random tokens, one to confirm (e-mail) and one to
-- unsubscribe. They are kept in the clear because every message carries the
-- unsubscribe link; each only ever acts on its own row. Deleted, with its
-- deliveries, on unsubscribe.
CREATE TABLE subscription (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel            text NOT NULL CHECK (channel IN ('email', 'webhook', 'push')),
    -- The e-mail address, the webhook URL or the push service endpoint.
    address            text NOT NULL CHECK (length(address) <= 2048),
    -- A webhook's owner, told when the hook is disabled (optional).
    owner_email        text,
    language           text NOT NULL CHECK (language IN ('zh', 'en')),
    topic              text NOT NULL CHECK (topic IN ('notices', 'level', 'daily_forecast',
                           'daily_summary')),
    -- The city or a district (every topic but a station's level).
    area_id            text REFERENCES area (id) ON DELETE CASCADE,
    -- A station, for a level rule at one station.
    station_code       text REFERENCES station (code) ON DELETE CASCADE,
    -- HJ 633 level (2..6) a level rule fires at.
    level              smallint CHECK (level BETWEEN 2 AND 6),
    state              text NOT NULL CHECK (state IN ('pending', 'active', 'disabled')),
    confirm_token      text UNIQUE,
    manage_token       text NOT NULL UNIQUE,
    -- The webhook's HMAC key (base64url): kept, since every event is signed
    -- with it; shown to the subscriber once.
    webhook_secret     text,
    -- Web Push: the browser's P-256 public key and auth secret (base64url).
    push_p256dh        text,
    push_auth          text,
    -- A level rule's memory: above its level (hysteresis) and when it last spoke.
    level_above        boolean NOT NULL DEFAULT false,
    level_alerted_at   timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    confirmed_at       timestamptz,
    disabled_at        timestamptz,
    disabled_reason    text,
    CHECK ((topic = 'level') = (level IS NOT NULL)),
    CHECK ((area_id IS NULL) <> (station_code IS NULL)),
    CHECK (station_code IS NULL OR topic = 'level'),
    CHECK ((channel = 'webhook') = (webhook_secret IS NOT NULL)),
    CHECK ((channel = 'push') = (push_p256dh IS NOT NULL AND push_auth IS NOT NULL))
);
CREATE INDEX subscription_by_address ON subscription (address);
CREATE INDEX subscription_active_topic ON subscription (topic, area_id) WHERE state = 'active';
CREATE INDEX subscription_active_station ON subscription (station_code)
    WHERE state = 'active' AND station_code IS NOT NULL;

-- One message owed to one subscription for one event: the pair is the
-- idempotency key, so fanning out twice owes nothing more. The message is
-- rendered at fan-out and sent as stored, so every retry is the same
-- message. Claimed with FOR UPDATE SKIP LOCKED and a lease: a worker that
-- dies mid-send leaves the row to be claimed again when the lease ends.
CREATE TABLE delivery (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id  bigint NOT NULL REFERENCES subscription (id) ON DELETE CASCADE,
    event_id         bigint NOT NULL REFERENCES outbox_event (id) ON DELETE CASCADE,
    channel          text NOT NULL CHECK (channel IN ('email', 'webhook', 'push')),
    -- Where it goes (the subscription's address, or a webhook owner's e-mail).
    address          text NOT NULL,
    message          jsonb NOT NULL,
    state            text NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    due_at           timestamptz NOT NULL DEFAULT now(),
    lease_until      timestamptz,
    -- Retries stop after this; the subscription may then be disabled.
    give_up_at       timestamptz NOT NULL,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX delivery_due ON delivery (due_at) WHERE state = 'pending';
CREATE INDEX delivery_by_event ON delivery (event_id);
