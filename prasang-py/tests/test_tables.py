"""Raw tables: round trips into pyarrow, pandas and polars with the right types, and no
identity anywhere."""

import datetime as dt

import pandas as pd
import polars as pl
import pyarrow as pa

import prasang

TABLES = ["events", "ticket_types", "promo_codes", "tickets", "ticket_lines", "check_ins",
          "waitlist", "messages", "feedback", "attendees", "log"]


def test_tickets_round_trip_with_the_right_types(stopped):
    with prasang.open(stopped["data_dir"]) as db:
        table = db.tickets()
        arrow = pa.table(table)
        assert arrow.num_rows == 10
        assert arrow.schema.field("created_at").type == pa.timestamp("ms", tz="UTC")
        assert arrow.schema.field("amount_minor").type == pa.int64()
        assert pa.types.is_dictionary(arrow.schema.field("status").type)
        assert sorted(arrow.column("status").to_pylist()) == ["booked"] * 9 + ["cancelled"]

        frame = table.to_pandas()
        assert isinstance(frame["status"].dtype, pd.CategoricalDtype)
        assert list(frame["status"].cat.categories) == [
            "pending", "booked", "cancelled", "expired"]
        assert str(frame["created_at"].dt.tz) == "UTC"
        assert frame["amount_minor"].dtype == "int64"

        polars = pl.DataFrame(table)
        assert polars.schema["status"] == pl.Categorical
        assert polars.schema["created_at"] == pl.Datetime("ms", "UTC")
        assert polars.group_by("event").agg(pl.col("quantity").sum()).height == 2


def test_attendees_are_demographics_with_categories(stopped):
    with prasang.open(stopped["data_dir"]) as db:
        frame = db.attendees().to_pandas()
    assert list(frame.columns) == ["id", "role", "gender", "age_group", "guest", "created_at"]
    assert not frame["guest"].any()
    for column in ["role", "gender", "age_group"]:
        assert isinstance(frame[column].dtype, pd.CategoricalDtype)
    attendees = frame[frame["role"] == "attendee"]
    assert sorted(attendees["age_group"].astype(str)) == [
        "18_24", "35_44", "45_54", "65_plus", "under_18"]


def test_no_table_holds_an_email_name_or_password_hash(stopped):
    with prasang.open(stopped["data_dir"]) as db:
        for name in TABLES:
            arrow = pa.table(getattr(db, name)())
            for column in arrow.column_names:
                assert column not in {"email", "name", "password", "password_hash"}
            text = str(arrow.to_pylist())
            assert "@example.org" not in text, name
            assert "$argon2" not in text, name
            assert "Olga" not in text and "Ada" not in text, name


def test_feedback_has_replies_and_events_have_counters(stopped):
    with prasang.open(stopped["data_dir"]) as db:
        feedback = db.feedback().to_pylist()
        events = {e["id"]: e for e in db.events().to_pylist()}
        log = db.log(from_seq=0).to_pandas()
    assert sorted(f["rating"] for f in feedback) == [3, 4, 4, 5]
    assert [f["reply"] for f in feedback if f["reply"]] == ["Thanks!"]
    assert events[stopped["later"]]["booked"] == 8
    assert events[stopped["soon"]]["rating_count"] == 4
    assert isinstance(events[stopped["soon"]]["starts_at"], dt.datetime)
    assert "ticket_booked" in set(log["kind"])
    tail = db_log_tail(stopped["data_dir"], int(log["seq"].iloc[-3]))
    assert list(tail["seq"]) == list(log["seq"].iloc[-3:])


def db_log_tail(path, from_seq):
    with prasang.open(path) as db:
        return db.log(from_seq=from_seq).to_pandas()


def test_tables_need_no_pyarrow_to_exist(stopped):
    with prasang.open(stopped["data_dir"]) as db:
        table = db.tickets()
    assert len(table) == 10
    assert table.column_names[0] == "id"
    assert "arrow_array_stream" in repr(table.__arrow_c_stream__())


def test_check_ins_are_the_seats_let_in(stopped):
    with prasang.open(stopped["data_dir"]) as db:
        arrow = pa.table(db.check_ins())
        tickets = {t["id"]: t for t in db.tickets().to_pylist()}
    assert arrow.schema.field("scanned_at").type == pa.timestamp("ms", tz="UTC")
    rows = arrow.to_pylist()
    assert [(r["event"], r["seat"], r["gate"], r["offline"]) for r in rows] == [
        (stopped["soon"], 1, "North", False)] * 3
    assert all(tickets[r["ticket"]]["event"] == stopped["soon"] for r in rows)


def test_messages_keep_their_numbers_not_their_text(stopped):
    with prasang.open(stopped["data_dir"]) as db:
        arrow = pa.table(db.messages())
    assert arrow.schema.field("sent_at").type == pa.timestamp("ms", tz="UTC")
    assert pa.types.is_dictionary(arrow.schema.field("segment").type)
    [row] = arrow.to_pylist()
    assert (row["event"], row["segment"], row["ticket_type"]) == (
        stopped["soon"], "all_holders", None)
    assert (row["subject_chars"], row["body_chars"]) == (len("Doors at 18:30"),
                                                         len("See you in Hall A."))
    # Five people hold tickets; the dispatcher may not have reached the message yet.
    assert row["recipients"] in (None, 5)
    text = str(row)
    assert "Doors" not in text and "Hall A" not in text
    # Nor does the raw log: its message entry has the lengths instead of the words.
    with prasang.open(stopped["data_dir"]) as db:
        log = pa.table(db.log()).to_pylist()
    [sent] = [entry for entry in log if entry["kind"] == "message_sent"]
    assert '"subject_chars":14' in sent["data"] and '"body_chars":18' in sent["data"]
    assert "Doors" not in str(log) and "Hall A" not in str(log)
