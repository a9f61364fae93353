//! The admission step, run by the maintenance thread: for each open room whose sale has
//! started, it draws the lottery, settles lapsed passes, then admits people in queue order.
//!
//! Sled transactions cannot scan, so each part scans the queue after a cursor kept in the room
//! record, then applies a batch in a transaction that moves the cursor. Only one step runs at a
//! time (`RoomShared::stepping`) and joins never move a cursor, so what a scan saw is still
//! there when its transaction runs. A crash between batches loses nothing: the next step goes
//! on from the last committed cursor.

use std::cell::Cell;
use std::time::Duration;

use crate::context::Context;
use crate::ids::EventId;
use crate::log::{self, DomainEvent};
use crate::store::{StoreError, abort, codec, finish, read_in_tx};
use crate::time::Timestamp;

use super::RoomError;
use super::record::{
    LATE, MemberRecord, MemberState, RoomRecord, Spot, StoredAdmission, member_key, queue_after,
    room_key, spot_of,
};

/// Queue entries one transaction handles at most.
const BATCH: usize = 1024;

const MINUTE_MS: u64 = 60_000;

/// Runs the step over every room; returns how many people were admitted. A room that fails
/// (an unreadable record) does not hold up the others: the first failure is returned after
/// all were tried.
pub(crate) fn step(ctx: &Context) -> Result<usize, RoomError> {
    let _alone = ctx.rooms.stepping.lock();
    let mut admitted = 0;
    let mut failed = None;
    for found in ctx.store.waiting_rooms.iter() {
        let (key, bytes) = found.map_err(StoreError::from)?;
        let Some(event) = EventId::from_key_prefix(&key) else {
            continue;
        };
        match step_room(ctx, event, &bytes) {
            Ok(count) => admitted += count,
            Err(error) => {
                tracing::warn!(%event, %error, "waiting room step failed");
                failed.get_or_insert(error);
            }
        }
    }
    match failed {
        Some(error) => Err(error),
        None => Ok(admitted),
    }
}

/// One room's step, once its sale has started.
fn step_room(ctx: &Context, event: EventId, bytes: &[u8]) -> Result<usize, RoomError> {
    let room: RoomRecord = codec::read(bytes)?;
    if !room.settings.enabled || ctx.now() < room.settings.on_sale_at {
        return Ok(0);
    }
    draw(ctx, event)?;
    settle_lapsed(ctx, event)?;
    admit(ctx, event)
}

