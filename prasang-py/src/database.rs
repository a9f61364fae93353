//! `prasang.open()` and the `Database` it returns.
//!
//! Read-only by default: no background threads, no write methods (they raise
//! `prasang.ReadOnly`), reads as the system actor (whoever can open the folder can read it all).
//! `open(path, writable=True)` runs the store like an embedding application would (background
//! analytics and maintenance) and, after `login()`, writes as that user.

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError, RwLock};

use prasang_core::analytics::{Scope, TopParams, TrendParams};
use prasang_core::auth::Actor;
use prasang_core::checkin::CheckInRequest;
use prasang_core::events::{AttendeeNames, NewEvent};
use prasang_core::feedback::FeedbackInput;
use prasang_core::guests::GuestCheckout;
use prasang_core::messages::MessageError;
use prasang_core::tickets::{BookingRequest, Ticket};
use prasang_core::users::NewUser;
use prasang_core::waitlist::{JoinRequest, WaitlistSettings};
use prasang_core::{Config, DomainError, EventId, Prasang, TicketId, UserId};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::errors::{self, ReadOnly, Unauthorized};
use crate::table::Table;
use crate::{reports, tables, vocab};

/// An optional id argument (`event=`, `organizer=`), as Python passes it.
type Id<'a> = Option<&'a str>;

/// Log entries read per core call while building the log table.
const LOG_PAGE: usize = 10_000;

/// Opens the Prasang store in the data folder `path` (the folder holding `store/`).
///
/// Read-only unless `writable=True`. A folder a running server holds cannot be opened (sled
/// allows one process per store): `prasang.StoreLocked` says so; open a snapshot instead.
#[pyfunction]
#[pyo3(signature = (path, writable=false))]
pub(crate) fn open(py: Python<'_>, path: PathBuf, writable: bool) -> PyResult<Database> {
    if !writable && !path.join("store").is_dir() {
        return Err(errors::NotFound::new_err(format!(
            "no Prasang store in {} (a data folder holds store/)",
            path.display()
        )));
    }
    let config = Config::new(&path).background_tasks(writable);
    let prasang = py
        .detach(|| Prasang::open(config))
        .map_err(|e| errors::open_error(py, &e))?;
    let system = prasang.auth().system_actor();
    Ok(Database {
        prasang: RwLock::new(Some(prasang)),
        path,
        writable,
        system,
        user: Mutex::new(None),
    })
}

/// An open Prasang store. Use it as a context manager, or call `close()`, to release the
/// folder.
#[pyclass(module = "prasang", frozen)]
pub struct Database {
    prasang: RwLock<Option<Prasang>>,
    path: PathBuf,
    writable: bool,
    system: Actor,
    user: Mutex<Option<Actor>>,
}

fn scope(py: Python<'_>, event: Option<&str>, organizer: Option<&str>) -> PyResult<Scope> {
    match (event, organizer) {
        (Some(_), Some(_)) => Err(errors::invalid(
            py,
            "event",
            "give an event or an organizer, not both",
        )),
        (Some(event), None) => Ok(Scope::Event(event_id(py, event)?)),
        (None, Some(organizer)) => Ok(Scope::Organizer(organizer.parse::<UserId>().map_err(
            |_| {
                errors::invalid(
                    py,
                    "organizer",
                    "not a user id (26 characters of Crockford base32)",
                )
            },
        )?)),
        (None, None) => Ok(Scope::All),
    }
}

fn event_id(py: Python<'_>, text: &str) -> PyResult<EventId> {
    text.parse().map_err(|_| {
        errors::invalid(
            py,
            "event",
            "not an event id (26 characters of Crockford base32)",
        )
    })
}

fn ticket_id(py: Python<'_>, text: &str) -> PyResult<TicketId> {
    text.parse()
        .map_err(|_| errors::invalid(py, "ticket", "not a ticket id"))
}

/// A Python value (dicts, lists, numbers, text) as the JSON the REST API takes, read as `T`;
/// a value that does not fit is an invalid `field`.
fn from_python<T: serde::de::DeserializeOwned>(
    py: Python<'_>,
    field: &'static str,
    value: &Bound<'_, PyAny>,
) -> PyResult<T> {
    let text: String = py
        .import("json")?
        .call_method1("dumps", (value,))?
        .extract()?;
    serde_json::from_str(&text).map_err(|e| errors::invalid(py, field, e.to_string()))
}

