"""Where the time goes: every SQL statement of one ingest and one full summary, timed.

Usage::

    python benchmarks/profile_sql.py [--size 1M]

Wraps the DuckDB connection so that each ``execute`` is timed (including its fetch), then runs
``load_leads`` and ``summarize`` once each, and also times every criterion of the benchmark
model on its own. Used for the profile in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import duckdb  # noqa: E402

from benchmarks.data import MODEL, OUTCOME, ensure_csv  # noqa: E402
from benchmarks.run import parse_size  # noqa: E402
from workbench.compiler import compile_scoring, points_column  # noqa: E402
from workbench.loading import load_leads  # noqa: E402
from workbench.model_file import model_from_dict  # noqa: E402
from workbench.summary import summarize  # noqa: E402


class _Timed:
    """Result wrapper that charges the fetch to the statement that produced it."""

    def __init__(self, owner: TimedConnection, result: Any, sql: str, start: float) -> None:
        self._owner, self._result, self._sql, self._start = owner, result, sql, start

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._result, name)
        if not name.startswith("fetch"):
            return attr

        def fetch(*args: Any, **kwargs: Any) -> Any:
            out = attr(*args, **kwargs)
            self._owner.log.append((time.perf_counter() - self._start, self._sql))
            return out

        return fetch


class TimedConnection:
    """A DuckDB connection whose ``execute`` calls are logged with their duration."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.log: list[tuple[float, str]] = []

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        result = self._con.execute(sql, *args, **kwargs)
        if sql.lstrip().upper().startswith(("CREATE", "DROP", "INSERT")):
            self.log.append((time.perf_counter() - start, sql))
            return result
        return _Timed(self, result, sql, start)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def _show(title: str, total: float, log: list[tuple[float, str]]) -> None:
    print(f"\n{title}: {total * 1e3:.0f} ms in {len(log)} statements")
    for seconds, sql in sorted(log, reverse=True)[:8]:
        text = " ".join(sql.split())
        print(f"  {seconds * 1e3:7.1f} ms  {text[:110]}")


def main() -> int:
    parser = argparse.ArgumentParser(description="time each SQL statement of ingest and summary")
    parser.add_argument("--size", default="1M")
    args = parser.parse_args()
    csv = ensure_csv(parse_size(args.size), HERE / "data")
    con = TimedConnection(duckdb.connect())
    start = time.perf_counter()
    loaded = load_leads(con, csv, "leads")  # type: ignore[arg-type]
    _show("load_leads", time.perf_counter() - start, con.log)

    model = model_from_dict(MODEL)
    con.log.clear()
    start = time.perf_counter()
    summarize(con, model, "leads", loaded.columns, outcome=OUTCOME)  # type: ignore[arg-type]
    _show("summarize", time.perf_counter() - start, con.log)

    print("\none criterion at a time (its points summed over every lead, as compiled):")
    raw = con._con
    for c in model.criteria:
        alone = model.model_copy(update={"criteria": [c]})
        query = compile_scoring(alone, "leads", loaded.columns, keep=[])
        sql = f"SELECT sum({points_column(c.id)}) FROM ({query.sql})"  # noqa: S608
        best = min(_once(raw, sql, query.params) for _ in range(3))
        print(f"  {best * 1e3:7.1f} ms  {c.kind:<13} {c.id}")
    return 0


def _once(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> float:
    start = time.perf_counter()
    con.execute(sql, params).fetchall()
    return time.perf_counter() - start


if __name__ == "__main__":
    raise SystemExit(main())
