//! Ticket types: an event sells 1–50 kinds of seat ("Early bird", "Adult", "Child", a hidden
//! "VIP"), each with its own price, optional quota, sale window and per-order and per-user
//! limits. The event's capacity still caps their sum, as pretix's quotas do.
//!
//! Types live in the event's sale state ([`SaleState::types`]), so a booking batch decides a
//! type's quota in memory exactly as it decides the event's seats, and writes both back once.
//! An event stored before types existed reads as one type, "Admission", carrying its price.

use serde::{Deserialize, Serialize};

use crate::limits;
use crate::time::Timestamp;
use crate::validate::{self, FieldError};
use crate::zone::{EventTime, Zone};

/// A ticket type's number, unique within its event (1, 2, ...; never reused).
pub type TicketTypeId = u32;

/// The name of the one type an event made without types has (and every event stored before
/// types existed reads as).
pub const DEFAULT_TYPE_NAME: &str = "Admission";

/// A ticket type as its event's sale state stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TypeSale {
    pub(crate) id: TicketTypeId,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) price_minor: u64,
    /// Most seats of this type; `None`: only the event's capacity limits it.
    pub(crate) quota: Option<u32>,
    /// Seats of this type in pending holds and booked.
    pub(crate) held: u32,
    pub(crate) booked: u32,
    pub(crate) sales_open_at: Option<Timestamp>,
    pub(crate) sales_close_at: Option<Timestamp>,
    /// Most seats of this type one user may hold (the event's limit still caps all types).
    pub(crate) per_user_limit: Option<u32>,
    pub(crate) min_per_order: u32,
    pub(crate) max_per_order: Option<u32>,
    /// Bookable only with a promo code that reveals it, and never listed without one.
    pub(crate) hidden: bool,
    /// Sales stopped by the organizer.
    pub(crate) closed: bool,
    /// Tickets ever issued with this type: a type with any cannot be deleted.
    pub(crate) tickets_issued: u32,
}

/// Why a type does not sell right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TypeAvailability {
    /// On sale.
    OnSale,
    /// Its sale window has not opened yet.
    NotYetOpen,
    /// Its sale window has closed.
    SaleEnded,
    /// The organizer closed it.
    Closed,
    /// Its quota (or the event) is sold out.
    SoldOut,
}

impl TypeSale {
    /// The one type of an event made without types: the event's price, no quota, no window.
    pub(crate) fn admission(price_minor: u64) -> Self {
        TypeSale {
            id: 1,
            name: DEFAULT_TYPE_NAME.into(),
            description: String::new(),
            price_minor,
            quota: None,
            held: 0,
            booked: 0,
            sales_open_at: None,
            sales_close_at: None,
            per_user_limit: None,
            min_per_order: 1,
            max_per_order: None,
            hidden: false,
            closed: false,
            tickets_issued: 0,
        }
    }

    /// Seats of this type held or booked.
    pub(crate) fn sold(&self) -> u32 {
        self.held + self.booked
    }

    /// Seats of this type still to sell, as far as its quota goes.
    pub(crate) fn quota_left(&self) -> Option<u32> {
        self.quota.map(|quota| quota.saturating_sub(self.sold()))
    }

    /// Seats anyone can book of this type: its quota's rest, within the event's free seats.
    pub(crate) fn available(&self, event_remaining: u32) -> u32 {
        self.quota_left()
            .map_or(event_remaining, |left| left.min(event_remaining))
    }

    /// Whether it sells at `now` (the event's own state is checked apart).
    pub(crate) fn availability(&self, now: Timestamp, event_remaining: u32) -> TypeAvailability {
        if self.closed {
            TypeAvailability::Closed
        } else if self.sales_open_at.is_some_and(|at| now < at) {
            TypeAvailability::NotYetOpen
        } else if self.sales_close_at.is_some_and(|at| now >= at) {
            TypeAvailability::SaleEnded
        } else if self.available(event_remaining) == 0 {
            TypeAvailability::SoldOut
        } else {
            TypeAvailability::OnSale
        }
    }

