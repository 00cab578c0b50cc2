"""SQL building blocks: the one identifier-quoting helper every query goes through."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from workbench.errors import UserError


def quote_identifier(name: str) -> str:
    """Quote a column or table name for DuckDB.

    Args:
        name: any text, including quotes, spaces, SQL keywords or non-ASCII letters.

    Returns:
        The name in double quotes with embedded double quotes doubled.
    """
    if "\x00" in name:
        raise UserError(
            f"The column name {name!r} contains a NUL character; rename it in the file."
        )
    return '"' + name.replace('"', '""') + '"'


def resolve_column(name: str, columns: Iterable[str]) -> str:
    """The table's own spelling of ``name``; a readable error naming the closest column if absent.

    DuckDB matches quoted identifiers case-insensitively, so an exact match wins and a
    case-insensitive one is accepted.
    """
    cols = list(columns)
    if name in cols:
        return name
    folded = [c for c in cols if c.casefold() == name.casefold()]
    if len(folded) == 1:
        return folded[0]
    hint = closest(name, cols)
    tip = f' The closest is "{hint}".' if hint else ""
    raise UserError(
        f'The data has no column "{name}".{tip} Fix the column name in the model, or pick the '
        "column again."
    )


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate that looks most like ``name`` (for "did you mean" hints), if any is close."""
    import difflib

    cands = list(candidates)
    lowered = {c.casefold(): c for c in cands}
    match = difflib.get_close_matches(name.casefold(), list(lowered), n=1, cutoff=0.5)
    return lowered[match[0]] if match else None


def fetch_row(con: Any, sql: str, params: Any = None) -> tuple[Any, ...]:
    """The first row of a query, with the result fully fetched.

    DuckDB keeps a connection busy until a result is read to its end, and ``fetchone()`` on a
    one-row result does not get there: the next ``con.sql()`` would fail. Always use this.
    """
    rows = (
        con.execute(sql, params).fetchall() if params is not None else con.execute(sql).fetchall()
    )
    if not rows:
        raise ValueError("the query returned no rows")
    return tuple(rows[0])


def is_text_type(dtype: str) -> bool:
    """True for DuckDB's text column types: VARCHAR, and the ENUMs the loader stores
    low-cardinality text columns as (``ENUM('a', 'b')``)."""
    return dtype.split("(")[0].strip().upper() in ("VARCHAR", "ENUM")
