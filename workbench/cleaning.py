"""Cleaning lead values: "not answered" placeholders, dates, and ranges Excel turned into dates.

Three concerns, each usable on its own and used by :func:`workbench.loading.load_leads`:

- **Placeholders.** Web forms and CRMs write "not answered" as a word: ``Select`` (the first
  entry of a drop-down), ``unknown``, ``-``, ``N/A``, ``#N/A`` (Excel), ``null``, or a
  Salesforce null id ``000000000000000AAA``. :func:`apply_placeholders` turns such values into
  NULL, per column, so that they count as missing and do not keep a number column as text.
- **Dates.** :func:`detect_date_format` decides, from a column's values, whether they are dates
  and in which order (ISO, day first ``31/12/2025``, month first ``12/31/2025``, dotted
  ``31.12.2025``, with or without a time). It returns a ``strptime`` format that Python and
  DuckDB both read.
- **Excel-mangled ranges.** Typing ``5-20`` into Excel turns it into the date 20 May, shown as
  ``May-20`` or ``20-May``; :func:`excel_mangled_ranges` finds those values so the loader can
  warn, and :func:`repair_excel_ranges` writes the ranges back when the user asks.

Values reach SQL only as bound parameters; identifiers go through
:func:`workbench.sql.quote_identifier`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import duckdb

from workbench.errors import UserError
from workbench.sql import is_text_type, quote_identifier

__all__ = [
    "DATE_MIN_SHARE",
    "DEFAULT_PLACEHOLDERS",
    "INTEGER_TYPES",
    "NUMERIC_TYPES",
    "SALESFORCE_NULL_IDS",
    "MangledRanges",
    "apply_placeholders",
    "date_example",
    "detect_date_format",
    "excel_mangled_ranges",
    "find_mangled_ranges",
    "placeholder_note",
    "range_histograms",
    "repair_excel_ranges",
    "unmangle",
]

# Salesforce writes an empty lookup (owner, account, campaign) as an id of zeros: 15 digits
# in the classic form and 18 characters (with a checksum suffix) in the API form.
SALESFORCE_NULL_IDS = ("000000000000000", "000000000000000AAA")

# Compared with the trimmed value, ignoring case, so "N/A" also covers "n/a" and "NULL" "null".
DEFAULT_PLACEHOLDERS: tuple[str, ...] = (
    "Select",
    "Please select",
    "unknown",
    "-",
    "--",
    "—",
    "N/A",
    "#N/A",
    "none",
    "null",
    *SALESFORCE_NULL_IDS,
)

# A column is converted to dates when at least this share of its non-empty values parse.
DATE_MIN_SHARE = 0.95

# --------------------------------------------------------------------------- placeholders


def apply_placeholders(
    con: duckdb.DuckDBPyConnection,
    table: str,
    column_placeholders: Mapping[str, Sequence[str]] | None = None,
    *,
    default: Sequence[str] = DEFAULT_PLACEHOLDERS,
    columns: Sequence[str] | None = None,
    few_values: Collection[str] = (),
) -> dict[str, dict[str, int]]:
    """Set placeholder values ("not answered") to NULL, column by column.

    A value matches a placeholder when, trimmed of spaces, it equals the placeholder ignoring
    case. Text columns compare as text; in a number column a placeholder that is a number
    (say ``-1`` for "never contacted") matches that number, and other placeholders are
    ignored. Date and boolean columns compare their text form.

    Args:
        con: DuckDB connection.
        table: the table to change in place.
        column_placeholders: placeholders per column, overriding ``default`` for the columns
            it names; an empty list keeps every value of that column.
        default: placeholders for every other text (VARCHAR) column; ``()`` for none.
        columns: limit the change to these columns (default: every VARCHAR column plus every
            column named in ``column_placeholders``).
        few_values: columns expected to hold few distinct values (a hint for speed only):
            they are matched once per distinct value instead of once per cell.

    Returns:
        For each column where something was cleared: the values as written (trimmed) and
        how many times each was cleared, most frequent first. Empty when nothing matched.

    Raises:
        UserError: there is no such table, or a column named in ``column_placeholders`` or
            ``columns`` is not in it.
    """
    per_column = {k: list(v) for k, v in (column_placeholders or {}).items()}
    try:
        described = con.execute(f"DESCRIBE {quote_identifier(table)}").fetchall()
    except duckdb.CatalogException as exc:
        raise UserError(f'There is no table "{table}"; load a lead file first.') from exc
    dtypes = {str(r[0]): str(r[1]) for r in described}
    for name in [*per_column, *(columns or [])]:
        if name not in dtypes:
            raise UserError(f'The data has no column "{name}"; pick the column again.')
    if columns is None:
        chosen = [c for c, t in dtypes.items() if is_text_type(t) or c in per_column]
    else:
        chosen = list(columns)

    tests: dict[str, tuple[str, dict[str, object]]] = {}
    grouped: dict[str, tuple[str, dict[str, object]]] = {}
    for name in chosen:
        wanted = per_column.get(name, default if is_text_type(dtypes[name]) else ())
        params: dict[str, object] = {}
        col, prefix = quote_identifier(name), f"c{len(tests)}_"
        test = _match_sql(col, dtypes[name], wanted, params, prefix)
        if test:
            tests[name] = (test, params)
            if name in few_values:
                # Tested after a GROUP BY. A test on the grouped column alone would be pushed
                # below it, back to once per cell: tying it to count(*) keeps it above.
                after = f"(CASE WHEN count(*) > 0 THEN {col} END)"
                grouped[name] = (_match_sql(after, dtypes[name], wanted, {}, prefix), params)
    if not tests:
        return {}

    src = quote_identifier(table)
    found: dict[str, dict[str, int]] = {}
    if grouped:
        # Grouping a column of a few repeated values is cheaper than a regular expression
        # per cell; the test then runs once per distinct value.
        parts, every = [], {}
        names = list(grouped)
        for j, name in enumerate(names):
            test, params = grouped[name]
            every.update(params)
            col = quote_identifier(name)
            parts.append(
                f"SELECT {j} AS k, {_as_text(col, dtypes[name])} AS v, count(*) AS n "  # noqa: S608
                f"FROM {src} WHERE {col} IS NOT NULL GROUP BY {col} HAVING {test}"
            )
        for k, v, n in con.execute(" UNION ALL ".join(parts), every).fetchall():
            name = names[int(k)]
            counted = found.setdefault(name, {})
            key = str(v).strip()
            counted[key] = counted.get(key, 0) + int(n)
    scanned = {n: t for n, t in tests.items() if n not in grouped}
    found.update(_scan_placeholders(con, src, scanned, dtypes))
    if not found:
        return {}
    found = {n: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))) for n, c in found.items()}
    sets = []
    used: dict[str, object] = {}
    for n in found:
        test, params = tests[n]
        used.update(params)
        col = quote_identifier(n)
        sets.append(f"{col} = CASE WHEN {test} THEN NULL ELSE {col} END")
    where = " OR ".join(f"({tests[n][0]})" for n in found)
    con.execute(f"UPDATE {src} SET {', '.join(sets)} WHERE {where}", used)  # noqa: S608
    return found


def _scan_placeholders(
    con: duckdb.DuckDBPyConnection,
    src: str,
    tests: dict[str, tuple[str, dict[str, object]]],
    dtypes: dict[str, str],
) -> dict[str, dict[str, int]]:
    """The placeholder values found in each column, by testing every cell."""
    if not tests:
        return {}
    # One scan counts every column's matches; only the columns that have some are then
    # scanned again for which values they were. Most columns have none, and a histogram
    # costs ~3x a count on a column of distinct values (it copies every input, even
    # those the filter drops), so the histogram never sees those columns.
    every = {k: v for _, p in tests.values() for k, v in p.items()}
    counts = [f"count(*) FILTER (WHERE {t})" for t, _ in tests.values()]
    hits = con.execute(f"SELECT {', '.join(counts)} FROM {src}", every).fetchall()[0]  # noqa: S608
    tests = {n: test for n, test, hit in zip(tests, tests.values(), hits, strict=True) if hit}
    if not tests:
        return {}
    # The histogram takes the raw value: an aggregate's input is computed for every row
    # before the filter, so trimming there would cost a pass over every value.
    parts = [
        f"histogram({_as_text(quote_identifier(n), dtypes[n])}) FILTER (WHERE {t})"
        for n, (t, _) in tests.items()
    ]
    every = {k: v for _, p in tests.values() for k, v in p.items()}
    row = con.execute(f"SELECT {', '.join(parts)} FROM {src}", every).fetchall()[0]  # noqa: S608
    found: dict[str, dict[str, int]] = {}
    for name, hist in zip(tests, row, strict=True):
        if hist:
            merged: Counter[str] = Counter()
            for k, v in hist.items():
                merged[str(k).strip()] += int(v)
            found[name] = dict(merged)
    return found


def _match_sql(
    col: str, dtype: str, placeholders: Sequence[str], params: dict[str, object], prefix: str
) -> str:
    """A SQL condition true where ``col`` holds one of ``placeholders`` (values bound)."""
    words = sorted({p.strip().lower() for p in placeholders if p and p.strip()})
    if not words:
        return ""
    base = dtype.split("(")[0].upper()
    if base in NUMERIC_TYPES:
        numbers = sorted({float(w) for w in words if _is_number(w)})
        if not numbers:
            return ""
        names = _bind(params, numbers, prefix)
        return f"{col} IN ({', '.join(names)})"
    # One regular expression (RE2, as DuckDB runs it) ignores case and surrounding blanks
    # at once; it is ~35 % cheaper than lower(trim(value)) IN (...).
    alternatives = "|".join(re.escape(w) for w in words)
    (name,) = _bind(params, [f"(?i)[ \\t]*({alternatives})[ \\t]*"], prefix)
    return f"regexp_full_match({_as_text(col, dtype)}, {name})"


def _as_text(col: str, dtype: str) -> str:
    return col if dtype == "VARCHAR" else f"CAST({col} AS VARCHAR)"


# DuckDB's numeric column types, the integer ones first.
NUMERIC_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
)
INTEGER_TYPES = NUMERIC_TYPES[:10]


def _bind(params: dict[str, object], values: Sequence[object], prefix: str) -> list[str]:
    """Add ``values`` as parameters ``<prefix>0``, ``<prefix>1``, …; return their ``$`` names."""
    names = []
    for v in values:
        key = f"{prefix}{len(params)}"
        params[key] = v
        names.append(f"${key}")
    return names


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def placeholder_note(found: Mapping[str, Mapping[str, int]], *, most: int = 6) -> str | None:
    """One sentence on what :func:`apply_placeholders` cleared, for the load notes.

    Args:
        found: its return value.
        most: name at most this many columns (the busiest first).

    Returns:
        The sentence, or None when nothing was cleared.
    """
    if not found:
        return None
    per_column = {c: sum(v.values()) for c, v in found.items()}
    total = sum(per_column.values())
    values: Counter[str] = Counter()
    for counts in found.values():
        values.update(counts)
    commonest = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))[:4]
    shown = ", ".join(f'"{v}"' for v, _ in commonest)
    busiest = sorted(per_column.items(), key=lambda kv: -kv[1])
    cols = [f'"{c}" ({n:,})' for c, n in busiest[:most]]
    if len(busiest) > most:
        cols.append(f"{len(busiest) - most} more columns")
    listed = cols[0] if len(cols) == 1 else ", ".join(cols[:-1]) + " and " + cols[-1]
    what = "1 value" if total == 1 else f"{total:,} values"
    return f'Treated {what} that mean "not answered" ({shown}) as empty: {listed}.'


# --------------------------------------------------------------------------- dates

_DATE_RE = re.compile(
    r"(?P<a>\d{1,4})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{1,4})"
    r"(?:(?P<t>[ T]|, ?)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?P<f>\.\d{1,6})?)?"
    r"(?P<ps> ?)(?P<p>[AaPp][Mm])?)?"
    r"(?P<z>Z)?"
)


@dataclass(frozen=True)
class _Shape:
    """How one value is written, apart from the order of day and month."""

    ymd: bool  # year first (ISO); otherwise the year comes last
    sep: str
    time: str  # '', 'HM', 'HMS', 'HMSf'
    t: str  # what stands between date and time
    ampm: str  # '', or the space before AM/PM plus 'p'
    zulu: bool

    def format(self, day_first: bool) -> str:
        s = self.sep
        if self.ymd:
            date = f"%Y{s}%m{s}%d"
        elif day_first:
            date = f"%d{s}%m{s}%Y"
        else:
            date = f"%m{s}%d{s}%Y"
        if not self.time:
            return date
        hour = "%I" if self.ampm else "%H"
        clock = {"HM": f"{hour}:%M", "HMS": f"{hour}:%M:%S", "HMSf": f"{hour}:%M:%S.%f"}
        out = date + self.t + clock[self.time]
        if self.ampm:
            out += self.ampm[:-1] + "%p"
        return out + ("Z" if self.zulu else "")


def detect_date_format(
    values: Iterable[str | None], *, day_first: bool = True
) -> tuple[str | None, int]:
    """Decide whether a column's values are dates, and how they are written.

    Understands ISO dates (``2025-12-31``, also with ``T``, seconds, fractions and a ``Z``
    as Salesforce writes them), dates with the year last separated by ``/``, ``-`` or ``.``
    in either order of day and month, and an optional time (24-hour, or 12-hour with AM/PM).
    Two-digit years and time-zone offsets are not dates here.

    The order of day and month is decided for the column as a whole: a value whose first
    number is above 12 can only be day first, one whose second number is above 12 only
    month first, and the order that reads more values wins. When every value reads both
    ways (all days up to 12), ``day_first`` decides.

    Args:
        values: the column's values; None and blank values are skipped.
        day_first: the order to assume when the values do not settle it.

    Returns:
        ``(format, failed)``: a ``strptime`` format that Python and DuckDB both accept (for
        example ``"%d/%m/%Y"`` or ``"%Y-%m-%dT%H:%M:%S.%fZ"``), or None when no value is a
        date; and how many non-blank values that format does not read.
    """
    shapes: Counter[_Shape] = Counter()
    parsed: list[tuple[_Shape, re.Match[str]] | None] = []
    for value in values:
        if value is None or not value.strip():
            continue
        m = _DATE_RE.fullmatch(value.strip())
        shape = _shape(m) if m else None
        parsed.append((shape, m) if shape and m else None)
        if shape:
            shapes[shape] += 1
    total = len(parsed)
    if not shapes:
        return None, total
    best_fmt: str | None = None
    best_ok = -1
    # The most common shape first; within it, the order of day and month that reads more.
    for shape, _ in shapes.most_common():
        orders = [True] if shape.ymd else [day_first, not day_first]
        for order in orders:
            ok = sum(1 for p in parsed if p and p[0] == shape and _valid(p[1], shape, order))
            if ok > best_ok:
                best_fmt, best_ok = shape.format(order), ok
    if best_ok <= 0:
        return None, total
    return best_fmt, total - best_ok


def _shape(m: re.Match[str]) -> _Shape | None:
    a, c = m["a"], m["c"]
    if len(a) == 4 and len(c) <= 2:
        ymd = True
    elif len(c) == 4 and len(a) <= 2:
        ymd = False
    else:
        return None
    time = ""
    if m["H"]:
        time = "HMSf" if m["f"] else "HMS" if m["S"] else "HM"
    ampm = (m["ps"] or "") + "p" if m["p"] else ""
    return _Shape(ymd, m["sep"], time, m["t"] or "", ampm, bool(m["z"]))


def _valid(m: re.Match[str], shape: _Shape, day_first: bool) -> bool:
    """Whether the matched value is a real date (and time) read in this order."""
    a, b, c = int(m["a"]), int(m["b"]), int(m["c"])
    if shape.ymd:
        year, month, day = a, b, c
    elif day_first:
        day, month, year = a, b, c
    else:
        month, day, year = a, b, c
    if year < 1000:
        return False
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    if not shape.time:
        return True
    hour, minute = int(m["H"]), int(m["M"])
    second = int(m["S"] or 0)
    hour_ok = 1 <= hour <= 12 if shape.ampm else hour <= 23
    return hour_ok and minute <= 59 and second <= 59


def date_example(fmt: str) -> str:
    """31 December 2025 at 14:30 written in ``fmt``, to show people which format was read."""
    return dt.datetime(2025, 12, 31, 14, 30, 0).strftime(fmt).replace(".000000", ".000")


# --------------------------------------------------------------------------- Excel ranges

# Month abbreviations Excel shows (English, German, Spanish, French, Italian, Dutch).
_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
    "mär": 3,
    "mrz": 3,
    "mai": 5,
    "okt": 10,
    "dez": 12,
    "ene": 1,
    "abr": 4,
    "ago": 8,
    "dic": 12,
    "janv": 1,
    "févr": 2,
    "fév": 2,
    "avr": 4,
    "juin": 6,
    "juil": 7,
    "août": 8,
    "sept": 9,
    "déc": 12,
    "gen": 1,
    "mag": 5,
    "giu": 6,
    "lug": 7,
    "set": 9,
    "ott": 10,
    "mrt": 3,
    "mei": 5,
}
_MONTH_WORD = "|".join(sorted((re.escape(k) for k in _MONTHS), key=len, reverse=True))
# "May-20" (month first, as Excel shows mmm-yy) and "20-May" (d-mmm).
_MANGLED_RE = re.compile(
    rf"(?P<m1>{_MONTH_WORD})[.]?[-/ ](?P<n1>\d{{1,2}})"
    rf"|(?P<n2>\d{{1,2}})[-/ ](?P<m2>{_MONTH_WORD})[.]?",
    re.IGNORECASE,
)
# What an intact range looks like: "1-10", "51 - 200", "1000+", "10 to 20".
_RANGE_RE = re.compile(r"\d+\s*(-|–|to)\s*\d+|\d+\s*\+|[<>]\s*\d+", re.IGNORECASE)
# Column names that announce a range; with one of these a column needs no intact range
# beside the mangled values to be warned about.
_RANGE_NAME_RE = re.compile(
    r"size|employee|headcount|range|band|bucket|bracket|revenue|turnover|age|seats|users",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class MangledRanges:
    """Values of one column that look like ranges Excel turned into dates.

    Attributes:
        column: the column.
        examples: up to three ``(shown, probably meant)`` pairs, e.g. ``("May-20", "5-20")``.
        count: how many values look mangled.
    """

    column: str
    examples: list[tuple[str, str]]
    count: int

    def note(self) -> str:
        """The warning shown after loading: which column, what happened, how to fix it."""
        pairs = ", ".join(f'"{shown}" (probably "{meant}")' for shown, meant in self.examples)
        many = "1 value" if self.count == 1 else f"{self.count:,} values"
        return (
            f'Warning: {many} in "{self.column}" look like ranges that Excel turned into dates: '
            f"{pairs}. Fix them in the source file (format the column as Text before typing or "
            "pasting, or re-export from the CRM without opening the file in Excel), or list the "
            "shown values in the model's categories."
        )


def unmangle(value: str) -> str | None:
    """The range Excel turned into ``value`` ("May-20" -> "5-20", "20-May" -> "5-20"), or None."""
    m = _MANGLED_RE.fullmatch(value.strip())
    if not m:
        return None
    word = (m["m1"] or m["m2"]).lower().rstrip(".")
    month = _MONTHS.get(word) or _MONTHS.get(word + ".")
    if month is None:
        return None
    number = int(m["n1"] or m["n2"])
    # Excel reads "11-50" as November 1950 and shows "Nov-50": the number comes back as written.
    return f"{month}-{number}"


def find_mangled_ranges(
    column: str, values: Mapping[str, int] | Iterable[str]
) -> MangledRanges | None:
    """Whether one column's values look like ranges that Excel turned into dates.

    A column is reported when some values look like ``May-20`` / ``20-May`` and either some
    other values are intact ranges (``51-200``) or the column's name announces ranges
    (``Company size``, ``Employees``, ``Revenue band`` …); a column of months alone
    (``Jan-25``, ``Feb-25``) is not.

    Args:
        column: the column name.
        values: the distinct values with their counts, or just values.

    Returns:
        What was found, or None.
    """
    counts: Mapping[str, int] = values if isinstance(values, Mapping) else Counter(values)
    mangled: list[tuple[str, str, int]] = []
    intact = 0
    for value, n in counts.items():
        if value is None:
            continue
        meant = unmangle(str(value))
        if meant:
            mangled.append((str(value).strip(), meant, int(n)))
        elif _RANGE_RE.fullmatch(str(value).strip()):
            intact += int(n)
    if not mangled or not (intact or _RANGE_NAME_RE.search(column)):
        return None
    mangled.sort(key=lambda t: (-t[2], t[0]))
    return MangledRanges(column, [(s, m) for s, m, _ in mangled[:3]], sum(n for *_, n in mangled))


def excel_mangled_ranges(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str] | None = None
) -> list[MangledRanges]:
    """Text columns of ``table`` holding ranges that Excel turned into dates.

    Args:
        con: DuckDB connection.
        table: the table.
        columns: the columns to check (default: every VARCHAR column).

    Returns:
        One :class:`MangledRanges` per affected column, in table order.
    """
    described = con.execute(f"DESCRIBE {quote_identifier(table)}").fetchall()
    text = [str(r[0]) for r in described if is_text_type(str(r[1]))]
    chosen = [c for c in (columns if columns is not None else text) if c in text]
    if not chosen:
        return []
    hists = range_histograms(con, quote_identifier(table), chosen)
    out = []
    for column, counts in zip(chosen, hists, strict=True):
        found = find_mangled_ranges(column, counts)
        if found:
            out.append(found)
    return out


def range_histograms(
    con: duckdb.DuckDBPyConnection, source: str, columns: Sequence[str]
) -> list[dict[str, int]]:
    """Per text column, the values shaped like a range or a mangled range, with counts.

    Args:
        con: DuckDB connection.
        source: SQL for the rows: a quoted table name or a parenthesised subquery built by
            the caller (never user text).
        columns: VARCHAR columns of ``source``.

    Returns:
        One ``{value: count}`` per column, in order (values trimmed).
    """
    if not columns:
        return []
    parts = []
    for c in columns:
        col = quote_identifier(c)
        # Short values only: mangled ones are at most ~9 characters, ranges not much longer.
        parts.append(
            f"histogram(trim({col})) FILTER (WHERE length({col}) <= 16 "
            f"AND regexp_full_match(lower(trim({col})), $pattern))"
        )
    # Both patterns are RE2-compatible, and lower() stands in for the ignore-case flag.
    pattern = f"({_MANGLED_RE.pattern})|({_RANGE_RE.pattern})"
    row = con.execute(f"SELECT {', '.join(parts)} FROM {source}", {"pattern": pattern}).fetchone()  # noqa: S608
    assert row is not None
    return [{str(k): int(v) for k, v in (h or {}).items()} for h in row]


def repair_excel_ranges(con: duckdb.DuckDBPyConnection, table: str, column: str) -> int:
    """Write the ranges back into a column whose ranges Excel turned into dates.

    ``May-20`` and ``20-May`` become ``5-20``, ``Jan-10`` becomes ``1-10``; other values are
    left alone.

    Args:
        con: DuckDB connection.
        table: the table to change in place.
        column: a text column.

    Returns:
        How many values were rewritten.

    Raises:
        UserError: the column is missing or not text.
    """
    described = {
        str(r[0]): str(r[1]) for r in con.execute(f"DESCRIBE {quote_identifier(table)}").fetchall()
    }
    if not is_text_type(described.get(column, "")):
        raise UserError(f'"{column}" is not a text column of the data, so it holds no ranges.')
    col = quote_identifier(column)
    src = quote_identifier(table)
    distinct = con.execute(
        f"SELECT DISTINCT {col} FROM {src} WHERE {col} IS NOT NULL AND length({col}) <= 16"  # noqa: S608
    ).fetchall()
    mapping = [(str(v), m) for (v,) in distinct if (m := unmangle(str(v)))]
    if not mapping:
        return 0
    if described[column].upper().startswith("ENUM"):
        # The new values are not in the column's ENUM dictionary: store it as plain text.
        con.execute(f"ALTER TABLE {src} ALTER {col} TYPE VARCHAR")
    con.execute("CREATE OR REPLACE TEMP TABLE _workbench_unmangle (shown VARCHAR, meant VARCHAR)")
    try:
        con.executemany("INSERT INTO _workbench_unmangle VALUES (?, ?)", mapping)
        counted = con.execute(
            f"SELECT count(*) FROM {src} JOIN _workbench_unmangle u ON {col} = u.shown"  # noqa: S608
        ).fetchone()
        con.execute(
            f"UPDATE {src} SET {col} = u.meant FROM _workbench_unmangle u "  # noqa: S608
            f"WHERE {src}.{col} = u.shown"
        )
    finally:
        con.execute("DROP TABLE IF EXISTS _workbench_unmangle")
    return int(counted[0]) if counted else 0