    /// The type as the API shows it.
    pub(crate) fn to_api(&self, zone: &Zone, now: Timestamp, event_remaining: u32) -> TicketType {
        let local = |at: Option<Timestamp>| at.map(|at| zone.local(at).to_rfc3339());
        TicketType {
            id: self.id,
            name: self.name.clone(),
            description: self.description.clone(),
            price_minor: self.price_minor,
            quota: self.quota,
            held: self.held,
            booked: self.booked,
            available: self.available(event_remaining),
            sales_open_at: self.sales_open_at,
            sales_close_at: self.sales_close_at,
            sales_open_at_local: local(self.sales_open_at),
            sales_close_at_local: local(self.sales_close_at),
            per_user_limit: self.per_user_limit,
            min_per_order: self.min_per_order,
            max_per_order: self.max_per_order,
            hidden: self.hidden,
            closed: self.closed,
            availability: self.availability(now, event_remaining),
            has_tickets: self.tickets_issued > 0,
        }
    }
}

/// A ticket type as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketType {
    /// Its number within the event.
    pub id: TicketTypeId,
    /// Its name, unique within the event.
    pub name: String,
    /// What it includes.
    pub description: String,
    /// Price of one seat in the event's currency, minor units; 0 for free.
    pub price_minor: u64,
    /// Most seats of this type, if it has its own quota.
    pub quota: Option<u32>,
    /// Seats of this type in pending holds.
    pub held: u32,
    /// Seats of this type booked.
    pub booked: u32,
    /// Seats of this type anyone can still book (its quota's rest, within the event's seats).
    pub available: u32,
    /// When its sale opens, if not at once.
    pub sales_open_at: Option<Timestamp>,
    /// When its sale closes, if before the event starts.
    pub sales_close_at: Option<Timestamp>,
    /// `sales_open_at` in the event's time zone, RFC 3339 with its offset.
    pub sales_open_at_local: Option<String>,
    /// `sales_close_at` in the event's time zone.
    pub sales_close_at_local: Option<String>,
    /// Most seats of this type one user may hold (the event's limit caps all types together).
    pub per_user_limit: Option<u32>,
    /// Fewest seats of this type in one booking.
    pub min_per_order: u32,
    /// Most seats of this type in one booking.
    pub max_per_order: Option<u32>,
    /// Bookable only with a promo code that reveals it.
    pub hidden: bool,
    /// Closed by the organizer: no longer sold.
    pub closed: bool,
    /// Whether it sells now, and if not, why.
    pub availability: TypeAvailability,
    /// Whether any ticket was ever issued with it (then it cannot be deleted, only closed).
    pub has_tickets: bool,
}

/// A new ticket type.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTicketType {
    /// 1–80 characters, unique within the event (case-insensitive).
    pub name: String,
    /// Up to 1,000 characters.
    #[serde(default)]
    pub description: String,
    /// Price of one seat in minor units, 0 for free (the default).
    #[serde(default)]
    pub price_minor: i64,
    /// Most seats of this type (1–1,000,000); none: only the event's capacity.
    #[serde(default)]
    pub quota: Option<i64>,
    /// When its sale opens (an instant, or a local date-time in the event's zone); at once if
    /// left out.
    #[serde(default)]
    pub sales_open_at: Option<EventTime>,
    /// When its sale closes, after it opens; at the event's start if left out.
    #[serde(default)]
    pub sales_close_at: Option<EventTime>,
    /// Most seats of this type one user may hold, 1–100.
    #[serde(default)]
    pub per_user_limit: Option<i64>,
    /// Fewest seats of this type in one booking, 1–100 (default 1).
    #[serde(default)]
    pub min_per_order: Option<i64>,
    /// Most seats of this type in one booking, 1–100.
    #[serde(default)]
    pub max_per_order: Option<i64>,
    /// Bookable only with a promo code that reveals it.
    #[serde(default)]
    pub hidden: bool,
}

