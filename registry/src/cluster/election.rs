//! Who leads: every node joins one Kafka consumer group on the coordination topic (one
//! partition); the member the group assigns that partition to is the leader candidate. A node
//! whose session expires (killed, paused, cut off) loses the partition at the coordinator, which
//! hands it to another member. Stickiness (`cooperative-sticky`) keeps a live leader through
//! other nodes joining and leaving.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::client::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::TopicPartitionList;
use tokio::sync::mpsc::UnboundedSender;

/// What the group told this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupEvent {
    /// The coordination partition is now this node's.
    Assigned,
    /// It is not (revoked, or lost with the session).
    Revoked,
}

struct ElectionContext {
    topic: String,
    events: UnboundedSender<GroupEvent>,
}

fn holds(tpl: &TopicPartitionList, topic: &str) -> bool {
    tpl.elements().iter().any(|e| e.topic() == topic && e.partition() == 0)
}

impl ClientContext for ElectionContext {}

impl ConsumerContext for ElectionContext {
    fn pre_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        // Step down before the partition goes: a leader stops acting at once.
        if let Rebalance::Revoke(tpl) = rebalance {
            if holds(tpl, &self.topic) {
                let _ = self.events.send(GroupEvent::Revoked);
            }
        }
    }

    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) if holds(tpl, &self.topic) => {
                let _ = self.events.send(GroupEvent::Assigned);
            }
            Rebalance::Error(e) => {
                tracing::warn!("leader election: rebalance error: {e}");
                let _ = self.events.send(GroupEvent::Revoked);
            }
            _ => {}
        }
    }
}

/// Join the group and report assignment changes on `events` from a background thread, until
/// `stop` turns true (then leave the group cleanly, so another node takes over at once).
pub fn spawn(
    mut client: ClientConfig,
    topic: &str,
    group: &str,
    session_timeout: Duration,
    events: UnboundedSender<GroupEvent>,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<std::thread::JoinHandle<()>> {
    let session_ms = session_timeout.as_millis().max(1000);
    let consumer: BaseConsumer<ElectionContext> = client
        .set("group.id", group)
        .set("session.timeout.ms", session_ms.to_string())
        .set("heartbeat.interval.ms", (session_ms / 5).max(100).to_string())
        .set("partition.assignment.strategy", "cooperative-sticky")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "latest")
        .set("allow.auto.create.topics", "false")
        .create_with_context(ElectionContext { topic: topic.to_string(), events: events.clone() })?;
    consumer.subscribe(&[topic])?;
    let handle = std::thread::Builder::new().name("lockstep-leader-election".into()).spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            // Serves heartbeats and rebalance callbacks; the records themselves are not needed.
            if let Some(Err(e)) = consumer.poll(Duration::from_millis(100)) {
                tracing::debug!("leader election: {e}");
            }
        }
        let _ = events.send(GroupEvent::Revoked);
        consumer.unsubscribe();
        // Leave the group now rather than after the session timeout.
        drop(consumer);
    })?;
    Ok(handle)
}
