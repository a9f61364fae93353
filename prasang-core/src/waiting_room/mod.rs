//! A waiting room in front of a hot on-sale: people who arrive before the on-sale time get a
//! random place among the early arrivals (a lottery, not a race), later arrivals queue behind
//! them in arrival order, and a step admits them in that order at the organizer's rate. Each
//! admitted person gets a short-lived pass, bound to their account and the event and signed
//! (HMAC), which booking will require while the room is on.
//!
//! Everything is in the store (see `record`): places, ordinals, the admitted set and the
//! counters survive restarts; a join returns only once durable. Reading one's status is two
//! point reads (the room and the member).

pub(crate) mod admission;
pub(crate) mod arrivals;
pub(crate) mod gate;
pub(crate) mod integrity;
pub(crate) mod lottery;
pub(crate) mod pass;
pub(crate) mod record;
pub(crate) mod shared;

use serde::{Deserialize, Serialize};

use crate::auth::Actor;
use crate::context::Context;
use crate::error::{CommonError, ErrorInfo, domain_error};
use crate::events::record as event_record;
use crate::ids::{EventId, UserId};
use crate::limits;
use crate::store::{StoreError, abort, codec, finish, read_in_tx};
use crate::time::Timestamp;
use crate::validate::{self, FieldError};

use pass::PassClaims;
use record::{
    MemberRecord, MemberState, RoomRecord, StoredAdmission, StoredSettings, member_key, room_key,
};

/// How a room admits people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdmissionRate {
    /// This many people per minute (1 to 1,000,000), from the on-sale time.
    PerMinute(u32),
    /// As fast as passes are spent: at most [`AUTOMATIC_WINDOW`] passes are out unspent at a
    /// time, which keeps the booking queue short.
    Automatic,
}

/// Passes out and unspent at most, under [`AdmissionRate::Automatic`].
pub const AUTOMATIC_WINDOW: u64 = 100;

/// An event's waiting room, as its organizer sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomSettings {
    /// Whether the room is on. Turning it off keeps everyone's place; booking is free again.
    pub enabled: bool,
    /// When the sale opens: arrivals before it are drawn by lottery, later ones queue in order.
    pub on_sale_at: Timestamp,
    /// How fast people are admitted.
    pub admission: AdmissionRate,
    /// How long a pass stands, in minutes (1 to 120; default 10).
    #[serde(default = "default_pass_minutes")]
    pub pass_minutes: u32,
}

fn default_pass_minutes() -> u32 {
    10
}

/// Where one person stands in a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Place {
    /// Arrived before the on-sale time: their place is drawn at that time.
    InLottery {
        /// When the lottery is drawn.
        on_sale_at: Timestamp,
    },
    /// In the queue.
    Waiting {
        /// People ahead of them, plus one (1: next).
        position: u64,
        /// Seconds until their turn at the current rate (none while no rate is known).
        estimated_wait_secs: Option<u64>,
    },
    /// Admitted: they may book with `pass` until `expires_at`.
    Admitted {
        /// The pass, to send with the booking.
        pass: String,
        /// When it lapses.
        expires_at: Timestamp,
    },
    /// Their pass was spent by a booking (joining again queues them at the end).
    Spent {
        /// When.
        at: Timestamp,
    },
    /// Their pass lapsed unspent (joining again queues them at the end).
    Expired {
        /// When.
        at: Timestamp,
    },
}

/// One person's status in an event's room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueStatus {
    /// The event.
    pub event: EventId,
    /// Where they stand.
    #[serde(flatten)]
    pub place: Place,
    /// People waiting in the room.
    pub queue_length: u64,
    /// People admitted so far.
    pub admitted: u64,
}

/// A room in numbers, for its organizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RoomNumbers {
    /// The settings.
    pub settings: RoomSettings,
    /// People waiting.
    pub queue_length: u64,
    /// People admitted so far.
    pub admitted: u64,
    /// Passes spent by a booking.
    pub spent: u64,
    /// Passes that lapsed unspent.
    pub abandoned: u64,
    /// Passes out, neither spent nor lapsed.
    pub outstanding: u64,
    /// Early arrivals (the lottery's size).
    pub lottery_size: u64,
    /// Whether the lottery has been drawn.
    pub lottery_drawn: bool,
    /// Seconds until someone joining now is admitted, at the current rate.
    pub estimated_wait_secs: Option<u64>,
}

