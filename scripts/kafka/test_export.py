"""The topic of a server with demo data and bookings made over REST: exactly its log, as
CloudEvents without personal data; and the example consumer's per-event counts equal the
server's popularity report."""

import json
import re

import kafkakit
import pytest

# Kinds the demo and the bookings below must have put on the topic, so the checks cover them.
KINDS = {"user_registered", "guest_created", "event_created", "event_cancelled", "event_viewed",
         "ticket_ordered", "ticket_pending", "ticket_booked", "ticket_cancelled", "ticket_expired",
         "feedback_given", "waitlist_offered", "message_sent", "admitted"}

# The organizer's message: its words stay off the topic.
MESSAGE = ("Doors at seven", "Bring the ticket on your phone.")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A broker and a demo server exporting to it, plus bookings, cancellations and a message
    made over REST, once the whole log is on the topic."""
    folder = str(tmp_path_factory.mktemp("export"))
    broker = kafkakit.Broker(folder)
    server = None
    try:
        server = kafkakit.ExportingServer(folder, broker.address, "--demo")
        book_and_cancel(server)
        server.wait_until_exported()
        yield server, broker
    finally:
        if server is not None:
            server.stop()
        broker.stop()


def book_and_cancel(server):
    """People of every age band book on two new events; some cancel; the organizer writes to
    the holders (a message whose text must not reach the topic)."""
    _, organizer = server.register("org@kafka.example", role="organizer", age=44)
    events = [server.create_event(organizer, f"Kafka night {n}") for n in range(2)]
    for number, age in enumerate([15, 19, 28, 37, 50, 60, 71]):
        _, token = server.register(f"person{number}@kafka.example", age=age)
        for event in events:
            ticket = server.call("POST", f"/api/v1/events/{event}/tickets", token,
                                 {"quantity": 1 + number % 3})
            if number % 3 == 0:
                server.call("POST", f"/api/v1/tickets/{ticket['id']}/cancel", token)
    server.call("POST", f"/api/v1/events/{events[0]}/messages", organizer,
                {"subject": MESSAGE[0], "body": MESSAGE[1], "segment": {"kind": "all_holders"}})


def test_the_topic_holds_exactly_the_log_as_cloudevents(exported):
    server, _ = exported
    entries, records = server.log_and_topic()
    kinds = {next(iter(entry["event"])) for entry in entries}
    assert KINDS <= kinds, f"the log lacks {KINDS - kinds}: the checks would not cover them"
    unique = kafkakit.check_topic_holds_log(records, entries)
    # Without a failed batch the idempotent producer sends each entry once.
    if server.metric("prasang_kafka_export_failures_total") == 0:
        assert len(records) == len(unique), f"{len(records) - len(unique)} repeats, no failure"
    assert server.metric("prasang_kafka_exported_total") >= len(entries)
    partitions = {record.partition for record in records}
    assert partitions == {0, 1, 2}, f"records in partitions {partitions}, not the default 3"


def test_no_personal_data_reaches_the_topic(exported):
    server, _ = exported
    entries, records = server.log_and_topic()
    raw = b"\n".join(record.key + record.value + b"".join(value for _, value in record.headers)
                     for record in records).lower()
    people = {fields["user"] for entry in entries for kind, fields in entry["event"].items()
              if kind in ("user_registered", "guest_created")}
    accounts = [server.call("GET", f"/api/v1/users/{user}", server.admin()) for user in people]
    emails = {account["email"].lower() for account in accounts}
    assert "person3@kafka.example" in emails and len(emails) == len(people)
    on_topic = sorted(email for email in emails if email.encode() in raw)
    assert not on_topic, f"e-mail addresses on the topic: {on_topic}"
    names = {account["name"].lower() for account in accounts if len(account["name"]) >= 5}
    assert not sorted(name for name in names if name.encode() in raw), "names on the topic"
    assert not re.findall(rb"[\w.+-]+@[\w-]+\.[\w.-]+", raw), "something like an address"
    assert not [text for text in MESSAGE if text.lower().encode() in raw], "message text"
    registered = [envelope["data"] for envelope in map(json.loads, (r.value for r in records))
                  if envelope["type"] in ("prasang.user_registered", "prasang.guest_registered")]
    assert registered and all("age_group" in data and "age" not in data for data in registered)
    # The ages of the people registered above fall in these bands.
    assert {"under_18", "18_24", "25_34", "35_44", "45_54", "55_64", "65_plus"} <= {
        data["age_group"] for data in registered}


def test_the_example_consumer_ends_equal_to_the_popularity_report(exported):
    server, _ = exported
    counted = kafkakit.check_example_consumer(server)
    assert counted["total"]["bookings"] > 0 and counted["total"]["cancellations"] > 0
