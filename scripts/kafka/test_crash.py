"""SIGKILL the server while the exporter is behind under booking load, restart it on the same
data folder: every log entry reaches the topic, the only duplicates are repeats of sequence
numbers already sent, and the example consumer, dropping them, ends equal to the reports."""

import http.client
import random
import threading

import kafkakit

WORKERS = 4
PEOPLE = 24
# Bookings acknowledged before the kill: enough that the exporter has sent several batches.
BOOKINGS_BEFORE_KILL = 300


class BookingLoad:
    """Threads booking (and now and then cancelling) until the server stops answering; keeps
    the ids of the tickets whose booking was acknowledged."""

    def __init__(self, server, tokens, events):
        self.server, self.tokens, self.events = server, tokens, events
        self.lock = threading.Lock()
        self.booked = []  # ticket ids answered 201
        self.stopped = threading.Event()
        self.threads = [threading.Thread(target=self._work, args=(seed,), daemon=True)
                        for seed in range(WORKERS)]
        for thread in self.threads:
            thread.start()

    def _work(self, seed):
        rng = random.Random(seed)
        while not self.stopped.is_set():
            token = rng.choice(self.tokens)
            try:
                status, ticket = self.server.request(
                    "POST", f"/api/v1/events/{rng.choice(self.events)}/tickets", token,
                    {"quantity": rng.randint(1, 3)})
                if status == 201 and rng.random() < 0.2:
                    self.server.request("POST", f"/api/v1/tickets/{ticket['id']}/cancel", token)
            except (OSError, http.client.HTTPException):
                return  # the server is gone
            if status == 201:
                with self.lock:
                    self.booked.append(ticket["id"])

    def count(self):
        with self.lock:
            return len(self.booked)

    def stop(self):
        self.stopped.set()
        for thread in self.threads:
            thread.join(timeout=60)


def test_sigkill_mid_export_under_load_loses_nothing(tmp_path, started):
    folder = str(tmp_path)
    broker = started(kafkakit.Broker(folder))
    server = started(kafkakit.ExportingServer(folder, broker.address))
    _, organizer = server.register("org@kafka.example", role="organizer")
    events = [server.create_event(organizer, f"Flash sale {n}", capacity=100_000,
                                  per_user_limit=100) for n in range(4)]
    tokens = [server.register(f"buyer{n}@kafka.example")[1] for n in range(PEOPLE)]
    server.wait_until_exported()

    load = BookingLoad(server, tokens, events)
    try:
        kafkakit.wait_for("bookings under load", lambda: load.count() >= BOOKINGS_BEFORE_KILL,
                          timeout=60, every=0.05)
        # Kill while the broker has not acknowledged everything the log holds.
        kafkakit.wait_for("the exporter behind under load",
                          lambda: server.kafka_health()["behind"] > 0, timeout=30, every=0)
        server.kill()
    finally:
        load.stop()
    acknowledged = set(load.booked)

    restarted = started(kafkakit.ExportingServer(folder, broker.address))
    entries, records = restarted.log_and_topic()
    booked_in_log = {fields["ticket"] for entry in entries
                     for kind, fields in entry["event"].items() if kind == "ticket_booked"}
    assert acknowledged <= booked_in_log, f"{len(acknowledged - booked_in_log)} bookings lost"
    unique = kafkakit.check_topic_holds_log(records, entries)
    # The example consumer drops the repeats the way docs/kafka.md says.
    counted = kafkakit.check_example_consumer(restarted)
    assert counted["repeats"] == len(records) - len(unique), counted["repeats"]
    print(f"{len(acknowledged)} bookings acknowledged before the kill, {len(entries)} log "
          f"entries, {len(records) - len(unique)} repeats on the topic")
