-- envmon schema, version 10: areas (the city and its districts) with their
-- evaluation stations, and their AQI.

CREATE TABLE area (
    id                  text PRIMARY KEY,
    kind                text NOT NULL CHECK (kind IN ('city', 'district')),
    name_zh             text NOT NULL,
    name_en             text NOT NULL,
    parent              text REFERENCES area (id),
    -- GB 3095-2026 §4.1: the class whose limits judge attainment.
    area_class          smallint NOT NULL DEFAULT 2 CHECK (area_class IN (1, 2)),
    -- The share of the evaluation stations that must report for a mean to stand.
    min_reporting_share double precision NOT NULL DEFAULT 0.75
        CHECK (min_reporting_share > 0 AND min_reporting_share <= 1),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE area_station (
    area_id      text NOT NULL REFERENCES area (id) ON DELETE CASCADE,
    station_code text NOT NULL REFERENCES station (code),
    PRIMARY KEY (area_id, station_code)
);
CREATE INDEX area_station_by_station ON area_station (station_code);

-- An area's real-time and daily AQI, as aqi_hourly and aqi_daily are a
-- station's; `stations` is how many evaluation stations the area has and
-- `report` carries each pollutant's mean with how many stations counted.
CREATE TABLE area_aqi_hourly (
    area_id            text NOT NULL REFERENCES area (id) ON DELETE CASCADE,
    hour_end           timestamptz NOT NULL,
    edition            text NOT NULL,
    aqi                smallint,
    computed_aqi       smallint,
    level              smallint,
    primary_pollutants text[] NOT NULL,
    stations           smallint NOT NULL,
    report             jsonb NOT NULL,
    computed_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (area_id, hour_end)
);

CREATE TABLE area_aqi_daily (
    area_id            text NOT NULL REFERENCES area (id) ON DELETE CASCADE,
    day                date NOT NULL,
    edition            text NOT NULL,
    aqi                smallint,
    computed_aqi       smallint,
    level              smallint,
    primary_pollutants text[] NOT NULL,
    stations           smallint NOT NULL,
    report             jsonb NOT NULL,
    computed_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (area_id, day)
);
