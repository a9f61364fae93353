//! Events: what organizers put on sale.
//!
//! An event lives in two records: its description in `events`, and its *sale state* in
//! `inventory` (seat counters plus the few fields a booking must check). A booking transaction
//! touches only the sale state, so it never reads or rewrites the description.

pub(crate) mod visits;

use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use crate::Inner;
use crate::auth::Actor;
use crate::error::{CommonError, ErrorInfo, Subject, domain_error};
use crate::ids::{EventId, UserId};
use crate::log::{self, DomainEvent, EventField};
use crate::paging::{self, Page, PageRequest};
use crate::store::{StoreError, abort, codec, decode_in_tx, finish, keys};
use crate::time::Timestamp;
use crate::validate::{self, FieldError};

/// Largest capacity an event may have.
pub const MAX_CAPACITY: i64 = 1_000_000;
/// Largest number of seats one user may hold for an event.
pub const MAX_PER_USER_LIMIT: i64 = 100;
/// Largest price per seat, in minor units.
pub const MAX_PRICE_MINOR: i64 = 100_000_000;

/// Whether an event is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    /// Listed and on sale until it starts.
    Published,
    /// Called off: not listed, not on sale.
    Cancelled,
}

/// Seat counters; `remaining + held + booked == capacity` always.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Seats {
    /// Seats in total.
    pub capacity: u32,
    /// Seats anyone can still book.
    pub remaining: u32,
    /// Seats in pending holds (awaiting payment).
    pub held: u32,
    /// Seats booked.
    pub booked: u32,
}

/// An event as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The event's id.
    pub id: EventId,
    /// The organizer who owns it.
    pub organizer: UserId,
    /// Title.
    pub title: String,
    /// Description (may span lines).
    pub description: String,
    /// Where it happens.
    pub location: String,
    /// When it starts.
    pub starts_at: Timestamp,
    /// When it ends.
    pub ends_at: Timestamp,
    /// Price of one seat in minor units (cents); 0 for free events.
    pub price_minor: u64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Picture for listings.
    pub image_url: Option<String>,
    /// Most seats one user may hold.
    pub per_user_limit: u32,
    /// Published or cancelled.
    pub status: EventStatus,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Seat counters, read from the sale state (the copy in the `events` tree is not used).
    pub seats: Seats,
    /// Average rating and rating count, read from the analytics aggregates (never stored).
    pub rating: crate::analytics::EventRating,
}

/// The sale state in `inventory`: everything a booking checks and changes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SaleState {
    pub(crate) organizer: UserId,
    pub(crate) seats: Seats,
    pub(crate) per_user_limit: u32,
    pub(crate) price_minor: u64,
    pub(crate) starts_at: Timestamp,
    pub(crate) status: EventStatus,
    /// Tickets ever issued (any status); an event with tickets cannot be deleted.
    pub(crate) tickets_issued: u64,
}

impl SaleState {
    /// Whether `actor` runs this event (its organizer, or an admin).
    pub(crate) fn is_run_by(&self, actor: &Actor) -> bool {
        actor.can_manage(self.organizer)
    }
}

/// A new event.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEvent {
    /// 1–200 characters.
    pub title: String,
    /// Up to 10,000 characters.
    #[serde(default)]
    pub description: String,
    /// 1–300 characters.
    pub location: String,
    /// In the future.
    pub starts_at: Timestamp,
    /// After `starts_at`.
    pub ends_at: Timestamp,
    /// 1–1,000,000 seats.
    pub capacity: i64,
    /// Price per seat in minor units, 0 for free (the default).
    #[serde(default)]
    pub price_minor: i64,
    /// ISO 4217 code such as `EUR` (default `EUR`).
    #[serde(default = "default_currency")]
    pub currency: String,
    /// Optional http(s) picture URL.
    #[serde(default)]
    pub image_url: Option<String>,
    /// Seats one user may hold, 1–100 (default 1).
    #[serde(default)]
    pub per_user_limit: Option<i64>,
}

fn default_currency() -> String {
    "EUR".into()
}

/// Changes to an event; `None` leaves a field as it is. The seat counters cannot be set.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventUpdate {
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New location.
    pub location: Option<String>,
    /// New start (in the future).
    pub starts_at: Option<Timestamp>,
    /// New end.
    pub ends_at: Option<Timestamp>,
    /// New capacity: at least the seats already held or booked.
    pub capacity: Option<i64>,
    /// New price per seat (existing tickets keep theirs).
    pub price_minor: Option<i64>,
    /// New currency.
    pub currency: Option<String>,
    /// New picture; `Some(None)` removes it.
    #[serde(default, with = "double_option")]
    pub image_url: Option<Option<String>>,
    /// New per-user limit.
    pub per_user_limit: Option<i64>,
}

