"""Load a lead file (CSV/TSV/TXT, Excel .xlsx or Parquet) into a DuckDB table.

CSV files are read as text first (DuckDB's reader, every column VARCHAR, with the dialect
sniffed here rather than by DuckDB so that header names, separators and encodings are under
our control). Then, in this order: placeholders that mean "not answered" (``unknown``, ``-``,
``Select`` …, see :mod:`workbench.cleaning`) become NULL, so that they cannot keep a number
column as text; each column is converted in SQL: integers to BIGINT, decimals (with dots or
decimal commas) to DOUBLE, dates (ISO, day first or month first, decided per column) to DATE
or TIMESTAMP, everything else stays text; text columns holding ranges that Excel turned into
dates get a warning. Every identifier that reaches SQL goes through
:func:`workbench.sql.quote_identifier`; file paths and other values are bound parameters. The
regular expressions and date formats inlined in SQL are constants of this module or built
from a closed set of pieces.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import re
import shutil
import tempfile
import threading
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from workbench import cleaning
from workbench.errors import UserError
from workbench.sql import quote_identifier

__all__ = ["LoadResult", "compact_text_columns", "load_leads", "read_table_columns"]

ProgressFn = Callable[[float, str], None]

SEPARATORS = (",", ";", "\t", "|")
_SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_SINGLE_COLUMN_SEPARATOR = "\x1f"  # ASCII unit separator
_SNIFF_BYTES = 64 * 1024
# Files are transcoded to UTF-8 in pieces of this size, so memory stays flat for big files.
_CHUNK_BYTES = 4 * 1024 * 1024
# How often the progress of a long DuckDB statement is passed on (seconds).
_PROGRESS_EVERY_S = 0.25
_SNIFF_RECORDS = 200
# Type detection looks at this many rows first; only columns that still look numeric
# are then checked over the whole table (a full regex scan of every column is ~2 s at 1M rows).
_SAMPLE_ROWS = 10_000
# Text columns with at most this many distinct values are stored as ENUM (dictionary codes):
# about a third less memory, and scoring reads each distinct value once instead of per lead.
_ENUM_MAX_VALUES = 1000
# ... and only while each value repeats on average this often (an ID column never does).
_ENUM_MIN_REPEAT = 4
# Rows that cannot be parsed are skipped (with a note) only while they stay this rare.
_MAX_SKIPPED_SHARE = 0.01
_MAX_LINES_NAMED = 10

_MAGIC_PARQUET = b"PAR1"
_MAGIC_ZIP = b"PK\x03\x04"
_MAGIC_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAGIC_GZIP = b"\x1f\x8b"
_BOM_UTF8 = codecs.BOM_UTF8
_BOMS_UTF16 = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

# Number shapes, matched against trimmed text. Integers are capped at 18 digits so they
# always fit BIGINT, and the whole part of decimals at 15 so DOUBLE keeps every digit;
# longer digit strings are identifiers and stay text.
_RE_INT = r"[+-]?[0-9]{1,18}"
_RE_LEADING_ZERO = r"[+-]?0[0-9]+([.,][0-9]*)?"
_RE_DOT = r"[+-]?([0-9]{1,15}(\.[0-9]*)?|\.[0-9]+)"
_RE_COMMA = r"[+-]?([0-9]{1,15}|[0-9]{1,3}(\.[0-9]{3})+)(,[0-9]+)?"
_RE_US = r"[+-]?([0-9]{1,15}|[0-9]{1,3}(,[0-9]{3})+)(\.[0-9]+)?"
# Evidence for the file's decimal mark, used only to settle ambiguous values like "1,234".
_RE_COMMA_EVIDENCE = (
    r"[+-]?([0-9]*,([0-9]{1,2}|[0-9]{4,})|[0-9]{4,},[0-9]+|0,[0-9]+|[0-9.]+\.[0-9]{3},[0-9]+)"
)
_RE_US_EVIDENCE = r"[+-]?[0-9]{1,3}(,[0-9]{3})+\.[0-9]+"
_PATTERNS = {"int": _RE_INT, "dot": _RE_DOT, "comma": _RE_COMMA, "us": _RE_US}
# A loose first look for dates (the real decision is cleaning.detect_date_format).
_RE_DATE_LIKE = r"[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}([ T,].{1,25})?"
# Date formats are embedded in SQL, so they must come from cleaning's closed set of pieces.
_SAFE_FORMAT = re.compile(r"[%YmdHIMSfpTZ:/., -]+")
# Excel's "sep=;" first line, which names the separator for Excel itself.
_SEP_LINE = re.compile(r"sep=(.)\r?\n")


@dataclass(frozen=True)
class LoadResult:
    """What :func:`load_leads` wrote.

    Attributes:
        table: DuckDB table name written.
        rows: number of rows in the table.
        columns: final column names, in file order.
        notes: readable sentences on what was detected or changed (warnings included).
        warnings: the notes that ask the user to check or fix something in the file (each
            is also in ``notes``; they start with "Warning:").
        placeholders: per column, the "not answered" values that were emptied, as written,
            with their counts.
        date_formats: per column converted to DATE or TIMESTAMP, the ``strptime`` format read.
    """

    table: str
    rows: int
    columns: list[str]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    placeholders: dict[str, dict[str, int]] = field(default_factory=dict)
    date_formats: dict[str, str] = field(default_factory=dict)


@dataclass
class _Plan:
    """Column names and types of a raw table that still has to be finished."""

    raw: str  # temp table with columns c0..cN
    names: list[str]  # final names, one per raw column
    blank_header: list[bool]  # header cell was empty (candidate for the trailing-column drop)
    convert: list[bool]  # raw column is text that may hold numbers
    notes: list[str]
    separator: str = ""
    first_note: str = ""
    warnings: list[str] = field(default_factory=list)


def read_table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Column names of a DuckDB table, in order.

    Args:
        con: DuckDB connection.
        table: table (or view) name, any spelling.

    Returns:
        The column names as stored.

    Raises:
        UserError: if there is no such table.
    """
    try:
        rows = con.execute(f"DESCRIBE {quote_identifier(table)}").fetchall()
    except duckdb.CatalogException as exc:
        raise UserError(f'There is no table "{table}"; load a lead file first.') from exc
    return [str(r[0]) for r in rows]


