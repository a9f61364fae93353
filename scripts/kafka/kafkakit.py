"""What the Kafka suite shares: a tansu broker on a free port (in-memory storage), the release
server exporting to it, a reader of the whole topic through a confluent-kafka consumer group, and
the check that the topic holds exactly the server's log (docs/kafka.md).

The broker binary is $PRASANG_TANSU_BIN (bash scripts/tansu.sh installs it and prints its path),
the server $PRASANG_SERVER_BIN; scripts/suite-kafka.sh sets both."""

import datetime as dt
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass

import confluent_kafka
import confluent_kafka.admin
import prasang_testkit as testkit

TOPIC = "prasang.log"
SEQUENCE_HEADER = "prasang-seq"
CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"
EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "kafka_popularity.py")
# The test admin of servers started without --demo (the demo brings its own).
ADMIN = ("admin@kafka.example", "admin has a long password")
DEMO_ADMIN = ("admin@demo.prasang.org", "demo-admin-password")


def free_port():
    """A TCP port nobody listens on now (the system's pick)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(what, check, timeout, every=0.2):
    """Calls `check` until it returns something true and returns that; after `timeout` seconds
    fails, saying `what` (a text, or a function giving one, e.g. the last state seen)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            reason = what() if callable(what) else what
            raise AssertionError(f"not within {timeout} s: {reason}")
        time.sleep(every)


