use chrono::NaiveDate;

use super::*;
use crate::station::StationKind::{River, Source};
use crate::station::WaterBodyType;
use crate::station::WaterBodyType::Lake;
use crate::water::{WaterClass, WaterItem};
use WaterClass::{I, II, III, IV, WorseThanV};
use WaterItem::{Codmn, Do, Fe, Nh3n, Ph, Temp, Tp};

fn month(y: i32, m: u32) -> CalendarMonth {
    CalendarMonth::new(y, m).unwrap()
}

/// A month of records whose items each have the given values.
fn records(values: &[(WaterItem, &[f64])]) -> SiteMonthRecords {
    SiteMonthRecords {
        records: values
            .iter()
            .map(|(_, v)| v.len() as u32)
            .max()
            .unwrap_or(0),
        items: values
            .iter()
            .map(|(item, v)| ItemSum {
                item: *item,
                sum: v.iter().sum(),
                samples: v.len() as u32,
            })
            .collect(),
        ..SiteMonthRecords::default()
    }
}

fn section(code: &str, months: Vec<(CalendarMonth, SiteMonthRecords)>) -> WaterSite {
    WaterSite {
        code: code.into(),
        kind: River,
        body: WaterBodyType::River,
        target: III,
        months,
    }
}

#[test]
fn a_month_mean_is_classed_by_the_single_factor_method_at_the_limits() {
    // (values of the month, class, determining, meets class III, exceeding)
    type Case<'a> = (
        &'a [(WaterItem, &'a [f64])],
        Option<WaterClass>,
        &'a [WaterItem],
        Option<bool>,
        &'a [WaterItem],
    );
    let cases: &[Case] = &[
        // Table 1 row 7 NH3-N III = 1.0: (0.8 + 1.6 + 0.6) / 3 is 1.0000000000000002 in binary
        // sums, rounded to 1.0: exactly at the limit is class III.
        (
            &[(Nh3n, &[0.8, 1.6, 0.6])],
            Some(III),
            &[Nh3n],
            Some(true),
            &[],
        ),
        // Row 7: just above 1.0 is IV.
        (
            &[(Nh3n, &[1.0, 1.02])],
            Some(IV),
            &[Nh3n],
            Some(false),
            &[Nh3n],
        ),
        // Row 8 river TP III = 0.2, at the limit; row 4 CODMn II = 4 at the limit.
        (
            &[(Tp, &[0.1, 0.3]), (Codmn, &[4.0])],
            Some(III),
            &[Tp],
            Some(true),
            &[],
        ),
        // Row 7 NH3-N V = 2.0: a mean of 2.5 is worse than V.
        (
            &[(Nh3n, &[2.0, 3.0]), (Do, &[8.0])],
            Some(WorseThanV),
            &[Nh3n],
            Some(false),
            &[Nh3n],
        ),
        // Row 3 DO is a minimum: III = 5 exactly meets it, 4.9 is IV, 1.9 below V's 2 is 劣V.
        (&[(Do, &[4.0, 6.0])], Some(III), &[Do], Some(true), &[]),
        (&[(Do, &[4.8, 5.0])], Some(IV), &[Do], Some(false), &[Do]),
        (&[(Do, &[1.9])], Some(WorseThanV), &[Do], Some(false), &[Do]),
        // Row 3 DO I = 7.5 and row 2 pH 6–9 both at their edge: class I.
        (
            &[(Do, &[7.5]), (Ph, &[8.8, 9.2])],
            Some(I),
            &[Do, Ph],
            Some(true),
            &[],
        ),
        // Row 2 pH: a mean just outside 6–9 is worse than V in every class.
        (
            &[(Ph, &[9.0, 9.1])],
            Some(WorseThanV),
            &[Ph],
            Some(false),
            &[Ph],
        ),
        (
            &[(Ph, &[5.99])],
            Some(WorseThanV),
            &[Ph],
            Some(false),
            &[Ph],
        ),
        // The mean of 5.5 and 9.5 is 7.5: the method judges the mean, not the extremes.
        (&[(Ph, &[5.5, 9.5])], Some(I), &[Ph], Some(true), &[]),
        // Water temperature counts toward no class: nothing to class.
        (&[(Temp, &[18.0])], None, &[], None, &[]),
        // An empty month.
        (&[], None, &[], None, &[]),
    ];
    for (values, class, determining, meets, exceeding) in cases {
        let v = verdict(&records(values).items, WaterBodyType::River, III);
        assert_eq!(v.class, *class, "{values:?}");
        assert_eq!(v.determining, *determining, "{values:?}");
        assert_eq!(v.meets_target, *meets, "{values:?}");
        assert_eq!(v.exceeding_target, *exceeding, "{values:?}");
    }
}