/// A booking request from `book`'s arguments (`lines` replaces `quantity` when given).
fn booking_request(
    py: Python<'_>,
    event: &str,
    quantity: i64,
    idempotency_key: Option<String>,
    lines: Option<&Bound<'_, PyAny>>,
    promo_code: Option<String>,
    attendee_names: Option<Vec<String>>,
) -> PyResult<BookingRequest> {
    let lines: Vec<_> = match lines {
        Some(lines) => from_python(py, "lines", lines)?,
        None => Vec::new(),
    };
    Ok(BookingRequest {
        event: event_id(py, event)?,
        quantity: if lines.is_empty() { quantity } else { 0 },
        idempotency_key,
        lines,
        promo_code,
        attendee_names: attendee_names.unwrap_or_default(),
        pass: None,
    })
}

/// What `book` returns: the ticket's id, status, amount_minor and discount_minor (never the
/// attendee names, which stay out of every table too).
fn ticket_dict<'py>(py: Python<'py>, ticket: &Ticket) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("id", ticket.id.to_string())?;
    out.set_item(
        "status",
        vocab::TICKET_STATUSES[vocab::ticket_status(ticket.status)],
    )?;
    out.set_item("amount_minor", ticket.amount_minor)?;
    out.set_item("discount_minor", ticket.discount_minor)?;
    Ok(out)
}

/// RFC 3339 text of a timezone-aware `datetime` or of a string.
fn rfc3339(py: Python<'_>, field: &'static str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(text.to_string());
    }
    let aware = value
        .getattr("tzinfo")
        .map(|tz| !tz.is_none())
        .unwrap_or(false);
    if !aware {
        return Err(errors::invalid(
            py,
            field,
            "give RFC 3339 text or a timezone-aware datetime",
        ));
    }
    value.call_method0("isoformat")?.extract()
}

impl Database {
    fn handle(&self) -> PyResult<Prasang> {
        self.prasang
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| errors::Error::new_err("the store is closed"))
    }

    /// Runs `work` on the store as the reader (the logged-in user, else the system actor),
    /// without the GIL.
    fn read<T, E>(
        &self,
        py: Python<'_>,
        work: impl FnOnce(&Prasang, &Actor) -> Result<T, E> + Send,
    ) -> PyResult<T>
    where
        T: Send,
        E: DomainError,
    {
        let prasang = self.handle()?;
        let actor = self.current_user().unwrap_or(self.system);
        py.detach(move || work(&prasang, &actor))
            .map_err(|e| errors::to_py(py, &e))
    }

    /// Runs `work` as the logged-in user of a writable store, without the GIL.
    fn write<T, E>(
        &self,
        py: Python<'_>,
        work: impl FnOnce(&Prasang, &Actor) -> Result<T, E> + Send,
    ) -> PyResult<T>
    where
        T: Send,
        E: DomainError,
    {
        self.require_writable()?;
        let actor = self
            .current_user()
            .ok_or_else(|| Unauthorized::new_err("log in first: db.login(email, password)"))?;
        let prasang = self.handle()?;
        py.detach(move || work(&prasang, &actor))
            .map_err(|e| errors::to_py(py, &e))
    }

    fn require_writable(&self) -> PyResult<()> {
        if self.writable {
            Ok(())
        } else {
            Err(ReadOnly::new_err(
                "the store is open read-only; use prasang.open(path, writable=True)",
            ))
        }
    }

    fn current_user(&self) -> Option<Actor> {
        *self.user.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every ticket as `columns` makes them, read on one thread per core.
    fn ticket_scan(&self, py: Python<'_>, columns: tables::TicketColumns) -> PyResult<Table> {
        let threads = tables::ticket_scan_threads();
        let parts = threads * tables::TICKET_PARTS_PER_THREAD;
        Table::from_batches(self.read(py, |p, a| {
            tables::tickets(p.export().tickets_in_parts(a, parts)?, threads, columns)
        })?)
    }
}