/// What a valid pass grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PassInfo {
    /// The event it books.
    pub event: EventId,
    /// The account it belongs to.
    pub user: UserId,
    /// When it lapses.
    pub expires_at: Timestamp,
}

/// Why a pass was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum PassRefusal {
    /// It was issued to another account.
    #[error("this pass belongs to another account")]
    OtherAccount,
    /// It was issued for another event.
    #[error("this pass is for another event")]
    OtherEvent,
    /// It has lapsed.
    #[error("this pass has expired; join the queue again")]
    Expired,
    /// It is not one the room issued (altered, cut or made up).
    #[error("this is not a valid pass")]
    Tampered,
    /// It was spent by a booking (or replaced by a later admission).
    #[error("this pass has been used already")]
    Spent,
}

/// Errors of the waiting room API.
#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    /// The event has no waiting room, or it is off.
    #[error("this event has no open waiting room")]
    NotOpen,
    /// The caller has no place in this room.
    #[error("you have not joined this event's waiting room")]
    NotJoined,
    /// Booking this event needs a pass from its waiting room.
    #[error("this sale has a waiting room: join it and book when admitted")]
    PassRequired {
        /// The caller's position, when they wait.
        position: Option<u64>,
        /// Seconds until their turn, when known.
        estimated_wait_secs: Option<u64>,
    },
    /// The pass given is not valid for this booking.
    #[error("{0}")]
    PassInvalid(PassRefusal),
    /// Shared refusals and failures: invalid field, event not found, forbidden, storage.
    #[error(transparent)]
    Common(#[from] CommonError),
}

domain_error!(RoomError {
    RoomError::NotOpen => ErrorInfo::new(NotFound, "room-not-open", "No open waiting room"),
    RoomError::NotJoined => ErrorInfo::new(NotFound, "room-not-joined", "Not in the waiting room"),
    RoomError::PassRequired { .. } => ErrorInfo::new(RateLimited, "pass-required", "Waiting room pass required"),
    RoomError::PassInvalid(_) => ErrorInfo::new(Forbidden, "pass-invalid", "Invalid waiting room pass"),
});

const ORGANIZERS_ONLY: &str = "only the event's organizer can manage its waiting room";

/// Waiting rooms of events. Obtained from [`crate::Prasang::waiting_room`].
pub struct WaitingRoom<'a> {
    pub(crate) inner: &'a Context,
    pub(crate) arrivals: &'a arrivals::Arrivals,
}

