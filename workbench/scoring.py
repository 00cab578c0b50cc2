"""Scoring a lead table with a model: a page of scored rows, a scored file, and a data check.

Everything runs in DuckDB on the query :func:`workbench.compiler.compile_scoring` builds. The
lead table is wrapped in a CTE that adds the row's position, so ties in score keep the order the
leads had in the file, and a written file lists the leads in that same order.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from workbench.compiler import compile_scoring
from workbench.errors import UserError
from workbench.model import (
    TRUTHY,
    CategoriesCriterion,
    Criterion,
    EmailDomainCriterion,
    FlagCriterion,
    RangesCriterion,
    ScoringModel,
    format_number,
    normalize_category,
)
from workbench.sql import closest, fetch_row, resolve_column
from workbench.sql import quote_identifier as q

if TYPE_CHECKING:
    # Only for the annotation: the command line never builds a DataFrame, and importing pandas
    # costs it ~0.7 s per run.
    import pandas as pd

# The CTE that stands in for the lead table. Its name is ours; the compiler only quotes it.
_ROWS_CTE = "__wb_rows"
# Output formats a scored file could be mistaken for; writing CSV into them would mislead.
_REFUSED_SUFFIXES = {
    ".xlsx": "Excel",
    ".xls": "Excel",
    ".xlsm": "Excel",
    ".json": "JSON",
    ".yaml": "YAML",
    ".yml": "YAML",
}
# A few stray "n/a" cells are normal in a CRM export (they score as 'missing'); more than
# this share of filled cells that are not numbers usually means units, text or a wrong column.
NON_NUMERIC_LIMIT = 0.05
# How many example values a message quotes.
_EXAMPLES = 3
# Distinct values fetched to suggest the closest spelling of a category that never appears.
_HINT_VALUES = 1000


def _row_order_column(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A column name for the row position that clashes with none of the table's columns."""
    taken = {c.casefold() for c in _all_columns(con, table)}
    # Not '__wb_…': the compiler refuses that prefix among the columns it is given.
    name, n = "_wb_row", 0
    while name.casefold() in taken:
        n += 1
        name = f"_wb_row_{n}"
    return name


def _all_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Every column of ``table`` (a caller may pass only some of them as ``columns``)."""
    try:
        rows = con.execute(f"DESCRIBE {q(table)}").fetchall()
    except duckdb.CatalogException:
        raise UserError(f'There is no table "{table}"; load a lead file first.') from None
    return [str(r[0]) for r in rows]


def row_position_sql(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """SQL for a row's position in ``table``: its rowid, or a numbering when it is a view."""
    if any(c.casefold() == "rowid" for c in _all_columns(con, table)):
        # A real column called rowid hides DuckDB's own; it says nothing about file order.
        return "row_number() OVER ()"
    try:
        con.execute(f"SELECT rowid FROM {q(table)} LIMIT 0").fetchall()
    except duckdb.BinderException:
        # Views have no rowid; DuckDB keeps insertion order by default, so number as read.
        return "row_number() OVER ()"
    return "rowid"


def _ordered_query(
    con: duckdb.DuckDBPyConnection,
    model: ScoringModel,
    table: str,
    columns: Sequence[str],
    keep: Sequence[str] | None,
    events: str | None = None,
    as_of: datetime.date | None = None,
) -> tuple[str, dict[str, Any], str]:
    """The scoring query over the table plus a row-position column, its params and that name."""
    cols = list(columns)
    row = _row_order_column(con, table)
    kept = cols if keep is None else [resolve_column(k, cols) for k in keep]
    scoring = compile_scoring(
        model, _ROWS_CTE, [*cols, row], keep=[*kept, row], events=events, as_of=as_of
    )
    sql = (
        f"WITH {q(_ROWS_CTE)} AS (SELECT *, {row_position_sql(con, table)} AS {q(row)} "
        f"FROM {q(table)}) {scoring.sql}"
    )
    return sql, dict(scoring.params), row


