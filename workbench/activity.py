"""The activity log: load an event file, map its columns, read its times, compare decays.

An activity log is one row per thing a lead did (``lead id, activity, time``, optionally a
detail such as a page URL or an e-mail's name). It is loaded like a lead file (any format
:func:`workbench.loading.load_leads` reads) into a raw table, then normalised into the
events table the compiler reads::

    lead_id VARCHAR, activity VARCHAR, detail VARCHAR, ts TIMESTAMP  -- ts in UTC, naive

Times are read per column: ISO, day-first, month-first and dotted dates, with or without a
time, with an optional time zone (``Z``, ``UTC``, ``+02:00``, ``-0500``) converted to UTC.
Rows whose time or lead id cannot be read are left out and counted.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from workbench import cleaning
from workbench.compiler import compile_scoring
from workbench.errors import UserError
from workbench.loading import load_leads, read_table_columns
from workbench.model import Decay, ScoringModel
from workbench.sql import fetch_row, resolve_column
from workbench.sql import quote_identifier as q

EVENTS_TABLE = "events"
RAW_EVENTS_TABLE = "events_raw"
EVENT_COLUMNS = ("lead_id", "activity", "detail", "ts")
ROLES = ("lead", "activity", "time", "detail")
# How many distinct values the date detection looks at.
_SAMPLE = 5000
# A time zone written after a time: Z, UTC, GMT, +02:00, -0500.
_TZ_RE = re.compile(r"(?<=\d\d:\d\d)(?::\d\d(?:[.,]\d+)?)?\s*(Z|UTC|GMT|[+-]\d\d:?\d\d)$", re.I)
_TZ_SQL = r"\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?\s*([Zz]|UTC|GMT|utc|gmt|[+-]\d\d:?\d\d)$"
# Formats are built from cleaning's closed set of strptime pieces; refuse anything else.
_SAFE_FORMAT = re.compile(r"[%A-Za-z0-9 ./:,T-]+")
# Words people use for the roles, to propose a mapping.
_HINTS = {
    "lead": ("lead id", "lead_id", "leadid", "lead", "contact id", "contact_id", "email", "id"),
    "activity": ("activity", "event", "event type", "event_type", "type", "action"),
    "time": ("timestamp", "time", "date", "occurred at", "occurred_at", "created", "datetime"),
    "detail": ("detail", "details", "url", "page", "page url", "subject", "name", "campaign"),
}


@dataclass(frozen=True)
class EventMapping:
    """Which raw columns hold the lead id, the activity, the time and (optionally) a detail."""

    lead: str
    activity: str
    time: str
    detail: str | None = None


@dataclass(frozen=True)
class TimeFormat:
    """How a time column is written.

    Attributes:
        format: a ``strptime`` format for the part before any time zone, or None when the
            column is already a DATE/TIMESTAMP (or epoch numbers) or holds no dates.
        failed: values in the sample the format does not read.
        time_zones: whether some values carry a time zone (converted to UTC).
        native: the column's DuckDB type when it is already a date or time type, else None.
    """

    format: str | None
    failed: int
    time_zones: bool = False
    native: str | None = None


@dataclass(frozen=True)
class EventLoad:
    """What :func:`map_events` wrote.

    Attributes:
        table: the events table.
        rows: events kept.
        failed_times: rows left out because their time could not be read.
        missing_leads: rows left out because the lead id was empty.
        empty_times: rows left out because the time was empty.
        time_format: how the time column was read.
        notes: readable sentences for the app and the command line.
    """

    table: str
    rows: int
    failed_times: int
    missing_leads: int
    time_format: TimeFormat
    empty_times: int = 0
    notes: list[str] = field(default_factory=list)


def parse_mapping(text: str) -> EventMapping:
    """Read ``lead=COL,activity=COL,time=COL[,detail=COL]`` (the CLI's ``--events-map``).

    Raises:
        UserError: a role is unknown, repeated or missing.
    """
    found: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        role, sep, column = part.partition("=")
        role = role.strip().lower()
        if not sep or role not in ROLES:
            raise UserError(
                f"--events-map takes role=column pairs with roles {', '.join(ROLES)}; "
                f"{part.strip()!r} is not one"
            )
        if role in found:
            raise UserError(f"--events-map names the {role} column twice")
        found[role] = column.strip()
    missing = [r for r in ROLES[:3] if not found.get(r)]
    if missing:
        raise UserError(f"--events-map needs {', '.join(missing)} (e.g. lead=Lead ID)")
    return EventMapping(found["lead"], found["activity"], found["time"], found.get("detail"))


def guess_mapping(columns: Sequence[str]) -> dict[str, str | None]:
    """A proposed column for each role from the column names (None where nothing fits)."""
    norm = {c: re.sub(r"[\s_-]+", " ", c.strip().lower()) for c in columns}
    out: dict[str, str | None] = {}
    used: set[str] = set()
    for role in ("time", "activity", "detail", "lead"):
        pick = None
        for hint in _HINTS[role]:
            hint = hint.replace("_", " ")
            pick = next((c for c, n in norm.items() if n == hint and c not in used), None)
            if pick:
                break
        out[role] = pick
        if pick:
            used.add(pick)
    return {r: out[r] for r in ROLES}


def split_time_zone(value: str) -> tuple[str, int | None]:
    """``value`` without a trailing time zone, and that zone's offset in minutes (None: none).

    >>> split_time_zone("2025-03-01T10:00:00+02:00")
    ('2025-03-01T10:00:00', 120)
    """
    v = value.strip()
    m = _TZ_RE.search(v)
    if not m:
        return v, None
    zone = m.group(1).upper()
    base = v[: m.start(1)].rstrip()
    if zone in ("Z", "UTC", "GMT"):
        return base, 0
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    return base, sign * (int(digits[:2]) * 60 + int(digits[2:]))


def detect_time_format(values: Iterable[str | None], *, day_first: bool = True) -> TimeFormat:
    """How a text column of times is written (time zones allowed, see :func:`split_time_zone`).

    Args:
        values: the column's values (None and blanks are skipped).
        day_first: the order of day and month when the values do not settle it.

    Returns:
        The format of the part before the time zone and how many values it fails to read.
    """
    bases, zoned = [], False
    for value in values:
        if value is None or not value.strip():
            continue
        base, offset = split_time_zone(value)
        zoned = zoned or offset is not None
        bases.append(base)
    fmt, failed = cleaning.detect_date_format(bases, day_first=day_first)
    if fmt is not None and fmt.endswith("Z"):  # an ISO shape with a literal Z left in it
        fmt = fmt[:-1]
    return TimeFormat(fmt, failed, zoned)


def timestamp_sql(column: str, fmt: str) -> str:
    """SQL turning text ``column`` written as ``fmt`` (plus an optional zone) into UTC TIMESTAMP.

    The zone is cut off with a regular expression, the rest read with ``try_strptime`` and
    the offset subtracted, so ``10:00+02:00`` becomes ``08:00``. Unreadable values give NULL.
    """
    if not _SAFE_FORMAT.fullmatch(fmt):
        raise ValueError(f"unexpected date format {fmt!r}")
    v = f"trim(CAST({q(column)} AS VARCHAR))"
    zone = f"regexp_extract({v}, '{_TZ_SQL}', 1)"
    base = f"rtrim(left({v}, length({v}) - length({zone})))"
    offset = (
        f"CASE WHEN upper({zone}) IN ('', 'Z', 'UTC', 'GMT') THEN 0 "
        f"ELSE (CASE WHEN left({zone}, 1) = '-' THEN -1 ELSE 1 END) * "
        f"(TRY_CAST(substr(replace({zone}, ':', ''), 2, 2) AS INTEGER) * 60 + "
        f"TRY_CAST(substr(replace({zone}, ':', ''), 4, 2) AS INTEGER)) END"
    )
    parsed = f"CAST(try_strptime({base}, '{fmt}') AS TIMESTAMP)"
    return f"({parsed} - to_minutes(CAST({offset} AS BIGINT)))"


def load_event_file(
    con: duckdb.DuckDBPyConnection,
    source: str | Path | bytes,
    *,
    filename: str | None = None,
    raw_table: str = RAW_EVENTS_TABLE,
) -> list[str]:
    """Load an event file as it is into ``raw_table``; its columns, for the mapping step.

    Date detection is left to :func:`map_events` (which also reads time zones), so the raw
    table keeps the time column as written.
    """
    result = load_leads(con, source, raw_table, filename=filename, default_placeholders=())
    return list(result.columns)


def _column_type(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str:
    rows = con.execute(
        "SELECT data_type FROM information_schema.columns WHERE table_name = $t "
        "AND column_name = $c",
        {"t": table, "c": column},
    ).fetchall()
    return str(rows[0][0]).upper() if rows else "VARCHAR"


def map_events(
    con: duckdb.DuckDBPyConnection,
    mapping: EventMapping,
    *,
    raw_table: str = RAW_EVENTS_TABLE,
    table: str = EVENTS_TABLE,
    day_first: bool = True,
) -> EventLoad:
    """Normalise ``raw_table`` into ``table`` (lead_id, activity, detail, ts) with the mapping.

    Args:
        con: the connection holding the raw table.
        mapping: which raw columns play which role.
        raw_table: the table :func:`load_event_file` wrote.
        table: the events table to create or replace.
        day_first: the order of day and month when a time column does not settle it.

    Returns:
        Rows kept, rows left out (unreadable time, empty lead id), the time format read.

    Raises:
        UserError: a mapped column is missing, or the time column holds no dates at all.
    """
    cols = read_table_columns(con, raw_table)
    lead = resolve_column(mapping.lead, cols)
    act = resolve_column(mapping.activity, cols)
    when = resolve_column(mapping.time, cols)
    detail = resolve_column(mapping.detail, cols) if mapping.detail else None
    kind = _column_type(con, raw_table, when)
    if kind.startswith("TIMESTAMP WITH TIME ZONE") or kind == "TIMESTAMPTZ":
        ts = f"timezone('UTC', {q(when)})"
        fmt = TimeFormat(None, 0, True, kind)
    elif kind.startswith(("TIMESTAMP", "DATE")):
        ts = f"CAST({q(when)} AS TIMESTAMP)"
        fmt = TimeFormat(None, 0, False, kind)
    elif kind in ("BIGINT", "INTEGER", "DOUBLE", "HUGEINT", "UBIGINT", "FLOAT"):
        # Unix epoch: seconds, or milliseconds when the numbers are that large.
        v = f"CAST({q(when)} AS DOUBLE)"
        secs = f"CASE WHEN abs({v}) > 1e11 THEN {v} / 1000 ELSE {v} END"
        ts = f"timezone('UTC', to_timestamp({secs}))"
        fmt = TimeFormat(None, 0, False, "epoch")
    else:
        sample = con.execute(
            f"SELECT DISTINCT CAST({q(when)} AS VARCHAR) FROM {q(raw_table)} "
            f"WHERE {q(when)} IS NOT NULL LIMIT {_SAMPLE}"
        ).fetchall()
        fmt = detect_time_format((r[0] for r in sample), day_first=day_first)
        if fmt.format is None:
            examples = ", ".join(repr(r[0]) for r in sample[:3])
            raise UserError(
                f'The column "{when}" holds no dates or times we can read ({examples}); '
                "pick the column with the time of each activity."
            )
        ts = timestamp_sql(when, fmt.format)
    detail_sql = f"CAST({q(detail)} AS VARCHAR)" if detail else "CAST(NULL AS VARCHAR)"
    lead_sql = f"NULLIF(trim(CAST({q(lead)} AS VARCHAR)), '')"
    staged = (
        f"SELECT {lead_sql} AS lead_id, trim(CAST({q(act)} AS VARCHAR)) AS activity, "
        f"{detail_sql} AS detail, {ts} AS ts, "
        f"NULLIF(trim(CAST({q(when)} AS VARCHAR)), '') IS NOT NULL AS had_time "
        f"FROM {q(raw_table)}"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE __wb_events_stage AS {staged}")
    failed, empty, missing, total = fetch_row(
        con,
        "SELECT count_if(ts IS NULL AND had_time AND lead_id IS NOT NULL), "
        "count_if(NOT had_time AND lead_id IS NOT NULL), count_if(lead_id IS NULL), "
        "count(*) FROM __wb_events_stage",
    )
    con.execute(
        f"CREATE OR REPLACE TABLE {q(table)} AS SELECT lead_id, activity, detail, ts "
        "FROM __wb_events_stage WHERE ts IS NOT NULL AND lead_id IS NOT NULL"
    )
    con.execute("DROP TABLE __wb_events_stage")
    kept = int(total) - int(failed) - int(missing) - int(empty)
    notes = [f"{kept:,} activities kept of {int(total):,} rows."]
    how = fmt.native or fmt.format
    notes.append(
        f'Times in "{when}" read as {how}'
        + (", time zones converted to UTC." if fmt.time_zones else ".")
    )
    if failed:
        notes.append(f"Warning: {int(failed):,} times could not be read; those rows are left out.")
    if missing:
        notes.append(f"Warning: {int(missing):,} rows have no lead id; they are left out.")
    if empty:
        notes.append(f"{int(empty):,} rows have no time; they are left out.")
    return EventLoad(table, kept, int(failed), int(missing), fmt, int(empty), notes)


def load_events(
    con: duckdb.DuckDBPyConnection,
    source: str | Path | bytes,
    mapping: EventMapping,
    *,
    filename: str | None = None,
    table: str = EVENTS_TABLE,
    day_first: bool = True,
) -> EventLoad:
    """Load an event file and normalise it in one step (the command line's path)."""
    load_event_file(con, source, filename=filename)
    return map_events(con, mapping, table=table, day_first=day_first)


def events_from_frame(
    con: duckdb.DuckDBPyConnection, frame: object, table: str = EVENTS_TABLE
) -> int:
    """Write a DataFrame that already has the four event columns as the events table (tests)."""
    con.register("__wb_events_frame", frame)
    try:
        con.execute(
            f"CREATE OR REPLACE TABLE {q(table)} AS SELECT CAST(lead_id AS VARCHAR) AS lead_id, "
            "CAST(activity AS VARCHAR) AS activity, CAST(detail AS VARCHAR) AS detail, "
            "CAST(ts AS TIMESTAMP) AS ts FROM __wb_events_frame"
        )
    finally:
        con.unregister("__wb_events_frame")
    return int(fetch_row(con, f"SELECT count(*) FROM {q(table)}")[0])


@dataclass(frozen=True)
class ActivityOverview:
    """A short description of the events table for the app."""

    events: int
    leads: int
    first: datetime.datetime | None
    last: datetime.datetime | None
    activities: list[tuple[str, int]]


def overview(con: duckdb.DuckDBPyConnection, table: str = EVENTS_TABLE) -> ActivityOverview:
    """Event and lead counts, the time span and the activities with their counts."""
    n, leads, first, last = fetch_row(
        con, f"SELECT count(*), count(DISTINCT lead_id), min(ts), max(ts) FROM {q(table)}"
    )
    acts = con.execute(
        f"SELECT activity, count(*) FROM {q(table)} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 50"
    ).fetchall()
    return ActivityOverview(int(n), int(leads), first, last, [(str(a), int(c)) for a, c in acts])


@dataclass(frozen=True)
class DecayComparison:
    """The same leads scored under two decay settings.

    Attributes:
        tiers_a: tier name → lead count under setting A.
        tiers_b: the same under setting B.
        top_tier: the tier compared (the model's highest).
        top_only_a: leads in the top tier under A but not under B (with A the more lenient
            setting, these are hot only because of stale activity).
        top_only_b: leads in the top tier under B but not under A.
    """

    tiers_a: dict[str, int]
    tiers_b: dict[str, int]
    top_tier: str
    top_only_a: int
    top_only_b: int


def with_decay(model: ScoringModel, decay: Decay | None) -> ScoringModel:
    """The model with ``decay`` as its default and every criterion-level decay removed."""
    data = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    if data.get("activity"):
        data["activity"].pop("decay", None)
        if decay is not None and decay.active:
            data["activity"]["decay"] = decay.model_dump(exclude_none=True)
    for c in data.get("criteria", []):
        c.pop("decay", None)
    return ScoringModel.model_validate(data)


def compare_decay(
    con: duckdb.DuckDBPyConnection,
    model: ScoringModel,
    table: str,
    columns: Sequence[str],
    events: str,
    a: Decay | None,
    b: Decay | None,
    *,
    as_of: datetime.date | None = None,
) -> DecayComparison:
    """Score the leads with decay ``a`` and with decay ``b`` and compare the tiers.

    Args:
        con: the connection holding both tables.
        model: the model (its own decay settings are replaced by ``a`` / ``b``).
        table: the leads table.
        columns: the leads table's columns.
        events: the events table.
        a: the first decay (None: no decay).
        b: the second decay.
        as_of: the scoring day (default today).

    Returns:
        Tier counts under each, and how many leads are in the top tier under one only.
    """
    cols = list(columns)
    row = "_wb_row"
    n = 0
    while row.casefold() in {c.casefold() for c in cols}:
        n += 1
        row = f"_wb_row_{n}"
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW __wb_decay_rows AS SELECT *, row_number() OVER () AS "
        f"{q(row)} FROM {q(table)}"
    )
    for name, decay in (("a", a), ("b", b)):
        query = compile_scoring(
            with_decay(model, decay),
            "__wb_decay_rows",
            [*cols, row],
            keep=[row],
            events=events,
            as_of=as_of,
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE __wb_decay_{name} AS {query.sql}", query.params)
    top = model.tiers[-1].name
    tiers = {t.name: [0, 0] for t in model.tiers}
    for side in (0, 1):
        name = "ab"[side]
        for tier, count in con.execute(
            f"SELECT tier, count(*) FROM __wb_decay_{name} GROUP BY 1"
        ).fetchall():
            tiers[tier][side] = int(count)
    only_a, only_b = fetch_row(
        con,
        f"SELECT count_if(x.tier = $top AND y.tier <> $top), "
        f"count_if(y.tier = $top AND x.tier <> $top) FROM __wb_decay_a AS x "
        f"JOIN __wb_decay_b AS y USING ({q(row)})",
        {"top": top},
    )
    for name in ("__wb_decay_a", "__wb_decay_b"):
        con.execute(f"DROP TABLE {name}")
    con.execute("DROP VIEW __wb_decay_rows")
    return DecayComparison(
        {k: v[0] for k, v in tiers.items()},
        {k: v[1] for k, v in tiers.items()},
        top,
        int(only_a or 0),
        int(only_b or 0),
    )


def parse_as_of(text: str | None) -> datetime.date | None:
    """Read ``--as-of`` (``YYYY-MM-DD``); None stays None (today).

    Raises:
        UserError: the text is not an ISO date.
    """
    if text is None or not text.strip():
        return None
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError as e:
        raise UserError(f"--as-of takes a date written YYYY-MM-DD, not {text!r}.") from e
