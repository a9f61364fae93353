"""Benchmark (not a test): the longest pause a booking sees while the server snapshots its store.

Drives bookings over HTTP from `--clients` threads (one keep-alive connection and one user of
the analytics bench's data set each), takes `POST /api/v1/admin/snapshot` as the bench admin
after `--before` seconds, keeps booking `--after` seconds more, and reports each booking's
latency against its start time: p50 / p99 / max before the snapshot, the longest booking that
overlapped it, and the server's own pause_ms / took_ms. Stdlib only.

    prasang-server --data-dir DIR --request-timeout-secs 600 --auth-rate-per-minute 0 &
    python prasang-py/bench/snapshot_pause.py --events EVENT_ID,... [--url http://127.0.0.1:8080]
"""

import argparse
import http.client
import json
import threading
import time
import urllib.parse


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


def percentile(sorted_ms, p):
    if not sorted_ms:
        return 0.0
    index = max(1, min(len(sorted_ms), int(-(-len(sorted_ms) * p // 1)))) - 1
    return sorted_ms[index]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--events", required=True, help="comma-separated event ids to book")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--before", type=float, default=10.0, help="seconds before the snapshot")
    parser.add_argument("--after", type=float, default=5.0, help="seconds after it")
    parser.add_argument("--name", default=f"pause-{int(time.time())}", help="snapshot name")
    args = parser.parse_args()
    url = urllib.parse.urlsplit(args.url)
    connect = lambda: http.client.HTTPConnection(url.hostname, url.port, timeout=600)
    events = args.events.split(",")

    # Users of the data set ("User {i}" -> user.{i}@bench.example), far from each other.
    tokens = []
    connection = connect()
    for client in range(args.clients):
        tokens.append(login(connection, f"user.{client * 997 + 13}@bench.example"))
    admin = login(connection, "admin@bench.example")

    samples = []  # (start, latency_s, status) per booking, from every client
    lock = threading.Lock()
    stop = threading.Event()

    def book(client):
        conn = connect()
        mine = []
        i = client
        while not stop.is_set():
            event = events[i % len(events)]
            i += args.clients
            started = time.perf_counter()
            status, _ = call(conn, "POST", f"/api/v1/events/{event}/tickets", tokens[client],
                             {"quantity": 1})
            mine.append((started, time.perf_counter() - started, status))
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=book, args=(c,), daemon=True) for c in range(args.clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(args.before)
    snap_start = time.perf_counter()
    status, snapshot = call(connect(), "POST", "/api/v1/admin/snapshot", admin, {"name": args.name})
    snap_end = time.perf_counter()
    time.sleep(args.after)
    stop.set()
    for thread in threads:
        thread.join()
    if status != 201:
        raise SystemExit(f"snapshot: {status} {snapshot}")

    statuses = {}
    for _, _, s in samples:
        statuses[s] = statuses.get(s, 0) + 1
    warm = began + 1.0  # the first second warms connections and caches
    before = sorted(l * 1e3 for s, l, _ in samples if warm <= s and s + l < snap_start)
    during = [(s, l) for s, l, _ in samples if s < snap_end and s + l > snap_start]
    after = sorted(l * 1e3 for s, l, _ in samples if s > snap_end)
    longest = max(during, key=lambda x: x[1]) if during else (snap_start, 0.0)
    during_ms = sorted(l * 1e3 for _, l in during)
    print(f"statuses: {statuses}; {len(samples)} bookings from {args.clients} clients")
    print(f"snapshot: {snapshot}; request took {(snap_end - snap_start) * 1e3:.0f} ms")
    print("\n| bookings | count | rate (/s) | p50 (ms) | p99 (ms) | max (ms) |")
    print("|---|---|---|---|---|---|")
    for label, ms, seconds in [
        ("before the snapshot", before, snap_start - warm),
        ("overlapping the snapshot", during_ms, snap_end - snap_start),
        ("after it", after, args.after),
    ]:
        print(f"| {label} | {len(ms)} | {len(ms) / max(seconds, 1e-9):.0f} | "
              f"{percentile(ms, 0.5):.1f} | {percentile(ms, 0.99):.1f} | {max(ms, default=0):.1f} |")
    print(f"\nlongest booking during the snapshot: {longest[1] * 1e3:.1f} ms, started "
          f"{(longest[0] - snap_start) * 1e3:.0f} ms after the snapshot request "
          f"(target < 100 ms); before it: max {max(before, default=0):.1f} ms")
    # Latency over time during the snapshot, in 500 ms buckets (max per bucket).
    buckets = {}
    for s, l in during:
        key = int((s - snap_start) / 0.5)
        buckets[key] = max(buckets.get(key, 0), l * 1e3)
    print("max latency per 500 ms of the snapshot (ms):",
          " ".join(f"{buckets[k]:.0f}" for k in sorted(buckets)))


if __name__ == "__main__":
    main()
