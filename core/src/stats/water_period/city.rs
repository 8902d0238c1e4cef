//! The city's river sections together, over a month or the period: the shares by class and
//! against target, and the main pollutants.

use super::month::CalendarMonth;
use super::report::{CityFigures, Verdict};
use super::tally::{add_count, share, sort_counts};

pub(super) fn city_figures<'a>(
    from: CalendarMonth,
    to: CalendarMonth,
    verdicts: impl Iterator<Item = &'a Verdict>,
) -> CityFigures {
    let mut sections = 0;
    let mut class_counts = [0u32; 6];
    let mut meeting = 0;
    let mut main_pollutants = Vec::new();
    for verdict in verdicts {
        sections += 1;
        let Some(class) = verdict.class else { continue };
        class_counts[usize::from(class.number() - 1)] += 1;
        meeting += u32::from(verdict.meets_target == Some(true));
        for &item in &verdict.exceeding_target {
            add_count(&mut main_pollutants, item, 1);
        }
    }
    sort_counts(&mut main_pollutants);
    let assessed: u32 = class_counts.iter().sum();
    // 环办〔2011〕22号: 优良 = classes I–III; 劣Ⅴ = class 6 (README §3).
    let good: u32 = class_counts[..3].iter().sum();
    CityFigures {
        from,
        to,
        sections,
        sections_assessed: assessed,
        class_counts,
        good_share: share(good, assessed),
        worse_than_v_share: share(class_counts[5], assessed),
        attainment_rate: share(meeting, assessed),
        main_pollutants,
    }
}