class Broker:
    """A tansu broker on 127.0.0.1:`port` (a free one by default) keeping its topics in memory:
    stopping it loses them. Its output goes to `folder`/tansu-PORT.log.

    It is ready when a broker on the port answers with this broker's own cluster id: another
    process may take the port first (tansu then exits, after a moment), and its broker must not
    pass for this one."""

    def __init__(self, folder, port=None):
        binary = os.environ.get("PRASANG_TANSU_BIN")
        if not binary:
            raise RuntimeError("PRASANG_TANSU_BIN is not set (scripts/tansu.sh installs tansu)")
        self.port = port or free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.log_path = os.path.join(folder, f"tansu-{self.port}.log")
        self.cluster_id = f"prasang-suite-{uuid.uuid4()}"
        url = f"tcp://{self.address}"
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [binary, "broker", "--cluster-id", self.cluster_id, "--listener-url", url,
                 "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
                stdout=log, stderr=subprocess.STDOUT,
            )
        try:
            wait_for(lambda: f"tansu answering on {self.address}:\n{self.log_text()}",
                     self._answers, timeout=30)
        except BaseException:
            self.stop()
            raise

    def _answers(self):
        if self.process.poll() is not None:
            raise RuntimeError(f"tansu exited ({self.process.returncode}):\n{self.log_text()}")
        try:
            # A plain connection first: the Kafka client would log every refused attempt.
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        admin = confluent_kafka.admin.AdminClient({"bootstrap.servers": self.address})
        try:
            cluster = admin.list_topics(timeout=2).cluster_id
        except confluent_kafka.KafkaException:
            return False
        if cluster != self.cluster_id:
            raise RuntimeError(f"{self.address} is taken by another broker (cluster {cluster})")
        return True

    def log_text(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as log:
            return log.read()[-4000:]

    def stop(self):
        # Killed: its topics are in memory anyway, and on SIGTERM it waits some seconds for
        # connected clients.
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class ExportingServer(testkit.Server):
    """The release server on `folder`/store exporting its log to `brokers` (one topic,
    [`TOPIC`]), with fast password hashing and no login limit (the tests register many
    people). `admin` logs in as the test admin (or the demo's, with --demo)."""

    def __init__(self, folder, brokers, *flags):
        self.admin_account = DEMO_ADMIN if "--demo" in flags else ADMIN
        admin_flags = () if "--demo" in flags else (
            "--admin-email", ADMIN[0], "--admin-password", ADMIN[1])
        super().__init__(
            os.path.join(folder, "store"),
            "--kafka-brokers", brokers, "--kafka-topic", TOPIC,
            "--insecure-fast-password-hashing",
            "--auth-rate-per-minute", "1000000", "--auth-burst", "100000",
            *admin_flags, *flags,
            log_path=os.path.join(folder, "server.log"),
        )
        self.folder = folder
        self.brokers = brokers
        self._admin_token = None

    def admin(self):
        """An admin's access token (logged in once)."""
        if self._admin_token is None:
            self._admin_token = self.login(*self.admin_account)
        return self._admin_token

    def register(self, email, role="attendee", age=30, gender="undisclosed"):
        """Registers `email` and returns (user id, access token)."""
        password = "kafka suite password"
        user = self.call("POST", "/api/v1/auth/register", body={
            "name": f"Person {email.split('@')[0]}", "email": email, "password": password,
            "gender": gender, "age": age, "role": role})
        return user["id"], self.login(email, password)

    def create_event(self, organizer_token, title, capacity=1000, per_user_limit=50, days=30):
        starts = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=days)
        body = {"title": title, "location": "Hall K", "starts_at": rfc3339(starts),
                "ends_at": rfc3339(starts + dt.timedelta(hours=2)), "capacity": capacity,
                "price_minor": 0, "per_user_limit": per_user_limit}
        return self.call("POST", "/api/v1/events", organizer_token, body)["id"]

    def kafka_health(self):
        """The exporter's detail of GET /healthz."""
        return self.call("GET", "/healthz")["kafka"]

    def metrics(self):
        """GET /metrics as {"name{labels}": value}."""
        with urllib.request.urlopen(self.url + "/metrics", timeout=30) as reply:
            text = reply.read().decode()
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        return values

    def metric(self, name):
        """The one sample of `name` (labels ignored)."""
        found = [value for key, value in self.metrics().items()
                 if key == name or key.startswith(name + "{")]
        assert len(found) == 1, f"{name}: {found}"
        return found[0]

    def wait_until_exported(self, timeout=90):
        """Waits until the broker acknowledged the whole log (healthz says behind 0)."""
        seen = {}

        def caught_up():
            seen.update(self.kafka_health())
            return seen["behind"] == 0

        def why():
            return (f"the exporter is still behind: {seen}\n"
                    f"server log tail:\n{self.log_text()[-3000:]}")

        wait_for(why, caught_up, timeout)

    def wait_for_analytics(self, timeout=60):
        """Waits until the analytics consumer folded the whole log."""
        wait_for("the analytics consumer catches up",
                 lambda: self.metric("prasang_analytics_lag_entries") == 0, timeout)

    def log_entries(self):
        """The whole domain event log, through the admin endpoint, page by page."""
        entries, start = [], 0
        while True:
            page = self.call("GET", f"/api/v1/admin/log?from={start}&limit=1000", self.admin())
            if not page["entries"]:
                return entries
            entries.extend(page["entries"])
            start = page["next"]

    def log_end(self):
        """One past the newest log sequence number."""
        return self.call("GET", "/api/v1/admin/log?limit=1", self.admin())["end"]

    def log_and_topic(self, attempts=3):
        """(the whole log, the whole topic) once the exporter caught up, read while nothing was
        appended to the log (a background job may append; then it reads again)."""
        for _ in range(attempts):
            end = self.log_end()
            self.wait_until_exported()
            records = read_topic(self.brokers)
            entries = self.log_entries()
            if self.log_end() == end:
                return entries, records
        raise AssertionError(f"the log kept growing over {attempts} reads of the topic")

    def kill(self):
        """SIGKILL: no shutdown, whatever the exporter had in flight stays unacknowledged."""
        self.process.kill()
        self.process.wait()
        self.log.close()


def rfc3339(at):
    return at.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Record:
    """One record of the topic, as a consumer got it."""
    partition: int
    offset: int
    key: bytes
    value: bytes
    headers: tuple  # ((name, value bytes), ...) as sent

    def header(self, name):
        values = [value for key, value in self.headers if key == name]
        assert len(values) == 1, f"header {name} at {self.partition}/{self.offset}: {self.headers}"
        return values[0]

    @property
    def seq(self):
        return int(self.header(SEQUENCE_HEADER).decode("ascii"))


