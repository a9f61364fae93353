//! `verify_integrity`: recomputes every counter and index from the records and compares.

use std::collections::{BTreeMap, BTreeSet};

use crate::context::Context;
use crate::events::{EventRecord, SaleState, TicketTypeId};
use crate::ids::{EventId, TicketId, UserId};
use crate::promo::record::{self as promo_record, PromoRecord};
use crate::store::{StoreError, codec, keys};
use crate::tickets::{Ticket, TicketStatus};
use crate::users::UserRecord;

/// What [`crate::Prasang::verify_integrity`] found.
#[derive(Debug, Clone, Default)]
pub struct IntegrityReport {
    /// Events checked.
    pub events: usize,
    /// Tickets checked.
    pub tickets: usize,
    /// Users checked.
    pub users: usize,
    /// Admitted seats checked.
    pub admissions: usize,
    /// Every disagreement found, in words.
    pub problems: Vec<String>,
}

impl IntegrityReport {
    /// True when nothing disagreed.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Seats held and booked, as the tickets say.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Taken {
    held: u32,
    booked: u32,
}

impl Taken {
    /// Counts `seats` of a ticket in `status` (released tickets take none).
    fn add(&mut self, status: TicketStatus, seats: u32) {
        match status {
            TicketStatus::Pending => self.held += seats,
            TicketStatus::Booked => self.booked += seats,
            TicketStatus::Cancelled | TicketStatus::Expired => {}
        }
    }
}

/// What an event's tickets say its counters must be: in all and per ticket type.
#[derive(Default)]
struct Expected {
    seats: Taken,
    by_type: BTreeMap<TicketTypeId, Taken>,
}

/// What the active tickets say each promo code's counters must be.
#[derive(Default)]
struct PromoExpected {
    /// By `promo_codes` key: seats the code is used for.
    used: BTreeMap<Vec<u8>, u32>,
    /// By `promo_uses` key: each user's active tickets with the code.
    uses: BTreeMap<Vec<u8>, u32>,
}

