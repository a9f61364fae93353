"""The waiting list from Python: the waitlist() table (ids only, no names), the reports, and
the messages() table's columns (never a subject or body)."""

import datetime as dt
import tempfile

import pytest

import prasang

PASSWORD = "{} has a long password"


def login(db, name):
    db.login(f"{name.lower()}@example.org", PASSWORD.format(name))


def register(db, name, role="attendee"):
    return db.register(name, f"{name.lower()}@example.org", PASSWORD.format(name), role=role)


def test_waitlist_table_and_reports():
    folder = tempfile.mkdtemp()
    with prasang.open(folder, writable=True) as db:
        register(db, "Olga", role="organizer")
        people = {name: register(db, name) for name in ["Ada", "Bo", "Cy"]}
        login(db, "Olga")
        start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
        event = db.create_event("Sold out", "Hall", start, start + dt.timedelta(hours=2), 1)
        db.configure_waitlist(event, {"enabled": True, "offer_window_minutes": 60})
        login(db, "Ada")
        ada_ticket = db.book(event)["id"]
        login(db, "Bo")
        bo_entry = db.join_waitlist(event)
        login(db, "Cy")
        cy_entry = db.join_waitlist(event)
        with pytest.raises(prasang.Conflict):
            db.join_waitlist(event)
        # Ada's cancellation offers her seat to Bo, who takes it; Cy still waits.
        login(db, "Ada")
        db.cancel(ada_ticket)
        login(db, "Bo")
        bo_ticket = db.accept_offer(event, bo_entry)
        db.run_analytics()

    with prasang.open(folder) as db:
        table = db.waitlist()
        assert table.column_names == ["event", "entry", "user", "ticket_type", "seats",
                                      "joined_at", "state", "offers", "offered_seats",
                                      "offer_deadline", "ended_at", "ticket"]
        rows = table.to_pylist()
        assert [(r["event"], r["entry"], r["user"], r["state"], r["seats"], r["offers"],
                 r["ticket"]) for r in rows] == [
            (event, bo_entry, people["Bo"], "accepted", 1, 1, bo_ticket),
            (event, cy_entry, people["Cy"], "waiting", 1, 0, None),
        ]
        now = dt.datetime.now(dt.timezone.utc)
        assert rows[0]["offer_deadline"] - rows[0]["joined_at"] <= dt.timedelta(minutes=61)
        assert abs(rows[0]["ended_at"] - now) < dt.timedelta(minutes=5)
        assert rows[1]["ended_at"] is None
        # No identity beyond ids: no column holds a name or an e-mail address.
        text = str(rows)
        assert "Bo" not in text.replace(people["Bo"], "")
        assert "example.org" not in text

        totals = db.waitlist_totals(event=event).to_pylist()
        assert totals == [{"joined": 2, "left": 0, "waiting": 1, "waiting_seats": 1,
                           "offers": 1, "offered_seats": 1, "accepted": 1, "declined": 0,
                           "expired": 0, "withdrawn": 0, "open_offers": 0,
                           "seats_recovered": 1, "acceptance_rate": 1.0}]
        assert db.waitlist_totals().to_pylist() == totals
        hours = db.waitlist_length(event).to_pylist()
        assert sum(h["joined"] for h in hours) == 2
        assert (hours[-1]["waiting"], hours[-1]["open_offers"]) == (1, 0)
        assert hours[0]["time"] == hours[0]["starts_at"][:16].replace("T", " ")

        messages = db.messages()
        assert messages.column_names == ["message", "event", "sent_by", "segment",
                                         "ticket_type", "sent_at", "subject_chars",
                                         "body_chars", "recipients", "unreached", "sent",
                                         "failed", "pending", "skipped"]
        assert messages.to_pylist() == []
