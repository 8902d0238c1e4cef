-- envmon schema, version 11: the latest hour or day of every station or
-- area (rankings, the city headline) found through an index on the time,
-- not by scanning every station's history.
CREATE INDEX aqi_hourly_by_hour ON aqi_hourly (hour_end);
CREATE INDEX aqi_daily_by_day ON aqi_daily (day);
CREATE INDEX area_aqi_hourly_by_hour ON area_aqi_hourly (hour_end);
CREATE INDEX area_aqi_daily_by_day ON area_aqi_daily (day);