def score_frame(
    con: duckdb.DuckDBPyConnection,
    model: ScoringModel,
    table: str,
    columns: Sequence[str],
    *,
    keep: Sequence[str] | None = None,
    tier: str | None = None,
    order_by_score: bool = True,
    limit: int | None = None,
    offset: int = 0,
    events: str | None = None,
    as_of: datetime.date | None = None,
) -> pd.DataFrame:
    """Score the table and return (a page of) the scored leads as a DataFrame.

    Args:
        con: the connection holding the table.
        model: the scoring model.
        table: the leads table.
        columns: the table's columns (checked against the model).
        keep: input columns to carry into the result; ``None`` keeps them all.
        tier: only leads in the tier with this name.
        order_by_score: highest score first (ties in file order); ``False`` keeps file order.
        limit: at most this many rows; ``None`` for all.
        offset: skip this many rows first (for paging).
        events: the activity log table, for activity criteria.
        as_of: the day activity is scored on (default today).

    Returns:
        The kept input columns, one ``points__<id>`` column per criterion, ``score`` and
        ``tier``, in the requested order.

    Raises:
        UserError: a criterion or a kept column names a column the table lacks, or ``tier``
            is not one of the model's tiers.
    """
    if limit is not None and limit < 0:
        raise ValueError("limit must be zero or positive")
    if offset < 0:
        raise ValueError("offset must be zero or positive")
    sql, params, row = _ordered_query(con, model, table, columns, keep, events, as_of)
    where = ""
    if tier is not None:
        names = [t.name for t in model.tiers]
        if tier not in names:
            raise UserError(f"The model has no tier {tier!r}; its tiers are {', '.join(names)}.")
        where = "WHERE tier = $wb_tier"
        params["wb_tier"] = tier
    order = f"score DESC, {q(row)}" if order_by_score else q(row)
    params["wb_limit"] = limit
    params["wb_offset"] = offset
    page = (
        f"SELECT * EXCLUDE ({q(row)}) FROM ({sql}) {where} ORDER BY {order} "
        "LIMIT $wb_limit OFFSET $wb_offset"
    )
    # con.sql, not execute: Arrow output of a DB-API result copies the rows (and warns).
    return con.sql(page, params=params).to_arrow_table().to_pandas()


def check_output_path(path: str | Path) -> Path:
    """Check that scored leads can be written to ``path`` before doing the work.

    Args:
        path: the intended output file.

    Returns:
        The path as a ``Path``.

    Raises:
        UserError: the name asks for a format other than CSV or Parquet (e.g. ``.xlsx``, which
            would get CSV inside), the path is a folder, or its folder does not exist.
    """
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix in _REFUSED_SUFFIXES:
        raise UserError(
            f"Scored leads are written as CSV or Parquet, not {_REFUSED_SUFFIXES[suffix]}; "
            f'name the output file "{out.stem}.csv" or "{out.stem}.parquet".'
        )
    if out.is_dir():
        raise UserError(f'"{out}" is a folder; give a file name such as "{out / "scored.csv"}".')
    if not out.parent.is_dir():
        raise UserError(f'The folder "{out.parent}" does not exist; create it or pick another.')
    return out


def write_scored(
    con: duckdb.DuckDBPyConnection,
    model: ScoringModel,
    table: str,
    columns: Sequence[str],
    path: str | Path,
    *,
    events: str | None = None,
    as_of: datetime.date | None = None,
) -> int:
    """Write every scored lead, in file order, to a CSV file (Parquet for ``.parquet``).

    Args:
        con: the connection holding the table.
        model: the scoring model.
        table: the leads table.
        columns: the table's columns (checked against the model).
        path: where to write; replaced if it exists.
        events: the activity log table, for activity criteria.
        as_of: the day activity is scored on (default today).

    Returns:
        The number of rows written.

    Raises:
        UserError: a criterion names a missing column, the path ends in a format this cannot
            write (e.g. ``.xlsx``), or the file cannot be written.
    """
    out = check_output_path(path)
    suffix = out.suffix.lower()
    sql, params, row = _ordered_query(con, model, table, columns, None, events, as_of)
    options = "FORMAT parquet" if suffix == ".parquet" else "FORMAT csv, HEADER true"
    params["wb_path"] = str(out)
    try:
        result = con.execute(
            f"COPY (SELECT * EXCLUDE ({q(row)}) FROM ({sql}) ORDER BY {q(row)}) "
            f"TO $wb_path ({options})",
            params,
        ).fetchall()
    except duckdb.IOException as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UserError(f'Could not write "{out}" ({first.rstrip(".")}).') from None
    return int(result[0][0]) if result else 0