def load_leads(
    con: duckdb.DuckDBPyConnection,
    source: str | Path | bytes,
    table: str = "leads",
    *,
    filename: str | None = None,
    progress: ProgressFn | None = None,
    placeholders: Mapping[str, Sequence[str]] | None = None,
    default_placeholders: Sequence[str] = cleaning.DEFAULT_PLACEHOLDERS,
    day_first: bool = True,
) -> LoadResult:
    """Load a CSV/TSV/TXT, Excel .xlsx or Parquet file into ``table`` (CREATE OR REPLACE).

    The format is recognised from the file's first bytes (a workbook renamed to .csv still
    loads as Excel). Text files may use ``,`` ``;`` tab or ``|`` separators, UTF-8 (with or
    without byte-order mark), UTF-16 with byte-order mark, Windows-1252 or Latin-1.

    Text values that mean "not answered" become NULL before types are decided (see
    :func:`workbench.cleaning.apply_placeholders`); Parquet files are copied as they are.

    Args:
        con: DuckDB connection to write into.
        source: a file path, or the raw bytes of an upload.
        table: name of the table to create or replace.
        filename: the upload's original file name, used in messages and notes.
        progress: called as ``progress(fraction, message)`` now and then while loading,
            from the calling thread.
        placeholders: per final column name, the values that mean "not answered" there
            (an empty list keeps every value); other text columns use
            ``default_placeholders``.
        default_placeholders: placeholders for every text column not in ``placeholders``;
            ``()`` turns the cleaning off.
        day_first: how to read a date column whose values all read both ways (01/02/2025).

    Returns:
        The table name, row count, final column names, notes on what was detected, and the
        placeholders cleared and date formats read per column.

    Raises:
        UserError: the file is missing, empty, not a table, or too damaged to load.
    """
    report: ProgressFn = _monotone(progress) if progress else _no_progress
    options = _Options(dict(placeholders or {}), tuple(default_placeholders), day_first)
    with tempfile.TemporaryDirectory(prefix="workbench-load-") as tmp, _quiet(con):
        tmpdir = Path(tmp)
        path, label = _input_path(source, filename, tmpdir)
        report(0.0, f"Reading {label}…")
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
        fmt = _detect_format(head, path, label)
        if fmt == "parquet":
            return _load_parquet(con, path, table, label, report)
        raw = f"_workbench_raw_{uuid.uuid4().hex}"
        try:
            if fmt == "xlsx":
                plan = _read_excel(con, path, raw, label, report)
            else:
                plan = _read_csv(con, path, head, raw, label, tmpdir, report)
            report(0.6, "Converting column types…")
            result = _finish(con, plan, table, label, options, report)
        finally:
            con.execute(f"DROP TABLE IF EXISTS {quote_identifier(raw)}")
        report(1.0, f"Loaded {result.rows:,} rows and {len(result.columns)} columns.")
        return result


@dataclass(frozen=True)
class _Options:
    placeholders: dict[str, Sequence[str]]
    default_placeholders: tuple[str, ...]
    day_first: bool


def _no_progress(_fraction: float, _message: str) -> None:
    return None


def _monotone(progress: ProgressFn) -> ProgressFn:
    """``progress`` that never goes back (a second pass over the file must not rewind it)."""
    reached = 0.0

    def report(fraction: float, message: str) -> None:
        nonlocal reached
        reached = min(max(reached, fraction), 1.0)
        progress(reached, message)

    return report


# --------------------------------------------------------------------------- input and format


def _input_path(source: str | Path | bytes, filename: str | None, tmpdir: Path) -> tuple[Path, str]:
    """A readable local path for ``source`` and a label to name it in messages."""
    if isinstance(source, bytes | bytearray | memoryview):
        label = f'"{filename}"' if filename else "the uploaded file"
        path = tmpdir / "upload"
        path.write_bytes(bytes(source))
        return path, label
    path = Path(source)
    label = f'"{filename or path.name}"'
    if not path.exists():
        raise UserError(f'The file "{path}" does not exist; check the path and try again.')
    if not path.is_file():
        raise UserError(f'"{path}" is a folder, not a file; choose the lead file inside it.')
    # DuckDB expands glob characters in file names, so such names are read through a link.
    if any(ch in str(path) for ch in "*?[]{}"):
        link = tmpdir / "input"
        try:
            os.symlink(path.resolve(), link)
        except OSError:
            shutil.copyfile(path, link)
        path = link
    return path, label


def _detect_format(head: bytes, path: Path, label: str) -> str:
    """'csv', 'xlsx' or 'parquet', from the first bytes; raise for formats we cannot read."""
    if head.startswith(_MAGIC_PARQUET):
        return "parquet"
    if head.startswith(_MAGIC_OLE):
        raise UserError(
            f"{label} is an old Excel 97–2003 (.xls) workbook, which cannot be read; open it in "
            "Excel and save it as .xlsx or CSV."
        )
    if head.startswith(_MAGIC_ZIP):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile as exc:
            raise UserError(
                f"{label} looks like a damaged zip or Excel file; export it again as .xlsx or CSV."
            ) from exc
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "content.xml" in names:
            raise UserError(
                f"{label} is an OpenDocument spreadsheet; save it as .xlsx or CSV and load that."
            )
        raise UserError(
            f"{label} is a zip archive; unzip it and load the CSV or Excel file inside."
        )
    if head.startswith(_MAGIC_GZIP):
        raise UserError(f"{label} is gzip-compressed; decompress it and load the file inside.")
    if not head.strip(b" \t\r\n" + _BOM_UTF8):
        raise UserError(f"{label} is empty; export the leads again, with a header row and data.")
    return "csv"


# --------------------------------------------------------------------------- CSV


def _read_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    head: bytes,
    raw: str,
    label: str,
    tmpdir: Path,
    report: ProgressFn,
) -> _Plan:
    """Read a delimited text file into ``raw`` with every column as text."""
    complete = len(head) < _SNIFF_BYTES
    encoding, text = _decode_head(head, complete)
    _refuse_non_table(text, label)
    if encoding not in ("utf-8", "utf-8-sig"):
        path, encoding = _transcode(path, encoding, tmpdir, report)
    # Excel writes "sep=;" as the first line when asked to name the separator.
    sep_line = _SEP_LINE.match(text.lstrip("\ufeff"))
    skip = 1 if sep_line else 0
    if sep_line:
        text = text.lstrip("\ufeff")[sep_line.end() :]
    sep, header, data_width = _sniff(text, complete, sep_line[1] if sep_line else None)
    names, blank, notes = _header_names(header, data_width)
    if sep_line:
        notes.append(f'Skipped the first line "{sep_line[0].strip()}" (it names the separator).')

    report(0.1, "Reading rows…")
    bom = encoding == "utf-8-sig"
    rows, rejects = _duckdb_read_csv(con, path, raw, sep, len(names), bom, skip, report)
    if any(kind == "INVALID ENCODING" for _, kind in rejects):
        # The first 64 KB were UTF-8 but a later line is not: re-read the whole file.
        path, encoding = _transcode(path, _guess_file_encoding(path), tmpdir, report)
        rows, rejects = _duckdb_read_csv(con, path, raw, sep, len(names), False, skip, report)

    if rejects:
        notes.append(_skip_or_refuse(rejects, rows, len(names), label))
    if rows == 0:
        raise UserError(
            f"{label} has a header row but no data rows; export it again with the leads included."
        )
    plan = _Plan(raw, names, blank, [True] * len(names), notes, separator=sep)
    where = (
        f"{_SEPARATOR_NAMES[sep]}-separated text" if len(names) > 1 else "a single column of text"
    )
    plan.first_note = f"Read as {where} in {_ENCODING_NAMES[encoding]}"
    return plan


_ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (with byte-order mark)",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}


def _decode_head(head: bytes, complete: bool) -> tuple[str, str]:
    """Guess the encoding from the first bytes; return it with the decoded text."""
    if head.startswith(_BOMS_UTF16):
        # Excel's "Unicode text" export: UTF-16 with a byte-order mark, tab-separated.
        decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
        return "utf-16", decoder.decode(head, final=complete)
    if head.startswith(_BOM_UTF8):
        encoding = "utf-8-sig"
    else:
        encoding = "utf-8"
    try:
        # Incremental so a multi-byte character cut at the end of the sample is not an error.
        return encoding, codecs.getincrementaldecoder(encoding)().decode(head, final=complete)
    except UnicodeDecodeError:
        pass
    encoding = _guess_encoding(head)
    return encoding, head.decode(encoding)


