#!/usr/bin/env python3
"""Per-event popularity from Prasang's Kafka topic, on any machine that reaches the brokers.

Prasang's exporter (docs/kafka.md) writes every entry of its event log to one topic as a
CloudEvent. This consumer reads the topic from the beginning and keeps, per event, the tickets
booked, cancelled and expired (what the server's popularity report counts: tickets, whatever
their seats) and the seats booked now (the seats of its revenue report). It ends equal to
`GET /api/v1/events/{id}/analytics/popularity` once it has read what the server exported.

Duplicates: after a crash or a broker outage the exporter sends again what the broker had not
acknowledged, with the same sequence number (the CloudEvent's `id`, also the `prasang-seq`
header). Within a partition the numbers only grow, except for such repeats, so a record whose
number is at or below the highest already seen in its partition is dropped (docs/kafka.md).

State lives in memory and is rebuilt from the topic's start on each run, so no offsets are
committed and each run is its own consumer group.

    pip install confluent-kafka==2.16.2
    python examples/kafka_popularity.py --brokers kafka1:9092 --topic prasang.log
    python examples/kafka_popularity.py --brokers 127.0.0.1:9092 --until-idle 5 --json
"""

import argparse
import json
import os
import socket
import sys
import time
from dataclasses import asdict, dataclass

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException

TYPE_PREFIX = "prasang."


@dataclass
class EventCounts:
    """One event's line of the report."""
    bookings: int = 0
    cancellations: int = 0
    expiries: int = 0
    seats_booked: int = 0


class Popularity:
    """Per-event counts folded from the topic's CloudEvents, repeats dropped."""

    def __init__(self):
        self.events = {}  # event id -> EventCounts
        self.highest = {}  # partition -> highest sequence number folded from it
        self.entries = 0
        self.repeats = 0

    def add(self, partition, envelope):
        """Folds one CloudEvent (a dict) read from `partition`; returns False for a repeat."""
        seq = int(envelope["id"])
        if seq <= self.highest.get(partition, -1):
            self.repeats += 1
            return False
        self.highest[partition] = seq
        self.entries += 1
        kind = envelope["type"].removeprefix(TYPE_PREFIX)
        data = envelope["data"]
        if kind == "event_created":
            self.events.setdefault(data["event"], EventCounts())
        elif kind == "event_deleted":
            # Only an event that never issued a ticket can be deleted; it leaves the report.
            self.events.pop(data["event"], None)
        elif kind == "ticket_booked":
            counts = self.events.setdefault(data["event"], EventCounts())
            counts.bookings += 1
            counts.seats_booked += data["quantity"]
        elif kind == "ticket_cancelled":
            counts = self.events.setdefault(data["event"], EventCounts())
            counts.cancellations += 1
            # A pending hold that is cancelled had not taken its seats yet.
            if data["previous"] == "booked":
                counts.seats_booked -= data["quantity"]
        elif kind == "ticket_expired":
            self.events.setdefault(data["event"], EventCounts()).expiries += 1
        return True

    def report(self):
        """{"events": {event id: counts}, "total": counts, "entries": n, "repeats": n}."""
        total = EventCounts()
        for counts in self.events.values():
            for field, value in asdict(counts).items():
                setattr(total, field, getattr(total, field) + value)
        return {
            "events": {event: asdict(counts) for event, counts in sorted(self.events.items())},
            "total": asdict(total),
            "entries": self.entries,
            "repeats": self.repeats,
        }


def print_table(report, out=sys.stdout):
    rows = sorted(report["events"].items(), key=lambda row: -row[1]["bookings"])
    out.write(f"{'event':<28} {'booked':>7} {'cancelled':>9} {'expired':>7} {'seats':>7}\n")
    for event, counts in rows + [("total", report["total"])]:
        out.write(f"{event:<28} {counts['bookings']:>7} {counts['cancellations']:>9} "
                  f"{counts['expiries']:>7} {counts['seats_booked']:>7}\n")
    out.write(f"({report['entries']} log entries, {report['repeats']} repeats dropped)\n")
    out.flush()


def consume(brokers, topic, popularity, until_idle=None, every=10.0, on_update=None):
    """Reads `topic` from its start into `popularity`. With `until_idle` (seconds) it returns
    once every partition is read to its end and nothing new came for that long; otherwise it
    runs until interrupted, calling `on_update(popularity)` every `every` seconds when something
    changed."""
    consumer = Consumer({
        "bootstrap.servers": brokers,
        # Each run rebuilds its state from the start: a group of its own, nothing committed.
        "group.id": f"kafka-popularity-{socket.gethostname()}-{os.getpid()}-{time.time_ns()}",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "enable.partition.eof": True,
    })
    at_end = {}  # partition -> whether the last poll reached its end
    assigned = []

    def from_the_start(consumer, partitions):
        for partition in partitions:
            partition.offset = OFFSET_BEGINNING
            at_end[partition.partition] = False
        consumer.assign(partitions)
        assigned.append(True)

    consumer.subscribe([topic], on_assign=from_the_start)
    last_news = time.monotonic()
    last_update = time.monotonic()
    changed = False
    try:
        while True:
            message = consumer.poll(0.5)
            now = time.monotonic()
            if message is not None:
                error = message.error()
                if error is not None and error.code() == KafkaError._PARTITION_EOF:
                    at_end[message.partition()] = True
                elif error is not None:
                    raise KafkaException(error)
                else:
                    at_end[message.partition()] = False
                    changed |= popularity.add(message.partition(), json.loads(message.value()))
                    last_news = now
            if on_update and changed and now - last_update >= every:
                on_update(popularity)
                last_update, changed = now, False
            # Idle only counts once the group gave this consumer its partitions.
            if not assigned:
                last_news = now
            elif (until_idle is not None and all(at_end.values())
                    and now - last_news >= until_idle):
                return
    finally:
        consumer.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--brokers", required=True, help="host:port[,host:port...]")
    parser.add_argument("--topic", default="prasang.log")
    parser.add_argument("--until-idle", type=float, metavar="SECONDS",
                        help="stop once the topic is read to its end and quiet this long "
                             "(default: run until interrupted)")
    parser.add_argument("--every", type=float, default=10.0, metavar="SECONDS",
                        help="while running, print the table this often when it changed")
    parser.add_argument("--json", action="store_true", help="print the final report as JSON")
    args = parser.parse_args(argv)

    def show(popularity):
        print_table(popularity.report())

    popularity = Popularity()
    try:
        consume(args.brokers, args.topic, popularity, args.until_idle, args.every,
                on_update=None if args.json else show)
    except KeyboardInterrupt:
        pass  # the report so far follows
    except KafkaException as error:
        print(f"kafka_popularity: {error}", file=sys.stderr)
        return 1
    if args.json:
        json.dump(popularity.report(), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        show(popularity)
    return 0


if __name__ == "__main__":
    sys.exit(main())
