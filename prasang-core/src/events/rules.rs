//! The rules of creating and changing an event, as pure functions over the records: no store,
//! no clock, no actor. The transactions in `mod.rs` read the records, ask these functions what
//! the records become, and write the answer.

use super::record::{EventRecord, SaleState};
use super::types;
use super::{AttendeeNames, EventError, EventStatus, EventUpdate, NewEvent};
use crate::ids::{EventId, UserId};
use crate::limits;
use crate::log::EventField;
use crate::time::Timestamp;
use crate::validate::{self, FieldError};
use crate::zone::{EventTime, Zone};

fn check_title(value: &str) -> Result<String, FieldError> {
    validate::text(&limits::TITLE, value, false)
}
fn check_description(value: &str) -> Result<String, FieldError> {
    validate::text(&limits::DESCRIPTION, value, true)
}
fn check_location(value: &str) -> Result<String, FieldError> {
    validate::text(&limits::LOCATION, value, false)
}
fn check_capacity(value: i64) -> Result<u32, FieldError> {
    validate::in_range(&limits::CAPACITY, value)
}
fn check_price(value: i64) -> Result<u64, FieldError> {
    validate::in_range(&limits::PRICE_MINOR, value)
}
fn check_per_user_limit(value: i64) -> Result<u32, FieldError> {
    validate::in_range(&limits::PER_USER_LIMIT, value)
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
fn check_starts_in_future(starts_at: Timestamp, now: Timestamp) -> Result<(), FieldError> {
    if starts_at <= now {
        return Err(FieldError::new("starts_at", "must be in the future"));
    }
    Ok(())
}
fn check_ends_after_start(starts_at: Timestamp, ends_at: Timestamp) -> Result<(), FieldError> {
    if ends_at <= starts_at {
        return Err(FieldError::new("ends_at", "must be after starts_at"));
    }
    Ok(())
}

fn check_zone(value: &str) -> Result<Zone, FieldError> {
    Zone::check("time_zone", value)
}

/// The records of a new, published event `id` of `organizer`, created at `now`; local times
/// are read in its `time_zone`, or `default_zone` when it names none.
pub(super) fn new_event(
    new: &NewEvent,
    id: EventId,
    organizer: UserId,
    now: Timestamp,
    default_zone: &Zone,
) -> Result<(EventRecord, SaleState), FieldError> {
    let zone = match &new.time_zone {
        Some(name) => check_zone(name)?,
        None => default_zone.clone(),
    };
    let starts_at = new.starts_at.resolve(&zone, "starts_at")?;
    let ends_at = new.ends_at.resolve(&zone, "ends_at")?;
    check_starts_in_future(starts_at, now)?;
    check_ends_after_start(starts_at, ends_at)?;
    let capacity = check_capacity(new.capacity)?;
    let price_minor = check_price(new.price_minor)?;
    let types = types::initial_types(new.ticket_types.as_deref(), price_minor, &zone)?;
    let event = EventRecord {
        id,
        organizer,
        title: check_title(&new.title)?,
        description: check_description(&new.description)?,
        location: check_location(&new.location)?,
        starts_at,
        ends_at,
        price_minor: types::listed_price(&types),
        currency: check_currency(&new.currency)?,
        image_url: check_image(new.image_url.as_deref())?,
        per_user_limit: check_per_user_limit(new.per_user_limit.unwrap_or(1))?,
        status: EventStatus::Published,
        created_at: now,
        updated_at: now,
        time_zone: zone.name().to_owned(),
    };
    let mut sale = SaleState::of_new(&event, capacity, types);
    sale.attendee_names = new.attendee_names;
    Ok((event, sale))
}

/// An [`EventUpdate`] whose fields each passed validation (checked before the transaction, so
/// it stays short).
#[derive(Debug, Clone, Default)]
pub(super) struct ValidUpdate {
    title: Option<String>,
    description: Option<String>,
    location: Option<String>,
    starts_at: Option<EventTime>,
    ends_at: Option<EventTime>,
    time_zone: Option<Zone>,
    capacity: Option<u32>,
    price_minor: Option<u64>,
    currency: Option<String>,
    image_url: Option<Option<String>>,
    per_user_limit: Option<u32>,
    attendee_names: Option<AttendeeNames>,
}

impl EventUpdate {
    pub(super) fn validate(&self) -> Result<ValidUpdate, FieldError> {
        Ok(ValidUpdate {
            title: self.title.as_deref().map(check_title).transpose()?,
            description: self
                .description
                .as_deref()
                .map(check_description)
                .transpose()?,
            location: self.location.as_deref().map(check_location).transpose()?,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            time_zone: self.time_zone.as_deref().map(check_zone).transpose()?,
            capacity: self.capacity.map(check_capacity).transpose()?,
            price_minor: self.price_minor.map(check_price).transpose()?,
            currency: self.currency.as_deref().map(check_currency).transpose()?,
            image_url: self
                .image_url
                .as_ref()
                .map(|url| check_image(url.as_deref()))
                .transpose()?,
            per_user_limit: self.per_user_limit.map(check_per_user_limit).transpose()?,
            attendee_names: self.attendee_names,
        })
    }
}

/// What an update makes of an event's records.
#[derive(Debug)]
pub(super) struct Changes {
    pub(super) event: EventRecord,
    pub(super) sale: SaleState,
    /// In a fixed order; empty when the update changes nothing (then nothing is written).
    pub(super) changed: Vec<EventField>,
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

/// Applies `update` at `now` to a live event. Capacity may not drop below the seats held or
/// booked (the other counters follow it); a moved start must still be in the future, and the
/// event must end after it starts.
pub(super) fn apply_update(
    event: &EventRecord,
    sale: &SaleState,
    update: &ValidUpdate,
    now: Timestamp,
) -> Result<Changes, EventError> {
    let mut event = event.clone();
    let mut sale = sale.clone();
    let mut changed = Vec::new();
    let u = update.clone();
    // Local times in the update are read in the zone the event will have after it.
    let zone = match &u.time_zone {
        Some(zone) => zone.clone(),
        None => Zone::stored(&event.time_zone),
    };
    let starts_at = u
        .starts_at
        .map(|at| at.resolve(&zone, "starts_at"))
        .transpose()?;
    let ends_at = u
        .ends_at
        .map(|at| at.resolve(&zone, "ends_at"))
        .transpose()?;
    apply(EventField::Title, u.title, &mut event.title, &mut changed);
    apply(
        EventField::Description,
        u.description,
        &mut event.description,
        &mut changed,
    );
    apply(
        EventField::Location,
        u.location,
        &mut event.location,
        &mut changed,
    );
    apply(
        EventField::StartsAt,
        starts_at,
        &mut event.starts_at,
        &mut changed,
    );
    apply(
        EventField::EndsAt,
        ends_at,
        &mut event.ends_at,
        &mut changed,
    );
    apply(
        EventField::TimeZone,
        u.time_zone.map(|zone| zone.name().to_owned()),
        &mut event.time_zone,
        &mut changed,
    );
    apply(
        EventField::ImageUrl,
        u.image_url,
        &mut event.image_url,
        &mut changed,
    );
    apply(
        EventField::PerUserLimit,
        u.per_user_limit,
        &mut event.per_user_limit,
        &mut changed,
    );
    // The event's price is its one type's: with several, each type has its own. A form that
    // sends the listed price back unchanged (with a new currency, say) changes no price.
    if let Some(price) = u.price_minor {
        match sale.types.as_mut_slice() {
            [only] => only.price_minor = price,
            types if price == types::listed_price(types) => {}
            _ => {
                return Err(FieldError::new(
                    "price_minor",
                    "this event has several ticket types: change the price of each type",
                )
                .into());
            }
        }
    }
    let u_price = u.price_minor.map(|_| types::listed_price(&sale.types));
    // Price and currency are one change: a price means nothing without its currency.
    let new_price = (
        u_price.unwrap_or(event.price_minor),
        u.currency.unwrap_or_else(|| event.currency.clone()),
    );
    let mut price = (event.price_minor, event.currency.clone());
    apply(EventField::Price, Some(new_price), &mut price, &mut changed);
    (event.price_minor, event.currency) = price;
    apply(
        EventField::Capacity,
        u.capacity,
        &mut sale.seats.capacity,
        &mut changed,
    );
    apply(
        EventField::AttendeeNames,
        u.attendee_names,
        &mut sale.attendee_names,
        &mut changed,
    );
    let sold = sale.seats.held + sale.seats.booked;
    if sale.seats.capacity < sold {
        return Err(EventError::CapacityBelowSold { sold });
    }
    sale.seats.remaining = sale.seats.capacity - sold;
    if changed.contains(&EventField::StartsAt) {
        check_starts_in_future(event.starts_at, now)?;
    }
    if changed.contains(&EventField::StartsAt) || changed.contains(&EventField::EndsAt) {
        check_ends_after_start(event.starts_at, event.ends_at)?;
    }
    if !changed.is_empty() {
        sale.per_user_limit = event.per_user_limit;
        sale.starts_at = event.starts_at;
        event.updated_at = now;
    }
    Ok(Changes {
        event,
        sale,
        changed,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::error::CommonError;

    const NOW: Timestamp = Timestamp::from_millis(1_893_456_000_000);
    const DAY: Duration = Duration::from_secs(24 * 3600);

    fn on_sale(capacity: i64) -> (EventRecord, SaleState) {
        let starts_at = NOW.plus(DAY * 7);
        let new = NewEvent {
            attendee_names: Default::default(),
            title: "RustConf".into(),
            description: String::new(),
            location: "Montreal".into(),
            starts_at: starts_at.into(),
            ends_at: starts_at.plus(DAY).into(),
            time_zone: None,
            capacity,
            price_minor: 1_000,
            currency: "eur".into(),
            image_url: None,
            per_user_limit: Some(2),
            ticket_types: None,
        };
        new_event(
            &new,
            EventId::generate(),
            UserId::generate(),
            NOW,
            &Zone::utc(),
        )
        .expect("valid event")
    }

    fn update(update: EventUpdate) -> ValidUpdate {
        update.validate().expect("valid update")
    }

    fn field_error(result: Result<Changes, EventError>) -> &'static str {
        match result {
            Err(EventError::Common(CommonError::Invalid(error))) => error.field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn a_new_event_is_published_with_every_seat_free() {
        let (event, sale) = on_sale(10);
        assert_eq!(event.status, EventStatus::Published);
        assert_eq!(event.currency, "EUR");
        assert_eq!((sale.seats.capacity, sale.seats.remaining), (10, 10));
        assert_eq!(sale.starts_at, event.starts_at);
    }

    #[test]
    fn an_update_that_changes_nothing_reports_nothing_and_keeps_the_time() {
        let (event, sale) = on_sale(10);
        let same = update(EventUpdate {
            title: Some("RustConf".into()),
            capacity: Some(10),
            ..Default::default()
        });
        let later = NOW.plus(DAY);
        let changes = apply_update(&event, &sale, &same, later).expect("applies");
        assert!(changes.changed.is_empty());
        assert_eq!(changes.event, event);
        assert_eq!(changes.sale, sale);
    }

    #[test]
    fn capacity_moves_remaining_seats_and_cannot_drop_below_the_sold_ones() {
        let (event, mut sale) = on_sale(10);
        sale.seats.booked = 3;
        sale.seats.held = 2;
        sale.seats.remaining = 5;
        let grow = update(EventUpdate {
            capacity: Some(20),
            ..Default::default()
        });
        let changes = apply_update(&event, &sale, &grow, NOW).expect("applies");
        assert_eq!(changes.changed, [EventField::Capacity]);
        assert_eq!(
            (changes.sale.seats.capacity, changes.sale.seats.remaining),
            (20, 15)
        );
        assert_eq!(changes.event.updated_at, NOW);
        let shrink = update(EventUpdate {
            capacity: Some(4),
            ..Default::default()
        });
        assert!(matches!(
            apply_update(&event, &sale, &shrink, NOW),
            Err(EventError::CapacityBelowSold { sold: 5 })
        ));
    }

    #[test]
    fn a_moved_start_must_be_in_the_future_and_before_the_end() {
        let (event, sale) = on_sale(10);
        let past = update(EventUpdate {
            starts_at: Some(NOW.into()),
            ..Default::default()
        });
        assert_eq!(
            field_error(apply_update(&event, &sale, &past, NOW)),
            "starts_at"
        );
        let after_end = update(EventUpdate {
            starts_at: Some(event.ends_at.plus(DAY).into()),
            ..Default::default()
        });
        assert_eq!(
            field_error(apply_update(&event, &sale, &after_end, NOW)),
            "ends_at"
        );
    }

    #[test]
    fn price_currency_and_start_reach_the_sale_state() {
        let (event, sale) = on_sale(10);
        let starts_at = event.starts_at.plus(DAY);
        let change = update(EventUpdate {
            currency: Some("usd".into()),
            starts_at: Some(starts_at.into()),
            ends_at: Some(starts_at.plus(DAY).into()),
            per_user_limit: Some(4),
            ..Default::default()
        });
        let changes = apply_update(&event, &sale, &change, NOW).expect("applies");
        assert_eq!(
            changes.changed,
            [
                EventField::StartsAt,
                EventField::EndsAt,
                EventField::PerUserLimit,
                EventField::Price
            ]
        );
        assert_eq!(changes.event.currency, "USD");
        assert_eq!(changes.sale.starts_at, starts_at);
        assert_eq!(changes.sale.per_user_limit, 4);
    }

    #[test]
    fn with_several_types_the_listed_price_sent_back_is_no_price_change() {
        let (mut event, mut sale) = on_sale(10);
        let mut child = sale.types[0].clone();
        child.price_minor = 400;
        sale.types.push(child);
        event.price_minor = types::listed_price(&sale.types);
        let resend = |price_minor| EventUpdate {
            price_minor: Some(price_minor),
            currency: Some("usd".into()),
            ..Default::default()
        };
        let changes = apply_update(&event, &sale, &update(resend(400)), NOW).expect("applies");
        assert_eq!(changes.changed, [EventField::Price]);
        assert_eq!(changes.event.currency, "USD");
        let prices: Vec<u64> = changes.sale.types.iter().map(|t| t.price_minor).collect();
        assert_eq!(prices, [1_000, 400], "no type's price changed");
        assert!(apply_update(&event, &sale, &update(resend(900)), NOW).is_err());
    }
}