/// Checks, on a quiescent store: for every event `remaining + held + booked == capacity`, the
/// counters of the event and of each of its ticket types equal the sums over its tickets' lines,
/// the types add up to the event and none is over its quota; each ticket's lines add up to it;
/// every promo code's uses equal its active tickets' seats and stay within its maximum, and each
/// user's count of tickets with a code is right; every index entry points at a matching record
/// and every record has its index entries; the admissions agree with their tickets, counters
/// and feed (see `checkin::integrity`); and the waiting rooms' queues and members name each other
/// (see `waiting_room::integrity`).
pub(crate) fn verify(inner: &Context) -> Result<IntegrityReport, StoreError> {
    let store = &inner.store;
    let mut report = IntegrityReport::default();
    let mut per_event: BTreeMap<EventId, Expected> = BTreeMap::new();
    let mut promos = PromoExpected::default();
    let mut tickets: BTreeMap<TicketId, Ticket> = BTreeMap::new();

    for entry in store.tickets.iter() {
        let (_, value) = entry?;
        let ticket = crate::tickets::record::decode(&value)?;
        check_lines(&ticket, &mut report);
        let expected = per_event.entry(ticket.event).or_default();
        expected.seats.add(ticket.status, ticket.quantity);
        for line in &ticket.lines {
            let of_type = expected.by_type.entry(line.ticket_type).or_default();
            of_type.add(ticket.status, line.quantity);
        }
        if let Some(code) = ticket
            .promo_code
            .as_deref()
            .filter(|_| ticket.status.is_active())
        {
            *promos
                .used
                .entry(promo_record::key(ticket.event, code))
                .or_default() += ticket.promo_seats;
            *promos
                .uses
                .entry(promo_record::use_key(ticket.event, code, ticket.user))
                .or_default() += 1;
        }
        tickets.insert(ticket.id, ticket);
    }
    report.tickets = tickets.len();
    // Seats on offer from a waiting list are held too, by the entry rather than a ticket.
    for (event, entry) in crate::waitlist::state::offers(store)? {
        let expected = per_event.entry(event).or_default();
        expected.seats.held += entry.seats;
        expected.by_type.entry(entry.ticket_type).or_default().held += entry.seats;
    }

    for entry in store.inventory.iter() {
        let (key, value) = entry?;
        let sale: SaleState = codec::read(&value)?;
        let Some(id) = EventId::from_key_prefix(&key) else {
            report.problems.push("inventory key too short".into());
            continue;
        };
        report.events += 1;
        let seats = sale.seats;
        if u64::from(seats.remaining) + u64::from(seats.held) + u64::from(seats.booked)
            != u64::from(seats.capacity)
        {
            report.problems.push(format!(
                "event {id}: remaining + held + booked != capacity ({seats:?})"
            ));
        }
        let expected = per_event.remove(&id).unwrap_or_default();
        if expected.seats.held != seats.held || expected.seats.booked != seats.booked {
            report.problems.push(format!(
                "event {id}: counters say held {} booked {}, tickets say held {} booked {}",
                seats.held, seats.booked, expected.seats.held, expected.seats.booked
            ));
        }
        check_types(id, &sale, expected.by_type, &mut report);
        match store.events.get(key)? {
            Some(bytes) => {
                let event: EventRecord = codec::read(&bytes)?;
                if event.starts_at != sale.starts_at
                    || event.organizer != sale.organizer
                    || event.status != sale.status
                {
                    report.problems.push(format!(
                        "event {id}: sale state disagrees with the event record"
                    ));
                }
                let indexes = [
                    (
                        &store.events_by_start,
                        keys::event_by_start(event.starts_at, id).to_vec(),
                        "events_by_start",
                    ),
                    (
                        &store.events_by_organizer,
                        keys::event_by_organizer(event.organizer, id).to_vec(),
                        "events_by_organizer",
                    ),
                ];
                for (index, entry, name) in indexes {
                    if index.get(entry)?.is_none() {
                        report
                            .problems
                            .push(format!("event {id}: missing from {name}"));
                    }
                }
            }
            None => report
                .problems
                .push(format!("event {id}: sale state without an event record")),
        }
    }
    for id in per_event.keys() {
        report.problems.push(format!(
            "tickets reference event {id}, which has no sale state"
        ));
    }
    if store.events.len() != report.events {
        report
            .problems
            .push("events and inventory hold different numbers of records".into());
    }
    for entry in store.events_by_start.iter() {
        let (key, _) = entry?;
        if keys::event_from_start_key(&key)
            .is_none_or(|id| !store.inventory.contains_key(id.to_bytes()).unwrap_or(false))
        {
            report
                .problems
                .push("events_by_start entry without an event".into());
        }
    }

    check_promo_codes(inner, promos, &mut report)?;

    check_ticket_index(
        &store.tickets_by_event,
        "tickets_by_event",
        &tickets,
        |t| keys::ticket_by_event(t.event, t.id).to_vec(),
        &mut report,
    )?;
    check_ticket_index(
        &store.tickets_by_user,
        "tickets_by_user",
        &tickets,
        |t| keys::ticket_by_user(t.user, t.id).to_vec(),
        &mut report,
    )?;
    let pending: BTreeMap<TicketId, Ticket> = tickets
        .iter()
        .filter(|(_, t)| t.status == TicketStatus::Pending)
        .map(|(id, t)| (*id, t.clone()))
        .collect();
    check_ticket_index(
        &store.holds_by_expiry,
        "holds_by_expiry",
        &pending,
        |t| keys::hold_by_expiry(t.expires_at.unwrap_or(t.created_at), t.id).to_vec(),
        &mut report,
    )?;

    report.admissions = crate::checkin::integrity::verify(store, &tickets, &mut report.problems)?;
    crate::waiting_room::integrity::verify(store, &mut report.problems)?;

    let mut emails = BTreeSet::new();
    for entry in store.users.iter() {
        let (key, value) = entry?;
        let record: UserRecord = codec::read(&value)?;
        report.users += 1;
        let indexed = store.users_by_email.get(record.email.as_bytes())?;
        if indexed.as_deref() != Some(&key[..]) {
            report.problems.push(format!(
                "user {}: users_by_email does not point back",
                record.id
            ));
        }
        emails.insert(record.email);
    }
    if store.users_by_email.len() != emails.len() {
        report
            .problems
            .push("users_by_email has entries without users".into());
    }
    Ok(report)
}