def read_topic(brokers, topic=TOPIC, timeout=60):
    """Every record of `topic`, in offset order per partition, read through a new consumer group
    from the earliest offset until every partition reports its end.

    The end is the consumer's end-of-partition event, from the fetch answers: tansu 0.6 answers
    ListOffsets (latest) with less than the end (the last batch is left out), so
    `get_watermark_offsets` is not used."""
    consumer = confluent_kafka.Consumer({
        "bootstrap.servers": brokers,
        "group.id": f"prasang-kafka-suite-{uuid.uuid4()}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
    })
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        assert partitions, f"topic {topic} has no partitions"
        at_end = dict.fromkeys(partitions, False)
        records = []
        consumer.subscribe([topic])
        deadline = time.monotonic() + timeout
        while not all(at_end.values()):
            assert time.monotonic() < deadline, (
                f"read {len(records)} records in {timeout} s; partitions at their end: {at_end}")
            message = consumer.poll(0.5)
            if message is None:
                continue
            error = message.error()
            if error is not None and error.code() == confluent_kafka.KafkaError._PARTITION_EOF:
                at_end[message.partition()] = True
                continue
            if error is not None:
                raise confluent_kafka.KafkaException(error)
            at_end[message.partition()] = False
            records.append(Record(message.partition(), message.offset(), message.key() or b"",
                                  message.value(), tuple(message.headers() or ())))
        records.sort(key=lambda record: (record.partition, record.offset))
        return records
    finally:
        consumer.close()


def age_group(age):
    """The privacy rule's age bands (the analysts' tables use the same)."""
    bands = [(12, "unknown"), (17, "under_18"), (24, "18_24"), (34, "25_34"), (44, "35_44"),
             (54, "45_54"), (64, "55_64")]
    return next((band for top, band in bands if age <= top), "65_plus")


def expected_data(kind, fields):
    """What the topic may say of a log entry's fields: the age as a band, no message text."""
    data = dict(fields)
    if kind in ("user_registered", "guest_registered"):
        data["age_group"] = age_group(data.pop("age"))
    if kind == "message_sent":
        data.pop("subject")
        data.pop("body")
    return data


# Keys the privacy rule keeps off the topic, at any depth of `data`.
PERSONAL_KEY = re.compile(r"^(email|name|password.*|age|subject|body)$")


def personal_keys(value, path="data"):
    """Paths of keys in `value` that name personal data."""
    found = []
    if isinstance(value, dict):
        for key, inner in value.items():
            if PERSONAL_KEY.match(key):
                found.append(f"{path}.{key}")
            found.extend(personal_keys(inner, f"{path}.{key}"))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found.extend(personal_keys(inner, f"{path}[{index}]"))
    return found


def unique_records(records):
    """The first record of each sequence number, in (partition, offset) order, after checking
    that every repeat is the same record again: same key, partition and CloudEvent (as JSON:
    a server upgraded between a crash and its restart may lay the same event out otherwise)."""
    first = {}
    for record in records:
        earlier = first.setdefault(record.seq, record)
        if earlier is not record:
            assert (earlier.key, json.loads(earlier.value), earlier.partition) == (
                record.key, json.loads(record.value), record.partition), (
                f"seq {record.seq} came twice with different content:\n{earlier}\n{record}")
    return first