impl WaitingRoom<'_> {
    /// The event's room settings, if it ever had a room (anyone: front ends ask it to decide
    /// whether to send people to the room).
    pub fn settings(&self, event: EventId) -> Result<Option<RoomSettings>, RoomError> {
        Ok(self.room(event)?.map(|room| settings_view(&room.settings)))
    }

    /// Sets the event's room (its organizer or an admin). The on-sale time cannot move once
    /// the lottery has closed.
    pub fn configure(
        &self,
        actor: &Actor,
        event: EventId,
        settings: RoomSettings,
    ) -> Result<RoomNumbers, RoomError> {
        let stored = validated(&settings)?;
        let store = &self.inner.store;
        event_record::require_run_by(store, actor, event, ORGANIZERS_ONLY)?;
        let now = self.inner.now();
        let room = finish::<_, RoomError>(store.transaction(&store.waiting_rooms, |rooms| {
            let room = match rooms.get(room_key(event))? {
                None => RoomRecord::new(stored, now),
                Some(bytes) => {
                    let mut room: RoomRecord = read_in_tx(&bytes)?;
                    if room.early_closed && room.settings.on_sale_at != stored.on_sale_at {
                        return Err(abort(FieldError::new(
                            "on_sale_at",
                            "the lottery has closed; the on-sale time can no longer change",
                        )));
                    }
                    if room.settings.admission != stored.admission
                        || room.settings.enabled != stored.enabled
                        || room.settings.on_sale_at != stored.on_sale_at
                    {
                        // A new rate (or sale) counts from now or the sale, whichever is
                        // later: no credit for the time before.
                        room.pace_from = stored.on_sale_at.max(now);
                        room.pace_admitted = room.admitted;
                    }
                    room.settings = stored;
                    room
                }
            };
            rooms.insert(&room_key(event), codec::write(&room))?;
            Ok(room)
        }))?;
        store.durable()?;
        Ok(numbers_of(&room, self.inner.now()))
    }

    /// The room in numbers (its organizer or an admin).
    pub fn numbers(&self, actor: &Actor, event: EventId) -> Result<RoomNumbers, RoomError> {
        event_record::require_run_by(&self.inner.store, actor, event, ORGANIZERS_ONLY)?;
        let room = self.room(event)?.ok_or(RoomError::NotOpen)?;
        Ok(numbers_of(&room, self.inner.now()))
    }

    /// Takes a place in the event's room (one per account: joining again returns the same
    /// place, or a new one at the end once the last pass was spent or lapsed). Returns once the
    /// place is durable.
    pub fn join(&self, actor: &Actor, event: EventId) -> Result<QueueStatus, RoomError> {
        let user = actor.user_id();
        let joined = self.arrivals.join(self.inner, event, user)?;
        if joined.new_place {
            self.inner.committed_with_log()?;
        } else {
            // Their place may be the answer to a join not yet acknowledged.
            self.inner.store.durable()?;
        }
        let now = self.inner.now();
        self.status_of(event, user, &joined.room, &joined.member, now)
    }

    /// The caller's place in the event's room: two point reads.
    pub fn status(&self, actor: &Actor, event: EventId) -> Result<QueueStatus, RoomError> {
        let user = actor.user_id();
        let room = self.room(event)?.ok_or(RoomError::NotOpen)?;
        if !room.settings.enabled {
            return Err(RoomError::NotOpen);
        }
        let member: MemberRecord =
            codec::get(&self.inner.store.room_members, &member_key(event, user))?
                .ok_or(RoomError::NotJoined)?;
        self.status_of(event, user, &room, &member, self.inner.now())
    }

    /// Checks that `token` is a pass for `user` to book `event` now: signed by the room,
    /// theirs, for this event, not lapsed and not spent.
    pub fn verify_pass(
        &self,
        user: UserId,
        event: EventId,
        token: &str,
    ) -> Result<PassInfo, RoomError> {
        let now = self.inner.now();
        let claims = self.signed_claims(user, event, token, now)?;
        let member: Option<MemberRecord> =
            codec::get(&self.inner.store.room_members, &member_key(event, user))?;
        gate::current_pass(member.as_ref(), &claims, now).map_err(RoomError::PassInvalid)?;
        Ok(info_of(&claims))
    }

    /// Runs one admission step over every open room: closes and draws lotteries whose on-sale
    /// time has come, settles lapsed passes, and admits people in order up to each room's rate.
    /// The maintenance thread calls it every second. Returns how many were admitted.
    pub fn admit_due(&self) -> Result<usize, RoomError> {
        admission::step(self.inner)
    }

    fn room(&self, event: EventId) -> Result<Option<RoomRecord>, StoreError> {
        codec::get(&self.inner.store.waiting_rooms, &room_key(event))
    }

    /// The claims of `token` when it is signed and issued to `user` for `event` and not lapsed.
    fn signed_claims(
        &self,
        user: UserId,
        event: EventId,
        token: &str,
        now: Timestamp,
    ) -> Result<PassClaims, RoomError> {
        gate::open(&self.inner.rooms.passes, user, event, token, now)?
            .map_err(RoomError::PassInvalid)
    }

    fn status_of(
        &self,
        event: EventId,
        user: UserId,
        room: &RoomRecord,
        member: &MemberRecord,
        now: Timestamp,
    ) -> Result<QueueStatus, RoomError> {
        let place = match member.state_at(now) {
            MemberState::Waiting if member.ordinal == 0 => Place::InLottery {
                on_sale_at: room.settings.on_sale_at,
            },
            MemberState::Waiting => {
                let position = position_of(room, member);
                Place::Waiting {
                    position,
                    estimated_wait_secs: estimate(room, position, now),
                }
            }
            MemberState::Admitted { expires_at, .. } => {
                let claims = PassClaims {
                    event,
                    user,
                    expires_at,
                };
                Place::Admitted {
                    pass: self.inner.rooms.passes.sign(&claims)?,
                    expires_at,
                }
            }
            MemberState::Spent { at } => Place::Spent { at },
            MemberState::Expired { at } => Place::Expired { at },
        };
        Ok(QueueStatus {
            event,
            place,
            queue_length: room.waiting(),
            admitted: room.admitted,
        })
    }
}