/// A ticket's lines add up to its seats and what it was charged.
fn check_lines(ticket: &Ticket, report: &mut IntegrityReport) {
    let id = ticket.id;
    let seats: u64 = ticket
        .lines
        .iter()
        .map(|line| u64::from(line.quantity))
        .sum();
    // (The discount is not stored apart: a ticket reads it as the sum over its lines.)
    let amount: u64 = ticket.lines.iter().map(|line| line.amount_minor()).sum();
    if ticket.lines.is_empty() || seats != u64::from(ticket.quantity) {
        report.problems.push(format!(
            "ticket {id}: its lines hold {seats} seats, the ticket {}",
            ticket.quantity
        ));
    }
    if amount != ticket.amount_minor {
        report.problems.push(format!(
            "ticket {id}: its lines charge {amount}, the ticket {}",
            ticket.amount_minor
        ));
    }
    if ticket.promo_code.is_none() && ticket.promo_seats != 0 {
        report
            .problems
            .push(format!("ticket {id}: promo seats without a promo code"));
    }
}

/// Each ticket type of event `id`: its counters equal its tickets' lines, it is within its
/// quota, and the types add up to the event's counters. Lines of a type the event no longer
/// has are reported too.
fn check_types(
    id: EventId,
    sale: &SaleState,
    mut expected: BTreeMap<TicketTypeId, Taken>,
    report: &mut IntegrityReport,
) {
    let mut sum = Taken::default();
    for sale_type in &sale.types {
        let counters = Taken {
            held: sale_type.held,
            booked: sale_type.booked,
        };
        let wanted = expected.remove(&sale_type.id).unwrap_or_default();
        if counters != wanted {
            report.problems.push(format!(
                "event {id} type {}: counters say {counters:?}, tickets say {wanted:?}",
                sale_type.id
            ));
        }
        if let Some(quota) = sale_type.quota
            && u64::from(counters.held) + u64::from(counters.booked) > u64::from(quota)
        {
            report.problems.push(format!(
                "event {id} type {}: {counters:?} is over its quota of {quota}",
                sale_type.id
            ));
        }
        sum.held += counters.held;
        sum.booked += counters.booked;
    }
    let seats = sale.seats;
    if sum.held != seats.held || sum.booked != seats.booked {
        report.problems.push(format!(
            "event {id}: its types add up to {sum:?}, the event says held {} booked {}",
            seats.held, seats.booked
        ));
    }
    for ticket_type in expected.keys() {
        report.problems.push(format!(
            "event {id}: tickets have lines of type {ticket_type}, which it does not have"
        ));
    }
}

/// Every promo code's `used` equals the seats its active tickets use it for and stays within
/// `max_uses`; every `promo_uses` count equals its user's active tickets with the code.
fn check_promo_codes(
    inner: &Context,
    mut expected: PromoExpected,
    report: &mut IntegrityReport,
) -> Result<(), StoreError> {
    let store = &inner.store;
    for entry in store.promo_codes.iter() {
        let (key, value) = entry?;
        let promo: PromoRecord = codec::read(&value)?;
        let code = &promo.code;
        let wanted = expected.used.remove(&key[..]).unwrap_or(0);
        if promo.used != wanted {
            report.problems.push(format!(
                "promo code {code}: used {} but its active tickets use it for {wanted} seats",
                promo.used
            ));
        }
        if let Some(max) = promo.max_uses.filter(|&max| promo.used > max) {
            report.problems.push(format!(
                "promo code {code}: used {} of at most {max}",
                promo.used
            ));
        }
    }
    for key in expected.used.keys() {
        report.problems.push(format!(
            "tickets use promo code {}, which does not exist",
            String::from_utf8_lossy(key.get(16..).unwrap_or_default())
        ));
    }
    for entry in store.promo_uses.iter() {
        let (key, value) = entry?;
        let found = crate::tickets::uses_count(&value);
        let wanted = expected.uses.remove(&key[..]).unwrap_or(0);
        // Releases remove a count that drops to zero, so a stored zero is stray too.
        if found != wanted || found == 0 {
            report.problems.push(format!(
                "promo_uses {}: counts {found} tickets, the user holds {wanted} with the code",
                use_key_text(&key)
            ));
        }
    }
    for key in expected.uses.keys() {
        report.problems.push(format!(
            "promo_uses {}: missing for a user's active tickets with the code",
            use_key_text(key)
        ));
    }
    Ok(())
}

/// A `promo_uses` key in words: the code and the user (its event is in the code's key).
fn use_key_text(key: &[u8]) -> String {
    let user = key
        .len()
        .checked_sub(16)
        .and_then(|at| <[u8; 16]>::try_from(&key[at..]).ok())
        .map(UserId::from_bytes);
    let code = key
        .get(16..key.len().saturating_sub(17))
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    match user {
        Some(user) => format!("of {code} for user {user}"),
        None => "with a short key".into(),
    }
}

