//! What a station would measure at a given instant: smooth daily and
//! seasonal cycles, slow multi-day pollution episodes, and noise.
//!
//! Pure functions of (station, instant, noise source). Levels are typical of
//! Shanghai; they make a plausible demo and a realistic load, not a forecast.

use std::f64::consts::{PI, TAU};

use chrono::{DateTime, Datelike, Timelike, Utc};
use envmon_core::{Parameter, Station, StationKind, station::WaterBodyType};

use crate::rng::{Rng, hash};

/// Beijing time is UTC+8 all year; daily cycles follow local hours.
const BEIJING_OFFSET_HOURS: f64 = 8.0;

/// One station's simulated values at `at`, in canonical units, rounded as
/// instruments report them.
pub(crate) fn sample(station: &Station, at: DateTime<Utc>, rng: &mut Rng) -> Vec<(Parameter, f64)> {
    let local_hour = (f64::from(at.hour()) + f64::from(at.minute()) / 60.0 + BEIJING_OFFSET_HOURS)
        .rem_euclid(24.0);
    let day_of_year = f64::from(at.ordinal0());
    let days = at.timestamp() as f64 / 86_400.0;
    let phase = (hash(station.code.as_str()) % 1000) as f64 / 1000.0;
    match station.kind {
        StationKind::Air => air(local_hour, day_of_year, days, phase, rng),
        StationKind::River => {
            let lake = station.water_body_type == Some(WaterBodyType::Lake);
            water(local_hour, day_of_year, phase, lake, rng)
        }
        StationKind::Source => {
            let lake = station.water_body_type == Some(WaterBodyType::Lake);
            let mut values = water(local_hour, day_of_year, phase, lake, rng);
            values.extend(source_supplementary(day_of_year, days, phase, rng));
            values
        }
        StationKind::Radiation => radiation(local_hour, days, phase, rng),
        StationKind::Plant | StationKind::Tap => supply(
            station.kind == StationKind::Plant,
            local_hour,
            day_of_year,
            phase,
            rng,
        ),
    }
}

/// The GB 3838-2002 Table 2 items of a drinking-water source on the Yangtze
/// estuary. Chloride is the one to watch: in the dry season (winter and
/// early spring) spring tides push salt water up the estuary, and the
/// reservoirs close their intakes when it nears 250 mg/L.
fn source_supplementary(
    day_of_year: f64,
    days: f64,
    phase: f64,
    rng: &mut Rng,
) -> Vec<(Parameter, f64)> {
    let dry = winterness(day_of_year).max(0.0);
    // Spring tides come twice a lunar month.
    let tide = (TAU * days / 14.77 + TAU * phase).cos().max(0.0).powi(4);
    let chloride = noisy(rng, 28.0 + 140.0 * dry * tide, 0.05);
    vec![
        (Parameter::Sulfate, noisy(rng, 42.0 + 0.1 * chloride, 0.05)),
        (Parameter::Chloride, chloride),
        (Parameter::Nitrate, noisy(rng, 1.4 + 0.4 * dry, 0.08)),
        (Parameter::Fe, noisy(rng, 0.09, 0.2)),
        (Parameter::Mn, noisy(rng, 0.03, 0.2)),
    ]
    .into_iter()
    .map(|(p, v)| (p, round_to(v, decimals(p))))
    .collect()
}

/// An automatic radiation station: a steady natural background of 65–85
/// nGy/h (terrestrial and cosmic), a little higher before dawn when radon
/// gathers under the night's inversion, and rain: on about one day in four
/// a shower washes radon progeny down and lifts the dose rate by up to
/// ~25 nGy/h, fading over two hours after it stops. Rain is an intensity
/// here (mm/h); the record carries the depth of its period.
fn radiation(hour: f64, days: f64, phase: f64, rng: &mut Rng) -> Vec<(Parameter, f64)> {
    let base = 65.0 + 20.0 * phase;
    let dawn = 2.0 * (TAU * (hour - 5.0) / 24.0).cos();
    // A shower from 14:00 to 16:00 on rainy days.
    let day = days.floor();
    let rainy = hash(&format!("rain{day}{phase}")).is_multiple_of(4);
    let since_rain_start = hour - 14.0;
    let raining = rainy && (0.0..2.0).contains(&since_rain_start);
    let washout = if rainy && since_rain_start >= 0.0 {
        let after = (since_rain_start - 2.0).max(0.0);
        25.0 * (since_rain_start.min(2.0) / 2.0) * (-after / 1.5).exp()
    } else {
        0.0
    };
    let dose = base + dawn + washout + 0.8 * rng.normal();
    let intensity = if raining {
        4.0 + rng.normal().abs()
    } else {
        0.0
    };
    vec![
        (Parameter::DoseRate, round_to(dose.max(0.0), 1)),
        (Parameter::Precipitation, intensity),
    ]
}