fn info_of(claims: &PassClaims) -> PassInfo {
    PassInfo {
        event: claims.event,
        user: claims.user,
        expires_at: claims.expires_at,
    }
}

fn validated(settings: &RoomSettings) -> Result<StoredSettings, FieldError> {
    let pass_minutes: u32 =
        validate::in_range(&limits::PASS_MINUTES, i64::from(settings.pass_minutes))?;
    let admission = match settings.admission {
        AdmissionRate::PerMinute(rate) => StoredAdmission::PerMinute(validate::in_range(
            &limits::ROOM_PER_MINUTE,
            i64::from(rate),
        )?),
        AdmissionRate::Automatic => StoredAdmission::Automatic,
    };
    Ok(StoredSettings {
        enabled: settings.enabled,
        on_sale_at: settings.on_sale_at,
        admission,
        pass_lifetime_secs: pass_minutes * 60,
    })
}

fn settings_view(stored: &StoredSettings) -> RoomSettings {
    RoomSettings {
        enabled: stored.enabled,
        on_sale_at: stored.on_sale_at,
        admission: match stored.admission {
            StoredAdmission::PerMinute(rate) => AdmissionRate::PerMinute(rate),
            StoredAdmission::Automatic => AdmissionRate::Automatic,
        },
        pass_minutes: stored.pass_lifetime_secs / 60,
    }
}

fn numbers_of(room: &RoomRecord, now: Timestamp) -> RoomNumbers {
    RoomNumbers {
        settings: settings_view(&room.settings),
        queue_length: room.waiting(),
        admitted: room.admitted,
        spent: room.spent,
        abandoned: room.abandoned,
        outstanding: room.outstanding(),
        lottery_size: room.early,
        lottery_drawn: room.lottery_drawn(),
        estimated_wait_secs: estimate(room, room.waiting() + 1, now),
    }
}

/// A waiting member's position: people ahead of them plus one (their ordinal minus those
/// admitted; at least 1).
pub(super) fn position_of(room: &RoomRecord, member: &MemberRecord) -> u64 {
    member.ordinal.saturating_sub(room.admitted).max(1)
}

/// Seconds until `position` is admitted: at the set rate, or (automatic) at the rate measured
/// over the last minute or so; none while no rate is known, or when nobody was admitted for
/// [`STALE_RATE`].
pub(super) fn estimate(room: &RoomRecord, position: u64, now: Timestamp) -> Option<u64> {
    let per_minute = match room.settings.admission {
        StoredAdmission::PerMinute(rate) => u64::from(rate),
        StoredAdmission::Automatic if now.minus(STALE_RATE) > room.rate_mark.0 => 0,
        StoredAdmission::Automatic => room.recent_per_minute,
    };
    (per_minute > 0).then(|| position.saturating_mul(60).div_ceil(per_minute))
}

/// How old the automatic mode's rate measure may be before estimates stop trusting it (it is
/// taken about once a minute while people are admitted).
const STALE_RATE: std::time::Duration = std::time::Duration::from_secs(2 * 60);

#[cfg(test)]
mod tests {
    use super::*;

    /// Front ends show the place's state beside the room's numbers, in one flat object.
    #[test]
    fn a_status_is_one_flat_json_object_named_by_its_state() {
        let status = QueueStatus {
            event: EventId::generate(),
            place: Place::Waiting {
                position: 3,
                estimated_wait_secs: Some(18),
            },
            queue_length: 10,
            admitted: 4,
        };
        let json = serde_json::to_value(&status).expect("serialises");
        assert_eq!(json["state"], "waiting");
        assert_eq!(json["position"], 3);
        assert_eq!(json["estimated_wait_secs"], 18);
        assert_eq!(json["queue_length"], 10);
        let rate = serde_json::to_value(AdmissionRate::PerMinute(50)).expect("serialises");
        assert_eq!(rate, serde_json::json!({ "per_minute": 50 }));
        let automatic: AdmissionRate = serde_json::from_str("\"automatic\"").expect("parses");
        assert_eq!(automatic, AdmissionRate::Automatic);
    }
}
