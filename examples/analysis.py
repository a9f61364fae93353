"""Charts from a Prasang snapshot: bookings per week and average rating by age group.

    python examples/analysis.py prasang-data/snapshots/demo charts/

Needs the `prasang` package (pip install ./prasang-py) plus pyarrow, pandas and matplotlib.
See prasang-py/README.md for taking the snapshot from a running server.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

import prasang  # noqa: E402


def bookings_per_week(db: prasang.Database, out: Path) -> Path:
    """Booked seats per ISO week of booking, from the raw tickets table."""
    tickets = db.tickets().to_pandas()
    booked = tickets[tickets["status"].isin(["booked", "cancelled"])]
    weekly = (
        booked.set_index("created_at")["quantity"].resample("W-MON", label="left").sum()
    )
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.bar(weekly.index.strftime("%Y-%m-%d"), weekly.values, color="#3b6ea5")
    ax.set_title("Seats booked per week")
    ax.set_xlabel("week starting")
    ax.set_ylabel("seats")
    ax.tick_params(axis="x", rotation=45)
    fig.tight_layout()
    path = out / "bookings_per_week.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def rating_by_age_group(db: prasang.Database, out: Path) -> Path:
    """Mean rating per age group: the raw feedback joined with attendee demographics (the
    ratings_by_group() report gives the same per gender x age cell). Guests, who bought
    without an account and told no age, are the last group, "unknown"."""
    feedback = db.feedback().to_pandas()
    attendees = db.attendees().to_pandas()
    joined = feedback.merge(attendees, left_on="user", right_on="id")
    average = joined.groupby("age_group", observed=False)["rating"].mean()
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.bar(average.index.astype(str), average.fillna(0).values, color="#c77c2e")
    if joined.empty:
        ax.text(0.5, 0.5, "no ratings in this snapshot yet", ha="center",
                transform=ax.transAxes)
    ax.set_ylim(0, 5)
    ax.set_title(f"Average rating by age group ({len(joined)} ratings)")
    ax.set_xlabel("age group")
    ax.set_ylabel("rating (1-5)")
    fig.tight_layout()
    path = out / "rating_by_age_group.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: python examples/analysis.py SNAPSHOT_FOLDER OUTPUT_FOLDER")
    snapshot, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    with prasang.open(snapshot) as db:
        for path in (bookings_per_week(db, out), rating_by_age_group(db, out)):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
