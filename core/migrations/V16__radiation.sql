-- Automatic radiation stations (kind 'radiation'): the ambient gamma dose
-- rate against each station's natural background range, which the registry
-- may give (as the national network publishes it) or envmon learns from the
-- station's dry hours; and the level at which staff investigate.

ALTER TABLE station DROP CONSTRAINT station_kind_known;
ALTER TABLE station
    ADD CONSTRAINT station_kind_known
        CHECK (kind IN ('air', 'river', 'source', 'plant', 'tap', 'radiation')),
    ADD COLUMN background_low double precision,
    ADD COLUMN background_high double precision,
    ADD COLUMN investigation_level double precision CHECK (investigation_level > 0),
    ADD CONSTRAINT station_radiation_fields CHECK (
        kind = 'radiation'
        OR (background_low IS NULL AND background_high IS NULL AND investigation_level IS NULL)),
    ADD CONSTRAINT station_background_range CHECK (
        (background_low IS NULL) = (background_high IS NULL)
        AND (background_low IS NULL OR (background_low >= 0 AND background_low < background_high)));

-- One hour of a radiation station: the dose rate's mean (also in
-- hourly_mean, with every other hourly mean), the rain, and the verdict.
CREATE TABLE radiation_hourly (
    station_code text NOT NULL,
    hour_end     timestamptz NOT NULL,
    mean         double precision,
    valid        boolean NOT NULL,
    rain_mm      double precision NOT NULL DEFAULT 0,
    state        text NOT NULL
        CHECK (state IN ('within', 'above', 'below', 'no_background', 'invalid')),
    excess       double precision,
    investigate  boolean NOT NULL,
    report       jsonb NOT NULL,
    computed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station_code, hour_end)
);

-- One Beijing day of a radiation station: the mean of its valid hours.
CREATE TABLE radiation_daily (
    station_code text NOT NULL,
    day          date NOT NULL,
    mean         double precision,
    valid_hours  smallint NOT NULL,
    valid        boolean NOT NULL,
    computed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station_code, day)
);
