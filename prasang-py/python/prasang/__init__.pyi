"""Type stubs of the prasang package (the native module prasang._prasang)."""

from datetime import datetime
from os import PathLike
from types import TracebackType
from typing import Any, Dict, List, Optional, Type, Union

__version__: str

class Error(Exception):
    """Base class of every Prasang error; ``code`` is the stable error code (``sold-out``)."""
    code: str
    field: Optional[str]

class InvalidInput(Error):
    """The input breaks a rule; ``field`` names the field at fault, or is None."""

class NotFound(Error):
    """No such thing, or not visible to the caller."""

class Forbidden(Error):
    """The caller is known but may not do this."""

class Unauthorized(Error):
    """Not logged in, wrong password, or a bad or expired token."""

class Conflict(Error):
    """The request clashes with the current state: sold out, limit reached, e-mail taken."""

class StoreLocked(Conflict):
    """Another process (a running server) has the store open: open a snapshot instead."""

class RateLimited(Error):
    """Too many attempts; try again later."""

class Unavailable(Error):
    """Temporarily impossible; the same call may succeed later."""

class Internal(Error):
    """A fault inside Prasang (a bug or an unreadable record)."""

class ReadOnly(Error):
    """A write on a store opened read-only."""

class Table:
    """Arrow data; pass it to pyarrow.table(), polars.DataFrame(), or use the to_* methods."""
    @property
    def num_rows(self) -> int:
        """Number of rows."""
    @property
    def column_names(self) -> List[str]:
        """Column names, in order."""
    def __len__(self) -> int:
        """Number of rows."""
    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object:
        """The table as an Arrow C stream PyCapsule (the Arrow PyCapsule interface)."""
    def to_pyarrow(self) -> Any:
        """The table as a pyarrow.Table (needs pyarrow)."""
    def to_pandas(self) -> Any:
        """The table as a pandas.DataFrame (needs pyarrow and pandas)."""
    def to_polars(self) -> Any:
        """The table as a polars.DataFrame (needs polars)."""
    def to_pylist(self) -> List[Dict[str, Any]]:
        """The rows as dicts (needs pyarrow)."""

Timestamp = Union[str, datetime]

