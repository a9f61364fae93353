"""Benchmark (not a test): the longest pause a booking sees while the server snapshots its store.

Drives bookings over HTTP from `--clients` threads (one keep-alive connection each), takes
`POST /api/v1/admin/snapshot` as the bench admin after `--before` seconds, keeps booking
`--after` seconds more, and reports each booking's latency against its start time: p50 / p99 /
max before, overlapping and after the snapshot, split into bookings that were made (201) and
refused (anything else), and the server's own pause_ms / took_ms.

Bookings must really write: a refused booking (409, the user at the event's per-user limit) goes
through the store read and the rule check but writes nothing. So each client books as
`--users-per-client` users of the analytics bench's data set (`user.N@bench.example`, disjoint
between clients) across `--event-count` free events, one (user, event) pair after another, which
keeps every pair far below the bench's per-user limit of 100. The script exits with an error
when no booking overlapping the snapshot was made. Stdlib only.

    prasang-server --data-dir DIR --request-timeout-secs 3600 --auth-rate-per-minute 0 &
    python prasang-py/bench/snapshot_pause.py [--url http://127.0.0.1:8080] [--name pause]
"""

import argparse
import http.client
import json
import threading
import time
import urllib.parse

MADE = 201


def call(connection, method, path, token=None, body=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection.request(method, path, body=json.dumps(body) if body is not None else None,
                       headers=headers)
    reply = connection.getresponse()
    data = reply.read()
    return reply.status, json.loads(data) if data else None


def login(connection, email):
    status, body = call(connection, "POST", "/api/v1/auth/login",
                        body={"email": email, "password": "bench password"})
    if status != 200:
        raise SystemExit(f"login {email}: {status} {body}")
    return body["access_token"]


def free_events(connection, wanted):
    """Ids of up to `wanted` upcoming free events, walking the public list page by page."""
    found, after = [], None
    while len(found) < wanted:
        query = "limit=100" + (f"&after={urllib.parse.quote(after)}" if after else "")
        status, page = call(connection, "GET", f"/api/v1/events?{query}")
        if status != 200:
            raise SystemExit(f"listing events: {status} {page}")
        found += [e["id"] for e in page["items"] if e["price_minor"] == 0]
        after = page.get("next")
        if not after:
            break
    if not found:
        raise SystemExit("no upcoming free event to book")
    return found[:wanted]


def percentile(sorted_ms, p):
    if not sorted_ms:
        return 0.0
    index = max(1, min(len(sorted_ms), int(-(-len(sorted_ms) * p // 1)))) - 1
    return sorted_ms[index]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--events", help="comma-separated event ids (default: free events)")
    parser.add_argument("--event-count", type=int, default=100, help="free events to book")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--users-per-client", type=int, default=50)
    parser.add_argument("--first-user", type=int, default=50_000,
                        help="N of the first user.N@bench.example to book as")
    parser.add_argument("--before", type=float, default=10.0, help="seconds before the snapshot")
    parser.add_argument("--after", type=float, default=5.0, help="seconds after it")
    parser.add_argument("--name", default=f"pause-{int(time.time())}", help="snapshot name")
    args = parser.parse_args()
    url = urllib.parse.urlsplit(args.url)
    # A snapshot of a big store under load takes minutes: start the server with a longer
    # --request-timeout-secs than it, too.
    connect = lambda: http.client.HTTPConnection(url.hostname, url.port, timeout=3600)

    connection = connect()
    events = args.events.split(",") if args.events else free_events(connection, args.event_count)
    tokens = [
        [login(connection, f"user.{args.first_user + c * args.users_per_client + u}@bench.example")
         for u in range(args.users_per_client)]
        for c in range(args.clients)
    ]
    admin = login(connection, "admin@bench.example")
    print(f"{len(events)} events, {args.clients} clients x {args.users_per_client} users")

    samples = []  # (start, latency_s, status) per booking, from every client
    lock = threading.Lock()
    stop = threading.Event()

    def book(client):
        conn = connect()
        mine = []
        users = tokens[client]
        i = 0
        while not stop.is_set():
            # Every user once per event, then the next event: pairs repeat only after
            # users x events bookings.
            token = users[i % len(users)]
            event = events[(i // len(users) + client) % len(events)]
            i += 1
            started = time.perf_counter()
            try:
                status, _ = call(conn, "POST", f"/api/v1/events/{event}/tickets", token,
                                 {"quantity": 1})
            except (OSError, http.client.HTTPException):
                status = 0  # no answer: counted as refused, on a fresh connection
                conn.close()
                conn = connect()
                if stop.wait(0.1):
                    break
            mine.append((started, time.perf_counter() - started, status))
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=book, args=(c,), daemon=True) for c in range(args.clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(args.before)
    snap_start = time.perf_counter()
    try:
        status, snapshot = call(connect(), "POST", "/api/v1/admin/snapshot", admin,
                                {"name": args.name})
    except (OSError, http.client.HTTPException) as error:
        status, snapshot = 0, repr(error)  # still report the bookings seen so far
    snap_end = time.perf_counter()
    time.sleep(args.after)
    stop.set()
    for thread in threads:
        thread.join()

    warm = began + 1.0  # the first second warms connections and caches
    windows = [
        ("before the snapshot", lambda s, l: warm <= s and s + l < snap_start, snap_start - warm),
        ("overlapping the snapshot", lambda s, l: s < snap_end and s + l > snap_start,
         snap_end - snap_start),
        ("after it", lambda s, l: s > snap_end, args.after),
    ]
    print(f"snapshot: {snapshot}; request took {(snap_end - snap_start) * 1e3:.0f} ms")
    print("\n| bookings | made (201) | refused | made/s | p50 (ms) | p99 (ms) | max (ms) "
          "| max refused (ms) | refusals by status |")
    print("|---|---|---|---|---|---|---|---|---|")
    made_during = 0
    for label, inside, seconds in windows:
        made = sorted(l * 1e3 for s, l, st in samples if inside(s, l) and st == MADE)
        refused = [(st, l * 1e3) for s, l, st in samples if inside(s, l) and st != MADE]
        by_status = {}
        for st, _ in refused:
            by_status[st] = by_status.get(st, 0) + 1
        if label.startswith("overlapping"):
            made_during = len(made)
        print(f"| {label} | {len(made)} | {len(refused)} | {len(made) / max(seconds, 1e-9):.0f} | "
              f"{percentile(made, 0.5):.1f} | {percentile(made, 0.99):.1f} | "
              f"{max(made, default=0):.1f} | {max((l for _, l in refused), default=0):.1f} | "
              f"{by_status or '-'} |")

    during = [(s, l, st) for s, l, st in samples if windows[1][1](s, l)]
    longest = max(during, key=lambda x: x[1], default=(snap_start, 0.0, None))
    print(f"\nlongest request during the snapshot: {longest[1] * 1e3:.1f} ms (status {longest[2]}), "
          f"started {(longest[0] - snap_start) * 1e3:.0f} ms after the snapshot request "
          "(target < 100 ms)")
    # Latency over time during the snapshot, in 5 s buckets (max per bucket, made bookings).
    buckets = {}
    for s, l, st in during:
        if st == MADE:
            key = int(max(s - snap_start, 0) / 5)
            buckets[key] = max(buckets.get(key, 0), l * 1e3)
    print("max booking latency per 5 s of the snapshot (ms):",
          " ".join(f"{buckets[k]:.0f}" for k in sorted(buckets)))
    if status != 201:
        raise SystemExit(f"snapshot failed: {status} {snapshot}")
    if made_during == 0:
        raise SystemExit("INVALID RUN: no booking overlapping the snapshot was made (all refused)")


if __name__ == "__main__":
    main()
