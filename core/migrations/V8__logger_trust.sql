-- envmon schema, version 8: what an HJ 212 data logger must prove before
-- its packets are taken.
--
-- Where a station's logger may connect from over TCP: CIDR networks, empty
-- for anywhere.
ALTER TABLE station ADD COLUMN hj212_networks cidr[] NOT NULL DEFAULT '{}';

-- The secret a station's logger sends as PW, never stored in clear: a
-- random per-station salt and HMAC-SHA256(salt, secret). Kept apart from
-- `station`, which the publisher reads for the public registry.
CREATE TABLE hj212_secret (
    station_code text PRIMARY KEY REFERENCES station (code) ON DELETE CASCADE,
    algorithm text NOT NULL DEFAULT 'hmac-sha256' CHECK (algorithm = 'hmac-sha256'),
    salt bytea NOT NULL CHECK (octet_length(salt) = 16),
    mac bytea NOT NULL CHECK (octet_length(mac) = 32),
    set_at timestamptz NOT NULL DEFAULT now()
);
