//! Gauges whose value is computed when scraped, from state the daemon
//! keeps anyway (a channel's length, a pool's status, the time of the
//! newest reading), so nothing has to keep a copy up to date.

use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::gauge::ConstGauge;

use super::{Metric, Registry, help_text};

/// One value, or none (the series is left out) when there is nothing to
/// measure yet.
#[derive(Debug, Clone, Copy)]
pub struct ComputedGauge {
    name: &'static str,
    help: &'static str,
    read: fn() -> Option<f64>,
}

impl ComputedGauge {
    /// A gauge that `read` computes at each scrape.
    pub const fn new(name: &'static str, help: &'static str, read: fn() -> Option<f64>) -> Self {
        Self { name, help, read }
    }
}

impl Metric for ComputedGauge {
    fn register(&self, registry: &mut Registry) {
        registry.register_collector(Box::new(*self));
    }
}

impl prometheus_client::collector::Collector for ComputedGauge {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(value) = (self.read)() else {
            return Ok(());
        };
        let gauge = ConstGauge::new(value);
        let help = format!("{}.", help_text(self.help));
        gauge.encode(encoder.encode_descriptor(self.name, &help, None, gauge.metric_type())?)
    }
}

/// A value per value of one label, computed at each scrape.
#[derive(Debug, Clone, Copy)]
pub struct ComputedFamily {
    name: &'static str,
    help: &'static str,
    label: &'static str,
    read: fn() -> Vec<(String, f64)>,
}

impl ComputedFamily {
    /// A family whose `(label value, value)` pairs `read` computes.
    pub const fn new(
        name: &'static str,
        help: &'static str,
        label: &'static str,
        read: fn() -> Vec<(String, f64)>,
    ) -> Self {
        Self {
            name,
            help,
            label,
            read,
        }
    }
}

impl Metric for ComputedFamily {
    fn register(&self, registry: &mut Registry) {
        registry.register_collector(Box::new(*self));
    }
}

impl prometheus_client::collector::Collector for ComputedFamily {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let series = (self.read)();
        if series.is_empty() {
            return Ok(());
        }
        let help = format!("{}.", help_text(self.help));
        let mut family = encoder.encode_descriptor(
            self.name,
            &help,
            None,
            prometheus_client::metrics::MetricType::Gauge,
        )?;
        for (value_of_label, value) in series {
            let labels = [(self.label, super::escape(&value_of_label))];
            ConstGauge::new(value).encode(family.encode_family(&labels)?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computed_values_are_read_at_each_scrape_and_absent_ones_left_out() {
        static DEPTH: ComputedGauge = ComputedGauge::new("t_depth", "Depth.", || Some(4.0));
        static NOTHING: ComputedGauge = ComputedGauge::new("t_nothing", "Nothing.", || None);
        static AGE: ComputedFamily = ComputedFamily::new("t_age_seconds", "Age.", "kind", || {
            vec![("air".to_owned(), 2.5), ("river".to_owned(), 60.0)]
        });
        let mut registry = Registry::default();
        super::super::register_all(&mut registry, &[&DEPTH, &NOTHING, &AGE]);
        assert_eq!(
            super::super::encode(&registry),
            "# HELP t_depth Depth.\n\
             # TYPE t_depth gauge\n\
             t_depth 4.0\n\
             # HELP t_age_seconds Age.\n\
             # TYPE t_age_seconds gauge\n\
             t_age_seconds{kind=\"air\"} 2.5\n\
             t_age_seconds{kind=\"river\"} 60.0\n\
             # EOF\n"
        );
    }
}
