//! Joins that arrive together are written together. Each caller queues its join, then takes
//! the writer's lock; whoever holds it writes every join queued so far in one transaction (flat
//! combining) and answers each, so a crowd arriving at once costs one transaction per batch
//! instead of one per person (the room record, which every join changes, is written once per
//! batch), and the batch shares one group-commit flush after the lock is let go.
//!
//! Nothing is kept in memory but the queue of joins not yet written: the store is the truth.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use parking_lot::Mutex;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::RoomError;
use super::lottery::Lottery;
use super::record::{
    LATE, MemberRecord, MemberState, RoomRecord, Spot, member_key, queue_key, room_key,
};
use crate::context::Context;
use crate::error::CommonError;
use crate::ids::{EventId, UserId};
use crate::log::{self, DomainEvent};
use crate::store::{StoreError, codec, finish, read_in_tx};
use crate::time::Timestamp;

/// A join as written: the room just after it and the member's record.
#[derive(Debug, Clone)]
pub(crate) struct Joined {
    pub(crate) room: RoomRecord,
    pub(crate) member: MemberRecord,
    /// Whether it took a new place (and logged `queue_joined`), rather than finding one.
    pub(crate) new_place: bool,
}

type Answer = Arc<Mutex<Option<Result<Joined, RoomError>>>>;

struct Arrival {
    event: EventId,
    user: UserId,
    answer: Answer,
}

/// The joins waiting to be written, and the writer's lock.
#[derive(Default)]
pub(crate) struct Arrivals {
    queued: Mutex<Vec<Arrival>>,
    writer: Mutex<()>,
}

impl Arrivals {
    /// Writes `user`'s join of `event` with whatever else arrived meanwhile (not yet durable:
    /// the caller waits for the flush).
    pub(crate) fn join(
        &self,
        ctx: &Context,
        event: EventId,
        user: UserId,
    ) -> Result<Joined, RoomError> {
        let answer = Answer::default();
        self.queued.lock().push(Arrival {
            event,
            user,
            answer: Arc::clone(&answer),
        });
        let _writer = self.writer.lock();
        // A writer before us may have taken ours along with its own.
        if let Some(answered) = answer.lock().take() {
            return answered;
        }
        let batch = std::mem::take(&mut *self.queued.lock());
        match write(ctx, &batch) {
            Ok(results) => {
                for (arrival, result) in batch.iter().zip(results) {
                    *arrival.answer.lock() = Some(result);
                }
            }
            Err(failure) => {
                tracing::error!(?failure, joins = batch.len(), "a batch of joins failed");
                for arrival in &batch {
                    let failed = RoomError::Common(CommonError::Storage(failure.clone()));
                    *arrival.answer.lock() = Some(Err(failed));
                }
            }
        }
        let answered = answer.lock().take();
        answered.unwrap_or_else(|| Err(StoreError::Conflict.into()))
    }
}

/// Writes `batch` in one transaction, in order; each join's own answer (a refusal writes
/// nothing).
fn write(ctx: &Context, batch: &[Arrival]) -> Result<Vec<Result<Joined, RoomError>>, StoreError> {
    let now = ctx.now();
    let store = &ctx.store;
    let trees = (
        &store.waiting_rooms,
        &store.room_queue,
        &store.room_members,
        &store.log,
    );
    finish::<_, StoreError>(store.transaction(trees, |(rooms, queue, members, log)| {
        let batch_trees = BatchTrees {
            queue,
            members,
            log,
        };
        // Each room read once, changed by each join, written once.
        let mut read: HashMap<EventId, Option<(RoomRecord, bool)>> = HashMap::new();
        let mut results = Vec::with_capacity(batch.len());
        for arrival in batch {
            let room = match read.entry(arrival.event) {
                Entry::Occupied(entry) => entry.into_mut(),
                Entry::Vacant(entry) => {
                    let room = match rooms.get(room_key(arrival.event))? {
                        Some(bytes) => Some((read_in_tx::<RoomRecord, StoreError>(&bytes)?, false)),
                        None => None,
                    };
                    entry.insert(room)
                }
            };
            results.push(match room {
                Some((room, changed)) if room.settings.enabled => {
                    let joined = batch_trees.join(room, arrival, now, &ctx.rooms.lottery)?;
                    *changed |= joined.new_place;
                    Ok(joined)
                }
                _ => Err(RoomError::NotOpen),
            });
        }
        for (event, room) in &read {
            if let Some((room, true)) = room {
                rooms.insert(&room_key(*event)[..], codec::write(room))?;
            }
        }
        Ok(results)
    }))
}

struct BatchTrees<'t> {
    queue: &'t TransactionalTree,
    members: &'t TransactionalTree,
    log: &'t TransactionalTree,
}

impl BatchTrees<'_> {
    /// One join, changing `room` in memory: the member's place if they hold one (waiting or
    /// admitted), else a new place: drawn before the on-sale time, at the end after it.
    fn join(
        &self,
        room: &mut RoomRecord,
        arrival: &Arrival,
        now: Timestamp,
        lottery: &Lottery,
    ) -> Result<Joined, ConflictableTransactionError<StoreError>> {
        let (event, user) = (arrival.event, arrival.user);
        let key = member_key(event, user);
        if let Some(bytes) = self.members.get(key)? {
            let member: MemberRecord = read_in_tx(&bytes)?;
            match member.state_at(now) {
                MemberState::Waiting | MemberState::Admitted { .. } => {
                    return Ok(Joined {
                        room: room.clone(),
                        member,
                        new_place: false,
                    });
                }
                MemberState::Spent { .. } | MemberState::Expired { .. } => {
                    if matches!(member.state, MemberState::Admitted { .. }) {
                        // Lapsed but not yet swept: the sweep will not meet it again.
                        room.abandoned += 1;
                    }
                    let old = Spot {
                        place: member.place,
                        user,
                    };
                    self.queue.remove(&queue_key(event, old)[..])?;
                }
            }
        }
        let (place, ordinal) = if now < room.settings.on_sale_at && !room.early_closed {
            room.early += 1;
            (lottery.draw(), 0)
        } else {
            room.early_closed = true;
            room.late += 1;
            (LATE + room.late, room.early + room.late)
        };
        let member = MemberRecord {
            place,
            ordinal,
            joined_at: now,
            state: MemberState::Waiting,
        };
        self.queue
            .insert(&queue_key(event, Spot { place, user })[..], &[][..])?;
        self.members.insert(&key[..], codec::write(&member))?;
        log::append(self.log, now, &DomainEvent::QueueJoined { event, user })?;
        Ok(Joined {
            room: room.clone(),
            member,
            new_place: true,
        })
    }
}
