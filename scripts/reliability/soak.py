"""Soak: a mixed workload (browse, book, cancel, log in) against the release server for some
minutes, sampling the server's RSS and open file descriptors (from /proc) and the store's size on
disk. Not part of CI; results go to BENCHMARKS.md.

    PRASANG_SERVER_BIN=target/release/prasang-server target/pyenv/bin/python \
        scripts/reliability/soak.py --minutes 10
"""

import argparse
import collections
import os
import random
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from prasang_testkit import Server  # noqa: E402 (after the path it is found on)

PASSWORD = "soak-password"


def folder_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total


def sample(server, store):
    with open(f"/proc/{server.process.pid}/status") as status:
        rss_kib = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    fds = len(os.listdir(f"/proc/{server.process.pid}/fd"))
    return rss_kib / 1024, fds, folder_bytes(store) / 1e6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--every", type=float, default=30, help="seconds between samples")
    parser.add_argument("--keep", help="use this (new) folder and keep it, e.g. for store_footprint")
    args = parser.parse_args()

    if args.keep:
        os.makedirs(args.keep)
        soak(args.keep, args)
    else:
        with tempfile.TemporaryDirectory(prefix="prasang-soak-") as folder:
            soak(folder, args)


def soak(folder, args):
    server = Server.in_folder(folder, "--auth-rate-per-minute", "0")
    try:
        run(server, os.path.join(folder, "store"), args)
    finally:
        server.stop()


def run(server, store, args):
    def account(email, role):
        body = {"name": "Soak", "email": email, "password": PASSWORD, "gender": "undisclosed",
                "age": 30, "role": role}
        status, _ = server.request("POST", "/api/v1/auth/register", body=body)
        assert status == 201, status
        return server.login(email, PASSWORD)

    organizer = account("organizer@soak.example", "organizer")
    starts = time.strftime("%Y-%m-%dT10:00:00Z", time.gmtime(time.time() + 30 * 86400))
    ends = time.strftime("%Y-%m-%dT12:00:00Z", time.gmtime(time.time() + 30 * 86400))
    events = []
    for n in range(20):
        body = {"title": f"Soak {n}", "location": "Hall", "starts_at": starts, "ends_at": ends,
                "capacity": 500, "per_user_limit": 20}
        status, event = server.request("POST", "/api/v1/events", organizer, body)
        assert status == 201, (status, event)
        events.append(event["id"])
    attendees = [(f"a{n}@soak.example", account(f"a{n}@soak.example", "attendee")) for n in range(40)]

    counts = collections.Counter()
    lock = threading.Lock()
    stop = threading.Event()

    def worker(seed):
        try:
            work(seed)
        except Exception as error:  # a dead worker would quietly lower the load
            with lock:
                counts[("worker died: " + repr(error), 0)] += 1

    def work(seed):
        rng = random.Random(seed)
        mine = {}  # attendee email -> booked ticket ids
        tokens = dict(attendees)
        while not stop.is_set():
            email = rng.choice(list(tokens))
            roll = rng.random()
            if roll < 0.45:
                op = "browse"
                status, page = server.request("GET", "/api/v1/events?limit=20")
                if status == 200 and page["items"]:
                    status, _ = server.request("GET", f"/api/v1/events/{rng.choice(page['items'])['id']}")
            elif roll < 0.75:
                op = "book"
                status, ticket = server.request("POST", f"/api/v1/events/{rng.choice(events)}/tickets",
                                             tokens[email], {})
                if status == 201:
                    mine.setdefault(email, []).append(ticket["id"])
            elif roll < 0.97:
                op = "cancel"
                held = mine.get(email) or []
                if not held:
                    continue
                ticket = held.pop(rng.randrange(len(held)))
                status, _ = server.request("POST", f"/api/v1/tickets/{ticket}/cancel", tokens[email], {})
            else:
                op = "login"
                body = {"email": email, "password": PASSWORD}
                status, session = server.request("POST", "/api/v1/auth/login", body=body)
                if status == 200:
                    tokens[email] = session["access_token"]
            with lock:
                counts[(op, status)] += 1

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(args.workers)]
    started = time.time()
    for thread in threads:
        thread.start()
    print(f"{'t (s)':>6} {'RSS MiB':>8} {'fds':>5} {'store MB':>9} {'requests':>9} {'booked':>7} "
          f"{'cancelled':>9} {'5xx':>4} load", flush=True)
    deadline = started + args.minutes * 60
    while True:
        now = time.time()
        with lock:
            total = sum(counts.values())
            booked = counts[("book", 201)]
            cancelled = counts[("cancel", 200)]
            errors = sum(n for (_, status), n in counts.items() if status >= 500)
        rss, fds, size = sample(server, store)
        load = open("/proc/loadavg").read().split()[0]
        print(f"{now - started:6.0f} {rss:8.1f} {fds:5d} {size:9.1f} {total:9d} {booked:7d} "
              f"{cancelled:9d} {errors:4d} {load}", flush=True)
        if now >= deadline:
            break
        time.sleep(min(args.every, max(0.5, deadline - now)))
    stop.set()
    for thread in threads:
        thread.join()
    print("answers:", dict(sorted(counts.items())))
    print(f"{sum(counts.values()) / (time.time() - started):.0f} requests/s over "
          f"{time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