/// Every ticket in `expected` has exactly its key in `index`, and nothing else is there.
fn check_ticket_index(
    index: &sled::Tree,
    name: &str,
    expected: &BTreeMap<TicketId, Ticket>,
    key_of: impl Fn(&Ticket) -> Vec<u8>,
    report: &mut IntegrityReport,
) -> Result<(), StoreError> {
    let wanted: BTreeSet<Vec<u8>> = expected.values().map(&key_of).collect();
    let mut found = 0usize;
    for entry in index.iter() {
        let (key, _) = entry?;
        if wanted.contains(&key[..]) {
            found += 1;
        } else {
            report
                .problems
                .push(format!("{name}: stray entry {}", keys::cursor_text(&key)));
        }
    }
    if found != wanted.len() {
        report.problems.push(format!(
            "{name}: {} tickets have no entry",
            wanted.len() - found
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::events::NewTicketType;
    use crate::promo::{Discount, NewPromoCode};
    use crate::testing::{free_event, register};
    use crate::tickets::{BookingLine, BookingRequest};
    use crate::users::Role;
    use crate::{Config, Prasang};

    /// A store with one ticket of 2 Adult + 1 Child bought with a code, and the keys of the
    /// records a test tampers with.
    struct Booked {
        prasang: Prasang,
        event: EventId,
        ticket: TicketId,
        code_key: Vec<u8>,
        use_key: Vec<u8>,
    }

    fn booked_with_a_code() -> Booked {
        let prasang = Prasang::open(Config::temporary().background_tasks(false)).expect("open");
        let organizer = register(&prasang, "olga", Role::Organizer);
        let ada = register(&prasang, "ada", Role::Attendee);
        let starts_at = prasang.now().plus(Duration::from_secs(3_600));
        let typed = |name: &str, price_minor: i64, quota: Option<i64>| NewTicketType {
            name: name.into(),
            price_minor,
            quota,
            ..Default::default()
        };
        let new = crate::events::NewEvent {
            per_user_limit: Some(4),
            ticket_types: Some(vec![
                typed("Adult", 2_000, None),
                typed("Child", 0, Some(3)),
            ]),
            ..free_event(starts_at, 10)
        };
        let event = prasang.events().create(&organizer, new).expect("event").id;
        let code = NewPromoCode {
            applies_to: vec![1],
            max_uses: Some(5),
            ..NewPromoCode::new("family", Discount::Percent(10))
        };
        prasang
            .promo_codes()
            .create(&organizer, event, code)
            .expect("code");
        let request = BookingRequest {
            lines: vec![
                BookingLine {
                    ticket_type: 1,
                    quantity: 2,
                },
                BookingLine {
                    ticket_type: 2,
                    quantity: 1,
                },
            ],
            promo_code: Some("Family".into()),
            ..BookingRequest::seats(event, 0)
        };
        let ticket = prasang.tickets().book(&ada, &request).expect("book").ticket;
        assert_eq!(ticket.promo_seats, 2);
        Booked {
            ticket: ticket.id,
            code_key: promo_record::key(event, "FAMILY"),
            use_key: promo_record::use_key(event, "FAMILY", ada.user_id()),
            prasang,
            event,
        }
    }

    impl Booked {
        fn problems(&self) -> Vec<String> {
            verify(&self.prasang.inner.ctx).expect("verify").problems
        }

        /// The problems found with `tree[key]` changed by `change`; the record is put back after.
        fn problems_with(
            &self,
            tree: &sled::Tree,
            key: &[u8],
            change: impl FnOnce(Option<sled::IVec>) -> Option<Vec<u8>>,
        ) -> Vec<String> {
            let original = tree.get(key).expect("read");
            match change(original.clone()) {
                Some(changed) => tree.insert(key, changed).expect("tamper"),
                None => tree.remove(key).expect("tamper"),
            };
            let problems = self.problems();
            match original {
                Some(bytes) => tree.insert(key, bytes).expect("restore"),
                None => tree.remove(key).expect("restore"),
            };
            problems
        }

        /// The problems found with the event's sale state changed by `change`.
        fn with_sale(&self, change: impl FnOnce(&mut SaleState)) -> Vec<String> {
            let store = &self.prasang.inner.ctx.store;
            self.problems_with(&store.inventory, &self.event.to_bytes(), |bytes| {
                let mut sale: SaleState = codec::read(&bytes.expect("sale state")).expect("reads");
                change(&mut sale);
                Some(codec::write(&sale))
            })
        }

        /// The problems found with the code's record changed by `change`.
        fn with_code(&self, change: impl FnOnce(&mut PromoRecord)) -> Vec<String> {
            let store = &self.prasang.inner.ctx.store;
            self.problems_with(&store.promo_codes, &self.code_key, |bytes| {
                let mut promo: PromoRecord = codec::read(&bytes.expect("code")).expect("reads");
                change(&mut promo);
                Some(codec::write(&promo))
            })
        }
    }

    fn assert_one_problem(problems: &[String], about: &str) {
        assert!(
            problems.len() == 1 && problems[0].contains(about),
            "expected one problem about {about:?}, got {problems:#?}"
        );
    }

    #[test]
    fn an_intact_store_with_types_and_codes_has_no_problem() {
        let booked = booked_with_a_code();
        assert_eq!(booked.problems(), Vec::<String>::new());
    }

    #[test]
    fn a_type_counter_that_disagrees_with_the_tickets_is_reported() {
        let booked = booked_with_a_code();
        // Moved from one type to the other: the event's sums still agree, the types do not.
        let problems = booked.with_sale(|sale| {
            sale.types[0].held -= 1;
            sale.types[1].held += 1;
        });
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(
            problems.iter().all(|p| p.contains(" type ")),
            "{problems:#?}"
        );
        // One type off alone: the types no longer add up to the event either.
        let problems = booked.with_sale(|sale| sale.types[1].booked += 1);
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems.iter().any(|p| p.contains("types add up")));
    }

    #[test]
    fn a_ticket_whose_lines_do_not_add_up_is_reported() {
        let booked = booked_with_a_code();
        let tickets = &booked.prasang.inner.ctx.store.tickets;
        let problems = booked.problems_with(tickets, &booked.ticket.to_bytes(), |bytes| {
            let mut ticket =
                crate::tickets::record::decode(&bytes.expect("ticket")).expect("reads");
            ticket.amount_minor += 1;
            Some(crate::tickets::record::encode(&ticket))
        });
        assert_one_problem(&problems, "its lines charge");
        let problems = booked.problems_with(tickets, &booked.ticket.to_bytes(), |bytes| {
            let mut ticket =
                crate::tickets::record::decode(&bytes.expect("ticket")).expect("reads");
            ticket.quantity += 1;
            Some(crate::tickets::record::encode(&ticket))
        });
        // The event's counters disagree with the ticket's seats too.
        assert!(
            problems
                .iter()
                .any(|p| p.contains("its lines hold 3 seats, the ticket 4"))
        );
    }

    #[test]
    fn tickets_using_a_code_that_is_gone_are_reported() {
        let booked = booked_with_a_code();
        let codes = &booked.prasang.inner.ctx.store.promo_codes;
        let problems = booked.problems_with(codes, &booked.code_key, |_| None);
        assert_one_problem(
            &problems,
            "tickets use promo code FAMILY, which does not exist",
        );
    }

    #[test]
    fn a_type_over_its_quota_is_reported() {
        let booked = booked_with_a_code();
        let problems = booked.with_sale(|sale| sale.types[0].quota = Some(1));
        assert_one_problem(&problems, "over its quota");
    }

    #[test]
    fn a_promo_code_whose_uses_disagree_or_exceed_its_maximum_is_reported() {
        let booked = booked_with_a_code();
        assert_one_problem(&booked.with_code(|promo| promo.used = 3), "used 3");
        let over = booked.with_code(|promo| promo.max_uses = Some(1));
        assert_one_problem(&over, "of at most 1");
    }

    #[test]
    fn a_users_count_of_tickets_with_a_code_that_is_off_is_reported() {
        let booked = booked_with_a_code();
        let uses = &booked.prasang.inner.ctx.store.promo_uses;
        let two = booked.problems_with(uses, &booked.use_key, |_| Some(2u32.to_be_bytes().into()));
        assert_one_problem(&two, "counts 2");
        let gone = booked.problems_with(uses, &booked.use_key, |_| None);
        assert_one_problem(&gone, "missing");
    }
}