mod double_option {
    use serde::{Deserialize, Deserializer};

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }
}

/// What to list.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EventQuery {
    /// Case-insensitive text to find in title, description or location.
    pub text: Option<String>,
    /// Paging.
    #[serde(flatten)]
    pub page: PageRequest,
}

/// Errors of the events API.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// Capacity below the seats already held or booked.
    #[error("capacity cannot drop below the {sold} seats already sold or held")]
    CapacityBelowSold {
        /// Seats held or booked.
        sold: u32,
    },
    /// A cancelled event cannot change.
    #[error("the event is cancelled")]
    Cancelled,
    /// An event with tickets cannot be deleted (cancel it instead).
    #[error("the event has tickets; cancel it instead of deleting it")]
    HasTickets,
    /// Shared refusals and failures: invalid field, event not found, forbidden, storage.
    #[error(transparent)]
    Common(#[from] CommonError),
}

domain_error!(EventError {
    EventError::CapacityBelowSold { .. } => ErrorInfo::new(Conflict, "capacity-below-sold", "Capacity too small"),
    EventError::Cancelled => ErrorInfo::new(Conflict, "event-cancelled", "Event cancelled"),
    EventError::HasTickets => ErrorInfo::new(Conflict, "event-has-tickets", "Event has tickets"),
});

const NO_SUCH_EVENT: CommonError = CommonError::NotFound(Subject::Event);

fn check_title(value: &str) -> Result<String, FieldError> {
    validate::text("title", value, 1, 200, false)
}
fn check_description(value: &str) -> Result<String, FieldError> {
    validate::text("description", value, 0, 10_000, true)
}
fn check_location(value: &str) -> Result<String, FieldError> {
    validate::text("location", value, 1, 300, false)
}
fn check_capacity(value: i64) -> Result<u32, FieldError> {
    validate::in_range("capacity", value, 1, MAX_CAPACITY)
}
fn check_price(value: i64) -> Result<u64, FieldError> {
    validate::in_range("price_minor", value, 0, MAX_PRICE_MINOR)
}
fn check_per_user_limit(value: i64) -> Result<u32, FieldError> {
    validate::in_range("per_user_limit", value, 1, MAX_PER_USER_LIMIT)
}
fn check_currency(value: &str) -> Result<String, FieldError> {
    let code = value.trim().to_ascii_uppercase();
    if code.len() != 3 || !code.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(FieldError::new(
            "currency",
            "must be a three-letter ISO 4217 code such as EUR",
        ));
    }
    Ok(code)
}
fn check_image(value: Option<&str>) -> Result<Option<String>, FieldError> {
    value
        .filter(|url| !url.trim().is_empty())
        .map(|url| validate::url("image_url", url))
        .transpose()
}
fn check_schedule(
    starts_at: Timestamp,
    ends_at: Timestamp,
    now: Timestamp,
) -> Result<(), FieldError> {
    if starts_at <= now {
        return Err(FieldError::new("starts_at", "must be in the future"));
    }
    if ends_at <= starts_at {
        return Err(FieldError::new("ends_at", "must be after starts_at"));
    }
    Ok(())
}

/// Sets `current` to `new` when given and different, noting `field` as changed.
fn apply<T: PartialEq>(
    field: EventField,
    new: Option<T>,
    current: &mut T,
    changed: &mut Vec<EventField>,
) {
    if let Some(value) = new.filter(|value| value != current) {
        *current = value;
        changed.push(field);
    }
}

/// Inside a transaction: the sale state and the event `key`, if it exists, is not cancelled and
/// `actor` runs it (else `refusal` as the forbidden message).
fn live_event_run_by(
    actor: &Actor,
    key: &[u8],
    inventory: &TransactionalTree,
    events: &TransactionalTree,
    refusal: &'static str,
) -> Result<(SaleState, Event), ConflictableTransactionError<EventError>> {
    let sale: SaleState = match inventory.get(key)? {
        Some(bytes) => decode_in_tx("inventory", &bytes)?,
        None => return Err(abort(NO_SUCH_EVENT)),
    };
    if !sale.is_run_by(actor) {
        return Err(abort(CommonError::Forbidden(refusal)));
    }
    if sale.status == EventStatus::Cancelled {
        return Err(abort(EventError::Cancelled));
    }
    let bytes = events.get(key)?.ok_or_else(|| abort(NO_SUCH_EVENT))?;
    Ok((sale, decode_in_tx("events", &bytes)?))
}