# --------------------------------------------------------------------------- data checks


def validate_against_data(
    con: duckdb.DuckDBPyConnection,
    model: ScoringModel,
    table: str,
    columns: Sequence[str],
) -> list[str]:
    """Check that each criterion's column exists and holds values the criterion can use.

    Args:
        con: the connection holding the table.
        model: the scoring model.
        table: the leads table.
        columns: the table's columns.

    Returns:
        One readable sentence per problem, in criterion order; an empty list when the model
        fits the data. Problems: a missing column (naming the closest one), a ``ranges``
        column without numbers or with many non-numbers, ``categories`` values that never
        appear, a ``flag`` column without yes-like values, an ``email_domain`` column without
        e-mail addresses or domains.
    """
    cols = list(columns)
    problems: list[str] = []
    found: list[tuple[Criterion, str]] = []
    for c in model.criteria:
        try:
            found.append((c, resolve_column(c.column, cols)))
        except UserError as e:
            problems.append(f"{_who(c)}: {e}")
    counted = fetch_row(con, f"SELECT count(*) FROM {q(table)}")
    if not counted[0]:
        # Every column check below would say the same thing, once per criterion.
        return [
            *problems,
            "The data has no rows, so the columns cannot be checked; load a file with leads in it.",
        ]
    for c, real in found:
        problem = _check_column(con, c, table, real)
        if problem:
            problems.append(f"{_who(c)}: {problem}")
    return problems


def _who(c: Criterion) -> str:
    """How a message names a criterion: its label and id."""
    return f'Criterion "{c.title}" ({c.id})'


