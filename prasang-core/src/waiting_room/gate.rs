//! The room's gate on booking: while an event's room is on, a booking needs its booker's live
//! pass, and spends it in the booking's own transaction, so one pass books once.
//!
//! The signature, account, event and expiry are checked before the request queues ([`open`]:
//! no store); the booking writer then reads only the member, once per booking, and the room
//! record once per batch.

use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::pass::{PassClaims, PassKey};
use super::record::{MemberRecord, MemberState, RoomRecord, member_key};
use super::{PassRefusal, estimate, position_of};
use crate::ids::{EventId, UserId};
use crate::store::{StoreError, codec, read_in_tx};
use crate::time::Timestamp;

/// A pass as a booking carries it: its claims if the room signed it for this booker and event
/// and it has not lapsed, else why not (which matters only while the room is on).
pub(crate) type OpenedPass = Result<PassClaims, PassRefusal>;

/// Why the gate turned a booking away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Turned {
    /// No pass while the room is on; where the booker waits, if they do.
    NoPass {
        position: Option<u64>,
        estimated_wait_secs: Option<u64>,
    },
    /// The pass is not the booker's live one.
    BadPass(PassRefusal),
}

/// A pass the gate let through: spend it with [`spend_in_tx`] once the booking is decided.
pub(crate) struct LivePass {
    claims: PassClaims,
    member: MemberRecord,
}

/// Opens `token` for `user` booking `event` at `now`.
pub(crate) fn open(
    passes: &PassKey,
    user: UserId,
    event: EventId,
    token: &str,
    now: Timestamp,
) -> Result<OpenedPass, StoreError> {
    let Some(claims) = passes.open(token)? else {
        return Ok(Err(PassRefusal::Tampered));
    };
    Ok(if claims.user != user {
        Err(PassRefusal::OtherAccount)
    } else if claims.event != event {
        Err(PassRefusal::OtherEvent)
    } else if claims.expires_at <= now {
        Err(PassRefusal::Expired)
    } else {
        Ok(claims)
    })
}

/// Inside the booking transaction: whether `room` (the event's, if it has one) lets `user`'s
/// booking of `event` through with `pass`. A room that is off lets everyone through and
/// ignores passes.
pub(crate) fn check_in_tx<E: From<StoreError>>(
    members: &TransactionalTree,
    room: Option<&RoomRecord>,
    (event, user): (EventId, UserId),
    pass: Option<&OpenedPass>,
    now: Timestamp,
) -> Result<Result<Option<LivePass>, Turned>, ConflictableTransactionError<E>> {
    let Some(room) = room.filter(|room| room.settings.enabled) else {
        return Ok(Ok(None));
    };
    let member: Option<MemberRecord> = match members.get(member_key(event, user))? {
        Some(bytes) => Some(read_in_tx(&bytes)?),
        None => None,
    };
    Ok(match pass {
        None => Err(waiting(room, member.as_ref(), now)),
        Some(Err(refusal)) => Err(Turned::BadPass(*refusal)),
        Some(Ok(claims)) => match current_pass(member.as_ref(), claims, now) {
            Err(refusal) => Err(Turned::BadPass(refusal)),
            // Only a member's pass is live.
            Ok(()) => Ok(member.map(|member| LivePass {
                claims: *claims,
                member,
            })),
        },
    })
}

/// Marks `pass` spent: its member's state, and `room`'s count of spent passes (the caller writes
/// the room back).
pub(crate) fn spend_in_tx<E: From<StoreError>>(
    members: &TransactionalTree,
    room: &mut RoomRecord,
    pass: LivePass,
    now: Timestamp,
) -> Result<(), ConflictableTransactionError<E>> {
    let LivePass { claims, mut member } = pass;
    member.state = MemberState::Spent { at: now };
    members.insert(
        &member_key(claims.event, claims.user)[..],
        codec::write(&member),
    )?;
    room.spent += 1;
    Ok(())
}

/// Whether `claims` (signed, theirs, for this event) is the member's live pass: its state says
/// admitted with this very expiry. A spent pass, or one replaced by a later admission after
/// joining again, is refused as spent.
pub(super) fn current_pass(
    member: Option<&MemberRecord>,
    claims: &PassClaims,
    now: Timestamp,
) -> Result<(), PassRefusal> {
    match member.map(|member| member.state_at(now)) {
        Some(MemberState::Admitted { expires_at, .. }) if expires_at == claims.expires_at => Ok(()),
        Some(MemberState::Expired { .. }) => Err(PassRefusal::Expired),
        _ => Err(PassRefusal::Spent),
    }
}

/// The refusal for a booker without a pass: their position and estimate while they wait.
fn waiting(room: &RoomRecord, member: Option<&MemberRecord>, now: Timestamp) -> Turned {
    let position = member
        .filter(|member| member.state_at(now) == MemberState::Waiting && member.ordinal > 0)
        .map(|member| position_of(room, member));
    Turned::NoPass {
        position,
        estimated_wait_secs: position.and_then(|position| estimate(room, position, now)),
    }
}