#[pymethods]
impl Database {
    /// The data folder.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// Whether write methods are available.
    #[getter]
    fn writable(&self) -> bool {
        self.writable
    }

    /// Closes the store (the folder can then be opened by another process). Idempotent.
    fn close(&self, py: Python<'_>) {
        let handle = self
            .prasang
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        // Dropping the last handle joins background threads and flushes: not under the GIL.
        py.detach(move || drop(handle));
    }

    /// `with prasang.open(path) as db:` closes the store on exit.
    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Closes the store.
    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close(py);
        false
    }

    // ---- reports -------------------------------------------------------------------------

    /// Visits, bookings, cancellations, expiries, conversion and rating (one row). Scope: one
    /// `event`, one `organizer`'s events, or (neither) every event.
    #[pyo3(signature = (event=None, organizer=None))]
    fn popularity(&self, py: Python<'_>, event: Id, organizer: Id) -> PyResult<Table> {
        let scope = scope(py, event, organizer)?;
        reports::popularity(&self.read(py, |p, a| p.analytics().popularity(a, scope))?)
    }

    /// Ticket holders by gender × age group (28 rows). Scope as in `popularity`.
    #[pyo3(signature = (event=None, organizer=None))]
    fn demographics(&self, py: Python<'_>, event: Id, organizer: Id) -> PyResult<Table> {
        let scope = scope(py, event, organizer)?;
        reports::demographics(&self.read(py, |p, a| p.analytics().demographics(a, scope))?)
    }

    /// Mean rating by gender × age group (groups with ratings only). Scope as in `popularity`.
    #[pyo3(signature = (event=None, organizer=None))]
    fn ratings_by_group(&self, py: Python<'_>, event: Id, organizer: Id) -> PyResult<Table> {
        let scope = scope(py, event, organizer)?;
        reports::ratings_by_group(&self.read(py, |p, a| p.analytics().ratings_by_group(a, scope))?)
    }

    /// Bookings, cancellations and revenue per `group_by` ("day", "week" or "month") from
    /// `from_` to `to` (YYYY-MM-DD, defaults as in the REST API), as local days of `time_zone`
    /// (an IANA name; default UTC). Scope as in `popularity`.
    #[pyo3(signature = (event=None, organizer=None, from_=None, to=None, group_by=None, time_zone=None))]
    #[allow(clippy::too_many_arguments)] // one keyword argument per parameter of the REST report
    fn trends(
        &self,
        py: Python<'_>,
        event: Option<&str>,
        organizer: Option<&str>,
        from_: Option<String>,
        to: Option<String>,
        group_by: Option<String>,
        time_zone: Option<String>,
    ) -> PyResult<Table> {
        let scope = scope(py, event, organizer)?;
        let params = TrendParams {
            from: from_,
            to,
            group_by,
            time_zone,
        };
        reports::trends(&self.read(py, |p, a| p.analytics().trends(a, scope, &params))?)
    }

    /// The top ten events by "bookings", "rating" (with at least `min_ratings` ratings) or
    /// "revenue", of one `organizer` or of everyone.
    #[pyo3(signature = (organizer=None, by=None, min_ratings=None))]
    fn top_events(
        &self,
        py: Python<'_>,
        organizer: Option<&str>,
        by: Option<String>,
        min_ratings: Option<u64>,
    ) -> PyResult<Table> {
        let scope = scope(py, None, organizer)?;
        let params = TopParams {
            by,
            min_ratings: min_ratings.map(|n| n.to_string()),
        };
        reports::top_events(&self.read(py, |p, a| p.analytics().top_events(a, scope, &params))?)
    }

    /// Visits → holds → booked → cancelled / expired, and checked in (tickets with a seat
    /// checked in) (one row). Scope as in `popularity`.
    #[pyo3(signature = (event=None, organizer=None))]
    fn funnel(&self, py: Python<'_>, event: Id, organizer: Id) -> PyResult<Table> {
        let scope = scope(py, event, organizer)?;
        reports::funnel(&self.read(py, |p, a| p.analytics().funnel(a, scope))?)
    }

    /// Revenue in minor units and seat utilisation (one row). Scope as in `popularity`.
    #[pyo3(signature = (event=None, organizer=None))]
    fn revenue(&self, py: Python<'_>, event: Id, organizer: Id) -> PyResult<Table> {
        let scope = scope(py, event, organizer)?;
        reports::revenue(&self.read(py, |p, a| p.analytics().revenue(a, scope))?)
    }

    /// Tickets, seats, revenue, refunds and discounts per ticket type of one `event` (every
    /// type, a row per currency it sold in).
    fn by_ticket_type(&self, py: Python<'_>, event: &str) -> PyResult<Table> {
        let event = event_id(py, event)?;
        reports::by_ticket_type(&self.read(py, |p, a| p.analytics().by_ticket_type(a, event))?)
    }

    /// The same per promo code of one `event`: the tickets booked with each code.
    fn by_promo_code(&self, py: Python<'_>, event: &str) -> PyResult<Table> {
        let event = event_id(py, event)?;
        reports::by_promo_code(&self.read(py, |p, a| p.analytics().by_promo_code(a, event))?)
    }

    /// Seats booked, checked in and no-shows (one row). Scope as in `popularity`.
    #[pyo3(signature = (event=None, organizer=None))]
    fn attendance(&self, py: Python<'_>, event: Id, organizer: Id) -> PyResult<Table> {
        let scope = scope(py, event, organizer)?;
        reports::attendance_totals(&self.read(py, |p, a| p.analytics().attendance(a, scope))?)
    }

    /// The same per ticket type of one `event` (every type).
    fn attendance_by_ticket_type(&self, py: Python<'_>, event: &str) -> PyResult<Table> {
        let event = event_id(py, event)?;
        reports::attendance_by_ticket_type(
            &self.read(py, |p, a| p.analytics().attendance_by_ticket_type(a, event))?,
        )
    }

    /// The same per gender × age group of the ticket holders. Scope as in `popularity`.
    #[pyo3(signature = (event=None, organizer=None))]
    fn attendance_by_group(&self, py: Python<'_>, event: Id, organizer: Id) -> PyResult<Table> {
        let scope = scope(py, event, organizer)?;
        reports::attendance_by_group(
            &self.read(py, |p, a| p.analytics().attendance_by_group(a, scope))?,
        )
    }

    /// Check-ins per quarter hour of one `event`, on its local clock (the arrival curve).
    fn arrivals(&self, py: Python<'_>, event: &str) -> PyResult<Table> {
        let event = event_id(py, event)?;
        reports::arrivals(&self.read(py, |p, a| p.analytics().arrivals(a, event))?)
    }

    /// The waiting list: joins, offers made and how they ended, seats recovered (those of
    /// accepted offers), and entries and seats waiting now (one row). Scope as in
    /// `popularity`. (The `waitlist()` table has the entries themselves.)
    #[pyo3(signature = (event=None, organizer=None))]
    fn waitlist_totals(&self, py: Python<'_>, event: Id, organizer: Id) -> PyResult<Table> {
        let scope = scope(py, event, organizer)?;
        reports::waitlist_totals(&self.read(py, |p, a| p.analytics().waitlist_totals(a, scope))?)
    }

    /// One `event`'s waiting list per hour on its local clock: entries and seats waiting and
    /// offers open at the end of each hour, and the joins and offers in it.
    fn waitlist_length(&self, py: Python<'_>, event: &str) -> PyResult<Table> {
        let event = event_id(py, event)?;
        reports::waitlist_length(&self.read(py, |p, a| p.analytics().waitlist_length(a, event))?)
    }

    /// One `event`'s waiting room per minute on its local clock: the people who joined and
    /// were admitted in each minute, and the queue at its end.
    fn waiting_room(&self, py: Python<'_>, event: &str) -> PyResult<Table> {
        let event = event_id(py, event)?;
        reports::waiting_room(&self.read(py, |p, a| p.analytics().waiting_room(a, event))?)
    }

    // ---- raw tables ----------------------------------------------------------------------

    /// Every event (any status) with seat counters and rating.
    fn events(&self, py: Python<'_>) -> PyResult<Table> {
        tables::events(&self.read(py, |p, a| p.export().events(a))?)
    }

    /// Every ticket type of every event: event, ticket_type, name, price, quota, held, booked,
    /// hidden, closed and the sale window.
    fn ticket_types(&self, py: Python<'_>) -> PyResult<Table> {
        tables::ticket_types(&self.read(py, |p, a| p.export().ticket_types(a))?)
    }

    /// Every promo code of every event: code, discount, max_uses, used, validity, active (never
    /// who used it).
    fn promo_codes(&self, py: Python<'_>) -> PyResult<Table> {
        tables::promo_codes(&self.read(py, |p, a| p.export().promo_codes(a))?)
    }

    /// Every ticket: id, event, user, quantity, status, amount_minor, created/updated/expires,
    /// its ticket type (when it has one line), promo code and discount.
    fn tickets(&self, py: Python<'_>) -> PyResult<Table> {
        self.ticket_scan(py, tables::ticket_columns)
    }

    /// Every ticket line: ticket, event, ticket_type, quantity, unit price, discount, amount
    /// and the ticket's status.
    fn ticket_lines(&self, py: Python<'_>) -> PyResult<Table> {
        self.ticket_scan(py, tables::ticket_line_columns)
    }

    /// Every seat checked in: event, ticket, seat, ticket_type, gate, scanned_at, offline (no
    /// names, no e-mail addresses), as the attendance reports count them.
    fn check_ins(&self, py: Python<'_>) -> PyResult<Table> {
        tables::check_ins(&self.read(py, |p, a| p.export().check_ins(a))?)
    }

    /// Every waiting list entry ever made: event, entry, user (an id), ticket_type, seats,
    /// joined_at, state, offers, offered_seats, offer_deadline, ended_at, ticket (no names, no
    /// e-mail addresses), as the waiting list reports count them.
    fn waitlist(&self, py: Python<'_>) -> PyResult<Table> {
        tables::waitlist(&self.read(py, |p, a| p.export().waitlist(a))?)
    }

    /// Every organizer message: message (its id), event, sent_by, segment, ticket_type, sent_at,
    /// subject_chars, body_chars, and what became of it: recipients (null until dispatched),
    /// unreached, and its deliveries sent, failed, pending and skipped over all channels. Never
    /// the subject or body: they are the organizer's words to their attendees (the log keeps
    /// them).
    fn messages(&self, py: Python<'_>) -> PyResult<Table> {
        let rows = self.read(py, |p, a| p.export().messages(a))?;
        let reports = self.read(py, |p, a| {
            rows.iter()
                .map(|row| match p.messages().report(a, row.event, row.message) {
                    Ok(report) => Ok(Some(report)),
                    // Folded from the log but without its record (a store from before it): no
                    // delivery numbers.
                    Err(MessageError::NotFound) => Ok(None),
                    Err(error) => Err(error),
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        tables::messages(&rows, &reports)
    }

    /// Every feedback entry with the organizer's reply, if any.
    fn feedback(&self, py: Python<'_>) -> PyResult<Table> {
        tables::feedback(&self.read(py, |p, a| p.export().feedback(a))?)
    }

    /// Every account as demographics only: id, role, gender, age group, created_at (never a
    /// name, an e-mail address or a password hash).
    fn attendees(&self, py: Python<'_>) -> PyResult<Table> {
        tables::attendees(&self.read(py, |p, a| p.export().attendees(a))?)
    }

    /// The event log from sequence number `from_seq`, at most `limit` entries (all by default):
    /// seq, at, kind and the entry's fields as JSON text.
    #[pyo3(signature = (from_seq=0, limit=None))]
    fn log(&self, py: Python<'_>, from_seq: u64, limit: Option<usize>) -> PyResult<Table> {
        let entries = self.read(py, |p, a| {
            let mut entries = Vec::new();
            let mut next = from_seq;
            let mut left = limit.unwrap_or(usize::MAX);
            while left > 0 {
                let page = p.log().read(a, next, left.min(LOG_PAGE))?;
                let Some(last) = page.last() else { break };
                next = last.seq + 1;
                left -= page.len();
                entries.extend(page);
            }
            Ok::<_, prasang_core::log::LogError>(entries)
        })?;
        tables::log(&entries)
    }

    /// Recomputes every seat counter and index from the records and compares (the core's
    /// `verify_integrity`): a dict with the `events`, `tickets` and `users` checked and the
    /// `problems` found, in words (empty when the store is sound). Reads the whole store.
    fn verify_integrity<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let report = self.read(py, |p, a| p.verify_integrity(a))?;
        let result = PyDict::new(py);
        result.set_item("events", report.events)?;
        result.set_item("tickets", report.tickets)?;
        result.set_item("users", report.users)?;
        result.set_item("problems", report.problems)?;
        Ok(result)
    }

    // ---- writes (writable=True) ---------------------------------------------------------

    /// Logs in; later writes act as this user. Returns the user id.
    fn login(&self, py: Python<'_>, email: &str, password: &str) -> PyResult<String> {
        self.require_writable()?;
        let prasang = self.handle()?;
        let actor = py
            .detach(|| {
                let session = prasang.auth().login(email, password)?;
                prasang.auth().verify(&session.access_token)
            })
            .map_err(|e| errors::to_py(py, &e))?;
        let id = actor.user_id().to_string();
        *self.user.lock().unwrap_or_else(PoisonError::into_inner) = Some(actor);
        Ok(id)
    }

    /// Registers an account ("attendee" or "organizer"); gender is "female", "male",
    /// "non_binary" or "undisclosed". Returns the user id. Needs no login.
    #[pyo3(signature = (name, email, password, gender="undisclosed", age=30, role="attendee"))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments, not a Rust API
    fn register(
        &self,
        py: Python<'_>,
        name: String,
        email: String,
        password: String,
        gender: &str,
        age: i64,
        role: &str,
    ) -> PyResult<String> {
        self.require_writable()?;
        let gender = vocab::gender_named(gender).ok_or_else(|| {
            errors::invalid(py, "gender", "use female, male, non_binary or undisclosed")
        })?;
        let role = vocab::role_named(role)
            .ok_or_else(|| errors::invalid(py, "role", "use attendee or organizer"))?;
        let prasang = self.handle()?;
        let new = NewUser {
            name,
            email,
            password,
            gender,
            age,
            role,
        };
        let user = py
            .detach(|| prasang.users().register(new))
            .map_err(|e| errors::to_py(py, &e))?;
        Ok(user.id.to_string())
    }

    /// Creates an event as the logged-in organizer; times are RFC 3339 text or timezone-aware
    /// datetimes; `attendee_names` is "not_asked", "optional" or "required" (a name per seat).
    /// Returns the event id.
    #[pyo3(signature = (title, location, starts_at, ends_at, capacity, price_minor=0, currency="EUR", per_user_limit=1, description="", attendee_names="not_asked"))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments, not a Rust API
    fn create_event(
        &self,
        py: Python<'_>,
        title: &str,
        location: &str,
        starts_at: &Bound<'_, PyAny>,
        ends_at: &Bound<'_, PyAny>,
        capacity: i64,
        price_minor: i64,
        currency: &str,
        per_user_limit: i64,
        description: &str,
        attendee_names: &str,
    ) -> PyResult<String> {
        let attendee_names: AttendeeNames =
            serde_json::from_value(attendee_names.into()).map_err(|_| {
                errors::invalid(py, "attendee_names", "use not_asked, optional or required")
            })?;
        // Built from JSON so fields the core adds with defaults need no change here.
        let new: NewEvent = serde_json::from_value(serde_json::json!({
            "title": title,
            "description": description,
            "location": location,
            "starts_at": rfc3339(py, "starts_at", starts_at)?,
            "ends_at": rfc3339(py, "ends_at", ends_at)?,
            "capacity": capacity,
            "price_minor": price_minor,
            "currency": currency,
            "per_user_limit": per_user_limit,
            "attendee_names": attendee_names,
        }))
        .map_err(|e| errors::invalid(py, "starts_at", format!("invalid event: {e}")))?;
        let event = self.write(py, |p, a| p.events().create(a, new))?;
        Ok(event.id.to_string())
    }

    /// Adds a ticket type to an event as its logged-in organizer; `ticket_type` is a dict of
    /// the REST API's fields (`{"name": "Child", "price_minor": 500, "quota": 20}`). Returns the
    /// type's number.
    fn add_ticket_type(
        &self,
        py: Python<'_>,
        event: &str,
        ticket_type: &Bound<'_, PyAny>,
    ) -> PyResult<u32> {
        let event = event_id(py, event)?;
        let new = from_python(py, "ticket_type", ticket_type)?;
        Ok(self
            .write(py, |p, a| p.events().add_ticket_type(a, event, new))?
            .id)
    }

    /// Creates a promo code for an event as its logged-in organizer; `code` is a dict of the
    /// REST API's fields (`{"code": "TEN", "discount": {"percent": 10}}`).
    fn create_promo_code(
        &self,
        py: Python<'_>,
        event: &str,
        code: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let event = event_id(py, event)?;
        let new = from_python(py, "code", code)?;
        self.write(py, |p, a| p.promo_codes().create(a, event, new))?;
        Ok(())
    }

    /// Books `quantity` seats of `event` as the logged-in user, or the seats per type in
    /// `lines` (`[{"ticket_type": 1, "quantity": 2}, ...]`), with `promo_code` if given and
    /// `attendee_names` (one per seat, `""` for an unnamed seat) where the event asks for them;
    /// returns a dict with the ticket's id, status, amount_minor and discount_minor.
    #[pyo3(signature = (event, quantity=1, idempotency_key=None, lines=None, promo_code=None, attendee_names=None))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments, not a Rust API
    fn book<'py>(
        &self,
        py: Python<'py>,
        event: &str,
        quantity: i64,
        idempotency_key: Option<String>,
        lines: Option<&Bound<'py, PyAny>>,
        promo_code: Option<String>,
        attendee_names: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let request = booking_request(
            py,
            event,
            quantity,
            idempotency_key,
            lines,
            promo_code,
            attendee_names,
        )?;
        let outcome = self.write(py, |p, a| p.tickets().book(a, &request))?;
        ticket_dict(py, &outcome.ticket)
    }

    /// Books as a guest, with a name and an e-mail address and no login: the tickets go to the
    /// guest account of that address (made if new; an address with a normal account books for
    /// it). The other arguments are those of `book`. Returns `book`'s dict plus `user`, the
    /// account's id.
    #[pyo3(signature = (event, name, email, quantity=1, idempotency_key=None, lines=None, promo_code=None, attendee_names=None))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments, not a Rust API
    fn guest_book<'py>(
        &self,
        py: Python<'py>,
        event: &str,
        name: String,
        email: String,
        quantity: i64,
        idempotency_key: Option<String>,
        lines: Option<&Bound<'py, PyAny>>,
        promo_code: Option<String>,
        attendee_names: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        self.require_writable()?;
        let booking = booking_request(
            py,
            event,
            quantity,
            idempotency_key,
            lines,
            promo_code,
            attendee_names,
        )?;
        let checkout = GuestCheckout {
            name,
            email,
            booking,
        };
        let prasang = self.handle()?;
        let outcome = py
            .detach(|| prasang.guests().book(&checkout))
            .map_err(|e| errors::to_py(py, &e))?;
        let out = ticket_dict(py, &outcome.ticket)?;
        out.set_item("user", outcome.ticket.user.to_string())?;
        Ok(out)
    }

    /// Changes the attendee names of one of the logged-in user's tickets (one per seat, `""`
    /// for an unnamed seat), until the event starts.
    fn set_attendee_names(&self, py: Python<'_>, ticket: &str, names: Vec<String>) -> PyResult<()> {
        let id = ticket_id(py, ticket)?;
        self.write(py, |p, a| p.tickets().set_attendee_names(a, id, &names))?;
        Ok(())
    }

    /// Cancels one of the logged-in user's tickets.
    fn cancel(&self, py: Python<'_>, ticket: &str) -> PyResult<()> {
        let id = ticket_id(py, ticket)?;
        self.write(py, |p, a| p.tickets().cancel(a, id))?;
        Ok(())
    }

    /// Confirms the payment of a pending ticket as its event's logged-in organizer: it becomes
    /// booked.
    fn confirm_payment(&self, py: Python<'_>, ticket: &str) -> PyResult<()> {
        let id = ticket_id(py, ticket)?;
        self.write(py, |p, a| p.tickets().confirm_payment(a, id))?;
        Ok(())
    }

    /// Rates an event the logged-in user holds a ticket for (1–5, optional comment).
    #[pyo3(signature = (event, rating, comment=None))]
    fn give_feedback(
        &self,
        py: Python<'_>,
        event: &str,
        rating: i64,
        comment: Option<String>,
    ) -> PyResult<()> {
        let event = event_id(py, event)?;
        let input = FeedbackInput { rating, comment };
        self.write(py, |p, a| p.feedback().give(a, event, input))?;
        Ok(())
    }

    /// The admission codes of a booked ticket's seats (its holder, the event's organizer or an
    /// admin, logged in): a list of dicts with seat, of and code.
    fn admission_codes<'py>(
        &self,
        py: Python<'py>,
        ticket: &str,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let id = ticket_id(py, ticket)?;
        let codes = self.write(py, |p, a| p.admissions().codes(a, id))?;
        codes
            .into_iter()
            .map(|seat| {
                let out = PyDict::new(py);
                out.set_item("seat", seat.seat)?;
                out.set_item("of", seat.of)?;
                out.set_item("code", seat.code)?;
                Ok(out)
            })
            .collect()
    }

    /// Checks a seat's code in at `gate` of `event` as the logged-in organizer or door staff;
    /// `scan_id` (default: a fresh UUID) makes a retry answer the same. Returns a dict with the
    /// ticket, seat and ticket_type admitted; a refused scan raises (already admitted:
    /// `Conflict`).
    #[pyo3(signature = (event, code, gate, scan_id=None))]
    fn check_in<'py>(
        &self,
        py: Python<'py>,
        event: &str,
        code: &str,
        gate: String,
        scan_id: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let event = event_id(py, event)?;
        let scan_id = match scan_id {
            Some(id) => id,
            None => py
                .import("uuid")?
                .call_method0("uuid4")?
                .getattr("hex")?
                .extract()?,
        };
        let request = CheckInRequest {
            event,
            code,
            gate,
            scan_id,
        };
        let admitted = self.write(py, |p, a| p.check_ins().check_in(a, request))?;
        let out = PyDict::new(py);
        out.set_item("ticket", admitted.ticket.to_string())?;
        out.set_item("seat", admitted.seat)?;
        out.set_item("ticket_type", admitted.ticket_type)?;
        Ok(out)
    }

    /// Sets an event's waiting list as its logged-in organizer; `settings` is a dict of the
    /// REST API's fields (`{"enabled": True, "offer_window_minutes": 60}`).
    fn configure_waitlist(
        &self,
        py: Python<'_>,
        event: &str,
        settings: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let event = event_id(py, event)?;
        let settings: WaitlistSettings = from_python(py, "settings", settings)?;
        self.write(py, |p, a| p.waitlist().configure(a, event, settings))?;
        Ok(())
    }

    /// Joins the waiting list of a sold-out event as the logged-in user for `seats` seats (of
    /// `ticket_type`, default the event's first); returns the entry's number.
    #[pyo3(signature = (event, seats=1, ticket_type=None))]
    fn join_waitlist(
        &self,
        py: Python<'_>,
        event: &str,
        seats: i64,
        ticket_type: Option<u32>,
    ) -> PyResult<u64> {
        let event = event_id(py, event)?;
        let request = JoinRequest { ticket_type, seats };
        Ok(self
            .write(py, |p, a| p.waitlist().join(a, event, &request))?
            .entry)
    }

    /// Accepts the logged-in user's offer on waiting list entry `entry` of `event`; returns the
    /// ticket's id.
    fn accept_offer(&self, py: Python<'_>, event: &str, entry: u64) -> PyResult<String> {
        let event = event_id(py, event)?;
        let outcome = self.write(py, |p, a| p.waitlist().accept(a, event, entry))?;
        Ok(outcome.ticket.id.to_string())
    }

    /// Folds new log entries into the report aggregates now (writable stores do this in the
    /// background too); returns how many entries were folded.
    fn run_analytics(&self, py: Python<'_>) -> PyResult<usize> {
        self.require_writable()?;
        let prasang = self.handle()?;
        let report = py
            .detach(|| prasang.run_analytics_once())
            .map_err(|e| errors::to_py(py, &e))?;
        Ok(report.entries)
    }
}