/// Changes to a ticket type; `None` leaves a field as it is, and for the optional fields
/// `Some(None)` (JSON `null`) removes the setting.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketTypeUpdate {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New price (tickets already issued keep what they were charged).
    pub price_minor: Option<i64>,
    /// New quota: at least the seats of this type held or booked.
    #[serde(default, with = "super::double_option")]
    pub quota: Option<Option<i64>>,
    /// New opening of the sale.
    #[serde(default, with = "super::double_option")]
    pub sales_open_at: Option<Option<EventTime>>,
    /// New close of the sale.
    #[serde(default, with = "super::double_option")]
    pub sales_close_at: Option<Option<EventTime>>,
    /// New per-user limit of this type.
    #[serde(default, with = "super::double_option")]
    pub per_user_limit: Option<Option<i64>>,
    /// New fewest seats per booking.
    pub min_per_order: Option<i64>,
    /// New most seats per booking.
    #[serde(default, with = "super::double_option")]
    pub max_per_order: Option<Option<i64>>,
    /// Hide or list it.
    pub hidden: Option<bool>,
    /// Close (stop selling) or reopen it.
    pub closed: Option<bool>,
    /// Its new place in the event's list of types, from 1.
    pub position: Option<i64>,
}

fn check_name(value: &str) -> Result<String, FieldError> {
    validate::text(&limits::TICKET_TYPE_NAME, value, false)
}
fn check_description(value: &str) -> Result<String, FieldError> {
    validate::text(&limits::TICKET_TYPE_DESCRIPTION, value, true)
}
fn check_quota(value: i64) -> Result<u32, FieldError> {
    validate::in_range(&limits::TICKET_TYPE_QUOTA, value)
}
fn check_price(value: i64) -> Result<u64, FieldError> {
    validate::in_range(&limits::PRICE_MINOR, value)
}
fn check_per_user(value: i64) -> Result<u32, FieldError> {
    validate::in_range(&limits::TYPE_PER_USER_LIMIT, value)
}
fn check_min(value: i64) -> Result<u32, FieldError> {
    validate::in_range(&limits::MIN_PER_ORDER, value)
}
fn check_max(value: i64) -> Result<u32, FieldError> {
    validate::in_range(&limits::MAX_PER_ORDER, value)
}

/// Checks what must hold across a type's fields and against its siblings: a name no other type
/// of the event has, a window that closes after it opens, `min <= max`.
fn check_whole(sale_type: &TypeSale, others: &[TypeSale]) -> Result<(), FieldError> {
    let name = sale_type.name.to_lowercase();
    if others
        .iter()
        .any(|other| other.id != sale_type.id && other.name.to_lowercase() == name)
    {
        return Err(FieldError::new(
            "name",
            "another ticket type of this event has this name",
        ));
    }
    if let (Some(open), Some(close)) = (sale_type.sales_open_at, sale_type.sales_close_at)
        && close <= open
    {
        return Err(FieldError::new(
            "sales_close_at",
            "must be after sales_open_at",
        ));
    }
    if sale_type
        .max_per_order
        .is_some_and(|max| max < sale_type.min_per_order)
    {
        return Err(FieldError::new(
            "max_per_order",
            "must be at least min_per_order",
        ));
    }
    Ok(())
}

/// A new type numbered `id` of an event in `zone`, checked against the event's other types.
pub(crate) fn new_type(
    new: &NewTicketType,
    id: TicketTypeId,
    zone: &Zone,
    others: &[TypeSale],
) -> Result<TypeSale, FieldError> {
    let resolve = |at: Option<EventTime>, field| at.map(|at| at.resolve(zone, field)).transpose();
    let sale_type = TypeSale {
        id,
        name: check_name(&new.name)?,
        description: check_description(&new.description)?,
        price_minor: check_price(new.price_minor)?,
        quota: new.quota.map(check_quota).transpose()?,
        held: 0,
        booked: 0,
        sales_open_at: resolve(new.sales_open_at, "sales_open_at")?,
        sales_close_at: resolve(new.sales_close_at, "sales_close_at")?,
        per_user_limit: new.per_user_limit.map(check_per_user).transpose()?,
        min_per_order: new.min_per_order.map(check_min).transpose()?.unwrap_or(1),
        max_per_order: new.max_per_order.map(check_max).transpose()?,
        hidden: new.hidden,
        closed: false,
        tickets_issued: 0,
    };
    check_whole(&sale_type, others)?;
    Ok(sale_type)
}

