"""Fixtures: a release server on a temporary data folder, filled over HTTP, then stopped."""

import datetime as dt
import tempfile
import time

import prasang_testkit as testkit
import pytest

ADMIN = ("admin@example.org", "admin has a long password")


class Server(testkit.Server):
    """The release server on a data folder, with the test admin and a generous login limit."""

    def __init__(self, data_dir: str):
        if testkit.server_binary() is None:
            pytest.skip("PRASANG_SERVER_BIN is not set (scripts/test.sh sets it)")
        super().__init__(
            data_dir,
            "--admin-email", ADMIN[0],
            "--admin-password", ADMIN[1],
            "--auth-rate-per-minute", "100000",
            "--auth-burst", "10000",
            log_path=data_dir + ".log",
        )
        self.data_dir = data_dir

    def register(self, name, gender, age, role="attendee"):
        email = f"{name.lower()}@example.org"
        password = f"{name} has a long password"
        user = self.call(
            "POST",
            "/api/v1/auth/register",
            body={"name": name, "email": email, "password": password, "gender": gender,
                  "age": age, "role": role},
        )
        return user["id"], self.login(email, password)


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
            "POST", "/api/v1/events", olga_token,
            {"title": "Starts soon", "location": "Hall A",
             "starts_at": rfc3339(now + dt.timedelta(seconds=4)),
             "ends_at": rfc3339(now + dt.timedelta(hours=2)),
             "capacity": 50, "price_minor": 0, "per_user_limit": 2},
        )
        later = server.call(
            "POST", "/api/v1/events", olga_token,
            {"title": "Next month", "location": "Hall B",
             "starts_at": rfc3339(now + dt.timedelta(days=30)),
             "ends_at": rfc3339(now + dt.timedelta(days=30, hours=3)),
             "capacity": 100, "price_minor": 0, "per_user_limit": 2},
        )
        for token in tokens:
            server.call("POST", f"/api/v1/events/{soon['id']}/tickets", token, {"quantity": 1})
            server.call("POST", f"/api/v1/events/{later['id']}/tickets", token, {"quantity": 2})
        mine = server.call("GET", "/api/v1/me/tickets", tokens[0])
        cancel = next(t for t in mine["items"] if t["event"] == later["id"])
        server.call("POST", f"/api/v1/tickets/{cancel['id']}/cancel", tokens[0])
        # Feedback opens when the event starts.
        while dt.datetime.now(dt.timezone.utc) < now + dt.timedelta(seconds=5):
            time.sleep(0.2)
        for token, rating in zip(tokens, [5, 4, 3, 4]):
            server.call("POST", f"/api/v1/events/{soon['id']}/feedback", token,
                        {"rating": rating, "comment": "Good talk"})
        server.call("PUT", f"/api/v1/events/{soon['id']}/feedback/{cancel['user']}/reply", olga_token,
                    {"text": "Thanks!"})
        # Olga writes to the first event's holders (before the check-ins below, so the reports'
        # wait for them covers the message too).
        server.call("POST", f"/api/v1/events/{soon['id']}/messages", olga_token,
                    {"subject": "Doors at 18:30", "body": "See you in Hall A.",
                     "segment": {"kind": "all_holders"}})
        # Three of them come in at the door of the first event.
        for number, token in enumerate(tokens[:3]):
            ticket = next(t for t in server.call("GET", "/api/v1/me/tickets", token)["items"]
                          if t["event"] == soon["id"])
            seats = server.call("GET", f"/api/v1/tickets/{ticket['id']}/admissions", token)
            server.call("POST", f"/api/v1/events/{soon['id']}/check-ins", olga_token,
                        {"code": seats["seats"][0]["code"], "gate": "North",
                         "scan_id": f"scan-{number}"})
        # Reports lag the log by a round of the background consumer: wait for it.
        deadline = time.monotonic() + 30
        while True:
            popularity = server.call("GET", "/api/v1/analytics/popularity", admin)
            attendance = server.call("GET", "/api/v1/analytics/attendance", admin)
            if (popularity["bookings"] == 10 and popularity["rating_count"] == 4
                    and attendance["checked_in"] == 3):
                break
            assert time.monotonic() < deadline, popularity
            time.sleep(0.2)
        today = dt.date.today()
        window = f"from={today - dt.timedelta(days=3)}&to={today + dt.timedelta(days=1)}"
        rest = {
            "popularity": server.call("GET", "/api/v1/analytics/popularity", admin),
            "demographics": server.call("GET", "/api/v1/analytics/demographics", admin),
            "ratings_by_group": server.call(
                "GET", "/api/v1/analytics/ratings-by-group", admin),
            "trends": server.call(
                "GET", f"/api/v1/analytics/trends?group_by=day&{window}", admin),
            "trends_kolkata": server.call(
                "GET",
                f"/api/v1/analytics/trends?group_by=day&time_zone=Asia/Kolkata&{window}",
                admin,
            ),
            "funnel": server.call("GET", "/api/v1/analytics/funnel", admin),
            "revenue": server.call("GET", "/api/v1/analytics/revenue", admin),
            "attendance": server.call("GET", "/api/v1/analytics/attendance", admin),
            "attendance_by_group": server.call(
                "GET", "/api/v1/analytics/attendance-by-group", admin),
            "event_attendance_by_ticket_type": server.call(
                "GET", f"/api/v1/events/{soon['id']}/analytics/attendance-by-ticket-type", admin),
            "event_arrivals": server.call(
                "GET", f"/api/v1/events/{soon['id']}/analytics/arrivals", admin),
            "top_events": server.call("GET", "/api/v1/analytics/top-events", admin),
            "waitlist_totals": server.call("GET", "/api/v1/analytics/waitlist-totals", admin),
            "event_popularity": server.call(
                "GET", f"/api/v1/events/{soon['id']}/analytics/popularity", admin),
            "organizer_revenue": server.call(
                "GET", f"/api/v1/analytics/revenue?organizer={olga}", admin),
            "log_end": server.call("GET", "/api/v1/admin/log?limit=1", admin)["end"],
        }
        snapshot = server.call(
            "POST", "/api/v1/admin/snapshot", admin, {"name": "while-serving"})
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