/// A water plant's outlet or a point of its network: treated water, clear,
/// with the free chlorine the plant doses. Chlorine decays on its way
/// through the pipes, faster in warm water, so the network's residual is
/// lower than the outlet's and lowest in summer afternoons.
fn supply(
    outlet: bool,
    hour: f64,
    day_of_year: f64,
    phase: f64,
    rng: &mut Rng,
) -> Vec<(Parameter, f64)> {
    let winter = winterness(day_of_year);
    let temp = 18.0 - 9.5 * winter + 0.3 * rng.normal();
    let free_chlorine = if outlet {
        noisy(rng, 0.9 + 0.2 * phase, 0.06)
    } else {
        let decay = 0.55 - 0.2 * (1.0 - winter) / 2.0 - 0.05 * (TAU * (hour - 15.0) / 24.0).cos();
        noisy(rng, decay * (0.7 + 0.6 * phase), 0.1)
    };
    vec![
        (Parameter::Ph, (7.3 + 0.1 * rng.normal()).clamp(6.8, 7.9)),
        (
            Parameter::Turbidity,
            noisy(rng, if outlet { 0.12 } else { 0.25 }, 0.15),
        ),
        (Parameter::FreeChlorine, free_chlorine),
        (Parameter::Conductivity, noisy(rng, 390.0, 0.03)),
        (Parameter::Temp, temp),
    ]
    .into_iter()
    .map(|(p, v)| (p, round_to(v, decimals(p))))
    .collect()
}

/// A slow factor around 1 that rises into episodes lasting days: the sum of
/// incommensurate waves, squared so peaks are sharper than troughs.
fn episode(days: f64, phase: f64) -> f64 {
    let wave = (TAU * days / 3.7 + phase).sin() + 0.6 * (TAU * days / 8.3 + 2.0 * phase).sin();
    0.55 + 0.35 * (wave + 1.6).powi(2) / 2.0
}

/// Winter is dirtier for particles, summer sunnier for ozone: 1 in January,
/// -1 in July.
fn winterness(day_of_year: f64) -> f64 {
    (TAU * (day_of_year + 10.0) / 365.25).cos()
}

fn noisy(rng: &mut Rng, value: f64, relative: f64) -> f64 {
    (value * (1.0 + relative * rng.normal())).max(0.0)
}

fn air(hour: f64, day_of_year: f64, days: f64, phase: f64, rng: &mut Rng) -> Vec<(Parameter, f64)> {
    let episode = episode(days, phase);
    let winter = winterness(day_of_year);
    // Particles build overnight under a shallow boundary layer and dip in
    // the afternoon when mixing is strongest.
    let mixing = 1.0 + 0.25 * (TAU * (hour - 4.0) / 24.0).cos();
    let pm25 = noisy(rng, 32.0 * (1.0 + 0.35 * winter) * episode * mixing, 0.08);
    let pm10 = noisy(rng, pm25 * 1.55, 0.07);
    // Traffic peaks at 08:00 and 18:00.
    let rush = (-((hour - 8.0) / 1.5).powi(2)).exp() + (-((hour - 18.0) / 2.0).powi(2)).exp();
    let no2 = noisy(rng, (28.0 + 30.0 * rush) * (0.8 + 0.2 * episode), 0.1);
    let so2 = noisy(rng, 7.0 * (0.8 + 0.2 * episode), 0.15);
    let co = noisy(rng, (0.55 + 0.25 * rush) * (0.8 + 0.3 * episode), 0.08);
    // Ozone is made by sunlight: peaks mid-afternoon, highest in summer.
    let sun = ((hour - 7.0) * PI / 12.0).sin().max(0.0);
    let o3 = noisy(
        rng,
        25.0 + 110.0 * sun * (1.0 - 0.45 * winter) * (0.7 + 0.3 * episode),
        0.1,
    );
    vec![
        (Parameter::Pm25, pm25.round()),
        (Parameter::Pm10, pm10.round()),
        (Parameter::So2, so2.round()),
        (Parameter::No2, no2.round()),
        (Parameter::Co, (co * 10.0).round() / 10.0),
        (Parameter::O3, o3.round()),
    ]
}

