"""Fixtures: a release server on a temporary data folder, filled over HTTP, then stopped."""

import datetime as dt
import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

ADMIN = ("admin@example.org", "admin has a long password")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running prasang-server and a tiny JSON client for it."""

    def __init__(self, data_dir: str):
        binary = os.environ.get("PRASANG_SERVER_BIN")
        if not binary:
            pytest.skip("PRASANG_SERVER_BIN is not set (scripts/test.sh sets it)")
        self.data_dir = data_dir
        self.url = f"http://127.0.0.1:{free_port()}"
        self.process = subprocess.Popen(
            [
                binary,
                "--data-dir", data_dir,
                "--bind", self.url.removeprefix("http://"),
                "--admin-email", ADMIN[0],
                "--admin-password", ADMIN[1],
                "--auth-rate-per-minute", "100000",
                "--auth-burst", "10000",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(self.process.stderr.read().decode())
                time.sleep(0.1)

    def call(self, method: str, path: str, body=None, token=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            error.msg = f"{method} {path}: {error.read().decode(errors='replace')}"
            raise

    def login(self, email: str, password: str) -> str:
        return self.call("POST", "/api/v1/auth/login", {"email": email, "password": password})[
            "access_token"
        ]

    def register(self, name, gender, age, role="attendee"):
        email = f"{name.lower()}@example.org"
        password = f"{name} has a long password"
        user = self.call(
            "POST",
            "/api/v1/auth/register",
            {"name": name, "email": email, "password": password, "gender": gender,
             "age": age, "role": role},
        )
        return user["id"], self.login(email, password)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)


def rfc3339(at: dt.datetime) -> str:
    return at.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="session")
def running():
    """A running server's data folder with bookings, a cancellation and feedback, every report
    as the REST API answered, and a snapshot taken through the admin endpoint."""
    data_dir = tempfile.mkdtemp(prefix="prasang-py-")
    server = Server(data_dir)
    try:
        admin = server.login(*ADMIN)
        olga, olga_token = server.register("Olga", "female", 41, role="organizer")
        # Everyone registers first (password hashing is slow): the first event starts soon.
        people = [("Ada", "female", 22), ("Bo", "male", 35), ("Cy", "non_binary", 67),
                  ("Di", "undisclosed", 17), ("Ed", "male", 50)]
        tokens = [server.register(name, gender, age)[1] for name, gender, age in people]
        now = dt.datetime.now(dt.timezone.utc)
        soon = server.call(
            "POST", "/api/v1/events",
            {"title": "Starts soon", "location": "Hall A",
             "starts_at": rfc3339(now + dt.timedelta(seconds=4)),
             "ends_at": rfc3339(now + dt.timedelta(hours=2)),
             "capacity": 50, "price_minor": 0, "per_user_limit": 2},
            olga_token,
        )
        later = server.call(
            "POST", "/api/v1/events",
            {"title": "Next month", "location": "Hall B",
             "starts_at": rfc3339(now + dt.timedelta(days=30)),
             "ends_at": rfc3339(now + dt.timedelta(days=30, hours=3)),
             "capacity": 100, "price_minor": 0, "per_user_limit": 2},
            olga_token,
        )
        for token in tokens:
            server.call("POST", f"/api/v1/events/{soon['id']}/tickets", {"quantity": 1}, token)
            server.call("POST", f"/api/v1/events/{later['id']}/tickets", {"quantity": 2}, token)
        mine = server.call("GET", "/api/v1/me/tickets", None, tokens[0])
        cancel = next(t for t in mine["items"] if t["event"] == later["id"])
        server.call("POST", f"/api/v1/tickets/{cancel['id']}/cancel", None, tokens[0])
        # Feedback opens when the event starts.
        while dt.datetime.now(dt.timezone.utc) < now + dt.timedelta(seconds=5):
            time.sleep(0.2)
        for token, rating in zip(tokens, [5, 4, 3, 4]):
            server.call("POST", f"/api/v1/events/{soon['id']}/feedback",
                        {"rating": rating, "comment": "Good talk"}, token)
        server.call("PUT", f"/api/v1/events/{soon['id']}/feedback/{cancel['user']}/reply",
                    {"text": "Thanks!"}, olga_token)
        # Reports lag the log by a round of the background consumer: wait for it.
        deadline = time.monotonic() + 30
        while True:
            popularity = server.call("GET", "/api/v1/analytics/popularity", None, admin)
            if popularity["bookings"] == 10 and popularity["rating_count"] == 4:
                break
            assert time.monotonic() < deadline, popularity
            time.sleep(0.2)
        today = dt.date.today()
        window = f"from={today - dt.timedelta(days=3)}&to={today + dt.timedelta(days=1)}"
        rest = {
            "popularity": server.call("GET", "/api/v1/analytics/popularity", None, admin),
            "demographics": server.call("GET", "/api/v1/analytics/demographics", None, admin),
            "ratings_by_group": server.call(
                "GET", "/api/v1/analytics/ratings-by-group", None, admin),
            "trends": server.call(
                "GET", f"/api/v1/analytics/trends?group_by=day&{window}", None, admin),
            "trends_kolkata": server.call(
                "GET",
                f"/api/v1/analytics/trends?group_by=day&time_zone=Asia/Kolkata&{window}",
                None,
                admin,
            ),
            "funnel": server.call("GET", "/api/v1/analytics/funnel", None, admin),
            "revenue": server.call("GET", "/api/v1/analytics/revenue", None, admin),
            "top_events": server.call("GET", "/api/v1/analytics/top-events", None, admin),
            "event_popularity": server.call(
                "GET", f"/api/v1/events/{soon['id']}/analytics/popularity", None, admin),
            "organizer_revenue": server.call(
                "GET", f"/api/v1/analytics/revenue?organizer={olga}", None, admin),
            "log_end": server.call("GET", "/api/v1/admin/log?limit=1", None, admin)["end"],
        }
        snapshot = server.call(
            "POST", "/api/v1/admin/snapshot", {"name": "while-serving"}, admin)
        yield {
            "server": server,
            "data_dir": data_dir,
            "rest": rest,
            "soon": soon["id"],
            "later": later["id"],
            "olga": olga,
            "window": (str(today - dt.timedelta(days=3)), str(today + dt.timedelta(days=1))),
            "snapshot": snapshot,
            "admin_token": admin,
        }
    finally:
        if server.process.poll() is None:
            server.stop()


@pytest.fixture(scope="session")
def stopped(running):
    """The same data folder once the server has stopped (tests using it run last)."""
    if running["server"].process.poll() is None:
        running["server"].stop()
    return running


def pytest_collection_modifyitems(items):
    """Tests of the running server go before those that stop it."""
    items.sort(key=lambda item: "stopped" in getattr(item, "fixturenames", ()))