def _guess_encoding(data: bytes) -> str:
    """UTF-8 if it decodes, else Windows-1252 if it decodes, else Latin-1 (never fails)."""
    for encoding in ("utf-8-sig" if data.startswith(_BOM_UTF8) else "utf-8", "cp1252"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def _guess_file_encoding(path: Path) -> str:
    """:func:`_guess_encoding` for a whole file, read in pieces."""
    with open(path, "rb") as fh:
        bom = fh.read(len(_BOM_UTF8)) == _BOM_UTF8
    for encoding in ("utf-8-sig" if bom else "utf-8", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(_CHUNK_BYTES):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def _transcode(
    path: Path, encoding: str, tmpdir: Path, report: ProgressFn = _no_progress
) -> tuple[Path, str]:
    """Rewrite the file as UTF-8 (DuckDB's reader has no Windows-1252); return it and the
    encoding actually used (Latin-1 when Windows-1252 fails later in the file).

    The file is converted piece by piece, so a big file never sits in memory whole.
    """
    out = tmpdir / f"utf8-{uuid.uuid4().hex}.csv"
    size = max(path.stat().st_size, 1)
    try:
        _transcode_to(path, out, encoding, "strict", size, report)
    except UnicodeDecodeError:
        encoding = "latin-1" if encoding == "cp1252" else encoding
        _transcode_to(path, out, encoding, "replace", size, report)
    return out, encoding


def _transcode_to(
    path: Path, out: Path, encoding: str, errors: str, size: int, report: ProgressFn
) -> None:
    decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    done = 0
    first = True
    with open(path, "rb") as src, open(out, "w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(_CHUNK_BYTES):
            text = decoder.decode(chunk)
            if first:
                text = text.removeprefix("\ufeff")
                first = False
            dst.write(text)
            done += len(chunk)
            report(0.1 * done / size, f"Converting the text to UTF-8 ({done / size:.0%})…")
        dst.write(decoder.decode(b"", final=True))


def _refuse_non_table(text: str, label: str) -> None:
    """Raise for binary data, web pages and JSON, which would otherwise load as nonsense."""
    sample = text[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\f\v")
    if "\x00" in sample or controls > len(sample) / 100:
        raise UserError(
            f"{label} does not look like a table (it contains binary data); export the leads "
            "as CSV, .xlsx or Parquet."
        )
    start = sample.lstrip("\ufeff \t\r\n")[:15].lower()
    if start.startswith(("<!doctype html", "<html", "<table", "<?xml")):
        raise UserError(
            f"{label} is a web page or XML document, not a table; export the leads as CSV or .xlsx."
        )
    if start.startswith(("{", "[{")):
        raise UserError(f"{label} is JSON, not a table; export the leads as CSV or .xlsx.")


def _sniff(text: str, complete: bool, forced: str | None = None) -> tuple[str, list[str], int]:
    """Pick the separator; return it, the header cells and the usual number of data fields.

    Each candidate that splits the header splits the sample with quote handling; the one
    whose data rows agree most with the header's field count wins (then row-to-row
    consistency, then more fields, then the order of :data:`SEPARATORS`). ``forced`` (from a
    "sep=" line) is the only candidate when given.
    """
    best: tuple[tuple[float, float, int], str, list[str], int] | None = None
    candidates = (forced,) if forced else SEPARATORS
    for rank, sep in enumerate(candidates):
        records = _split_records(text, sep, complete)
        if not records:
            continue
        header, rows = records[0], records[1:]
        if len(header) < 2:
            continue
        widths = Counter(len(r) for r in rows)
        mode, mode_count = widths.most_common(1)[0] if rows else (len(header), 1)
        agree = sum(1 for r in rows if len(r) == len(header)) / len(rows) if rows else 1.0
        score = (agree, mode_count / max(len(rows), 1), min(len(header), mode) * 10 - rank)
        if best is None or score > best[0]:
            best = (score, sep, header, mode)
    if best is None:
        # No separator splits the header: one column, whose values may well contain commas
        # or semicolons, so read it with a control character that text does not contain.
        records = _split_records(text, _SINGLE_COLUMN_SEPARATOR, complete)
        header = records[0] if records else [""]
        return _SINGLE_COLUMN_SEPARATOR, header[:1], 1
    return best[1], best[2], best[3]


def _split_records(text: str, sep: str, complete: bool) -> list[list[str]]:
    """The first records of ``text`` split on ``sep``; the last one is dropped if it may be cut."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"', strict=False)
    records: list[list[str]] = []
    try:
        for record in reader:
            if record:  # blank lines are skipped by the reader too
                records.append(record)
            if len(records) > _SNIFF_RECORDS:
                break
    except csv.Error:
        return records
    if not complete and len(records) > 2:
        records.pop()
    return records


def _header_names(header: list[str], data_width: int) -> tuple[list[str], list[bool], list[str]]:
    """Final column names from header cells: trimmed, blanks named, duplicates made unique."""
    notes: list[str] = []
    cells = [h.replace("\ufeff", "").strip() for h in header]
    if data_width > len(cells):
        # Rows end with a separator the header does not have; the extra column is checked later.
        cells += [""] * (data_width - len(cells))
    elif data_width < len(cells) and not any(cells[data_width:]) and data_width >= 1:
        notes.append("Ignored the empty header cells after the last column.")
        cells = cells[:data_width]
    blank = [not c for c in cells]
    return _unique_names(cells, notes), blank, notes


def _unique_names(cells: Sequence[str], notes: list[str]) -> list[str]:
    """Name blank cells "column_N" and rename repeats (DuckDB ignores case in names)."""
    named = [c if c else f"column_{i + 1}" for i, c in enumerate(cells)]
    taken: dict[str, str] = {}  # casefolded name -> name that holds it
    seen: Counter[str] = Counter()
    out: list[str] = []
    for name in named:
        seen[name] += 1
        key = name.casefold()
        if key not in taken:
            taken[key] = name
            out.append(name)
            continue
        holder = taken[key]
        k = 2
        while f"{name} ({k})".casefold() in taken:
            k += 1
        new = f"{name} ({k})"
        taken[new.casefold()] = new
        out.append(new)
        if holder == name:
            notes.append(f'Renamed the {_ordinal(seen[name])} "{name}" column to "{new}".')
        else:
            notes.append(
                f'Renamed "{name}" to "{new}" because it differs from "{holder}" only by case, '
                "which DuckDB treats as the same name."
            )
    return out


def _ordinal(n: int) -> str:
    words = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"]
    return words[n - 1] if n <= len(words) else f"{n}th"


def _duckdb_read_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    raw: str,
    sep: str,
    width: int,
    bom: bool,
    skip: int = 0,
    report: ProgressFn = _no_progress,
) -> tuple[int, list[tuple[int, str]]]:
    """Read the file into ``raw`` as text; return the row count and rejected (line, error) pairs.

    After a UTF-8 byte-order mark, DuckDB 2.0 with ``header = true`` loses every row when
    the first header cell is quoted and holds the separator (``\ufeff"a;b";c``); reading
    the header as a row and deleting that row afterwards avoids it.
    """
    # Synthetic column names keep header text out of the SQL entirely.
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    scans = f"_workbench_rejects_scan_{uuid.uuid4().hex}"
    errors = f"_workbench_rejects_{uuid.uuid4().hex}"
    sql = f"""
        CREATE OR REPLACE TEMP TABLE {quote_identifier(raw)} AS
        SELECT * FROM read_csv(
            $path, delim = $sep, quote = '"', escape = '"', header = $header,
            auto_detect = false, columns = {columns}, encoding = 'utf-8', compression = 'none',
            ignore_errors = true, store_rejects = true, skip = $skip,
            rejects_scan = $scans, rejects_table = $errors)
    """  # noqa: S608 - only synthetic column names and quoted identifiers
    try:
        params = {
            "path": str(path),
            "sep": sep,
            "scans": scans,
            "errors": errors,
            "header": not bom,
            "skip": skip,
        }
        _execute_with_progress(con, sql, params, report, 0.1, 0.5, "Reading rows")
        rejects = con.execute(
            f"SELECT DISTINCT line, CAST(error_type AS VARCHAR) FROM {quote_identifier(errors)} "  # noqa: S608
            "ORDER BY line"
        ).fetchall()
        header_line = 1 + skip
        if bom and all(line != header_line for line, _ in rejects):
            # The header is the table's first row (rowid 0: insertion order is preserved).
            con.execute(f"DELETE FROM {quote_identifier(raw)} WHERE rowid = 0")  # noqa: S608
        rejects = [(line, kind) for line, kind in rejects if line != header_line]
        rows = _scalar(con, f"SELECT count(*) FROM {quote_identifier(raw)}")  # noqa: S608
    except duckdb.Error as exc:
        raise UserError(
            f"The file could not be read as a table ({_first_line(exc)}); export it again as CSV."
        ) from exc
    finally:
        con.execute(f"DROP TABLE IF EXISTS {quote_identifier(errors)}")
        con.execute(f"DROP TABLE IF EXISTS {quote_identifier(scans)}")
    # A line can have several errors; keep one per line.
    by_line: dict[int, str] = {}
    for line, kind in rejects:
        by_line.setdefault(int(line), str(kind))
    return int(rows), sorted(by_line.items())


def _skip_or_refuse(rejects: list[tuple[int, str]], rows: int, width: int, label: str) -> str:
    """A note on skipped lines, or a UserError when too many lines are broken to skip them."""
    lines = [line for line, _ in rejects]
    wrong_width = all(kind in ("MISSING COLUMNS", "TOO MANY COLUMNS") for _, kind in rejects)
    shown = _join([str(n) for n in lines[:_MAX_LINES_NAMED]])
    if len(lines) > _MAX_LINES_NAMED:
        shown = ", ".join(str(n) for n in lines[:_MAX_LINES_NAMED])
        shown += f" and {len(lines) - _MAX_LINES_NAMED} more"
    problem = "had the wrong number of fields" if wrong_width else "could not be read"
    if len(lines) < _MAX_SKIPPED_SHARE * (rows + len(lines)):
        what = "1 row" if len(lines) == 1 else f"{len(lines)} rows"
        verb = "was" if len(lines) == 1 else "were"
        return f"{what} {problem} (lines {shown}) and {verb} skipped."
    one = len(lines) == 1
    where = f"{'Line' if one else 'Lines'} {shown} of {label}"
    if wrong_width:
        raise UserError(
            f"{where} {'does' if one else 'do'} not have the header's {width} fields; fix "
            f"{'it' if one else 'them'} (or quote values that contain the separator) and load "
            "the file again."
        )
    raise UserError(
        f"{where} could not be read (a stray quote or an overlong line); fix "
        f"{'it' if one else 'them'} and load the file again."
    )


# --------------------------------------------------------------------------- Excel


def _read_excel(
    con: duckdb.DuckDBPyConnection, path: Path, raw: str, label: str, report: ProgressFn
) -> _Plan:
    """Read the first sheet of an .xlsx workbook into ``raw`` (native numbers and dates kept)."""
    import openpyxl  # imported here: only Excel uploads pay for it

    notes: list[str] = []
    # A file object, because openpyxl refuses paths without an Excel extension (and a
    # workbook renamed to .csv must still load).
    fh = open(path, "rb")  # noqa: SIM115 - closed in the finally below
    try:
        wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        fh.close()
        raise UserError(
            f"{label} could not be opened as an Excel workbook ({_first_line(exc)}); save it "
            "again as .xlsx or CSV."
        ) from exc
    try:
        sheets = wb.sheetnames
        ws = wb[sheets[0]]
        header: list[object] | None = None
        rows: list[tuple[object, ...]] = []
        for i, values in enumerate(ws.iter_rows(values_only=True)):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue  # blank rows (often formatted but empty rows at the bottom)
            if header is None:
                header = list(values)
            else:
                rows.append(values)
            if i % 50_000 == 49_999:
                report(0.1 + 0.4 * min(i / 1_000_000, 1.0), f"Reading Excel rows ({i + 1:,})…")
    finally:
        wb.close()
        fh.close()
    if header is None:
        raise UserError(f"{label} is empty; export the leads again, with a header row and data.")
    if not rows:
        raise UserError(
            f"{label} has a header row but no data rows; export it again with the leads included."
        )
    width = max(len(header), max(len(r) for r in rows))
    cells = [_cell_text(header[i]) if i < len(header) else "" for i in range(width)]
    columns = [[r[i] if i < len(r) else None for r in rows] for i in range(width)]
    names = _unique_names(cells, notes)
    arrays = []
    convert = []
    for values in columns:
        array, is_text = _excel_column(values)
        arrays.append(array)
        convert.append(is_text)
    table = pa.table(arrays, names=[f"c{i}" for i in range(width)])
    view = f"_workbench_arrow_{uuid.uuid4().hex}"
    con.register(view, table)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {quote_identifier(raw)} AS "  # noqa: S608
            f"SELECT * FROM {quote_identifier(view)}"
        )
    finally:
        con.unregister(view)
    sheet_note = f'Read the sheet "{sheets[0]}" of the Excel workbook'
    if len(sheets) > 1:
        others = len(sheets) - 1
        verb = "was" if others == 1 else "were"
        sheet_note += f" (the first of {len(sheets)}; the other {others} {verb} ignored)"
    plan = _Plan(raw, names, [not c for c in cells], convert, notes)
    plan.first_note = sheet_note
    return plan


def _cell_text(value: object) -> str:
    return "" if value is None else str(value).replace("\ufeff", "").strip()


def _excel_column(values: list[object]) -> tuple[pa.Array, bool]:
    """An Arrow array for one sheet column, and whether it is text to convert later."""
    values = [None if isinstance(v, str) and not v.strip() else v for v in values]
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pa.array(values, pa.bool_()), False
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        if all(-(2**63) <= v < 2**63 for v in present):  # type: ignore[operator]
            return pa.array(values, pa.int64()), False
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pa.array([None if v is None else float(v) for v in values], pa.float64()), False  # type: ignore[arg-type]
    if present and all(isinstance(v, dt.datetime) for v in present):
        stamps: list[dt.datetime | None] = [
            v if isinstance(v, dt.datetime) else None for v in values
        ]
        if all(s is None or s.time() == dt.time(0) for s in stamps):
            # Excel has no date-only type; midnight-only columns are dates.
            return pa.array([s.date() if s else None for s in stamps], pa.date32()), False
        return pa.array(stamps, pa.timestamp("us")), False
    if present and all(isinstance(v, dt.date) for v in present):
        return pa.array([v if isinstance(v, dt.date) else None for v in values], pa.date32()), False
    return pa.array([None if v is None else str(v) for v in values], pa.string()), True


# --------------------------------------------------------------------------- Parquet


def _load_parquet(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, label: str, report: ProgressFn
) -> LoadResult:
    """Copy a Parquet file into ``table`` with its own column types."""
    import pyarrow.parquet as pq

    try:
        original = pq.read_schema(path).names
        described = con.execute(
            "DESCRIBE SELECT * FROM read_parquet($path)", {"path": str(path)}
        ).fetchall()
        # From the footer, before anything is replaced: an empty file must not cost the
        # caller their current table.
        counted = con.execute(
            "SELECT count(*) FROM read_parquet($path)", {"path": str(path)}
        ).fetchone()
    except (duckdb.Error, pa.ArrowException, OSError) as exc:
        raise UserError(
            f"{label} could not be read as Parquet ({_first_line(exc)}); export it again."
        ) from exc
    if not counted or counted[0] == 0:
        raise UserError(
            f"{label} has columns but no rows; export it again with the leads included."
        )
    notes: list[str] = []
    if len(original) != len(described):  # nested schemas: fall back to DuckDB's names
        original = [str(r[0]) for r in described]
    names = _unique_names([_cell_text(n) for n in original], notes)
    select = ", ".join(
        f"{quote_identifier(str(d[0]))} AS {quote_identifier(n)}"
        for d, n in zip(described, names, strict=True)
    )
    report(0.3, "Copying Parquet rows…")
    con.execute(
        f"CREATE OR REPLACE TABLE {quote_identifier(table)} AS "  # noqa: S608
        f"SELECT {select} FROM read_parquet($path)",
        {"path": str(path)},
    )
    rows = _scalar(con, f"SELECT count(*) FROM {quote_identifier(table)}")  # noqa: S608
    compact_text_columns(con, table)
    report(1.0, f"Loaded {rows:,} rows and {len(names)} columns.")
    return LoadResult(table, rows, names, ["Read as a Parquet file.", *notes])


def compact_text_columns(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Store the text columns of ``table`` that repeat a few values as ENUM, as CSV loading does.

    For tables that arrive typed (Parquet, a saved workspace): one more pass over the table.
    """
    src = quote_identifier(table)
    described = con.execute(f"DESCRIBE {src}").fetchall()  # noqa: S608
    names = [str(r[0]) for r in described]
    texts = {
        i: quote_identifier(str(r[0])) for i, r in enumerate(described) if str(r[1]) == "VARCHAR"
    }
    if not texts:
        return
    rows = _scalar(con, f"SELECT count(*) FROM {src}")  # noqa: S608
    with _enum_types(con, src, texts, rows) as enums:
        if enums:
            select = ", ".join(
                f"CAST({quote_identifier(n)} AS {enums[i]}) AS {quote_identifier(n)}"
                if i in enums
                else quote_identifier(n)
                for i, n in enumerate(names)
            )
            con.execute(f"CREATE OR REPLACE TABLE {src} AS SELECT {select} FROM {src}").fetchall()  # noqa: S608


# --------------------------------------------------------------------------- types


def _finish(
    con: duckdb.DuckDBPyConnection,
    plan: _Plan,
    table: str,
    label: str,
    options: _Options,
    report: ProgressFn,
) -> LoadResult:
    """Clean placeholders, decide each text column's type and write the final table.

    Rows whose fields are all empty (",,,," lines that spreadsheets leave at the end) are
    dropped with a note.
    """
    raw = quote_identifier(plan.raw)
    raw_rows = _scalar(con, f"SELECT count(*) FROM {raw}")  # noqa: S608
    text_cols = [i for i, c in enumerate(plan.convert) if c]
    # Whole-number columns are settled first: their values cannot be "not answered" words,
    # so the placeholder pass (a regular expression per cell) can leave them out.
    sampled = _sample_plain_integers(con, raw, text_cols)
    settled: dict[int, str] = {}
    counted_ints: dict[int, int] = {}
    _settle_plain_integers(con, raw, {i: ["int"] for i in sampled}, settled, counted_ints)
    unsettled = {i: quote_identifier(f"c{i}") for i in text_cols if i not in settled}
    distinct = _sample_distinct(con, raw, unsettled)
    few = {i for i, n in distinct.items() if n <= _ENUM_MAX_VALUES}
    found = _clear_placeholders(con, plan, options, skip=set(settled), few=few)
    kinds, present = _detect_types(con, raw, list(unsettled), plan)
    kinds.update(settled)
    present.update(counted_ints)
    left = [i for i in text_cols if kinds.get(i) in ("text", "blank")]
    formats = _detect_dates(con, raw, left, plan, options.day_first)
    report(0.7, "Checking text columns…")
    _warn_mangled_ranges(con, raw, [i for i in left if i not in formats], plan)

    keep = list(range(len(plan.names)))
    # A trailing separator leaves an unnamed, empty last column: drop it.
    while keep and plan.blank_header[keep[-1]] and present.get(keep[-1], 1) == 0 and len(keep) > 1:
        dropped = keep.pop()
        plan.notes.append(
            f'Dropped the empty unnamed last column "{plan.names[dropped]}" '
            "(the lines end with a separator)."
        )
    # DuckDB's reader already made empty fields NULL, so a plain NULL test is enough.
    filled = " OR ".join(f"{quote_identifier(f'c{i}')} IS NOT NULL" for i in keep)
    counted = _scalar(con, f"SELECT count(*) FROM {raw} WHERE {filled}")  # noqa: S608
    if counted == 0:
        raise UserError(
            f"{label} has a header row but no data rows; export it again with the leads included."
        )
    where = "" if counted == raw_rows else f" WHERE {filled}"
    values = {
        i: _convert_expr(quote_identifier(f"c{i}"), kinds.get(i), formats.get(i)) for i in keep
    }
    texts = {i: values[i] for i in keep if kinds.get(i) in ("text", "blank") and i not in formats}
    with _enum_types(con, raw, texts, counted, distinct) as enums:
        exprs = [
            f"{f'CAST({values[i]} AS {enums[i]})' if i in enums else values[i]} "
            f"AS {quote_identifier(plan.names[i])}"
            for i in keep
        ]
        _execute_with_progress(
            con,
            f"CREATE OR REPLACE TABLE {quote_identifier(table)} AS "  # noqa: S608
            f"SELECT {', '.join(exprs)} FROM {raw}{where}",
            {},
            report,
            0.75,
            0.98,
            "Writing the table",
        )
    rows = _scalar(con, f"SELECT count(*) FROM {quote_identifier(table)}")  # noqa: S608
    if rows < raw_rows:
        empty = raw_rows - rows
        why = "every field blank" + (" or “not answered”" if found else "")
        plan.notes.append(
            f"Skipped {'1 empty row' if empty == 1 else f'{empty:,} empty rows'} ({why})."
        )
    first = plan.first_note
    if first.startswith("Read as"):
        used_comma = any(kinds.get(i) == "comma" for i in keep)
        first += " with decimal commas." if used_comma else "."
    else:
        first += "."
    names = [plan.names[i] for i in keep]
    kept = set(names)
    return LoadResult(
        table,
        rows,
        names,
        [first, *plan.notes, *plan.warnings],
        warnings=list(plan.warnings),
        placeholders={c: v for c, v in found.items() if c in kept},
        date_formats={plan.names[i]: f for i, f in formats.items() if i in keep},
    )


def _convert_expr(col: str, kind: str | None, fmt: str | None = None) -> str:
    """SQL that turns raw column ``col`` into its final type.

    ``kind`` is 'int', 'dot', 'comma' or 'us' (numbers), 'blank' (text with whitespace-only
    values to clear), 'text', or None for a native Excel column; with ``fmt`` (a date format
    from :func:`_detect_dates`) the column becomes DATE or TIMESTAMP. DuckDB's reader already
    turns empty fields into NULL, so plain text columns are copied as they are.
    """
    if fmt:
        return _date_expr(col, fmt)
    # Every value already matched the shape, so TRY_CAST only turns blanks into NULL
    # (DuckDB's casts accept surrounding spaces and tabs).
    if kind == "int":
        return f"TRY_CAST({col} AS BIGINT)"
    if kind == "dot":
        return f"TRY_CAST({col} AS DOUBLE)"
    if kind == "comma":
        return f"TRY_CAST(replace(replace({col}, '.', ''), ',', '.') AS DOUBLE)"
    if kind == "us":
        return f"TRY_CAST(replace({col}, ',', '') AS DOUBLE)"
    if kind == "blank":
        return f"CASE WHEN trim({col}) = '' THEN NULL ELSE {col} END"
    return col


def _sample_distinct(
    con: duckdb.DuckDBPyConnection, source: str, values: dict[int, str]
) -> dict[int, int]:
    """Distinct values of each column (number -> SQL) among the first rows: which repeat."""
    if not values:
        return {}
    listed = ", ".join(f"count(DISTINCT {v})" for v in values.values())
    sample = f"(SELECT * FROM {source} LIMIT {_SAMPLE_ROWS})"  # noqa: S608
    row = con.execute(f"SELECT {listed} FROM {sample}").fetchall()[0]  # noqa: S608
    return {i: int(n) for i, n in zip(values, row, strict=True)}


@contextmanager
def _enum_types(
    con: duckdb.DuckDBPyConnection,
    source: str,
    texts: dict[int, str],
    rows: int,
    sampled: dict[int, int] | None = None,
) -> Iterator[dict[int, str]]:
    """ENUM types for the text columns with few distinct values, dropped again on exit.

    Args:
        con: the connection.
        source: the quoted table the values come from.
        texts: column number -> SQL for the column's final text value.
        rows: the number of rows the table will have.
        sampled: distinct values per column among the first rows, when already counted.

    Yields:
        Column number -> quoted type name, for the columns worth storing as ENUM.

    The values never pass through SQL text: each type is made from a query over the data
    (sorted, so the ENUM orders and compares like the text). A table keeps its own copy of
    an ENUM type, so the named types are dropped as soon as the table is written.
    """
    limit = min(_ENUM_MAX_VALUES, rows // _ENUM_MIN_REPEAT)
    made: dict[int, str] = {}
    try:
        if texts and limit > 0:
            # A sample rules out the columns with many values before any full pass.
            if sampled is None:
                sampled = _sample_distinct(con, source, texts)
            for i, value in texts.items():
                if sampled.get(i, 0) > limit:
                    continue
                name = quote_identifier(f"__wb_enum_{uuid.uuid4().hex}")
                con.execute(
                    f"CREATE TYPE {name} AS ENUM (SELECT v FROM (SELECT DISTINCT {value} "  # noqa: S608
                    f"AS v FROM {source}) WHERE v IS NOT NULL ORDER BY v)"
                ).fetchall()
                made[i] = name
                size = _scalar(con, f"SELECT len(enum_range(NULL::{name}))")
                if not 0 < size <= limit:  # no values at all, or the sample missed most
                    con.execute(f"DROP TYPE {name}").fetchall()
                    del made[i]
        yield made
    finally:
        for name in made.values():
            con.execute(f"DROP TYPE IF EXISTS {name}").fetchall()


def _date_expr(col: str, fmt: str) -> str:
    """``col`` read with the date format ``fmt``: DATE without a time, else TIMESTAMP."""
    if not _SAFE_FORMAT.fullmatch(fmt):  # formats come from cleaning's closed set of pieces
        raise ValueError(f"unexpected date format {fmt!r}")
    parsed = f"try_strptime(trim({col}), '{fmt}')"
    return parsed if _has_time(fmt) else f"CAST({parsed} AS DATE)"


def _has_time(fmt: str) -> bool:
    return "%H" in fmt or "%I" in fmt


# --------------------------------------------------------------------------- cleaning


def _clear_placeholders(
    con: duckdb.DuckDBPyConnection, plan: _Plan, options: _Options, skip: set[int], few: set[int]
) -> dict[str, dict[str, int]]:
    """Empty the "not answered" values of the raw table; note what was cleared.

    Text columns use their own list or the default one; a native Excel column only when the
    caller named it (for a number such as -1). Columns in ``skip`` hold only whole numbers
    written plainly, so they are checked only when one of their placeholders is such a number.
    """
    lists: dict[str, Sequence[str]] = {}
    names: dict[str, str] = {}
    for i, name in enumerate(plan.names):
        if name in options.placeholders:
            wanted: Sequence[str] = options.placeholders[name]
        elif plan.convert[i]:
            wanted = options.default_placeholders
        else:
            continue
        if i in skip and not any(_is_plain_integer(w) for w in wanted):
            continue
        if wanted:
            lists[f"c{i}"] = wanted
            names[f"c{i}"] = name
    if not lists:
        return {}
    cleared = cleaning.apply_placeholders(
        con, plan.raw, lists, default=(), columns=list(lists), few_values=[f"c{i}" for i in few]
    )
    found = {names[c]: counts for c, counts in cleared.items()}
    note = cleaning.placeholder_note(found)
    if note:
        plan.notes.append(note)
    return found


def _detect_dates(
    con: duckdb.DuckDBPyConnection, raw: str, cols: list[int], plan: _Plan, day_first: bool
) -> dict[int, str]:
    """Date formats for the text columns whose values are (nearly all) dates.

    A sample picks the candidates (most values date-shaped) and their format; the whole
    column then has to read with that format for at least
    :data:`workbench.cleaning.DATE_MIN_SHARE` of its values.
    """
    if not cols:
        return {}
    listed = ", ".join(quote_identifier(f"c{i}") for i in cols)
    shape = f"regexp_full_match(trim(v), '{_RE_DATE_LIKE}')"
    sample = (
        f"SELECT col, count(NULLIF(trim(v), '')), count(CASE WHEN {shape} THEN 1 END), "  # noqa: S608
        f"list(DISTINCT trim(v)) FILTER (WHERE {shape}) "
        f"FROM (UNPIVOT (SELECT {listed} FROM {raw} LIMIT {_SAMPLE_ROWS}) "
        f"ON {listed} INTO NAME col VALUE v) GROUP BY col"
    )
    chosen: dict[int, tuple[str, bool]] = {}
    # GROUP BY returns the columns in any order: sort them, so the notes come in file order.
    found = sorted(con.execute(sample).fetchall(), key=lambda r: int(str(r[0])[1:]))
    for col, n, shaped, values in found:
        if not n or shaped < cleaning.DATE_MIN_SHARE * n:
            continue
        fmt, failed = cleaning.detect_date_format(values, day_first=day_first)
        if fmt is None or failed > (1 - cleaning.DATE_MIN_SHARE) * len(values):
            continue
        other, _ = cleaning.detect_date_format(values, day_first=not day_first)
        chosen[int(str(col)[1:])] = (fmt, other != fmt)
    if not chosen:
        return {}
    parts = []
    for i, (fmt, _) in chosen.items():
        col = quote_identifier(f"c{i}")
        parts += [f"count(NULLIF(trim({col}), ''))", f"count({_date_expr(col, fmt)})"]
    stats = con.execute(f"SELECT {', '.join(parts)} FROM {raw}").fetchone()  # noqa: S608
    assert stats is not None
    formats: dict[int, str] = {}
    for j, (i, (fmt, ambiguous)) in enumerate(chosen.items()):
        n, ok = int(stats[2 * j]), int(stats[2 * j + 1])
        if not n or ok < cleaning.DATE_MIN_SHARE * n:
            continue
        formats[i] = fmt
        example = cleaning.date_example(fmt)
        what = "dates with times" if _has_time(fmt) else "dates"
        order = ""
        if "%d" in fmt and not fmt.startswith("%Y"):
            order = " day first" if fmt.index("%d") < fmt.index("%m") else " month first"
        note = f'Read "{plan.names[i]}" as {what}, written{order} like {example}.'
        if ambiguous:
            other = "month" if order == " day first" else "day"
            note += (
                f" Every value in it would also read {other} first; if that is what they are, "
                "export the dates as YYYY-MM-DD and load the file again."
            )
        plan.notes.append(note)
        if ok < n:
            col = quote_identifier(f"c{i}")
            bad = con.execute(
                f"SELECT DISTINCT trim({col}) FROM {raw} WHERE trim({col}) <> '' "  # noqa: S608
                f"AND {_date_expr(col, fmt)} IS NULL ORDER BY 1 LIMIT 3"
            ).fetchall()
            shown = ", ".join(f'"{v}"' for (v,) in bad)
            one = n - ok == 1
            many = "1 value" if one else f"{n - ok:,} values"
            plan.warnings.append(
                f'Warning: {many} in "{plan.names[i]}" {"is" if one else "are"} not '
                f"a date like {example} and {'was' if one else 'were'} left empty "
                f"({shown}{'' if n - ok <= len(bad) else ', …'}). To keep "
                f"{'it' if one else 'them'}, correct {'it' if one else 'them'} in the file "
                "and load it again."
            )
    return formats


def _warn_mangled_ranges(
    con: duckdb.DuckDBPyConnection, raw: str, cols: list[int], plan: _Plan
) -> None:
    """Warn about text columns holding ranges that Excel turned into dates ("May-20").

    Judged on the first rows (the values of a range column repeat, so they show there);
    the values of a column found that way are then counted over the whole table.
    """
    if not cols:
        return
    names = {f"c{i}": plan.names[i] for i in cols}
    sample = f"(SELECT * FROM {raw} LIMIT {_SAMPLE_ROWS})"  # noqa: S608
    flagged = [
        c
        for c, hist in zip(names, cleaning.range_histograms(con, sample, list(names)), strict=True)
        if cleaning.find_mangled_ranges(names[c], hist)
    ]
    if not flagged:
        return
    for c, hist in zip(flagged, cleaning.range_histograms(con, raw, flagged), strict=True):
        found = cleaning.find_mangled_ranges(names[c], hist)
        if found:
            plan.warnings.append(found.note())


def _full_match(value: str, number: str) -> str:
    """A whole-value match for one number shape; blank values match too (they become NULL)."""
    return f"regexp_full_match({value}, '[ \\t]*({number})?[ \\t]*')"


_LEADING_ZERO_NOTE = 'Kept "{}" as text so that values with leading zeros stay intact.'


def _detect_types(
    con: duckdb.DuckDBPyConnection, raw: str, text_cols: list[int], plan: _Plan
) -> tuple[dict[int, str], dict[int, int]]:
    """Choose 'int', 'dot', 'comma', 'us', 'blank' or 'text' for each text column.

    A sample settles most columns (one counterexample rules a number shape out); only
    columns that still look numeric are then checked over the whole table, one shape per
    query round, in the order the file's decimal mark suggests.

    Returns:
        The choice per raw column and, for columns checked over the whole table, the number
        of non-blank values (0 means the column is empty).
    """
    kinds: dict[int, str] = {}
    present: dict[int, int] = {}
    if not text_cols:
        return kinds, present

    # The sample is unpivoted to (column, value) rows so that one short list of aggregates
    # serves every column: wide exports (HubSpot has 180+ columns) would otherwise make a
    # query with thousands of aggregates that takes seconds just to plan.
    shapes = [_RE_LEADING_ZERO, *_PATTERNS.values(), _RE_COMMA_EVIDENCE, _RE_US_EVIDENCE]
    parts = ["count(NULLIF(trim(v), ''))", "count(CASE WHEN trim(v) = '' THEN 1 END)"]
    parts += [f"count(CASE WHEN regexp_full_match(trim(v), '{p}') THEN 1 END)" for p in shapes]
    listed = ", ".join(quote_identifier(f"c{i}") for i in text_cols)
    sql = (
        f"SELECT col, {', '.join(parts)} FROM (UNPIVOT (SELECT {listed} FROM {raw} "  # noqa: S608
        f"LIMIT {_SAMPLE_ROWS}) ON {listed} INTO NAME col VALUE v) GROUP BY col"
    )
    # UNPIVOT leaves out NULLs: a column missing from the result was empty in the sample.
    sampled = {str(r[0]): r[1:] for r in con.execute(sql).fetchall()}
    empty = (0,) * len(parts)
    candidates: dict[int, list[str]] = {}
    comma_votes = us_votes = 0
    for i in text_cols:
        n, blanks, lead0, *shape_counts, comma_ev, us_ev = sampled.get(f"c{i}", empty)
        fits = [k for k, c in zip(_PATTERNS, shape_counts, strict=True) if c == n]
        if lead0 and fits:
            kinds[i] = "text"
            plan.notes.append(_LEADING_ZERO_NOTE.format(plan.names[i]))
        elif fits:
            candidates[i] = fits
            comma_votes += bool(comma_ev) and "comma" in fits
            us_votes += bool(us_ev) and "us" in fits
        else:
            kinds[i] = "blank" if blanks else "text"
    # Semicolon files come from locales whose decimal mark is a comma (that is why Excel
    # switches to semicolons there), so they settle a tie.
    decimal_comma = comma_votes > us_votes or (comma_votes == us_votes and plan.separator == ";")
    order = ["int", "comma", "dot", "us"] if decimal_comma else ["int", "dot", "us", "comma"]
    # Over the whole table leading zeros are ruled out by the shapes themselves.
    strict = {
        "int": r"[+-]?([1-9][0-9]{0,17}|0)",
        "dot": r"[+-]?(([1-9][0-9]{0,14}|0)(\.[0-9]*)?|\.[0-9]+)",
        "comma": r"[+-]?(([1-9][0-9]{0,14}|0)|[1-9][0-9]{0,2}(\.[0-9]{3})+)(,[0-9]+)?",
        "us": r"[+-]?(([1-9][0-9]{0,14}|0)|[1-9][0-9]{0,2}(,[0-9]{3})+)(\.[0-9]+)?",
    }
    pending = {i: [k for k in order if k in fits] for i, fits in candidates.items()}
    _settle_plain_integers(con, raw, pending, kinds, present)
    failed: list[int] = []
    while pending:
        parts = []
        cols = list(pending)
        for i in cols:
            col = quote_identifier(f"c{i}")
            # count() rather than trim(): ~40 % faster, and the reader already made empty
            # fields NULL (a column of spaces only becomes an all-NULL number column).
            parts.append(f"count({col})")
            fit = _full_match(col, strict[pending[i][0]])
            parts.append(f"count({col}) - count(CASE WHEN {fit} THEN 1 END)")
        stats = con.execute(f"SELECT {', '.join(parts)} FROM {raw}").fetchone()  # noqa: S608
        assert stats is not None
        for j, i in enumerate(cols):
            n, misfits = stats[2 * j], stats[2 * j + 1]
            present[i] = int(n)
            shape = pending[i].pop(0)
            if n == 0:
                kinds[i] = "blank"
            elif misfits == 0:
                kinds[i] = shape
            elif not pending[i]:
                kinds[i] = "blank"
                failed.append(i)
            if i in kinds:
                del pending[i]
    if failed:
        # Tell people why a column that looked numeric stayed text, when zeros are the reason.
        zeros = (
            "count(CASE WHEN regexp_full_match(trim({}), '" + _RE_LEADING_ZERO + "') THEN 1 END)"
        )
        parts = [zeros.format(quote_identifier(f"c{i}")) for i in failed]
        stats = con.execute(f"SELECT {', '.join(parts)} FROM {raw}").fetchone()  # noqa: S608
        assert stats is not None
        plan.notes += [
            _LEADING_ZERO_NOTE.format(plan.names[i])
            for i, z in zip(failed, stats, strict=True)
            if z
        ]
    return kinds, present


def _is_plain_integer(text: str) -> bool:
    """Whether a placeholder could equal a cell of a plain whole-number column ("-1", "0").

    Such cells are written exactly as BIGINT prints them, so "000000000000000" (a Salesforce
    empty ID) or "+1" never equals one.
    """
    word = text.strip(" \t")
    return re.fullmatch(r"-?[0-9]+", word) is not None and str(int(word)) == word


def _sample_plain_integers(con: duckdb.DuckDBPyConnection, raw: str, cols: list[int]) -> list[int]:
    """The columns whose sampled values are all whole numbers written as BIGINT prints them."""
    if not cols:
        return []
    parts = []
    for i in cols:
        col = quote_identifier(f"c{i}")
        plain = f"CAST(TRY_CAST({col} AS BIGINT) AS VARCHAR) = {col}"
        parts += [f"count({col})", f"count(CASE WHEN {plain} THEN 1 END)"]
    sample = f"(SELECT * FROM {raw} LIMIT {_SAMPLE_ROWS})"  # noqa: S608
    row = con.execute(f"SELECT {', '.join(parts)} FROM {sample}").fetchall()[0]  # noqa: S608
    return [i for j, i in enumerate(cols) if row[2 * j] and row[2 * j] == row[2 * j + 1]]


def _settle_plain_integers(
    con: duckdb.DuckDBPyConnection,
    raw: str,
    pending: dict[int, list[str]],
    kinds: dict[int, str],
    present: dict[int, int],
) -> None:
    """Settle the integer candidates whose every value is written exactly as BIGINT prints it.

    A value equal to its own BIGINT round trip, within 18 digits, always matches the strict
    integer shape, and this test is about twice as fast as the regular expression. Columns
    with any other value (spaces, a sign, leading zeros, blanks, anything else) stay in
    ``pending`` and get the full regular-expression check unchanged.
    """
    cols = [i for i, shapes in pending.items() if shapes[0] == "int"]
    if not cols:
        return
    parts = []
    for i in cols:
        col = quote_identifier(f"c{i}")
        plain = (
            f"CAST(TRY_CAST({col} AS BIGINT) AS VARCHAR) = {col} AND TRY_CAST({col} AS BIGINT) "
            "BETWEEN -999999999999999999 AND 999999999999999999"
        )
        parts += [f"count({col})", f"count({col}) - count(CASE WHEN {plain} THEN 1 END)"]
    stats = con.execute(f"SELECT {', '.join(parts)} FROM {raw}").fetchone()  # noqa: S608
    assert stats is not None
    for j, i in enumerate(cols):
        n, misfits = int(stats[2 * j]), int(stats[2 * j + 1])
        if n and not misfits:
            kinds[i] = "int"
            present[i] = n
            del pending[i]


# --------------------------------------------------------------------------- helpers


@contextmanager
def _quiet(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Keep DuckDB's console progress bar (printed for queries over 2 s) out of the app's
    output while loading, but keep the progress measured (``query_progress`` needs it), then
    restore the connection's own settings."""
    row = con.execute(
        "SELECT current_setting('enable_progress_bar'), "
        "current_setting('enable_progress_bar_print')"
    ).fetchone()
    bar, printed = (bool(row[0]), bool(row[1])) if row else (False, True)
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    try:
        yield
    finally:
        con.execute(f"SET enable_progress_bar = {'true' if bar else 'false'}")
        con.execute(f"SET enable_progress_bar_print = {'true' if printed else 'false'}")


def _execute_with_progress(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: dict[str, object],
    report: ProgressFn,
    low: float,
    high: float,
    message: str,
) -> None:
    """Run one long statement and pass DuckDB's own progress on as ``low``..``high``.

    The statement runs in a worker thread and this (the caller's) thread polls
    ``query_progress``, so ``report`` is always called from the thread that called
    :func:`load_leads`: Streamlit can only draw from its script thread.
    """
    if report is _no_progress:
        con.execute(sql, params)
        return
    failure: list[BaseException] = []

    def run() -> None:
        try:
            con.execute(sql, params)
        except BaseException as exc:  # handed to the caller's thread below
            failure.append(exc)

    worker = threading.Thread(target=run, name="workbench-load", daemon=True)
    worker.start()
    shown = -1.0
    try:
        while True:
            worker.join(_PROGRESS_EVERY_S)
            if not worker.is_alive():
                break
            try:
                done = float(con.query_progress())
            except duckdb.Error:
                done = -1.0
            if done > shown:  # -1 until DuckDB has measured something
                shown = done
                fraction = low + (high - low) * min(done, 100.0) / 100.0
                report(fraction, f"{message} ({done:.0f}%)…")
    except BaseException:
        # ``report`` raised (Streamlit stops a script this way when the user moves on):
        # stop the statement and wait for it, so the connection is free for the clean-up.
        con.interrupt()
        worker.join()
        raise
    if failure:
        raise failure[0]


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _join(items: list[str]) -> str:
    """'3', '3 and 5', '3, 5 and 9'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__).rstrip(".")
