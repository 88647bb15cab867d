//! `humbol_provisioning_events_total{action, outcome}`: the provisioning events this process wrote
//! (`humbol_store::event_counts`), read at each scrape.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::MetricType;

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct EventLabels {
    action: &'static str,
    outcome: &'static str,
}

/// The collector registered in the process's registry.
#[derive(Debug)]
pub(crate) struct ProvisioningEvents;

impl Collector for ProvisioningEvents {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let mut family = encoder.encode_descriptor(
            "provisioning_events",
            "Provisioning events written to the event log by this process, by action and outcome",
            None,
            MetricType::Counter,
        )?;
        for c in humbol_store::event_counts::event_counts() {
            let labels = EventLabels {
                action: c.action,
                outcome: c.outcome.as_str(),
            };
            ConstCounter::new(c.count).encode(family.encode_family(&labels)?)?;
        }
        Ok(())
    }
}
