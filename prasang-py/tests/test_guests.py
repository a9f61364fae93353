"""Guest checkout from Python: a guest's e-mail address, their name and the attendee names of
their seats reach no table or report (every string cell scanned); the log's new entries carry
ids only; a guest is an attendee with guest True, gender undisclosed and age group unknown."""

import datetime as dt
import json
import tempfile

import pyarrow as pa
import pytest

import prasang
from test_tables import TABLES

PASSWORD = "{} has a long password"
GUEST_EMAIL = "gita.guestmail@guest.example"
GUEST_NAME = "Gita Guestname"
SEAT_NAMES = ["Seatholder Alpha", "Seatholder Beta"]
# Words that would give any of them away, wherever they showed.
SECRETS = ["guestmail", "guest.example", "Gita", "Guestname", "Seatholder"]

# Reports over one event (those that need it) or the whole store.
EVENT_REPORTS = ["by_ticket_type", "by_promo_code", "attendance_by_ticket_type", "arrivals",
                 "waitlist_length", "waiting_room"]
SCOPED_REPORTS = ["popularity", "demographics", "ratings_by_group", "trends", "funnel",
                  "revenue", "attendance", "attendance_by_group", "waitlist_totals"]


def strings(value):
    """Every string inside a cell value (lists and structs walked)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from strings(item)


def fill(folder):
    """A guest buys two named seats; registering with the guest's address is refused (and
    sends them a sign-in link); a registered buyer renames their seat. Returns the event, the
    guest's id and the buyer's ticket."""
    with prasang.open(folder, writable=True) as db:
        db.register("Olga", "olga@example.org", PASSWORD.format("Olga"), role="organizer")
        db.login("olga@example.org", PASSWORD.format("Olga"))
        start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)
        event = db.create_event("Named seats", "Hall", start, start + dt.timedelta(hours=2), 10,
                                per_user_limit=4, attendee_names="optional")
        booked = db.guest_book(event, GUEST_NAME, GUEST_EMAIL, quantity=2,
                               attendee_names=SEAT_NAMES)
        assert booked["status"] == "booked"
        with pytest.raises(prasang.Conflict):
            db.register(GUEST_NAME, GUEST_EMAIL, PASSWORD.format("Gita"))
        db.register("Ada", "ada@example.org", PASSWORD.format("Ada"))
        db.login("ada@example.org", PASSWORD.format("Ada"))
        ticket = db.book(event, attendee_names=["Seatholder Delta"])["id"]
        db.set_attendee_names(ticket, ["Seatholder Gamma"])
        db.run_analytics()
    return event, booked["user"], ticket


def test_a_guests_address_and_the_names_on_seats_are_in_no_table_or_report():
    folder = tempfile.mkdtemp()
    event, guest, ticket = fill(folder)
    with prasang.open(folder) as db:
        tables = {name: getattr(db, name)() for name in TABLES}
        tables.update({name: getattr(db, name)(event) for name in EVENT_REPORTS})
        tables.update({name: getattr(db, name)(event=event) for name in SCOPED_REPORTS})
        tables["top_events"] = db.top_events()
        for name, table in tables.items():
            rows = pa.table(table).to_pylist()
            assert rows or name in {"check_ins", "waitlist", "messages", "feedback",
                                    "by_promo_code", "arrivals", "waitlist_length", "waiting_room",
                                    "ratings_by_group", "promo_codes"}, name
            for row in rows:
                for text in strings(list(row.values())):
                    for secret in SECRETS:
                        assert secret not in text, (name, row)

        # The guest's tickets are there, by id.
        tickets = db.tickets().to_pylist()
        assert [t["quantity"] for t in tickets if t["user"] == guest] == [2]
        assert ticket in [t["id"] for t in tickets]


def test_a_guest_is_an_attendee_of_unknown_age_and_the_log_names_ids_only():
    folder = tempfile.mkdtemp()
    event, guest, ticket = fill(folder)
    with prasang.open(folder) as db:
        attendees = {row["id"]: row for row in db.attendees().to_pylist()}
        assert {key: attendees[guest][key] for key in ["role", "gender", "age_group", "guest"]} \
            == {"role": "attendee", "gender": "undisclosed", "age_group": "unknown",
                "guest": True}
        assert [row["id"] for row in attendees.values() if row["guest"]] == [guest]
        assert "unknown" in db.attendees().to_pandas()["age_group"].cat.categories

        holders = [(r["gender"], r["age_group"], r["holders"])
                   for r in db.demographics(event=event).to_pylist() if r["holders"]]
        assert ("undisclosed", "unknown", 1) in holders, holders

        logged = {}
        for row in db.log().to_pylist():
            logged.setdefault(row["kind"], []).append(json.loads(row["data"]))
        assert logged["guest_created"] == [{"user": guest}]
        assert logged["guest_access_requested"] == [{"user": guest, "event": event}]
        assert logged["ticket_names_changed"] == [{"ticket": ticket, "event": event}]