#[test]
fn lake_sections_use_the_lake_tp_limits() {
    // Table 1 row 8, lakes and reservoirs: III = 0.05, IV = 0.1; rivers III = 0.2.
    let sums = records(&[(Tp, &[0.06])]).items;
    assert_eq!(verdict(&sums, Lake, III).class, Some(IV));
    assert_eq!(verdict(&sums, WaterBodyType::River, III).class, Some(II));
}

#[test]
fn months_are_written_yyyy_mm_and_dates_are_refused() {
    let cases = [
        ("2027-01", Some((2027, 1))),
        (" 2027-12 ", Some((2027, 12))),
        ("2027-13", None),
        ("2027-00", None),
        ("2027-1", None),
        ("2027-01-15", None),
        ("27-01", None),
        ("", None),
    ];
    for (text, expected) in cases {
        let parsed = CalendarMonth::parse(text).ok();
        assert_eq!(parsed, expected.map(|(y, m)| month(y, m)), "{text:?}");
    }
    assert_eq!(month(2027, 3).to_string(), "2027-03");
    assert_eq!(
        serde_json::to_value(month(2027, 3)).unwrap(),
        serde_json::json!("2027-03")
    );
    assert_eq!(month(2026, 11).through(month(2027, 2)).len(), 4);
    assert_eq!(
        month(2027, 12).end(),
        NaiveDate::from_ymd_opt(2028, 1, 1).unwrap()
    );
    assert!(month(2027, 3).through(month(2027, 1)).is_empty());
}

#[test]
fn a_missing_month_has_no_class_and_leaves_the_shares() {
    // January IV (NH3-N 1.2 > row 7's III 1.0), February no records, March II.
    let site = section(
        "s1",
        vec![
            (month(2027, 1), records(&[(Nh3n, &[1.2, 1.2])])),
            (month(2027, 3), records(&[(Nh3n, &[0.4, 0.4])])),
            // Outside the period: ignored.
            (month(2027, 4), records(&[(Nh3n, &[5.0])])),
        ],
    );
    let p = water_period(month(2027, 1), month(2027, 3), &[site]);
    assert_eq!(p.months, 3);
    let s = &p.stations[0];
    let classes: Vec<_> = s.months.iter().map(|m| m.verdict.class).collect();
    assert_eq!(classes, [Some(IV), None, Some(II)]);
    assert_eq!(s.months[1].records, 0);
    assert_eq!((s.months_assessed, s.months_meeting_target), (2, 1));
    assert_eq!(s.month_attainment_share, Some(0.5));
    // Period mean (1.2 + 1.2 + 0.4 + 0.4) / 4 = 0.8: class III, meets.
    assert_eq!(s.period.means[0].mean, 0.8);
    assert_eq!(s.period.means[0].samples, 4);
    assert_eq!(s.period.class, Some(III));
    // February's city figures have no section to share over.
    let feb = &p.city_months[1];
    assert_eq!((feb.sections, feb.sections_assessed), (1, 0));
    assert_eq!(
        (feb.good_share, feb.worse_than_v_share, feb.attainment_rate),
        (None, None, None)
    );
    assert!(p.stations[0].source.is_none());
}

#[test]
fn the_period_mean_weighs_every_record_not_every_month() {
    // January 3 records of NH3-N 1.4, February 1 record of 0.2: (4.2 + 0.2) / 4 = 1.1 → IV,
    // where the mean of the month means, 0.8, would be III.
    let site = section(
        "s1",
        vec![
            (month(2027, 1), records(&[(Nh3n, &[1.4, 1.4, 1.4])])),
            (month(2027, 2), records(&[(Nh3n, &[0.2])])),
        ],
    );
    let p = water_period(month(2027, 1), month(2027, 2), &[site]);
    assert_eq!(p.stations[0].period.class, Some(IV));
    assert_eq!(p.stations[0].period.means[0].mean, 1.1);
}