fn water(
    hour: f64,
    day_of_year: f64,
    phase: f64,
    lake: bool,
    rng: &mut Rng,
) -> Vec<(Parameter, f64)> {
    let winter = winterness(day_of_year);
    let temp = 18.5 - 10.5 * winter + 1.0 * (TAU * (hour - 15.0) / 24.0).cos() + 0.2 * rng.normal();
    // Oxygen solubility falls as water warms; algae add a daytime bump.
    let do_mg_l = (14.6 - 0.39 * temp + 0.0072 * temp * temp) * 0.82
        + 0.4 * (TAU * (hour - 14.0) / 24.0).cos()
        + 0.15 * rng.normal();
    let load = 0.8 + 0.4 * phase;
    // Shanghai's reservoirs are mostly class II for TP (lake limit 0.025).
    let (tp, tn) = if lake {
        (0.02, 1.2)
    } else {
        (0.14 * load, 2.4 * load)
    };
    vec![
        (Parameter::Ph, (7.6 + 0.15 * rng.normal()).clamp(6.5, 8.8)),
        (Parameter::Do, do_mg_l.max(0.5)),
        (
            Parameter::Codmn,
            noisy(rng, if lake { 2.6 } else { 4.1 * load }, 0.06),
        ),
        (
            Parameter::Nh3n,
            noisy(rng, if lake { 0.12 } else { 0.45 * load }, 0.12),
        ),
        (Parameter::Tp, noisy(rng, tp, 0.1)),
        (Parameter::Tn, noisy(rng, tn, 0.08)),
        (
            Parameter::Turbidity,
            noisy(rng, if lake { 8.0 } else { 35.0 * load }, 0.1),
        ),
        (
            Parameter::Conductivity,
            noisy(rng, if lake { 380.0 } else { 650.0 * load }, 0.03),
        ),
        (Parameter::Temp, temp),
    ]
    .into_iter()
    .map(|(p, v)| (p, round_to(v, decimals(p))))
    .collect()
}

/// Decimals as water analysers report each item.
fn decimals(parameter: Parameter) -> i32 {
    match parameter {
        Parameter::Tp | Parameter::Nh3n | Parameter::Fe | Parameter::Mn => 3,
        Parameter::Ph
        | Parameter::Do
        | Parameter::Codmn
        | Parameter::Tn
        | Parameter::Nitrate
        | Parameter::FreeChlorine
        | Parameter::TotalChlorine
        | Parameter::Turbidity => 2,
        Parameter::Temp => 1,
        _ => 0,
    }
}

fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use envmon_core::registry::parse_registry;

    use super::*;

    fn stations() -> Vec<Station> {
        parse_registry(include_str!("../../deploy/stations/shanghai.toml")).unwrap()
    }

    #[test]
    fn every_value_lies_in_its_parameters_plausible_range() {
        let mut rng = Rng::new(1);
        for station in stations() {
            for hour in (0..24 * 60).step_by(7) {
                let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
                    + chrono::Duration::hours(hour);
                for (parameter, value) in sample(&station, at, &mut rng) {
                    let info = parameter.info();
                    assert!(parameter.applies_to(station.kind));
                    assert!(
                        (info.plausible_min..=info.plausible_max).contains(&value),
                        "{} {parameter} = {value}",
                        station.code
                    );
                }
            }
        }
    }

    #[test]
    fn ozone_peaks_in_the_afternoon_and_no2_at_rush_hour() {
        let air = stations()
            .into_iter()
            .find(|s| s.kind == StationKind::Air)
            .unwrap();
        let mean_at = |parameter: Parameter, beijing_hour: u32| {
            let mut rng = Rng::new(3);
            let mut total = 0.0;
            for day in 0..30 {
                let at = Utc
                    .with_ymd_and_hms(2026, 6, 1, (beijing_hour + 16) % 24, 0, 0)
                    .unwrap()
                    + chrono::Duration::days(day);
                total += sample(&air, at, &mut rng)
                    .into_iter()
                    .find(|(p, _)| *p == parameter)
                    .unwrap()
                    .1;
            }
            total / 30.0
        };
        assert!(mean_at(Parameter::O3, 15) > 2.0 * mean_at(Parameter::O3, 3));
        assert!(mean_at(Parameter::No2, 8) > 1.3 * mean_at(Parameter::No2, 3));
    }
}