/// Events. Obtained from [`crate::Prasang::events`].
pub struct Events<'a> {
    pub(crate) inner: &'a Inner,
}

impl Events<'_> {
    /// Creates and publishes an event (organizers and admins).
    pub fn create(&self, actor: &Actor, new: NewEvent) -> Result<Event, EventError> {
        if !actor.can_organize() {
            return Err(CommonError::Forbidden("only organizers can create events").into());
        }
        let now = self.inner.now();
        check_schedule(new.starts_at, new.ends_at, now)?;
        let capacity = check_capacity(new.capacity)?;
        let event = Event {
            id: EventId::generate(),
            organizer: actor.user_id(),
            title: check_title(&new.title)?,
            description: check_description(&new.description)?,
            location: check_location(&new.location)?,
            starts_at: new.starts_at,
            ends_at: new.ends_at,
            price_minor: check_price(new.price_minor)?,
            currency: check_currency(&new.currency)?,
            image_url: check_image(new.image_url.as_deref())?,
            per_user_limit: check_per_user_limit(new.per_user_limit.unwrap_or(1))?,
            status: EventStatus::Published,
            created_at: now,
            updated_at: now,
            seats: Seats {
                capacity,
                remaining: capacity,
                held: 0,
                booked: 0,
            },
            rating: Default::default(),
        };
        let sale = SaleState {
            organizer: event.organizer,
            seats: event.seats,
            per_user_limit: event.per_user_limit,
            price_minor: event.price_minor,
            starts_at: event.starts_at,
            status: event.status,
            tickets_issued: 0,
        };
        let store = &self.inner.store;
        let id = event.id.to_bytes();
        let record = codec::encode(&event);
        let sale_record = codec::encode(&sale);
        finish::<_, EventError>(
            (
                &store.events,
                &store.events_by_start,
                &store.events_by_organizer,
                &store.inventory,
                &store.log,
            )
                .transaction(|(events, by_start, by_organizer, inventory, log)| {
                    events.insert(&id, record.as_slice())?;
                    inventory.insert(&id, sale_record.as_slice())?;
                    by_start.insert(&keys::event_by_start(event.starts_at, event.id), &[])?;
                    by_organizer
                        .insert(&keys::event_by_organizer(event.organizer, event.id), &[])?;
                    let created = DomainEvent::EventCreated {
                        event: event.id,
                        organizer: event.organizer,
                        capacity,
                        starts_at: event.starts_at,
                    };
                    log::append(log, now, &created)?;
                    Ok(())
                }),
        )?;
        self.inner.committed_with_log()?;
        Ok(event)
    }

    /// Changes an event (its organizer or an admin). Seat counters are kept; capacity may not
    /// drop below the seats held or booked.
    pub fn update(
        &self,
        actor: &Actor,
        id: EventId,
        update: EventUpdate,
    ) -> Result<Event, EventError> {
        let now = self.inner.now();
        let title = update.title.as_deref().map(check_title).transpose()?;
        let description = update
            .description
            .as_deref()
            .map(check_description)
            .transpose()?;
        let location = update.location.as_deref().map(check_location).transpose()?;
        let capacity = update.capacity.map(check_capacity).transpose()?;
        let price = update.price_minor.map(check_price).transpose()?;
        let currency = update.currency.as_deref().map(check_currency).transpose()?;
        let image = update
            .image_url
            .as_ref()
            .map(|url| check_image(url.as_deref()))
            .transpose()?;
        let limit = update
            .per_user_limit
            .map(check_per_user_limit)
            .transpose()?;
        let store = &self.inner.store;
        let key = id.to_bytes();
        let event = finish::<_, EventError>(
            (
                &store.events,
                &store.events_by_start,
                &store.inventory,
                &store.log,
            )
                .transaction(|(events, by_start, inventory, log)| {
                    let (mut sale, mut event) = live_event_run_by(
                        actor,
                        &key,
                        inventory,
                        events,
                        "only the event's organizer can change it",
                    )?;
                    let mut changed = Vec::new();
                    let old_start = event.starts_at;
                    apply(
                        EventField::Title,
                        title.clone(),
                        &mut event.title,
                        &mut changed,
                    );
                    apply(
                        EventField::Description,
                        description.clone(),
                        &mut event.description,
                        &mut changed,
                    );
                    apply(
                        EventField::Location,
                        location.clone(),
                        &mut event.location,
                        &mut changed,
                    );
                    apply(
                        EventField::StartsAt,
                        update.starts_at,
                        &mut event.starts_at,
                        &mut changed,
                    );
                    apply(
                        EventField::EndsAt,
                        update.ends_at,
                        &mut event.ends_at,
                        &mut changed,
                    );
                    apply(
                        EventField::ImageUrl,
                        image.clone(),
                        &mut event.image_url,
                        &mut changed,
                    );
                    apply(
                        EventField::PerUserLimit,
                        limit,
                        &mut event.per_user_limit,
                        &mut changed,
                    );
                    let new_price = (
                        price.unwrap_or(event.price_minor),
                        currency.clone().unwrap_or_else(|| event.currency.clone()),
                    );
                    let mut current_price = (event.price_minor, event.currency.clone());
                    apply(
                        EventField::Price,
                        Some(new_price),
                        &mut current_price,
                        &mut changed,
                    );
                    (event.price_minor, event.currency) = current_price;
                    let mut new_capacity = sale.seats.capacity;
                    apply(
                        EventField::Capacity,
                        capacity,
                        &mut new_capacity,
                        &mut changed,
                    );
                    let sold = sale.seats.held + sale.seats.booked;
                    if new_capacity < sold {
                        return Err(abort(EventError::CapacityBelowSold { sold }));
                    }
                    sale.seats.capacity = new_capacity;
                    sale.seats.remaining = new_capacity - sold;
                    if changed.contains(&EventField::StartsAt)
                        || changed.contains(&EventField::EndsAt)
                    {
                        let starts_changed = changed.contains(&EventField::StartsAt);
                        if starts_changed && event.starts_at <= now {
                            return Err(abort(FieldError::new(
                                "starts_at",
                                "must be in the future",
                            )));
                        }
                        if event.ends_at <= event.starts_at {
                            return Err(abort(FieldError::new(
                                "ends_at",
                                "must be after starts_at",
                            )));
                        }
                    }
                    if changed.is_empty() {
                        event.seats = sale.seats;
                        return Ok(event);
                    }
                    if event.starts_at != old_start {
                        by_start.remove(&keys::event_by_start(old_start, id))?;
                        by_start.insert(&keys::event_by_start(event.starts_at, id), &[])?;
                    }
                    sale.per_user_limit = event.per_user_limit;
                    sale.price_minor = event.price_minor;
                    sale.starts_at = event.starts_at;
                    event.updated_at = now;
                    event.seats = sale.seats;
                    events.insert(&key, codec::encode(&event))?;
                    inventory.insert(&key, codec::encode(&sale))?;
                    log::append(
                        log,
                        now,
                        &DomainEvent::EventUpdated {
                            event: id,
                            changed: changed.clone(),
                        },
                    )?;
                    Ok(event)
                }),
        )?;
        self.inner.committed_with_log()?;
        Ok(event)
    }

    /// Cancels an event (its organizer or an admin): it leaves the listing and stops selling.
    /// Tickets stay as they are so their holders can be told.
    pub fn cancel(&self, actor: &Actor, id: EventId) -> Result<Event, EventError> {
        let now = self.inner.now();
        let store = &self.inner.store;
        let key = id.to_bytes();
        let event =
            finish::<_, EventError>((&store.events, &store.inventory, &store.log).transaction(
                |(events, inventory, log)| {
                    let (mut sale, mut event) = live_event_run_by(
                        actor,
                        &key,
                        inventory,
                        events,
                        "only the event's organizer can cancel it",
                    )?;
                    let previous = sale.status;
                    sale.status = EventStatus::Cancelled;
                    event.status = EventStatus::Cancelled;
                    event.updated_at = now;
                    event.seats = sale.seats;
                    events.insert(&key, codec::encode(&event))?;
                    inventory.insert(&key, codec::encode(&sale))?;
                    log::append(
                        log,
                        now,
                        &DomainEvent::EventCancelled {
                            event: id,
                            previous,
                        },
                    )?;
                    Ok(event)
                },
            ))?;
        self.inner.committed_with_log()?;
        Ok(event)
    }

    /// Deletes an event that never issued a ticket (its organizer or an admin).
    pub fn delete(&self, actor: &Actor, id: EventId) -> Result<(), EventError> {
        let now = self.inner.now();
        let store = &self.inner.store;
        let key = id.to_bytes();
        finish::<_, EventError>(
            (
                &store.events,
                &store.events_by_start,
                &store.events_by_organizer,
                &store.inventory,
                &store.log,
            )
                .transaction(|(events, by_start, by_organizer, inventory, log)| {
                    let sale: SaleState = match inventory.get(key)? {
                        Some(bytes) => decode_in_tx("inventory", &bytes)?,
                        None => return Err(abort(NO_SUCH_EVENT)),
                    };
                    if !sale.is_run_by(actor) {
                        return Err(abort(CommonError::Forbidden(
                            "only the event's organizer can delete it",
                        )));
                    }
                    if sale.tickets_issued > 0 {
                        return Err(abort(EventError::HasTickets));
                    }
                    events.remove(&key)?;
                    inventory.remove(&key)?;
                    by_start.remove(&keys::event_by_start(sale.starts_at, id))?;
                    by_organizer.remove(&keys::event_by_organizer(sale.organizer, id))?;
                    log::append(log, now, &DomainEvent::EventDeleted { event: id })?;
                    Ok(())
                }),
        )?;
        self.inner.committed_with_log()?;
        Ok(())
    }

    /// An event by id; counts a page view for analytics (in memory, batched into the log).
    pub fn get(&self, id: EventId) -> Result<Event, EventError> {
        let event = self.peek(id)?;
        self.inner.visits.record(id);
        Ok(event)
    }

    /// An event by id without counting a view.
    pub fn peek(&self, id: EventId) -> Result<Event, EventError> {
        Ok(self.load(id)?.ok_or(NO_SUCH_EVENT)?)
    }

    /// Upcoming published events ordered by start, optionally filtered by text.
    pub fn list(&self, query: &EventQuery) -> Result<Page<Event>, EventError> {
        let needle = query
            .text
            .as_deref()
            .map(|t| validate::text("text", t, 0, 200, false))
            .transpose()?
            .filter(|t| !t.is_empty())
            .map(|t| t.to_lowercase());
        let start = keys::timestamp(self.inner.now());
        let page = paging::scan(
            &self.inner.store.events_by_start,
            &[],
            &start,
            &query.page,
            |key| {
                let Some(id) = keys::event_from_start_key(key) else {
                    return Ok(None);
                };
                let Some(event) = self.load(id)? else {
                    return Ok(None);
                };
                let matches = event.status == EventStatus::Published
                    && needle.as_deref().is_none_or(|n| {
                        event.title.to_lowercase().contains(n)
                            || event.location.to_lowercase().contains(n)
                            || event.description.to_lowercase().contains(n)
                    });
                Ok(matches.then_some(event))
            },
        )?;
        Ok(page)
    }

    /// All events of one organizer (any status, past ones too), oldest first. Visible to that
    /// organizer and to admins.
    pub fn list_by_organizer(
        &self,
        actor: &Actor,
        organizer: UserId,
        page: &PageRequest,
    ) -> Result<Page<Event>, EventError> {
        if !actor.can_access_account(organizer) {
            return Err(CommonError::Forbidden("only the organizer can list their events").into());
        }
        let prefix = organizer.to_bytes();
        let page = paging::scan(
            &self.inner.store.events_by_organizer,
            &prefix,
            &prefix,
            page,
            |key| match key.get(16..).and_then(EventId::from_key_prefix) {
                Some(id) => self.load(id),
                None => Ok(None),
            },
        )?;
        Ok(page)
    }

    pub(crate) fn load(&self, id: EventId) -> Result<Option<Event>, StoreError> {
        let store = &self.inner.store;
        let Some(bytes) = store.events.get(id.to_bytes())? else {
            return Ok(None);
        };
        let mut event: Event = codec::decode("events", &bytes)?;
        if let Some(sale) = self.sale_state(id)? {
            event.seats = sale.seats;
        }
        event.rating = crate::analytics::event_rating(self.inner, id)?;
        Ok(Some(event))
    }

    pub(crate) fn sale_state(&self, id: EventId) -> Result<Option<SaleState>, StoreError> {
        self.inner
            .store
            .inventory
            .get(id.to_bytes())?
            .map(|bytes| codec::decode("inventory", &bytes))
            .transpose()
    }
}