#[test]
fn city_figures_share_the_classed_sections() {
    // One month, five sections, all target III:
    //   a: NH3-N 0.4 → II;  b: DO 5.5 → III;  c: TP 0.25 → IV (TP over III);
    //   d: NH3-N 2.5 and TP 0.5 → 劣V (both over III);  e: only temperature → no class.
    let jan = month(2027, 1);
    let sites = [
        section("a", vec![(jan, records(&[(Nh3n, &[0.4])]))]),
        section("b", vec![(jan, records(&[(Do, &[5.5])]))]),
        section("c", vec![(jan, records(&[(Tp, &[0.25])]))]),
        section("d", vec![(jan, records(&[(Nh3n, &[2.5]), (Tp, &[0.5])]))]),
        section("e", vec![(jan, records(&[(Temp, &[12.0])]))]),
    ];
    let p = water_period(jan, jan, &sites);
    let city = &p.city_months[0];
    assert_eq!((city.sections, city.sections_assessed), (5, 4));
    assert_eq!(city.class_counts, [0, 1, 1, 1, 0, 1]);
    // 优良 a, b: 2 / 4; 劣V d: 1 / 4; meeting III a, b: 2 / 4.
    assert_eq!(city.good_share, Some(0.5));
    assert_eq!(city.worse_than_v_share, Some(0.25));
    assert_eq!(city.attainment_rate, Some(0.5));
    // TP over its class III limit at c and d, NH3-N at d.
    assert_eq!(
        city.main_pollutants,
        [
            ItemCount { item: Tp, count: 2 },
            ItemCount {
                item: Nh3n,
                count: 1
            }
        ]
    );
    // A one-month period: the period figures are the month's.
    assert_eq!(p.city.class_counts, city.class_counts);
    assert_eq!((p.city.from, p.city.to), (jan, jan));
}

#[test]
fn sources_count_samples_from_stored_verdicts_and_months_from_their_means() {
    // A reservoir source, judged against class III (second-level zone) as ingest does.
    // January: 4 samples, 3 compliant; one failed on DO. The month means DO 5.25, NH3-N 0.5
    // meet class III (row 3 min 5, row 7 max 1.0): compliant.
    // February: 2 samples, both failing NH3-N; the mean 1.1 fails row 7's 1.0.
    // March: Fe mean 0.4 fails Table 2 row 4's 0.3; no stored verdicts.
    let mut jan = records(&[(Do, &[5.5, 5.5, 5.5, 4.5]), (Nh3n, &[0.5])]);
    jan.samples_compliant = 3;
    jan.samples_not_compliant = 1;
    jan.failed_samples = vec![ItemCount { item: Do, count: 1 }];
    let mut feb = records(&[(Nh3n, &[1.0, 1.2])]);
    feb.samples_not_compliant = 2;
    feb.failed_samples = vec![ItemCount {
        item: Nh3n,
        count: 2,
    }];
    let mar = records(&[(Fe, &[0.4])]);
    let source = WaterSite {
        code: "reservoir".into(),
        kind: Source,
        body: Lake,
        target: II,
        months: vec![
            (month(2027, 1), jan),
            (month(2027, 2), feb),
            (month(2027, 3), mar),
        ],
    };
    let p = water_period(month(2027, 1), month(2027, 3), &[source]);
    let s = p.stations[0].source.as_ref().unwrap();
    assert_eq!((s.samples_assessed, s.samples_compliant), (6, 3));
    assert_eq!(s.sample_compliance_share, Some(0.5));
    assert_eq!((s.months_assessed, s.months_compliant), (3, 1));
    assert_eq!(s.month_compliance_share, Some(1.0 / 3.0));
    assert_eq!(
        s.failed_samples,
        [
            ItemCount {
                item: Nh3n,
                count: 2
            },
            ItemCount { item: Do, count: 1 }
        ]
    );
    assert_eq!(
        s.failed_months,
        [
            ItemCount {
                item: Nh3n,
                count: 1
            },
            ItemCount { item: Fe, count: 1 }
        ]
    );
    let months = &p.stations[0].months;
    assert_eq!(months[2].source.as_ref().unwrap().failing_items, [Fe]);
    // Against its own target II, January's DO 5.25 is class III (row 3 II = 6): not met.
    assert_eq!(months[0].verdict.class, Some(III));
    assert_eq!(months[0].verdict.meets_target, Some(false));
    // Sources stay out of the city's section figures; their total is the one source.
    assert_eq!(p.city.sections, 0);
    assert_eq!(p.sources, *s);
    // A source without any record has nothing assessed.
    let p = water_period(
        month(2027, 1),
        month(2027, 1),
        &[WaterSite {
            code: "idle".into(),
            kind: Source,
            body: Lake,
            target: II,
            months: vec![],
        }],
    );
    assert_eq!(p.sources.sample_compliance_share, None);
    assert_eq!(p.sources.month_compliance_share, None);
}
