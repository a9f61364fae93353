"""Core errors arrive as the right exception classes."""

import datetime as dt
import tempfile

import pytest

import prasang


def test_read_only_stores_refuse_writes(stopped):
    with prasang.open(stopped["data_dir"]) as db:
        with pytest.raises(prasang.ReadOnly):
            db.login("ada@example.org", "Ada has a long password")
        with pytest.raises(prasang.InvalidInput) as bad:
            db.popularity(event="not-an-id")
        assert bad.value.field == "event"
        with pytest.raises(prasang.InvalidInput) as bad:
            db.trends(group_by="fortnight")
        assert bad.value.field == "group_by"
        with pytest.raises(prasang.NotFound):
            db.popularity(event="01ARZ3NDEKTSV4RRFFQ69G5FAV")


def test_missing_store_is_not_found():
    with pytest.raises(prasang.NotFound):
        prasang.open(tempfile.mkdtemp() + "/nothing-here")


def test_writes_map_core_refusals():
    folder = tempfile.mkdtemp()
    with prasang.open(folder, writable=True) as db:
        with pytest.raises(prasang.Unauthorized):
            db.book("01ARZ3NDEKTSV4RRFFQ69G5FAV")
        db.register("Olga", "olga@example.org", "olga has a long password", role="organizer")
        with pytest.raises(prasang.Unauthorized):
            db.login("olga@example.org", "wrong password!")
        db.login("olga@example.org", "olga has a long password")
        start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
        event = db.create_event("Tiny", "Room", start, start + dt.timedelta(hours=1), 1)
        with pytest.raises(prasang.InvalidInput) as bad:
            db.create_event("", "Room", start, start + dt.timedelta(hours=1), 1)
        assert bad.value.field == "title"
        with pytest.raises(prasang.InvalidInput) as naive:
            db.create_event("Tiny", "Room", dt.datetime(2030, 1, 1), "2030-01-01T02:00:00Z", 1)
        assert naive.value.field == "starts_at"
        db.register("Ada", "ada@example.org", "ada has a long password")
        with pytest.raises(prasang.Conflict):
            db.register("Ada", "ada@example.org", "ada has a long password")
        db.register("Bo", "bo@example.org", "bo has a long password")
        db.login("ada@example.org", "ada has a long password")
        ticket = db.book(event)
        assert ticket["status"] == "booked"
        with pytest.raises(prasang.Forbidden):
            db.popularity()
        db.login("bo@example.org", "bo has a long password")
        with pytest.raises(prasang.Conflict) as sold_out:
            db.book(event)
        assert sold_out.value.code == "sold-out"
        with pytest.raises(prasang.NotFound):
            db.cancel(ticket["id"])
    with pytest.raises(prasang.Error):
        db.popularity()