def _check_column(
    con: duckdb.DuckDBPyConnection, c: Criterion, table: str, column: str
) -> str | None:
    """The problem with ``column`` for criterion ``c``, or None."""
    col = q(column)
    # The same text form the compiler compares, so the check agrees with the scores.
    text = f"lower(trim(CAST({col} AS VARCHAR)))"
    filled = f"({col} IS NOT NULL AND {text} <> '')"
    stats = con.execute(f"SELECT count_if({filled}) FROM {q(table)}").fetchone()
    n_filled = int(stats[0] or 0) if stats else 0
    name = f'the column "{column}"'
    if n_filled == 0:
        return f"{name} is empty in every row, so every lead gets the same points."

    if isinstance(c, RangesCriterion):
        numeric = con.execute(
            f"SELECT count(TRY_CAST({col} AS DOUBLE)) FROM {q(table)} WHERE {filled}"
        ).fetchone()
        assert numeric is not None
        bad = n_filled - int(numeric[0])
        if bad == 0:
            return None
        examples = _examples(con, table, f"{filled} AND TRY_CAST({col} AS DOUBLE) IS NULL", col)
        missing = format_number(c.missing)
        if bad == n_filled:
            return (
                f"{name} holds no numbers (it has values like {examples}), so every lead gets "
                f"the 'missing' points ({missing}); pick a numeric column or use kind categories."
            )
        share = bad / n_filled
        if share <= NON_NUMERIC_LIMIT:
            return None
        return (
            f"{bad:,} of {n_filled:,} filled values ({share:.0%}) in {name} are not numbers "
            f"(like {examples}) and get the 'missing' points ({missing}); clean the column "
            "or check it is the right one."
        )

    if isinstance(c, FlagCriterion):
        yes = con.execute(
            f"SELECT count_if(list_contains($yes, {text})) FROM {q(table)}",
            {"yes": list(TRUTHY)},
        ).fetchone()
        assert yes is not None
        if int(yes[0]) > 0:
            return None
        examples = _examples(con, table, filled, col)
        return (
            f"{name} has no yes-like values (yes, true, 1, y, x…), only values like {examples}, "
            "so no lead earns these points; pick the right column or use kind categories."
        )

    if isinstance(c, CategoriesCriterion):
        norm = f"regexp_replace({text}, '\\s+', ' ', 'g')"
        seen = {
            str(r[0]): int(r[1])
            for r in con.execute(
                f"SELECT {norm} AS v, count(*) AS n FROM {q(table)} WHERE {filled} "
                "GROUP BY v ORDER BY n DESC, v LIMIT $n",
                {"n": _HINT_VALUES},
            ).fetchall()
        }
        absent = [key for key in c.points if normalize_category(key) not in seen]
        if not absent:
            return None
        if len(seen) == _HINT_VALUES:
            # Only the most common values were fetched: check the absent ones exactly.
            present = {
                str(r[0])
                for r in con.execute(
                    f"SELECT DISTINCT {norm} FROM {q(table)} WHERE list_contains($keys, {norm})",
                    {"keys": [normalize_category(k) for k in absent]},
                ).fetchall()
            }
            absent = [k for k in absent if normalize_category(k) not in present]
            if not absent:
                return None
        originals = _original_spellings(con, table, col, norm, list(seen))
        parts = []
        for key in absent:
            hint = closest(normalize_category(key), list(seen))
            parts.append(
                f'"{key}" (closest: "{originals.get(hint, hint)}")' if hint else f'"{key}"'
            )
        listed = ", ".join(parts)
        if len(absent) == len(c.points):
            return (
                f"none of the listed values appear in {name}: {listed}; every lead gets the "
                "'other' or 'missing' points. Fix the spelling or pick the right column."
            )
        word = "value never appears" if len(absent) == 1 else "values never appear"
        return f"the listed {word} in {name}: {listed}; fix the spelling or remove it."

    if isinstance(c, EmailDomainCriterion):
        found = con.execute(
            f"SELECT count_if(contains({text}, '@') "
            f"OR regexp_full_match({text}, '[a-z0-9-]+(\\.[a-z0-9-]+)*\\.[a-z]{{2,}}')) "
            f"FROM {q(table)}"
        ).fetchone()
        assert found is not None
        if int(found[0]) > 0:
            return None
        examples = _examples(con, table, filled, col)
        return (
            f"{name} holds no e-mail addresses or domains (it has values like {examples}); "
            "pick the e-mail column."
        )
    return None  # pragma: no cover - every kind is handled above


def _examples(con: duckdb.DuckDBPyConnection, table: str, where: str, col: str) -> str:
    """The most common values matching ``where``, quoted for a message."""
    rows = con.execute(
        f"SELECT CAST({col} AS VARCHAR) AS v, count(*) AS n FROM {q(table)} WHERE {where} "
        "GROUP BY v ORDER BY n DESC, v LIMIT $n",
        {"n": _EXAMPLES},
    ).fetchall()
    return ", ".join(f'"{_short(str(r[0]))}"' for r in rows)


def _original_spellings(
    con: duckdb.DuckDBPyConnection, table: str, col: str, norm: str, values: list[str]
) -> dict[str, str]:
    """For normalised category values, one spelling as it appears in the data."""
    if not values:
        return {}
    rows = con.execute(
        f"SELECT {norm} AS v, min(trim(CAST({col} AS VARCHAR))) FROM {q(table)} "
        "WHERE list_contains($vals, v) GROUP BY v",
        {"vals": values},
    ).fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


def _short(value: str, width: int = 40) -> str:
    """A value cut to fit in a message."""
    return value if len(value) <= width else value[: width - 1] + "…"