class Database:
    """An open Prasang store; a context manager that closes it on exit."""
    @property
    def path(self) -> str:
        """The data folder."""
    @property
    def writable(self) -> bool:
        """Whether write methods are available."""
    def close(self) -> None:
        """Closes the store so another process can open the folder."""
    def __enter__(self) -> "Database": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...
    # reports
    def popularity(self, event: Optional[str] = None, organizer: Optional[str] = None) -> Table:
        """Visits, bookings, cancellations, expiries, conversion and rating (one row)."""
    def demographics(self, event: Optional[str] = None, organizer: Optional[str] = None) -> Table:
        """Ticket holders by gender x age group."""
    def ratings_by_group(
        self, event: Optional[str] = None, organizer: Optional[str] = None
    ) -> Table:
        """Mean rating by gender x age group."""
    def trends(
        self,
        event: Optional[str] = None,
        organizer: Optional[str] = None,
        from_: Optional[str] = None,
        to: Optional[str] = None,
        group_by: Optional[str] = None,
        time_zone: Optional[str] = None,
    ) -> Table:
        """Bookings, cancellations and revenue per day, week or month (local days of
        `time_zone`, an IANA name; default UTC)."""
    def top_events(
        self,
        organizer: Optional[str] = None,
        by: Optional[str] = None,
        min_ratings: Optional[int] = None,
    ) -> Table:
        """The top ten events by bookings, rating or revenue."""
    def funnel(self, event: Optional[str] = None, organizer: Optional[str] = None) -> Table:
        """Visits -> holds -> booked -> cancelled / expired, and checked_in (tickets with a
        seat checked in) (one row)."""
    def revenue(self, event: Optional[str] = None, organizer: Optional[str] = None) -> Table:
        """Revenue in minor units and seat utilisation (one row)."""
    def by_ticket_type(self, event: str) -> Table:
        """One event's tickets, seats, revenue, refunds and discounts per ticket type (a row per
        type and currency)."""
    def by_promo_code(self, event: str) -> Table:
        """The same per promo code: the tickets booked with each code."""
    def attendance(self, event: Optional[str] = None, organizer: Optional[str] = None) -> Table:
        """Seats booked, checked in and no-shows, and the rate (one row)."""
    def attendance_by_ticket_type(self, event: str) -> Table:
        """The same per ticket type of one event (every type)."""
    def attendance_by_group(
        self, event: Optional[str] = None, organizer: Optional[str] = None
    ) -> Table:
        """The same per gender x age group of the ticket holders."""
    def arrivals(self, event: str) -> Table:
        """Check-ins per quarter hour on the event's local clock: starts_at (local RFC 3339),
        time (HH:MM), checked_in."""
    def waitlist_totals(
        self, event: Optional[str] = None, organizer: Optional[str] = None
    ) -> Table:
        """The waiting list (one row): joined, left, waiting, waiting_seats, offers,
        offered_seats, accepted, declined, expired, withdrawn, open_offers, seats_recovered
        (seats of accepted offers), acceptance_rate."""
    def waitlist_length(self, event: str) -> Table:
        """One event's waiting list per hour on its local clock: starts_at (local RFC 3339),
        time (YYYY-MM-DD HH:MM), waiting, waiting_seats and open_offers at the hour's end,
        joined, offers, accepted, declined, expired in it."""
    def waiting_room(self, event: str) -> Table:
        """One event's waiting room per minute on its local clock: starts_at (local RFC 3339),
        time (YYYY-MM-DD HH:MM), joined and admitted in the minute, waiting (the queue at its
        end: joined so far less admitted so far)."""
    # raw tables
    def events(self) -> Table:
        """Every event with seat counters and rating."""
    def ticket_types(self) -> Table:
        """Every ticket type of every event: event, ticket_type, type_name, price_minor, quota,
        held, booked, hidden, closed, sales_open_at, sales_close_at."""
    def promo_codes(self) -> Table:
        """Every promo code: event, code, discount, discount_value, max_uses, used, valid_from,
        valid_until, once_per_user, active (never who used it)."""
    def tickets(self) -> Table:
        """Every ticket, with its ticket_type (null for several lines), promo_code and
        discount_minor."""
    def ticket_lines(self) -> Table:
        """Every ticket line: ticket, event, ticket_type, quantity, unit_price_minor,
        discount_minor, amount_minor, status."""
    def check_ins(self) -> Table:
        """Every seat checked in: event, ticket, seat, ticket_type, gate, scanned_at, offline
        (no names or e-mail addresses)."""
    def waitlist(self) -> Table:
        """Every waiting list entry ever made: event, entry, user (an id), ticket_type, seats,
        joined_at, state (waiting, offered, accepted, declined, expired, left, removed), offers,
        offered_seats, offer_deadline, ended_at, ticket (no names or e-mail addresses)."""
    def messages(self) -> Table:
        """Every organizer message: message (its id), event, sent_by, segment, ticket_type,
        sent_at, subject_chars, body_chars, recipients, unreached, and its deliveries sent,
        failed, pending, skipped over all channels (never the subject or body)."""
    def feedback(self) -> Table:
        """Every feedback entry with its reply."""
    def attendees(self) -> Table:
        """Every account as demographics only (id, role, gender, age group, guest, created_at):
        a guest (bought without an account) is undisclosed, age group unknown, guest True."""
    def log(self, from_seq: int = 0, limit: Optional[int] = None) -> Table:
        """The event log from a sequence number: seq, at, kind, data (JSON text). An organizer's
        message (`message_sent`) keeps subject_chars and body_chars, not its words. Entries
        carry ids, never names or e-mail addresses (guest_created, guest_access_requested,
        guest_registered, ticket_names_changed included)."""
    def verify_integrity(self) -> Dict[str, Any]:
        """Recomputes seat counters and indexes from the records: events, tickets, users
        checked and the problems found (an empty list when the store is sound)."""
    # writes (writable=True)
    def login(self, email: str, password: str) -> str:
        """Logs in; later writes act as this user. Returns the user id."""
    def register(
        self,
        name: str,
        email: str,
        password: str,
        gender: str = "undisclosed",
        age: int = 30,
        role: str = "attendee",
    ) -> str:
        """Registers an account; returns its id."""
    def create_event(
        self,
        title: str,
        location: str,
        starts_at: Timestamp,
        ends_at: Timestamp,
        capacity: int,
        price_minor: int = 0,
        currency: str = "EUR",
        per_user_limit: int = 1,
        description: str = "",
        attendee_names: str = "not_asked",
    ) -> str:
        """Creates an event as the logged-in organizer; returns its id. `attendee_names`:
        not_asked, optional or required (a name per seat)."""
    def add_ticket_type(self, event: str, ticket_type: Dict[str, Any]) -> int:
        """Adds a ticket type (the REST API's fields) as the logged-in organizer; returns its
        number."""
    def create_promo_code(self, event: str, code: Dict[str, Any]) -> None:
        """Creates a promo code (the REST API's fields) as the logged-in organizer."""
    def book(
        self,
        event: str,
        quantity: int = 1,
        idempotency_key: Optional[str] = None,
        lines: Optional[List[Dict[str, int]]] = None,
        promo_code: Optional[str] = None,
        attendee_names: Optional[List[str]] = None,
    ) -> Dict[str, Any]:
        """Books seats (or `lines`: [{"ticket_type", "quantity"}]) as the logged-in user, with
        one attendee name per seat ("" for none) where the event asks for them:
        {"id", "status", "amount_minor", "discount_minor"}."""
    def guest_book(
        self,
        event: str,
        name: str,
        email: str,
        quantity: int = 1,
        idempotency_key: Optional[str] = None,
        lines: Optional[List[Dict[str, int]]] = None,
        promo_code: Optional[str] = None,
        attendee_names: Optional[List[str]] = None,
    ) -> Dict[str, Any]:
        """Books as a guest with a name and an e-mail address, no login (the tickets go to
        the address's guest account, made if new): book's dict plus "user"."""
    def set_attendee_names(self, ticket: str, names: List[str]) -> None:
        """Changes the attendee names of one of the logged-in user's tickets (one per seat)
        until the event starts."""
    def confirm_payment(self, ticket: str) -> None:
        """Confirms a held ticket's payment as its event's logged-in organizer."""
    def cancel(self, ticket: str) -> None:
        """Cancels one of the logged-in user's tickets."""
    def give_feedback(self, event: str, rating: int, comment: Optional[str] = None) -> None:
        """Rates an event the logged-in user holds a ticket for."""
    def admission_codes(self, ticket: str) -> List[Dict[str, Any]]:
        """The codes of a booked ticket's seats, as its holder or the event's organizer:
        [{"seat", "of", "code"}]."""
    def check_in(
        self, event: str, code: str, gate: str, scan_id: Optional[str] = None
    ) -> Dict[str, Any]:
        """Checks a seat in at a gate as the logged-in organizer or door staff:
        {"ticket", "seat", "ticket_type"}; refusals raise (already admitted: Conflict)."""
    def configure_waitlist(self, event: str, settings: Dict[str, Any]) -> None:
        """Sets an event's waiting list as its organizer (the REST API's fields:
        enabled, paused, offer_window_minutes, offer_what_fits)."""
    def join_waitlist(self, event: str, seats: int = 1, ticket_type: Optional[int] = None) -> int:
        """Joins a sold-out event's waiting list; returns the entry's number."""
    def accept_offer(self, event: str, entry: int) -> str:
        """Accepts the offer on one of your waiting list entries; returns the ticket's id."""
    def run_analytics(self) -> int:
        """Folds new log entries into the report aggregates now; returns how many."""

def open(path: Union[str, "PathLike[str]"], writable: bool = False) -> Database:
    """Opens the store in a data folder; read-only unless writable=True."""
