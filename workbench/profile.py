"""Column profile of a DuckDB table: types, missing values, distinct values and a kind.

The ``kind`` of a column is the basis for proposing a scoring criterion: a yes/no flag, a
number with a range, a category with a few values, an e-mail address, and so on. Everything
is computed with SQL aggregates in two queries for the whole table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import duckdb

from workbench.cleaning import INTEGER_TYPES, NUMERIC_TYPES
from workbench.loading import read_table_columns
from workbench.sql import quote_identifier

__all__ = ["KINDS", "ColumnProfile", "profile_table"]

KINDS = ("number", "flag", "category", "email", "date", "id", "text", "empty")

TOP_VALUES = 10
# Text with at most this many distinct values (and not nearly unique) is a category.
MAX_CATEGORIES = 50
# Distinct values / non-missing values at or above this share make a column nearly unique.
NEAR_UNIQUE_SHARE = 0.9
# Nearly unique text this long on average is free text, not an identifier.
MAX_ID_LENGTH = 40
# Share of non-missing values that must look like addresses for an "email" column.
EMAIL_SHARE = 0.5

_GROUP_CHUNK = 16

# Values of yes/no-like columns, compared case-insensitively after trimming.
FLAG_VALUES = frozenset(
    {
        "true",
        "false",
        "1",
        "0",
        "1.0",
        "0.0",
        "yes",
        "no",
        "y",
        "n",
        "si",
        "sí",
        "sì",
        "x",
        "t",
        "f",
    }
)

_DATE_TYPES = ("DATE", "TIMESTAMP")
_TEXT_TYPES = ("VARCHAR", "ENUM")  # the loader stores repeated text as ENUM

# "Record ID", "lead_id", "Person - ID", "uuid"; and camelCase "LeadId" / "AccountID".
_ID_WORD = re.compile(r"(^|[^A-Za-z0-9])(id|key|uuid|guid)$", re.IGNORECASE)
_ID_CAMEL = re.compile(r"[a-z0-9](Id|ID)$")


@dataclass(frozen=True)
class ColumnProfile:
    """What one column holds.

    Attributes:
        name: column name.
        dtype: DuckDB type name (BIGINT, DOUBLE, VARCHAR, BOOLEAN, DATE, TIMESTAMP, ...).
        kind: one of :data:`KINDS`.
        missing_share: share of rows (0..1) that are NULL or an empty string.
        distinct: number of distinct non-missing values.
        top_values: up to 10 most frequent non-missing values as text, with counts, most
            frequent first; ties in the order of the values themselves (numbers numerically,
            text alphabetically).
        minimum: smallest value of a numeric column, else None.
        maximum: largest value of a numeric column, else None.
    """

    name: str
    dtype: str
    kind: str
    missing_share: float
    distinct: int
    top_values: list[tuple[str, int]]
    minimum: float | None
    maximum: float | None


def profile_table(con: duckdb.DuckDBPyConnection, table: str) -> list[ColumnProfile]:
    """Profile every column of ``table``.

    Args:
        con: DuckDB connection.
        table: table name.

    Returns:
        One :class:`ColumnProfile` per column, in table order.

    Raises:
        UserError: if there is no such table.
    """
    names = read_table_columns(con, table)
    described = con.execute(f"DESCRIBE {quote_identifier(table)}").fetchall()
    dtypes = [str(r[1]) for r in described]
    if not names:
        return []
    source = quote_identifier(table)
    totals = _totals(con, source, names, dtypes)
    groups = []
    # Planning time grows faster than linearly with the number of CTEs in one statement
    # (6 s for 200 columns at once, 0.3 s in chunks), so wide tables go in chunks.
    for start in range(0, len(names), _GROUP_CHUNK):
        chunk = slice(start, start + _GROUP_CHUNK)
        groups += _groups(con, source, names[chunk], dtypes[chunk])
    rows = int(totals[0])
    profiles = []
    for i, (name, dtype) in enumerate(zip(names, dtypes, strict=True)):
        present, low, high, emails, avg_length = totals[1 + 5 * i : 6 + 5 * i]
        distinct, top = groups[i]
        top_values = [(str(t["v"]), int(t["n"])) for t in top or []]
        numeric = _base(dtype) in NUMERIC_TYPES
        profile = ColumnProfile(
            name=name,
            dtype=dtype,
            kind=_kind(name, dtype, int(present), int(distinct), top_values, emails, avg_length),
            missing_share=(rows - int(present)) / rows if rows else 0.0,
            distinct=int(distinct),
            top_values=top_values,
            minimum=float(low) if numeric and low is not None else None,
            maximum=float(high) if numeric and high is not None else None,
        )
        profiles.append(profile)
    return profiles


def _base(dtype: str) -> str:
    """The bare type name: DECIMAL(18,3) -> DECIMAL, TIMESTAMP WITH TIME ZONE -> TIMESTAMP."""
    return dtype.split("(")[0].split(" ")[0].upper()


def _value(col: str, dtype: str) -> str:
    """The column with empty strings as NULL, so that every aggregate skips missing values."""
    return f"NULLIF({col}, '')" if _base(dtype) in _TEXT_TYPES else col


def _totals(
    con: duckdb.DuckDBPyConnection, source: str, names: list[str], dtypes: list[str]
) -> tuple[Any, ...]:
    """Row count, then per column: non-missing count, min, max, e-mail-like count, mean length."""
    parts = ["count(*)"]
    for name, dtype in zip(names, dtypes, strict=True):
        v = _value(quote_identifier(name), dtype)
        numeric = _base(dtype) in NUMERIC_TYPES
        text = _base(dtype) in _TEXT_TYPES
        parts.append(f"count({v})")
        parts.append(f"CAST(min({v}) AS DOUBLE)" if numeric else "NULL")
        parts.append(f"CAST(max({v}) AS DOUBLE)" if numeric else "NULL")
        # "Contains an @ with a dot somewhere after it", as the kind rule is written.
        parts.append(f"count(CASE WHEN {v} LIKE '%@%.%' THEN 1 END)" if text else "0")
        parts.append(f"avg(length({v}))" if text else "NULL")
    row = con.execute(f"SELECT {', '.join(parts)} FROM {source}").fetchone()  # noqa: S608
    assert row is not None
    return tuple(row)


def _groups(
    con: duckdb.DuckDBPyConnection, source: str, names: list[str], dtypes: list[str]
) -> list[tuple[int, list[dict[str, Any]]]]:
    """Per column: the number of distinct non-missing values and the most frequent ones.

    Each column is grouped once (a materialised CTE); the distinct count is the number of
    groups and the top values come from a top-N over the groups, all in one statement.
    """
    ctes = []
    selects = []
    for i, (name, dtype) in enumerate(zip(names, dtypes, strict=True)):
        g = quote_identifier(f"g{i}")
        v = _value(quote_identifier(name), dtype)
        ctes.append(
            f"{g} AS MATERIALIZED (SELECT {v} AS v, count(*) AS n FROM {source} "  # noqa: S608
            f"WHERE {v} IS NOT NULL GROUP BY ALL)"
        )
        selects.append(f"(SELECT count(*) FROM {g})")
        selects.append(
            "(SELECT list({'v': CAST(v AS VARCHAR), 'n': n} ORDER BY n DESC, v) "  # noqa: S608
            f"FROM (SELECT v, n FROM {g} ORDER BY n DESC, v LIMIT {TOP_VALUES}))"
        )
    sql = f"WITH {', '.join(ctes)} SELECT {', '.join(selects)}"
    row = con.execute(sql).fetchone()
    assert row is not None
    return [(int(row[2 * i]), list(row[2 * i + 1] or [])) for i in range(len(names))]


def _kind(
    name: str,
    dtype: str,
    present: int,
    distinct: int,
    top_values: list[tuple[str, int]],
    emails: int,
    avg_length: float | None,
) -> str:
    """Classify a column from its aggregates (see :data:`KINDS`)."""
    base = _base(dtype)
    if present == 0:
        return "empty"
    if base == "BOOLEAN":
        return "flag"
    # top_values holds every distinct value when there are at most TOP_VALUES of them.
    if distinct <= TOP_VALUES and all(v.strip().casefold() in FLAG_VALUES for v, _ in top_values):
        return "flag"
    if base in _DATE_TYPES:
        return "date"
    near_unique = present >= 2 and distinct >= NEAR_UNIQUE_SHARE * present
    if base in NUMERIC_TYPES:
        if base in INTEGER_TYPES and near_unique and _looks_like_id(name):
            return "id"
        return "number"
    if base in _TEXT_TYPES:
        if emails > EMAIL_SHARE * present:
            return "email"
        if near_unique:
            return "text" if (avg_length or 0) > MAX_ID_LENGTH else "id"
        if distinct <= MAX_CATEGORIES:
            return "category"
    return "text"


def _looks_like_id(name: str) -> bool:
    stripped = name.strip()
    return bool(_ID_WORD.search(stripped) or _ID_CAMEL.search(stripped))
