"""Prasang for analysts: reports and raw tables of a Prasang store as Arrow data.

>>> import prasang
>>> with prasang.open("prasang-data/snapshots/today") as db:   # doctest: +SKIP
...     tickets = db.tickets().to_pandas()

Every table speaks the Arrow PyCapsule interface (``pyarrow.table(t)``, ``polars.DataFrame(t)``)
and has ``to_pyarrow()``, ``to_pandas()`` and ``to_polars()``. Errors are subclasses of
``prasang.Error``. See README.md beside this package for the snapshot workflow.
"""

from ._prasang import (
    Conflict,
    Database,
    Error,
    Forbidden,
    Internal,
    InvalidInput,
    NotFound,
    RateLimited,
    ReadOnly,
    StoreLocked,
    Table,
    Unauthorized,
    Unavailable,
    __version__,
    open,
)

__all__ = [
    "Conflict",
    "Database",
    "Error",
    "Forbidden",
    "Internal",
    "InvalidInput",
    "NotFound",
    "RateLimited",
    "ReadOnly",
    "StoreLocked",
    "Table",
    "Unauthorized",
    "Unavailable",
    "__version__",
    "open",
]