/// Closes the lottery to arrivals, then gives every early arrival its ordinal in place order.
fn draw(ctx: &Context, event: EventId) -> Result<(), RoomError> {
    // Closed first, in a transaction of its own: no early arrival can land behind the draw's
    // cursor once it has started scanning.
    let mut room = read_room(ctx, event)?;
    if !room.early_closed {
        room = in_room_tx(ctx, event, |room, _| {
            room.early_closed = true;
            Ok(())
        })?;
    }
    while !room.lottery_drawn() {
        let spots = scan(ctx, event, room.draw_cursor, BATCH, |spot| {
            spot.place < LATE
        })?;
        room = in_room_tx(ctx, event, |room, members| {
            if spots.is_empty() {
                // Every early spot has its ordinal. Fewer than counted (a member record gone)
                // must still end the draw, or the room would wait for it forever; admission
                // steps over the unused ordinals.
                if room.drawn != room.early {
                    tracing::warn!(%event, drawn = room.drawn, early = room.early,
                        "the lottery drew fewer places than it counted");
                    room.drawn = room.early;
                }
                return Ok(());
            }
            for &spot in &spots {
                room.draw_cursor = Some(spot);
                let Some(mut member) = member_at(members, event, spot)? else {
                    continue;
                };
                room.drawn += 1;
                member.ordinal = room.drawn;
                members.insert(&member_key(event, spot.user)[..], codec::write(&member))?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// Walks the admitted spots in order and counts every pass that lapsed unspent as abandoned,
/// up to the first pass still running. Passes lapse in admission order while the lifetime
/// stays the same; after a change a few may be counted a little late, never twice.
fn settle_lapsed(ctx: &Context, event: EventId) -> Result<(), RoomError> {
    let now = ctx.now();
    loop {
        let room = read_room(ctx, event)?;
        let Some(last_admitted) = room.admit_cursor else {
            return Ok(());
        };
        let spots = scan(ctx, event, room.expiry_cursor, BATCH, |spot| {
            (spot.place, spot.user) <= (last_admitted.place, last_admitted.user)
        })?;
        if spots.is_empty() {
            return Ok(());
        }
        let blocked = Cell::new(false);
        in_room_tx(ctx, event, |room, members| {
            blocked.set(false);
            for &spot in &spots {
                if let Some(mut member) = member_at(members, event, spot)? {
                    match member.state {
                        MemberState::Admitted { expires_at, .. } if expires_at > now => {
                            blocked.set(true);
                            break;
                        }
                        MemberState::Admitted { expires_at, .. } => {
                            member.state = MemberState::Expired { at: expires_at };
                            room.abandoned += 1;
                            members
                                .insert(&member_key(event, spot.user)[..], codec::write(&member))?;
                        }
                        MemberState::Waiting
                        | MemberState::Spent { .. }
                        | MemberState::Expired { .. } => {}
                    }
                }
                room.expiry_cursor = Some(spot);
            }
            Ok(())
        })?;
        if blocked.get() || spots.len() < BATCH {
            return Ok(());
        }
    }
}

/// Admits the next people in order, as many as the room's rate allows now; each gets a pass
/// and a `QueueAdmitted` log entry. Returns how many.
fn admit(ctx: &Context, event: EventId) -> Result<usize, RoomError> {
    let now = ctx.now();
    let mut total = 0;
    loop {
        let room = read_room(ctx, event)?;
        if !room.lottery_drawn() {
            return Ok(total);
        }
        let wanted = allowance(&mut room.clone(), now).min(BATCH as u64) as usize;
        if wanted == 0 {
            return Ok(total);
        }
        let spots = scan(ctx, event, room.admit_cursor, wanted, |_| true)?;
        if spots.is_empty() {
            // Nobody waiting: no transaction, as most seconds of an idle room.
            return Ok(total);
        }
        let store = &ctx.store;
        let admitted = finish::<_, RoomError>(store.transaction(
            (&store.waiting_rooms, &store.room_members, &store.log),
            |(rooms, members, log)| {
                let mut room: RoomRecord = match rooms.get(room_key(event))? {
                    Some(bytes) => read_in_tx(&bytes)?,
                    None => return Err(abort(RoomError::NotOpen)),
                };
                let allowed = allowance(&mut room, now) as usize;
                let mut admitted = 0;
                let expires_at = now.plus(room.settings.pass_lifetime());
                for &spot in spots.iter().take(allowed) {
                    room.admit_cursor = Some(spot);
                    let Some(mut member) = member_at(members, event, spot)? else {
                        continue;
                    };
                    if member.state != MemberState::Waiting || member.ordinal == 0 {
                        continue;
                    }
                    member.state = MemberState::Admitted {
                        at: now,
                        expires_at,
                    };
                    members.insert(&member_key(event, spot.user)[..], codec::write(&member))?;
                    room.admitted = room.admitted.max(member.ordinal);
                    let entry = DomainEvent::QueueAdmitted {
                        event,
                        user: spot.user,
                        expires_at,
                    };
                    log::append(log, now, &entry)?;
                    admitted += 1;
                }
                measure_rate(&mut room, now);
                rooms.insert(&room_key(event)[..], codec::write(&room))?;
                Ok(admitted)
            },
        ))?;
        if admitted > 0 {
            ctx.committed_with_log()?;
        }
        total += admitted;
        if spots.len() < BATCH || admitted == 0 {
            return Ok(total);
        }
    }
}

/// How many more people the room may admit at `now`. Per minute: the pace since the rate was
/// set, where credit left unused (an empty queue, a stopped server) is kept for one minute
/// only, so a crowd arriving later, or a restart, does not get a burst. Automatic: the room
/// left in the window of outstanding passes.
fn allowance(room: &mut RoomRecord, now: Timestamp) -> u64 {
    match room.settings.admission {
        StoredAdmission::PerMinute(rate) => {
            let rate = u64::from(rate);
            let credit = |room: &RoomRecord| {
                let elapsed = now.as_millis().saturating_sub(room.pace_from.as_millis());
                let paced =
                    u128::from(rate) * u128::from(elapsed.max(0) as u64) / u128::from(MINUTE_MS);
                (room.pace_admitted + paced as u64).saturating_sub(room.admitted)
            };
            if credit(room) > rate {
                room.pace_from = now.minus(Duration::from_millis(MINUTE_MS));
                room.pace_admitted = room.admitted;
            }
            credit(room)
        }
        StoredAdmission::Automatic => super::AUTOMATIC_WINDOW.saturating_sub(room.outstanding()),
    }
}

/// About once a minute while people are admitted, the admissions per minute since the last
/// measure: the automatic mode's wait estimate (which goes unknown when the measure grows
/// old: nobody admitted lately).
fn measure_rate(room: &mut RoomRecord, now: Timestamp) {
    let (since, admitted_then) = room.rate_mark;
    let elapsed = now.as_millis().saturating_sub(since.as_millis()).max(0) as u64;
    if elapsed >= MINUTE_MS {
        room.recent_per_minute = room.admitted.saturating_sub(admitted_then) * MINUTE_MS / elapsed;
        room.rate_mark = (now, room.admitted);
    }
}

/// Up to `limit` spots of `event`'s queue after `after`, in order, while `keep` holds.
fn scan(
    ctx: &Context,
    event: EventId,
    after: Option<Spot>,
    limit: usize,
    keep: impl Fn(&Spot) -> bool,
) -> Result<Vec<Spot>, StoreError> {
    let (start, end) = queue_after(event, after);
    let mut spots = Vec::new();
    for key in ctx.store.room_queue.range(start..end).keys().take(limit) {
        let Some(spot) = spot_of(&key?) else { continue };
        if !keep(&spot) {
            break;
        }
        spots.push(spot);
    }
    Ok(spots)
}

/// The member at `spot`, if it still stands there (a person who joined again has a new spot).
fn member_at(
    members: &sled::transaction::TransactionalTree,
    event: EventId,
    spot: Spot,
) -> Result<Option<MemberRecord>, sled::transaction::ConflictableTransactionError<RoomError>> {
    let Some(bytes) = members.get(member_key(event, spot.user))? else {
        return Ok(None);
    };
    let member: MemberRecord = read_in_tx(&bytes)?;
    Ok((member.place == spot.place).then_some(member))
}

fn read_room(ctx: &Context, event: EventId) -> Result<RoomRecord, RoomError> {
    codec::get(&ctx.store.waiting_rooms, &room_key(event))?.ok_or(RoomError::NotOpen)
}

/// Runs `body` over the room record and the members in a transaction, writes the record back
/// and returns it.
fn in_room_tx(
    ctx: &Context,
    event: EventId,
    body: impl Fn(
        &mut RoomRecord,
        &sled::transaction::TransactionalTree,
    ) -> Result<(), sled::transaction::ConflictableTransactionError<RoomError>>,
) -> Result<RoomRecord, RoomError> {
    let store = &ctx.store;
    finish::<_, RoomError>(store.transaction(
        (&store.waiting_rooms, &store.room_members),
        |(rooms, members)| {
            let mut room: RoomRecord = match rooms.get(room_key(event))? {
                Some(bytes) => read_in_tx(&bytes)?,
                None => return Err(abort(RoomError::NotOpen)),
            };
            body(&mut room, members)?;
            rooms.insert(&room_key(event)[..], codec::write(&room))?;
            Ok(room)
        },
    ))
}
