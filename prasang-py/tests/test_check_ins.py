"""Check-ins from Python: the check_ins() table (no names) and the attendance reports."""

import datetime as dt
import tempfile

import pytest

import prasang


def test_check_ins_table_and_attendance():
    folder = tempfile.mkdtemp()
    with prasang.open(folder, writable=True) as db:
        db.register("Olga", "olga@example.org", "olga has a long password", role="organizer")
        db.login("olga@example.org", "olga has a long password")
        start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
        event = db.create_event("Gig", "Hall", start, start + dt.timedelta(hours=2), 10,
                                per_user_limit=3)
        child = db.add_ticket_type(event, {"name": "Child"})
        db.register("Ada", "ada@example.org", "ada has a long password", gender="female",
                    age=22)
        db.login("ada@example.org", "ada has a long password")
        ticket = db.book(event, lines=[{"ticket_type": 1, "quantity": 2},
                                       {"ticket_type": child, "quantity": 1}])["id"]
        codes = db.admission_codes(ticket)
        assert [c["seat"] for c in codes] == [1, 2, 3]
        db.login("olga@example.org", "olga has a long password")
        assert db.check_in(event, codes[0]["code"], "North", scan_id="s1")["seat"] == 1
        assert db.check_in(event, codes[2]["code"], "South")["ticket_type"] == child
        with pytest.raises(prasang.Conflict):
            db.check_in(event, codes[0]["code"], "South")
        db.run_analytics()

    # Whole tables are for admins: read the stopped store as the system actor.
    with prasang.open(folder) as db:
        table = db.check_ins()
        assert table.column_names == ["event", "ticket", "seat", "ticket_type", "gate",
                                      "scanned_at", "offline"]
        rows = table.to_pylist()
        assert [(r["event"], r["ticket"], r["seat"], r["ticket_type"], r["gate"], r["offline"])
                for r in rows] == [(event, ticket, 1, 1, "North", False),
                                   (event, ticket, 3, child, "South", False)]
        assert all(abs(r["scanned_at"] - dt.datetime.now(dt.timezone.utc))
                   < dt.timedelta(minutes=5) for r in rows)

        assert db.attendance(event=event).to_pylist() == [
            {"booked_seats": 3, "checked_in": 2, "no_shows": 1, "rate": 0.667}]
        by_type = db.attendance_by_ticket_type(event).to_pylist()
        assert [(t["ticket_type"], t["booked_seats"], t["checked_in"]) for t in by_type] == [
            (1, 2, 1), (child, 1, 1)]
        groups = [g for g in db.attendance_by_group(event=event).to_pylist()
                  if g["booked_seats"]]
        assert groups == [{"gender": "female", "age_group": "18_24", "booked_seats": 3,
                           "checked_in": 2, "no_shows": 1, "rate": 0.667}]
        assert sum(a["checked_in"] for a in db.arrivals(event).to_pylist()) == 2
        assert db.funnel(event=event).to_pylist()[0]["checked_in"] == 1