def java_partition(key, partitions):
    """The partition the Java client's default partitioner gives `key`: murmur2, made positive,
    modulo the partitions (librdkafka's `murmur2_random` does the same)."""
    seed, m = 0x9747B28C, 0x5BD1E995
    length = len(key)
    h = (seed ^ length) & 0xFFFFFFFF
    whole = length - length % 4
    for i in range(0, whole, 4):
        k = (int.from_bytes(key[i:i + 4], "little") * m) & 0xFFFFFFFF
        k ^= k >> 24
        k = (k * m) & 0xFFFFFFFF
        h = ((h * m) & 0xFFFFFFFF) ^ k
    tail = key[whole:]
    if len(tail) == 3:
        h ^= tail[2] << 16
    if len(tail) >= 2:
        h ^= tail[1] << 8
    if tail:
        h = ((h ^ tail[0]) * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return (h & 0x7FFFFFFF) % partitions


def check_topic_holds_log(records, entries, partitions=3):
    """Asserts that `records` (the whole topic of `partitions` partitions) hold exactly the log
    `entries` (the admin log): every sequence number, no other, each as its CloudEvent with the
    privacy rule applied, in the partition the Java client would pick for its key, and per key
    the sequence numbers in offset order (repeats of already sent sequence numbers, which
    consumers drop, aside). Returns the unique records by seq."""
    by_seq = {entry["seq"]: entry for entry in entries}
    unique = unique_records(records)
    missing = sorted(set(by_seq) - set(unique))
    extra = sorted(set(unique) - set(by_seq))
    assert not missing, f"{len(missing)} log entries not on the topic, e.g. {missing[:10]}"
    assert not extra, (f"{len(extra)} records on the topic are not in the log, e.g. "
                       f"{[json.loads(unique[seq].value) for seq in extra[:3]]}")
    for seq, record in unique.items():
        check_envelope(record, by_seq[seq])
    partitions_of_key = {}
    last_seq_of_key = {}
    for record in records:
        partitions_of_key.setdefault(record.key, set()).add(record.partition)
        last = last_seq_of_key.get(record.key, -1)
        if unique[record.seq] is record:
            assert record.seq > last, (
                f"key {record.key!r}: seq {record.seq} at offset {record.partition}/"
                f"{record.offset} after seq {last}")
            last_seq_of_key[record.key] = record.seq
    split = {key: parts for key, parts in partitions_of_key.items() if len(parts) > 1}
    assert not split, f"keys in more than one partition: {split}"
    elsewhere = {key: parts for key, parts in partitions_of_key.items()
                 if parts != {java_partition(key, partitions)}}
    assert not elsewhere, f"keys not where the Java partitioner puts them: {elsewhere}"
    # The rule docs/kafka.md gives consumers, dropping a record whose sequence number is at or
    # below the highest seen in its partition, keeps each entry exactly once.
    kept, highest = [], {}
    for record in records:
        if record.seq > highest.get(record.partition, -1):
            kept.append(record.seq)
            highest[record.partition] = record.seq
    assert sorted(kept) == sorted(unique), (
        f"the per-partition rule keeps {len(kept)} records for {len(unique)} entries")
    return unique


def check_envelope(record, entry):
    """The record is the CloudEvent of the log entry (docs/kafka.md)."""
    envelope = json.loads(record.value)
    ((kind, fields),) = entry["event"].items()
    where = f"seq {entry['seq']} ({kind})"
    assert record.header("content-type").decode() == CONTENT_TYPE, where
    assert envelope["specversion"] == "1.0", where
    assert envelope["id"] == str(entry["seq"]) == record.header(SEQUENCE_HEADER).decode(), where
    assert envelope["type"] == f"prasang.{kind}", (where, envelope["type"])
    assert isinstance(envelope["source"], str) and envelope["source"], where
    assert envelope["datacontenttype"] == "application/json", where
    assert (dt.datetime.fromisoformat(envelope["time"])
            == dt.datetime.fromisoformat(entry["at"])), (where, envelope["time"], entry["at"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)",
                        envelope["time"]), (where, envelope["time"])
    data = envelope["data"]
    assert isinstance(data, dict), where
    assert not personal_keys(data), (where, personal_keys(data))
    assert data == expected_data(kind, fields), (where, data, fields)
    key = data.get("event") or data.get("user")
    assert key, f"{where}: neither an event nor a user to key it by: {data}"
    assert record.key == key.encode(), (where, record.key, key)
    assert envelope.get("subject") == key, (where, envelope.get("subject"))


def check_example_consumer(server):
    """Runs examples/kafka_popularity.py on the server's topic once the exporter and the
    analytics caught up, and asserts that its per-event counts equal the server's reports
    (popularity: tickets booked, cancelled, expired; revenue: seats booked now) and its totals
    the overall popularity report. Returns the example's report."""
    end = server.log_end()
    server.wait_until_exported()
    server.wait_for_analytics()
    answer = subprocess.run(
        [sys.executable, EXAMPLE, "--brokers", server.brokers, "--topic", TOPIC,
         "--until-idle", "2", "--json"],
        capture_output=True, text=True, timeout=120)
    assert answer.returncode == 0, answer.stderr
    counted = json.loads(answer.stdout)
    # Nothing was appended meanwhile (a hold lapsing would be): both saw the same log.
    assert server.log_end() == end, "the log grew while the example read the topic"
    entries = len(server.log_entries())
    assert counted["entries"] == entries, f"the example folded {counted['entries']} of {entries}"
    admin = server.admin()
    fields = ("bookings", "cancellations", "expiries")
    differences = {}
    for event, mine in counted["events"].items():
        report = server.call("GET", f"/api/v1/events/{event}/analytics/popularity", admin)
        revenue = server.call("GET", f"/api/v1/events/{event}/analytics/revenue", admin)
        theirs = {field: report[field] for field in fields}
        theirs["seats_booked"] = revenue["seats_booked"]
        if theirs != mine:
            differences[event] = {"example": mine, "server": theirs}
    assert not differences, json.dumps(differences, indent=1)
    total = server.call("GET", "/api/v1/analytics/popularity", admin)
    assert {field: counted["total"][field] for field in fields} == {
        field: total[field] for field in fields}
    return counted