/// The types of a new event: the ones given (1–50), or one "Admission" type at `price_minor`.
pub(crate) fn initial_types(
    given: Option<&[NewTicketType]>,
    price_minor: u64,
    zone: &Zone,
) -> Result<Vec<TypeSale>, FieldError> {
    let Some(given) = given else {
        return Ok(vec![TypeSale::admission(price_minor)]);
    };
    if price_minor != 0 {
        return Err(FieldError::new(
            "price_minor",
            "set the price of each ticket type instead",
        ));
    }
    check_type_count(given.len())?;
    let mut types: Vec<TypeSale> = Vec::with_capacity(given.len());
    for (id, new) in (1..).zip(given) {
        types.push(new_type(new, id, zone, &types)?);
    }
    Ok(types)
}

pub(crate) fn check_type_count(count: usize) -> Result<(), FieldError> {
    if !limits::TICKET_TYPES.contains(count as i64) {
        return Err(FieldError::new(
            limits::TICKET_TYPES.field,
            format!(
                "an event has {} to {} ticket types",
                limits::TICKET_TYPES.min,
                limits::TICKET_TYPES.max
            ),
        ));
    }
    Ok(())
}

/// Why a type change is refused beyond a field's own rules.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TypeRefusal {
    Invalid(FieldError),
    QuotaBelowSold(u32),
}

impl From<FieldError> for TypeRefusal {
    fn from(error: FieldError) -> Self {
        TypeRefusal::Invalid(error)
    }
}

/// Applies `update` to type `index` of `types` (an event in `zone`), moving it when asked.
pub(crate) fn apply_update(
    types: &mut Vec<TypeSale>,
    index: usize,
    update: &TicketTypeUpdate,
    zone: &Zone,
) -> Result<(), TypeRefusal> {
    let mut changed = types[index].clone();
    if let Some(name) = &update.name {
        changed.name = check_name(name)?;
    }
    if let Some(description) = &update.description {
        changed.description = check_description(description)?;
    }
    if let Some(price) = update.price_minor {
        changed.price_minor = check_price(price)?;
    }
    if let Some(quota) = update.quota {
        changed.quota = quota.map(check_quota).transpose()?;
    }
    if let Some(at) = update.sales_open_at {
        changed.sales_open_at = at.map(|at| at.resolve(zone, "sales_open_at")).transpose()?;
    }
    if let Some(at) = update.sales_close_at {
        changed.sales_close_at = at
            .map(|at| at.resolve(zone, "sales_close_at"))
            .transpose()?;
    }
    if let Some(limit) = update.per_user_limit {
        changed.per_user_limit = limit.map(check_per_user).transpose()?;
    }
    if let Some(min) = update.min_per_order {
        changed.min_per_order = check_min(min)?;
    }
    if let Some(max) = update.max_per_order {
        changed.max_per_order = max.map(check_max).transpose()?;
    }
    if let Some(hidden) = update.hidden {
        changed.hidden = hidden;
    }
    if let Some(closed) = update.closed {
        changed.closed = closed;
    }
    if changed.quota.is_some_and(|quota| quota < changed.sold()) {
        return Err(TypeRefusal::QuotaBelowSold(changed.sold()));
    }
    check_whole(&changed, types)?;
    types[index] = changed;
    if let Some(position) = update.position {
        let last = types.len() as i64;
        if !(1..=last).contains(&position) {
            return Err(FieldError::new("position", format!("must be 1 to {last}")).into());
        }
        let moved = types.remove(index);
        types.insert(position as usize - 1, moved);
    }
    Ok(())
}

