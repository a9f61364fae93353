//! What became of a message: its deliveries counted per channel.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use crate::context::Context;
use crate::notify::{Delivery, DeliveryStatus};
use crate::store::{StoreError, codec, keys};

/// One channel's deliveries of a message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChannelCounts {
    /// The channel's id.
    pub channel: String,
    /// The channel accepted them.
    pub sent: u32,
    /// Given up: a permanent failure, or every attempt failed.
    pub failed: u32,
    /// Not attempted yet, being attempted, or waiting to be tried again.
    pub pending: u32,
    /// The channel does not carry organizer messages (a plugin built before
    /// `prasang:channel@0.3.0`): nothing was sent, and nothing will be.
    pub skipped: u32,
}

/// The deliveries of message `seq`, per channel in id order, and how many people they reach.
pub(super) fn count(inner: &Context, seq: u64) -> Result<(Vec<ChannelCounts>, u32), StoreError> {
    let mut channels: BTreeMap<String, ChannelCounts> = BTreeMap::new();
    let mut reached = HashSet::new();
    // Delivery keys begin with the log sequence: the message's deliveries are one range.
    for item in inner.store.deliveries.scan_prefix(keys::log_seq(seq)) {
        let (_, value) = item?;
        let delivery: Delivery = codec::read(&value)?;
        reached.insert(delivery.user);
        let counts = channels
            .entry(delivery.channel.clone())
            .or_insert_with(|| ChannelCounts {
                channel: delivery.channel.clone(),
                ..ChannelCounts::default()
            });
        let tally = match delivery.status {
            DeliveryStatus::Sent if delivery.receipt.as_ref().is_some_and(|r| r.is_skip()) => {
                &mut counts.skipped
            }
            DeliveryStatus::Sent => &mut counts.sent,
            DeliveryStatus::Failed => &mut counts.failed,
            DeliveryStatus::Pending | DeliveryStatus::Sending | DeliveryStatus::Retrying => {
                &mut counts.pending
            }
        };
        *tally += 1;
    }
    let reached = u32::try_from(reached.len()).unwrap_or(u32::MAX);
    Ok((channels.into_values().collect(), reached))
}
