"""Benchmark (not a test) of the prasang Python package on a big data folder.

Measures, on a snapshot (or stopped copy) of the analytics bench's 1M-ticket store:
each report's latency from Python (p50 / p99, for one event, one organizer and all events),
the full tickets table into pyarrow and into pandas, a polars group-by on it, and pandas
reading the same rows from a CSV export (written once from the same table) -- the ratio is
the point. Prints a Markdown table for BENCHMARKS.md.

    python prasang-py/bench/bench.py DATA_FOLDER [--calls 100] [--csv /tmp/tickets.csv]
"""

import argparse
import datetime
import os
import statistics
import tempfile
import time

import pandas as pd
import polars as pl
import pyarrow as pa

import prasang


def percentile(sorted_ms, p):
    index = max(1, min(len(sorted_ms), int(-(-len(sorted_ms) * p // 1)))) - 1
    return sorted_ms[index]


def timed(call, repeat):
    """Milliseconds of each of `repeat` calls, sorted, and the last result."""
    times = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1e3)
    return sorted(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_folder")
    parser.add_argument("--calls", type=int, default=100, help="calls per report")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each table conversion")
    parser.add_argument("--csv", help="where to write the CSV export (default: a temp file)")
    args = parser.parse_args()

    opened = time.perf_counter()
    db = prasang.open(args.data_folder)
    print(f"opened in {(time.perf_counter() - opened) * 1e3:.0f} ms")

    events = db.events().to_polars()
    hot = events.sort("booked", descending=True)["id"][0]
    organizer = events["organizer"][0]
    n_organizer = events.filter(pl.col("organizer") == organizer).height
    print(f"{events.height} events; hot event {hot}; organizer {organizer} has {n_organizer} events")

    # --- Reports ------------------------------------------------------------------------
    # The data set's bookings were made today (its feedback a month later), like analytics_bench.
    today = datetime.date.today()
    month = {"from_": str(today - datetime.timedelta(days=29)), "to": str(today), "group_by": "day"}
    year = {"from_": str(today - datetime.timedelta(days=364)), "to": str(today), "group_by": "week"}
    scopes = [("event", {"event": hot}), ("organizer", {"organizer": organizer}), ("all", {})]
    rows = []
    for scope_name, scope in scopes:
        reports = [
            ("popularity", lambda: db.popularity(**scope)),
            ("demographics", lambda: db.demographics(**scope)),
            ("ratings-by-group", lambda: db.ratings_by_group(**scope)),
            ("trends (30 days by day)", lambda: db.trends(**month, **scope)),
            ("trends (a year by week)", lambda: db.trends(**year, **scope)),
            ("funnel", lambda: db.funnel(**scope)),
            ("revenue", lambda: db.revenue(**scope)),
        ]
        if scope_name != "event":
            reports.append(
                ("top-events (by rating, min 10)",
                 lambda: db.top_events(by="rating", min_ratings=10,
                                       **({} if scope_name == "all" else scope)))
            )
        for name, call in reports:
            # As an analyst uses it: the report, then into pandas.
            times, _ = timed(call, args.calls)
            to_pandas, _ = timed(lambda: call().to_pandas(), args.calls)
            rows.append((name, scope_name, percentile(times, 0.5), percentile(times, 0.99),
                         percentile(to_pandas, 0.5), percentile(to_pandas, 0.99)))
    print("\n| report | scope | p50 (ms) | p99 (ms) | + to_pandas p50 | p99 |")
    print("|---|---|---|---|---|---|")
    for name, scope_name, p50, p99, d50, d99 in rows:
        print(f"| {name} | {scope_name} | {p50:.3f} | {p99:.3f} | {d50:.3f} | {d99:.3f} |")
    worst = max(r[3] for r in rows)
    worst_pandas = max(r[5] for r in rows)
    print(f"\nworst report p99: {worst:.3f} ms ({worst_pandas:.3f} ms with to_pandas); target < 10 ms")

    # --- The tickets table ----------------------------------------------------------------
    results = {}

    def measure(label, call):
        times, result = timed(call, args.repeat)
        results[label] = (statistics.median(times), times[0])
        return result

    measure("db.tickets() (store scan into Arrow batches, Rust)", db.tickets)
    arrow = measure("db.tickets() into pyarrow.Table", lambda: pa.table(db.tickets()))
    frame = measure("db.tickets() into pandas (to_pandas)", lambda: db.tickets().to_pandas())
    measure("pyarrow.Table to pandas (conversion alone)", arrow.to_pandas)
    lazy = measure("db.tickets() into polars (to_polars)", lambda: db.tickets().to_polars())
    grouped = measure(
        "polars group-by event: count, seats, revenue",
        lambda: lazy.group_by("event").agg(
            pl.len().alias("tickets"),
            pl.col("quantity").sum().alias("seats"),
            pl.col("amount_minor").sum().alias("revenue_minor"),
        ),
    )
    measure(
        "pandas group-by event (same aggregates)",
        lambda: frame.groupby("event", observed=True).agg(
            tickets=("id", "size"), seats=("quantity", "sum"), revenue_minor=("amount_minor", "sum")
        ),
    )
    csv_path = args.csv or os.path.join(tempfile.gettempdir(), "prasang-bench-tickets.csv")
    written = time.perf_counter()
    frame.to_csv(csv_path, index=False)
    write_s = time.perf_counter() - written
    csv_frame = measure("pandas.read_csv of the same rows (CSV export)", lambda: pd.read_csv(csv_path))
    measure("polars.read_csv of the same rows", lambda: pl.read_csv(csv_path))
    csv_mb = os.path.getsize(csv_path) / 2**20
    os.remove(csv_path)

    print(f"\ntickets: {arrow.num_rows} rows, {len(arrow.column_names)} columns, "
          f"Arrow {arrow.nbytes / 2**20:.0f} MB; CSV {csv_mb:.0f} MB written in {write_s:.1f} s; "
          f"{grouped.height} groups; CSV frame {csv_frame.shape}")
    print(f"\n| tickets table ({arrow.num_rows} rows) | median of {args.repeat} (ms) | best (ms) |")
    print("|---|---|---|")
    for label, (median, best) in results.items():
        print(f"| {label} | {median:.0f} | {best:.0f} |")
    into_pandas = results["db.tickets() into pandas (to_pandas)"][0]
    read_csv = results["pandas.read_csv of the same rows (CSV export)"][0]
    print(f"\ninto pandas {into_pandas:.0f} ms (target < 1000 ms); pandas.read_csv {read_csv:.0f} ms: "
          f"ratio read_csv / prasang = {read_csv / into_pandas:.1f}x")
    db.close()


if __name__ == "__main__":
    main()
