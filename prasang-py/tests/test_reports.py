"""Every report from Python equals the REST answer on the same store."""

import datetime as dt
import tempfile

import prasang


def rows(table):
    return table.to_pylist()


def per_currency(row, **columns):
    """A REST row carrying `by_currency` in the long form of the tables (and CSV): one row per
    currency, or one with no currency when there is none."""
    base = {k: v for k, v in row.items() if k != "by_currency"}
    if not row["by_currency"]:
        return [{**base, "currency": None, "revenue_minor": 0}]
    return [{**base, **{k: c[k] for k in columns or c}} for c in row["by_currency"]]


def test_popularity_funnel_revenue_equal_rest(stopped):
    rest = stopped["rest"]
    with prasang.open(stopped["data_dir"]) as db:
        assert rows(db.popularity()) == [rest["popularity"]]
        assert rows(db.funnel()) == [rest["funnel"]]
        revenue = {"currency": True, "revenue_minor": True}
        assert rows(db.revenue()) == per_currency(rest["revenue"], **revenue)
        assert rows(db.popularity(event=stopped["soon"])) == [rest["event_popularity"]]
        assert rows(db.revenue(organizer=stopped["olga"])) == per_currency(
            rest["organizer_revenue"], **revenue)


def test_demographics_and_ratings_by_group_equal_rest(stopped):
    rest = stopped["rest"]
    with prasang.open(stopped["data_dir"]) as db:
        assert rows(db.demographics()) == rest["demographics"]["groups"]
        assert rows(db.ratings_by_group()) == rest["ratings_by_group"]["groups"]


def test_trends_equal_rest(stopped):
    start, end = stopped["window"]
    for zone, key in [(None, "trends"), ("Asia/Kolkata", "trends_kolkata")]:
        rest = stopped["rest"][key]
        with prasang.open(stopped["data_dir"]) as db:
            table = rows(db.trends(from_=start, to=end, group_by="day", time_zone=zone))
        for row in table:
            row["starts_on"] = row["starts_on"].isoformat()
        assert table == [r for row in rest["rows"] for r in per_currency(row)], zone
        assert sum(r["bookings"] for r in table) == 10


def test_top_events_equal_rest(stopped):
    with prasang.open(stopped["data_dir"]) as db:
        assert rows(db.top_events()) == stopped["rest"]["top_events"]["events"]


def test_revenue_and_trends_have_a_row_per_currency():
    folder = tempfile.mkdtemp()
    with prasang.open(folder, writable=True) as db:
        db.register("Olga", "olga@example.org", "olga has a long password", role="organizer")
        organizer = db.login("olga@example.org", "olga has a long password")
        start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
        events = [db.create_event(f"In {code}", "Hall", start, start + dt.timedelta(hours=1), 5,
                                  currency=code) for code in ("INR", "EUR")]
        db.register("Ada", "ada@example.org", "ada has a long password")
        db.login("ada@example.org", "ada has a long password")
        for event in events:
            db.book(event)
        db.login("olga@example.org", "olga has a long password")
        db.run_analytics()
        revenue = rows(db.revenue(organizer=organizer))
        assert [(r["currency"], r["revenue_minor"]) for r in revenue] == [("EUR", 0), ("INR", 0)]
        assert {r["seats_booked"] for r in revenue} == {2}
        trends = rows(db.trends(organizer=organizer))
        assert {r["currency"] for r in trends} == {"EUR", "INR"}, "a row per day and currency"
        booked = [(r["currency"], r["bookings"]) for r in trends if r["bookings"]]
        assert booked == [("EUR", 1), ("INR", 1)]


def test_attendance_reports_equal_rest(stopped):
    rest = stopped["rest"]
    soon = stopped["soon"]
    with prasang.open(stopped["data_dir"]) as db:
        assert rows(db.attendance()) == [rest["attendance"]]
        assert rows(db.attendance_by_group()) == rest["attendance_by_group"]["groups"]
        assert rows(db.attendance_by_ticket_type(soon)) == (
            rest["event_attendance_by_ticket_type"]["types"])
        assert rows(db.arrivals(soon)) == rest["event_arrivals"]["rows"]
    # Five people booked one seat of the first event and two of the second; one ticket of two
    # was cancelled: 13 seats, each in its holder's group.
    assert rest["attendance"]["booked_seats"] == 13
    assert rest["attendance"]["checked_in"] == 3
    assert sum(row["checked_in"] for row in rest["event_arrivals"]["rows"]) == 3
    assert sum(g["booked_seats"] for g in rest["attendance_by_group"]["groups"]) == 13


def test_waitlist_totals_equal_rest(stopped):
    # Nobody waited in this store (test_waitlist.py has a list): the plumbing, zeros included.
    with prasang.open(stopped["data_dir"]) as db:
        assert rows(db.waitlist_totals()) == [stopped["rest"]["waitlist_totals"]]
        assert db.waitlist().to_pylist() == []
