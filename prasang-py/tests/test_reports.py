"""Every report from Python equals the REST answer on the same store."""

import prasang


def rows(table):
    return table.to_pylist()


def test_popularity_funnel_revenue_equal_rest(stopped):
    rest = stopped["rest"]
    with prasang.open(stopped["data_dir"]) as db:
        assert rows(db.popularity()) == [rest["popularity"]]
        assert rows(db.funnel()) == [rest["funnel"]]
        assert rows(db.revenue()) == [rest["revenue"]]
        assert rows(db.popularity(event=stopped["soon"])) == [rest["event_popularity"]]
        assert rows(db.revenue(organizer=stopped["olga"])) == [rest["organizer_revenue"]]


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
        assert table == rest["rows"], zone
        assert sum(r["bookings"] for r in table) == 10


def test_top_events_equal_rest(stopped):
    with prasang.open(stopped["data_dir"]) as db:
        assert rows(db.top_events()) == stopped["rest"]["top_events"]["events"]
