"""Runs schemathesis against the release server with demo data: once without credentials and
once as a demo organizer, path ids drawn half of the time from real objects. Exits non-zero on
any failure of the four conformance checks."""

import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from prasang_testkit import Server  # noqa: E402 (after the path it is found on)

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
MAX_EXAMPLES = os.environ.get("PRASANG_SCHEMATHESIS_EXAMPLES", "25")
REPORTS = ["popularity", "demographics", "ratings-by-group", "trends", "funnel", "revenue", "top-events"]


def real_ids(server, token):
    """Ids of existing events, tickets and users (the organizer's own first)."""
    _, own = server.request("GET", "/api/v1/me/events?limit=20", token)
    _, public = server.request("GET", "/api/v1/events?limit=20")
    events = [e["id"] for e in (own or {}).get("items", [])] + [e["id"] for e in (public or {}).get("items", [])]
    tickets, users = [], []
    for event in events[:5]:
        _, page = server.request("GET", f"/api/v1/events/{event}/tickets?limit=20", token)
        for ticket in (page or {}).get("items", []):
            tickets.append(ticket["id"])
            users.append(ticket["user"])
    codes = []
    for event in events[:5]:
        _, listed = server.request("GET", f"/api/v1/events/{event}/promo-codes", token)
        codes += [code["code"] for code in (listed or {}).get("items", [])]
    _, me = server.request("GET", "/api/v1/me", token)
    users.append(me["id"])
    if not (events and tickets):
        raise SystemExit(f"the demo data gave no events or tickets: {events} {tickets}")
    dedup = lambda ids: list(dict.fromkeys(ids))
    # Ticket types are numbered per event from 1: the first few exist on every event.
    return {"events": dedup(events), "tickets": dedup(tickets), "users": dedup(users), "reports": REPORTS,
            "ticket_types": [1, 2, 3], "promo_codes": dedup(codes)}


def schemathesis(server, ids, label, *headers):
    print(f"schemathesis ({label}): up to {MAX_EXAMPLES} examples per operation", flush=True)
    here = os.path.dirname(os.path.abspath(__file__))
    command = [
        os.path.join(os.path.dirname(sys.executable), "schemathesis"), "run",
        f"{server.url}/api/v1/openapi.json",
        "--checks", CHECKS,
        "--max-examples", MAX_EXAMPLES,
        "--phases", "examples,coverage,fuzzing",
        "--seed", os.environ.get("PRASANG_SCHEMATHESIS_SEED", "1"),
        # One worker: with two, CPython 3.11.7's ast.parse (hypothesis describing a filter's
        # lambda) can fail in both threads at once: "AST constructor recursion depth mismatch".
        "--workers", "1",
        "--request-timeout", "20",
        "--suppress-health-check", "all",
        "--no-color",
        *headers,
    ]
    env = {
        **os.environ,
        "PYTHONPATH": here,
        "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
        "PRASANG_REAL_IDS": json.dumps(ids),
    }
    # In the temporary folder: schemathesis keeps a cache of failures (.schemathesis/) in its
    # working directory, and the repository is no place for it.
    return subprocess.run(command, env=env, cwd=server.folder).returncode


def main():
    with tempfile.TemporaryDirectory(prefix="prasang-schemathesis-") as folder:
        # No login rate limit (429 is documented, but it would hide what comes after it) and
        # cheap password hashes: schemathesis registers and logs in many times.
        server = Server.in_folder(folder, "--demo", "--auth-rate-per-minute", "0", "--insecure-fast-password-hashing")
        try:
            email, password = server.demo_organizer()
            token = server.login(email, password)
            ids = real_ids(server, token)
            failed = schemathesis(server, ids, "no credentials")
            failed |= schemathesis(server, ids, "organizer", "-H", f"Authorization: Bearer {token}")
            alive = server.process.poll() is None
        finally:
            server.stop()
        if not alive:
            print(f"the server died during the run; log: {server.log_path}")
            return 1
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
