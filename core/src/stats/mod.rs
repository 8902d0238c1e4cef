//! The figures people quote: an area's AQI from its stations, a period's air statistics (valid
//! days, good-day ratio, days per level and primary pollutant, the period statistic of each
//! pollutant), attainment against GB 3095-2026, the composite index used for rankings, the
//! change against a year earlier, and surface water's monthly classes and compliance.
//!
//! Pure functions like [`crate::aqi`] and [`crate::water`]: inputs in, a verdict with its
//! reasons out; each rule cites its clause. The daily values they read are the stored daily
//! aggregates, never raw readings.
//!
//! - [`air_report`]: a period with the year before, as the CLI and the API publish it.
//! - [`area`]: an area's concentrations as the mean over its evaluation stations.
//! - [`area_table`]: the engine of `envmon aqi --area`.
//! - [`percentile`](mod@percentile): HJ 663's percentile.
//! - [`limits`]: GB 3095-2026 Table 1, transitional and final.
//! - [`air_period`](mod@air_period): a period's statistics for a station or area.
//! - [`composite`](mod@composite): 环境空气质量综合指数, which ranks areas over a period.
//! - [`change`]: 同比, the change against the same period a year earlier.
//! - [`water_period`]: surface water over months: each site's monthly class from its month
//!   means, the city's shares of classes I–III and worse than V, target attainment, and the
//!   drinking-water sources' compliance.
//! - [`report_period`]: the month or quarter a drinking-water report covers.
//! - [`drinking_period`](mod@drinking_period): a period's laboratory samples of sources, plants'
//!   outlets and networks: compliance rates by sample and by item, and every failure.

pub mod air_period;
pub mod air_report;
pub mod area;
pub mod area_table;
pub mod change;
pub mod composite;
pub mod drinking_period;
pub mod limits;
pub mod percentile;
pub mod report_period;
pub mod water_period;

pub use air_period::{
    AirDay, AirPeriod, PeriodStatistic, PollutantPeriod, PrimaryDays, air_period,
};
pub use air_report::{AirReport, PollutantChange, YearBefore, air_report};
pub use area::{AreaMean, DEFAULT_MIN_REPORTING_SHARE, area_daily, area_hourly};
pub use change::{change_percent, change_points};
pub use composite::{CompositeIndex, composite_index};
pub use drinking_period::{DrinkingPeriod, StoredResult, StoredSample, drinking_period};
pub use limits::{AreaClass, Limit, LimitAveraging, LimitPhase, limit};
pub use percentile::percentile;
pub use report_period::{ReportPeriod, ReportPeriodError};