/// The lowest price among the types anyone can see: what listings show as "from".
pub(crate) fn listed_price(types: &[TypeSale]) -> u64 {
    types
        .iter()
        .filter(|sale_type| !sale_type.hidden)
        .map(|sale_type| sale_type.price_minor)
        .min()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone() -> Zone {
        Zone::utc()
    }

    fn named(name: &str) -> NewTicketType {
        NewTicketType {
            name: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn names_are_unique_per_event_whatever_their_case() {
        let types =
            initial_types(Some(&[named("Adult"), named("Child")]), 0, &zone()).expect("two types");
        assert_eq!(types.iter().map(|t| t.id).collect::<Vec<_>>(), [1, 2]);
        let refused = initial_types(Some(&[named("Adult"), named("adult")]), 0, &zone());
        assert_eq!(refused.unwrap_err().field, "name");
    }

    #[test]
    fn an_event_without_types_sells_one_admission_at_its_price() {
        let types = initial_types(None, 1_500, &zone()).expect("default");
        assert_eq!(types.len(), 1);
        assert_eq!(types[0].name, DEFAULT_TYPE_NAME);
        assert_eq!(types[0].price_minor, 1_500);
        let both = initial_types(Some(&[named("Adult")]), 1_500, &zone());
        assert_eq!(both.unwrap_err().field, "price_minor");
    }

    #[test]
    fn between_one_and_fifty_types() {
        assert!(initial_types(Some(&[]), 0, &zone()).is_err());
        let many: Vec<NewTicketType> = (0..51).map(|n| named(&format!("T{n}"))).collect();
        assert_eq!(
            initial_types(Some(&many), 0, &zone()).unwrap_err().field,
            "ticket_types"
        );
        assert!(initial_types(Some(&many[..50]), 0, &zone()).is_ok());
    }

    #[test]
    fn a_window_closes_after_it_opens_and_min_is_at_most_max() {
        let at = Timestamp::from_millis(1_900_000_000_000);
        let backwards = NewTicketType {
            sales_open_at: Some(at.into()),
            sales_close_at: Some(at.into()),
            ..named("Early")
        };
        assert_eq!(
            new_type(&backwards, 1, &zone(), &[]).unwrap_err().field,
            "sales_close_at"
        );
        let inverted = NewTicketType {
            min_per_order: Some(3),
            max_per_order: Some(2),
            ..named("Group")
        };
        assert_eq!(
            new_type(&inverted, 1, &zone(), &[]).unwrap_err().field,
            "max_per_order"
        );
    }

    #[test]
    fn a_quota_never_drops_below_what_its_type_sold_and_moves_reorder() {
        let mut types =
            initial_types(Some(&[named("A"), named("B"), named("C")]), 0, &zone()).expect("types");
        types[0].booked = 5;
        let lower = TicketTypeUpdate {
            quota: Some(Some(4)),
            ..Default::default()
        };
        assert_eq!(
            apply_update(&mut types, 0, &lower, &zone()),
            Err(TypeRefusal::QuotaBelowSold(5))
        );
        let last = TicketTypeUpdate {
            position: Some(3),
            ..Default::default()
        };
        apply_update(&mut types, 0, &last, &zone()).expect("moved");
        let names: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["B", "C", "A"]);
    }

    #[test]
    fn availability_follows_closing_the_window_and_the_quota() {
        let now = Timestamp::from_millis(1_900_000_000_000);
        let mut sale_type = TypeSale::admission(0);
        assert_eq!(sale_type.availability(now, 10), TypeAvailability::OnSale);
        sale_type.quota = Some(2);
        sale_type.booked = 2;
        assert_eq!(sale_type.availability(now, 10), TypeAvailability::SoldOut);
        sale_type.quota = Some(5);
        assert_eq!(sale_type.available(10), 3);
        assert_eq!(sale_type.available(1), 1);
        sale_type.sales_open_at = Some(now.plus(std::time::Duration::from_secs(1)));
        assert_eq!(
            sale_type.availability(now, 10),
            TypeAvailability::NotYetOpen
        );
        sale_type.sales_open_at = None;
        sale_type.sales_close_at = Some(now);
        assert_eq!(sale_type.availability(now, 10), TypeAvailability::SaleEnded);
        sale_type.closed = true;
        assert_eq!(sale_type.availability(now, 10), TypeAvailability::Closed);
    }
}
