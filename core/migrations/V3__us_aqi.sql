-- envmon schema, version 3: the US EPA AQI of each station-hour, the second
-- index (EPA-454/B-24-002: PM NowCast, O3 and CO 8-hour means).
ALTER TABLE aqi_hourly ADD COLUMN us_aqi smallint;
ALTER TABLE aqi_hourly ADD COLUMN us_report jsonb;
