"""Loading lead files into DuckDB: real files, a crafted corpus, generated cases, a property.

Expected values are written by hand or read back with the csv module / pandas, never taken
from the loader itself.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from workbench.cleaning import DEFAULT_PLACEHOLDERS
from workbench.errors import UserError
from workbench.loading import LoadResult, load_leads, read_table_columns
from workbench.sql import is_text_type

CORPUS = Path(__file__).resolve().parent / "corpus"
CRM_HEADERS = Path(__file__).resolve().parent / "data" / "crm-headers"
HEADER_FILES = sorted(CRM_HEADERS.glob("*.csv"))

HOSTILE = ["lead score", 'a"b', "select", "Ünïcode", "x'); DROP TABLE leads; --"]


def types(con: duckdb.DuckDBPyConnection, table: str = "leads") -> list[str]:
    return [str(r[1]) for r in con.execute(f'DESCRIBE "{table}"').fetchall()]


def rows(con: duckdb.DuckDBPyConnection, table: str = "leads") -> list[tuple[Any, ...]]:
    return con.execute(f'SELECT * FROM "{table}"').fetchall()


def check_columns(con: duckdb.DuckDBPyConnection, result: LoadResult) -> None:
    """The names the loader reports are exactly the table's names."""
    assert read_table_columns(con, result.table) == result.columns


# --------------------------------------------------------------------------- real data


def test_bank_full_loads_with_integer_and_text_columns(con, bank_full):
    with open(bank_full, newline="", encoding="utf-8") as fh:
        records = list(csv.DictReader(fh, delimiter=";"))
    yes = sum(1 for r in records if r["y"] == "yes")
    assert (len(records), yes) == (45_211, 5_289)  # the file itself, read with plain csv

    result = load_leads(con, bank_full)

    assert result.rows == 45_211
    assert result.columns == list(records[0])
    assert len(result.columns) == 17
    dtype = dict(zip(result.columns, types(con), strict=True))
    for name in ("age", "balance", "day", "duration", "campaign", "pdays", "previous"):
        assert dtype[name] == "BIGINT", name
    cleared = {"", *(p.lower() for p in DEFAULT_PLACEHOLDERS)}  # "unknown" becomes empty
    # Repeated text is stored as ENUM, its values sorted as text (so it orders like text).
    for name in ("job", "marital", "education", "default", "month", "poutcome", "y"):
        values = sorted({r[name] for r in records if r[name].lower() not in cleared})
        assert dtype[name].startswith("ENUM"), name
        got = con.execute(f"SELECT enum_range(NULL::{dtype[name]})").fetchall()[0][0]
        assert got == values, name
    assert con.execute("SELECT count(*) FROM leads WHERE y = 'yes'").fetchone() == (yes,)
    assert con.execute("SELECT sum(balance), min(pdays) FROM leads").fetchone() == (
        sum(int(r["balance"]) for r in records),
        -1,
    )
    assert result.notes[0] == "Read as semicolon-separated text in UTF-8."
    check_columns(con, result)


@pytest.mark.parametrize("header_file", HEADER_FILES, ids=lambda p: p.name)
def test_real_crm_headers_survive_exactly(con, tmp_path, header_file):
    raw = header_file.read_bytes()
    names = next(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    hubspot = header_file.name.startswith("hubspot")
    out = io.StringIO()
    # HubSpot quotes every field, numbers too; the others quote only where needed.
    writer = csv.writer(out, quoting=csv.QUOTE_ALL if hubspot else csv.QUOTE_MINIMAL)
    writer.writerow(names)
    for i in range(3):
        writer.writerow(
            [str(10 * i + j) if j % 3 == 0 else f"text {i}-{j}" for j in range(len(names))]
        )
    data = out.getvalue().encode("utf-8")
    if header_file.name.startswith("mautic"):
        data = b"\xef\xbb\xbf" + data  # Mautic exports start with a byte-order mark
    path = tmp_path / header_file.name
    path.write_bytes(data)

    result = load_leads(con, path)

    assert result.columns == names
    assert result.rows == 3
    assert len(result.notes) == 1, result.notes  # nothing renamed or dropped
    check_columns(con, result)
    dtypes = types(con)
    assert all(dtypes[j] == ("BIGINT" if j % 3 == 0 else "VARCHAR") for j in range(len(names)))
    first = rows(con)[0]
    assert first[1] == "text 0-1"
    assert first[0] == 0


# The crafted corpus (one file per quirk, with expected values) is tests/test_corpus.py.


def _literal(text: str) -> str:
    import re

    return re.escape(text)


# --------------------------------------------------------------------------- SQL safety


def test_hostile_names_leave_other_tables_alone(con):
    con.execute("CREATE TABLE keep AS SELECT 1 AS x")
    result = load_leads(con, CORPUS / "hostile_names.csv", table="leads")
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == {"keep", "leads"}
    assert result.columns == HOSTILE
    assert con.execute('SELECT sum("x\'); DROP TABLE leads; --") FROM leads').fetchone() == (15,)


def test_hostile_table_name(con):
    table = 'leads"; DROP TABLE keep; --'
    con.execute("CREATE TABLE keep AS SELECT 1 AS x")
    result = load_leads(con, CORPUS / "semicolon.csv", table=table)
    assert result.table == table
    assert read_table_columns(con, table) == ["name", "employees", "country"]
    assert con.execute("SELECT x FROM keep").fetchall() == [(1,)]


def test_load_replaces_the_table(con):
    load_leads(con, CORPUS / "semicolon.csv")
    load_leads(con, CORPUS / "crlf.csv")
    assert read_table_columns(con, "leads") == ["id", "name", "score"]
    assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchone() == (1,)


# --------------------------------------------------------------------------- generated cases


def test_excel_renamed_to_csv_loads_as_excel_with_native_types(con, tmp_path):
    frame = pd.DataFrame(
        {
            "Email": ["anna@example.com", "ben@example.org", None],
            "Employees": [120, 7, 3],
            "Revenue": [1500.5, None, 2.25],
            "Signed up": pd.to_datetime(["2024-01-05", "2024-02-29", "2024-03-01"]),
            "Zip": ["01234", "98765", "00001"],
            "Demo requested": [True, False, True],
        }
    )
    path = tmp_path / "leads.csv"  # an Excel workbook with the wrong extension
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name="Leads", index=False)
        frame.head(1).to_excel(writer, sheet_name="Other", index=False)

    result = load_leads(con, path)

    assert result.columns == list(frame.columns)
    assert types(con) == ["VARCHAR", "BIGINT", "DOUBLE", "DATE", "VARCHAR", "BOOLEAN"]
    got = rows(con)
    assert got[0][:3] == ("anna@example.com", 120, 1500.5)
    assert got[1][2] is None and got[2][0] is None
    assert str(got[1][3]) == "2024-02-29"
    assert [r[4] for r in got] == ["01234", "98765", "00001"]
    assert [r[5] for r in got] == [True, False, True]
    assert result.notes[0] == (
        'Read the sheet "Leads" of the Excel workbook (the first of 2; the other 1 was ignored).'
    )


def test_excel_text_numbers_are_converted_like_csv(con):
    buffer = io.BytesIO()
    frame = pd.DataFrame({"Score": ["10", "20"], "Rate": ["3,5", "4,25"], "Name": ["a", "b"]})
    frame.to_excel(buffer, index=False, engine="openpyxl")
    result = load_leads(con, buffer.getvalue(), filename="export.xlsx")
    assert types(con) == ["BIGINT", "DOUBLE", "VARCHAR"]
    assert rows(con) == [(10, 3.5, "a"), (20, 4.25, "b")]
    assert result.rows == 2


def test_excel_header_only_is_refused(con):
    buffer = io.BytesIO()
    pd.DataFrame({"Email": [], "Score": []}).to_excel(buffer, index=False, engine="openpyxl")
    with pytest.raises(UserError, match="header row but no data rows"):
        load_leads(con, buffer.getvalue(), filename="empty.xlsx")


def test_parquet_keeps_its_types_and_renames_case_duplicates(con, tmp_path):
    table = pa.table(
        {
            "Email": ["a@x.com", "b@y.org"],
            "email": ["c@z.net", None],
            "Score": pa.array([1, 2], pa.int32()),
            "Created": pa.array([20000, 20001], pa.date32()),
        }
    )
    path = tmp_path / "leads.bin"  # found by its magic bytes, not the extension
    pq.write_table(table, path)

    result = load_leads(con, path)

    assert result.columns == ["Email", "email (2)", "Score", "Created"]
    assert types(con) == ["VARCHAR", "VARCHAR", "INTEGER", "DATE"]
    assert [r[1] for r in rows(con)] == ["c@z.net", None]
    assert any('"email (2)"' in n for n in result.notes)


def test_empty_parquet_is_refused_and_the_old_table_kept(con, tmp_path):
    load_leads(con, CORPUS / "semicolon.csv")
    path = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"Email": pa.array([], pa.string())}), path)
    with pytest.raises(UserError, match="has columns but no rows"):
        load_leads(con, path)
    assert con.execute("SELECT count(*) FROM leads").fetchone() == (2,)


def test_a_few_ragged_rows_are_skipped_with_their_line_numbers(con, tmp_path):
    lines = ["name,score"] + [f"lead {i},{i}" for i in range(1, 401)]
    lines[100] = "broken,1,2"  # line 101 of the file
    lines[250] = "alone"  # line 251
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = load_leads(con, path)

    assert result.rows == 398
    assert "2 rows had the wrong number of fields (lines 101 and 251) and were skipped." in (
        result.notes
    )
    assert con.execute("SELECT sum(score) FROM leads").fetchone() == (
        sum(range(1, 401)) - 100 - 250,
    )


def test_windows_1252_after_the_first_64_kb_is_still_decoded(con, tmp_path):
    body = "".join(f"lead {i};{i}\n" for i in range(8000))  # ~100 KB of plain ASCII
    path = tmp_path / "late.csv"
    path.write_bytes(("name;score\n" + body + "Müller;5\n").encode("cp1252"))
    result = load_leads(con, path)
    assert result.rows == 8001
    assert con.execute("SELECT name FROM leads WHERE score = 5 AND name LIKE 'M%'").fetchall() == [
        ("Müller",)
    ]
    assert "Windows-1252" in result.notes[0]


def test_empty_rows_are_dropped_with_a_note(con):
    result = load_leads(con, b"a;b\n1;x\n;\n2;y\n;\n", filename="x.csv")
    assert rows(con) == [(1, "x"), (2, "y")]
    assert "Skipped 2 empty rows (every field blank)." in result.notes


def test_single_column_file_keeps_commas_and_semicolons(con):
    result = load_leads(con, b'company\nAcme, Inc.\nBeta; Ltd\n"Gamma ""G"""\n')
    assert result.columns == ["company"]
    assert rows(con) == [("Acme, Inc.",), ("Beta; Ltd",), ('Gamma "G"',)]


@pytest.mark.parametrize(
    ("text", "dtype", "values"),
    [
        ("12345678901234567890\n2\n", "VARCHAR", ["12345678901234567890", "2"]),  # too long
        (" 1 \n-2\n+3\n", "BIGINT", [1, -2, 3]),
        ("-2.5\n.5\n7\n", "DOUBLE", [-2.5, 0.5, 7.0]),
        ("1e5\n2\n", "VARCHAR", ["1e5", "2"]),  # exponents are not how CRMs write numbers
        ("0.5\n0\n", "DOUBLE", [0.5, 0.0]),  # "0.5" has no leading zero to lose
        ("007\n8\n", "VARCHAR", ["007", "8"]),
        ("   \n4\n", "BIGINT", [None, 4]),
    ],
)
def test_number_detection_per_column(con, text, dtype, values):
    load_leads(con, ("n,k\n" + "".join(f"{v.rstrip()},x\n" for v in text.splitlines())).encode())
    assert types(con)[0] == dtype
    assert [r[0] for r in rows(con)] == values


def test_whitespace_only_text_becomes_null(con):
    load_leads(con, b"name,n\n  ,1\nAnna,2\n")
    assert rows(con) == [(None, 1), ("Anna", 2)]


def test_file_names_with_glob_characters(con, tmp_path):
    path = tmp_path / "leads [1]*.csv"
    path.write_bytes((CORPUS / "semicolon.csv").read_bytes())
    assert load_leads(con, path).rows == 2


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"<!DOCTYPE html><html><table><tr><td>1</td></tr></table></html>", "a web page"),
        (b'[{"email": "a@x.com"}]', "is JSON"),
        (b"\x1f\x8b\x08\x00\x00\x00", "gzip-compressed"),
        (b"PK\x03\x04 not really a zip", "damaged zip or Excel file"),
        (b"  \r\n\r\n", "is empty"),
        (b"a,b\n,\n,\n", "header row but no data rows"),
    ],
)
def test_more_files_that_are_not_tables(con, data, fragment):
    with pytest.raises(UserError, match=_literal(fragment)):
        load_leads(con, data, filename="upload.csv")


def test_missing_file_and_folder(con, tmp_path):
    with pytest.raises(UserError, match="does not exist; check the path"):
        load_leads(con, tmp_path / "nope.csv")
    with pytest.raises(UserError, match="is a folder, not a file"):
        load_leads(con, tmp_path)


def test_read_table_columns_of_a_missing_table(con):
    with pytest.raises(UserError, match='no table "nope"'):
        read_table_columns(con, "nope")


def test_progress_is_reported(con):
    calls: list[tuple[float, str]] = []
    load_leads(con, CORPUS / "semicolon.csv", progress=lambda f, m: calls.append((f, m)))
    fractions = [f for f, _ in calls]
    assert len(calls) >= 3
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(isinstance(m, str) and m for _, m in calls)


# --------------------------------------------------------------------------- property


def _text_value(sep: str) -> st.SearchStrategy[str]:
    # Starts with a letter so it can never read as a number; may hold the separator itself,
    # quotes, spaces, non-ASCII and line breaks, which quoting must protect.
    tail = st.text(alphabet=list("abcXYZ éü€'\"\n 123.") + [sep], max_size=8)
    return st.builds(lambda head, rest: head + rest, st.sampled_from("abcÄéZ"), tail)


def _number_value(kind: str) -> st.SearchStrategy[str]:
    if kind == "int":
        return st.integers(-(10**12), 10**12).map(str)
    return st.integers(-(10**11), 10**11).map(lambda n: f"{Decimal(n) / 100:.2f}")


@dataclass(frozen=True)
class NotAnswered:
    """A cell written as a placeholder ("N/A", " unknown "...): it must load as NULL."""

    text: str


# Spelled the way files spell them: any case, sometimes padded.
_PLACEHOLDER_CELLS = st.builds(
    lambda word, case, pad: NotAnswered(pad + case(word) + pad),
    st.sampled_from(DEFAULT_PLACEHOLDERS),
    st.sampled_from([str, str.lower, str.upper, str.title]),
    st.sampled_from(["", " "]),
)

Cell = str | NotAnswered | None


@st.composite
def tables(draw: st.DrawFn) -> tuple[str, list[str], list[str], list[list[Cell]], bool]:
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    width = draw(st.integers(2, 5))
    names = draw(
        st.lists(
            st.text(alphabet="abcdeÜ _-1'\"" + sep, min_size=1, max_size=8)
            .map(str.strip)
            .filter(bool),
            min_size=width,
            max_size=width,
            unique_by=str.casefold,
        )
    )
    kinds = draw(st.lists(st.sampled_from(["text", "int", "dec"]), min_size=width, max_size=width))
    kinds[0] = "text"  # column 0 is never empty, so no row is entirely blank
    n_rows = draw(st.integers(1, 12))
    columns: list[list[Cell]] = []
    for j, kind in enumerate(kinds):
        value = _text_value(sep) if kind == "text" else _number_value(kind)
        cell = value if j == 0 else st.one_of(st.none(), _PLACEHOLDER_CELLS, value, value)
        columns.append(draw(st.lists(cell, min_size=n_rows, max_size=n_rows)))
    decimal_comma = draw(st.booleans())
    return sep, names, kinds, columns, decimal_comma


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    table=tables(),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    newline=st.sampled_from(["\n", "\r\n"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_written_tables_load_back_equal(table, quoting, newline, encoding):
    sep, names, kinds, columns, decimal_comma = table
    n_rows = len(columns[0])

    def written(kind: str, value: Cell) -> str:
        if value is None:
            return ""
        if isinstance(value, NotAnswered):
            return value.text
        return value.replace(".", ",") if kind == "dec" and decimal_comma else value

    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, quoting=quoting, lineterminator=newline)
    writer.writerow(names)
    for i in range(n_rows):
        writer.writerow([written(k, col[i]) for k, col in zip(kinds, columns, strict=True)])
    text = out.getvalue()
    if encoding == "cp1252" and not text.isascii():
        # A Windows-1252 file that happens to be valid UTF-8 ("Ä€" is C4 80) is read as
        # UTF-8 by design.
        assume(_not_utf8(text.encode("cp1252")))
    data = text.encode(encoding)

    con = duckdb.connect()
    try:
        result = load_leads(con, data, filename="generated.csv")
        assert result.columns == names
        assert result.rows == n_rows
        dtypes = types(con)
        got = rows(con)
    finally:
        con.close()

    for j, kind in enumerate(kinds):
        cells = [None if isinstance(v, NotAnswered) else v for v in columns[j]]
        present = [v for v in cells if v is not None]
        if kind == "text":
            expected: list[Any] = cells
            assert is_text_type(dtypes[j])
        elif kind == "int":
            expected = [None if v is None else int(v) for v in cells]
            assert dtypes[j] == ("BIGINT" if present else "VARCHAR")
        else:
            expected = [None if v is None else float(v) for v in cells]
            assert dtypes[j] == ("DOUBLE" if present else "VARCHAR")
        assert [r[j] for r in got] == expected, (names[j], kind)


def _not_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


# --------------------------------------------------------------------------- big files

SLOW_ENV = "WORKBENCH_SLOW_TESTS"

# Run in a fresh interpreter so that the peak resident memory (VmHWM) is the load's own.
_CHILD = """
import json, sys, threading, time
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
import duckdb
from workbench.loading import load_leads
before = hwm()
con = duckdb.connect()
calls, threads = [], set()
def progress(fraction, message):
    calls.append(fraction)
    threads.add(threading.get_ident())
start = time.perf_counter()
result = load_leads(con, sys.argv[1], progress=progress)
print(json.dumps({
    "before": before, "peak": hwm(), "rows": result.rows, "seconds": time.perf_counter() - start,
    "calls": calls, "caller_only": threads == {threading.get_ident()}, "notes": result.notes,
    "types": [str(r[1]) for r in con.execute("DESCRIBE leads").fetchall()],
}))
"""


def _write_leads_csv(path: Path, size: int) -> int:
    """A Windows-1252 lead file of about ``size`` bytes with placeholders, decimal commas
    and day-first dates; returns the number of data rows."""
    industries = ["Software", "Retail", "unknown", "Select", "Manufacturing"]
    rows = 0
    with open(path, "w", encoding="cp1252", newline="") as fh:
        fh.write("Lead ID;Company;Industry;Employees;Revenue;Created;Score\n")
        block = []
        while fh.tell() < size:
            for _ in range(5000):
                i = rows
                block.append(
                    f"L{i:08d};Müller GmbH {i % 997};{industries[i % 5]};"
                    f"{'unknown' if i % 7 == 0 else i % 5000};{i % 100_000},{i % 100:02d};"
                    f"{i % 28 + 1:02d}.{i % 12 + 1:02d}.2025;{i % 101}\n"
                )
                rows += 1
            fh.write("".join(block))
            block.clear()
    return rows


def _load_in_child(path: Path) -> dict[str, Any]:
    import json
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
        timeout=600,
    )
    return dict(json.loads(out.stdout))


def _check_big_load(path: Path, rows: int, max_growth: float) -> dict[str, Any]:
    got = _load_in_child(path)
    size = path.stat().st_size
    assert got["rows"] == rows
    shown = ["text" if is_text_type(t) else t for t in got["types"]]
    assert shown == ["text", "text", "text", "BIGINT", "DOUBLE", "DATE", "BIGINT"]
    assert (
        got["notes"][0] == "Read as semicolon-separated text in Windows-1252 with decimal commas."
    )
    # Progress: several steps (the conversion to UTF-8 reports every 4 MB), never backwards,
    # from 0 to 1, and always from the thread that called load_leads.
    calls = got["calls"]
    assert len(calls) >= 6
    assert calls == sorted(calls) and calls[0] == 0.0 and calls[-1] == 1.0
    assert any(0.0 < c < 0.1 for c in calls)
    assert got["caller_only"]
    # Memory grows with the table DuckDB holds, not with copies of the file in Python.
    assert got["peak"] - got["before"] < max_growth * size, got
    return got


def test_a_20_mb_file_loads_with_progress_and_bounded_memory(tmp_path):
    path = tmp_path / "leads-20mb.csv"
    rows = _write_leads_csv(path, 20_000_000)
    _check_big_load(path, rows, max_growth=10.0)


@pytest.mark.skipif(os.environ.get(SLOW_ENV) != "1", reason=f"set {SLOW_ENV}=1 to run")
def test_a_200_mb_file_loads_with_progress_and_bounded_memory(tmp_path):
    path = tmp_path / "leads-200mb.csv"
    rows = _write_leads_csv(path, 200_000_000)
    got = _check_big_load(path, rows, max_growth=10.0)
    print(
        f"\n200 MB: {rows:,} rows in {got['seconds']:.1f} s, peak memory "
        f"{(got['peak'] - got['before']) / 2**20:,.0f} MiB above the interpreter's start"
    )


def test_long_statements_report_progress_from_the_calling_thread(con, monkeypatch):
    import threading

    from workbench import loading

    monkeypatch.setattr(loading, "_PROGRESS_EVERY_S", 0.01)
    seen: list[tuple[float, int]] = []
    with loading._quiet(con):
        loading._execute_with_progress(
            con,
            "CREATE TABLE t AS SELECT sum(i * i % 7) AS s FROM range(60000000) r(i)",
            {},
            lambda f, m: seen.append((f, threading.get_ident())),
            0.2,
            0.4,
            "Working",
        )
        with pytest.raises(duckdb.Error):
            loading._execute_with_progress(
                con, "SELECT * FROM nope", {}, lambda f, m: None, 0.0, 1.0, "x"
            )
    assert con.execute("SELECT count(*) FROM t").fetchone() == (1,)
    assert seen, "a statement of a second or more reports progress"
    assert all(0.2 <= f <= 0.4 and ident == threading.get_ident() for f, ident in seen)
    # The connection's own progress-bar settings are back.
    assert con.execute("SELECT current_setting('enable_progress_bar_print')").fetchone() == (True,)


def test_a_progress_callback_that_raises_stops_the_load_cleanly(con, monkeypatch):
    from workbench import loading

    monkeypatch.setattr(loading, "_PROGRESS_EVERY_S", 0.01)

    class Stopped(Exception):
        pass

    def stop(fraction: float, message: str) -> None:
        if "%" in message:  # the first report from inside a long statement
            raise Stopped

    with loading._quiet(con), pytest.raises(Stopped):
        loading._execute_with_progress(
            con, "CREATE TABLE t AS SELECT sum(i) FROM range(2000000000) r(i)", {}, stop, 0, 1, "x"
        )
    # The statement was interrupted and the connection is usable at once.
    assert con.execute("SELECT 42").fetchone() == (42,)
    assert con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 't'"
    ).fetchone() == (0,)


# --------------------------------------------------------------------------- ENUM storage


def _repeated_leads(n: int = 400) -> bytes:
    industries = ["Software", "retail", " Health Care", "Öl & Gas", "it's", "Zoo"]
    lines = ["id,email,industry,demo,outcome"]
    for i in range(n):
        demo = "yes" if i % 3 == 0 else "no"
        won = "won" if i % 7 == 0 else "lost"
        lines.append(f"{i},lead{i}@x{i % 50}.com,{industries[i % 6]},{demo},{won}")
    return ("\n".join(lines) + "\n").encode()


def test_repeated_text_is_stored_as_enum_and_behaves_like_text(con):
    load_leads(con, _repeated_leads())
    kinds = dict(zip(read_table_columns(con, "leads"), types(con), strict=True))
    assert kinds["id"] == "BIGINT"
    assert kinds["email"] == "VARCHAR"  # every value distinct: a dictionary would not help
    for name in ("industry", "demo", "outcome"):
        assert kinds[name].startswith("ENUM"), name
    # A plain-text copy answers every question the same way.
    con.execute(
        "CREATE TABLE plain AS SELECT id, email, CAST(industry AS VARCHAR) AS industry, "
        "CAST(demo AS VARCHAR) AS demo, CAST(outcome AS VARCHAR) AS outcome FROM leads"
    )
    for sql in (
        "SELECT id FROM {t} WHERE industry = 'retail' ORDER BY id",
        "SELECT id FROM {t} WHERE industry = 'not there' ORDER BY id",
        "SELECT industry, count(*) FROM {t} GROUP BY 1 ORDER BY 1",
        "SELECT min(industry), max(industry) FROM {t}",
        "SELECT id FROM {t} WHERE industry < 'Zoo' AND demo IN ('yes', 'maybe') ORDER BY id",
        "SELECT id FROM {t} ORDER BY industry, id LIMIT 20",
        "SELECT lower(industry) || '!' FROM {t} ORDER BY id LIMIT 6",
    ):
        assert rows_of(con, sql.format(t="leads")) == rows_of(con, sql.format(t="plain")), sql


def rows_of(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


def test_scores_are_the_same_on_enum_and_text_columns(con):
    from workbench.backtest import summary_and_backtest
    from workbench.model_file import model_from_dict

    load_leads(con, _repeated_leads())
    con.execute(
        "CREATE TABLE plain AS SELECT id, email, CAST(industry AS VARCHAR) AS industry, "
        "CAST(demo AS VARCHAR) AS demo, CAST(outcome AS VARCHAR) AS outcome FROM leads"
    )
    model = model_from_dict(
        {
            "format": "lead-scoring-model/1",
            "name": "enum check",
            "scale": {"min": 0, "max": 100},
            "tiers": [{"name": "cold", "min_score": 0}, {"name": "hot", "min_score": 40}],
            "criteria": [
                {"id": "d", "column": "demo", "kind": "flag", "points": 30},
                {
                    "id": "i",
                    "column": "industry",
                    "kind": "categories",
                    "points": {"software": 20, "health care": 15, "öl & gas": 5},
                    "other": 1,
                },
                {
                    "id": "m",
                    "column": "email",
                    "kind": "email_domain",
                    "domains": ["x1.com"],
                    "points": -10,
                },
            ],
        }
    )
    columns = read_table_columns(con, "leads")
    on_enum = summary_and_backtest(
        con, model, "leads", columns, outcome="outcome", positive_values=["won"]
    )
    on_text = summary_and_backtest(
        con, model, "plain", columns, outcome="outcome", positive_values=["won"]
    )
    assert on_enum[0] == on_text[0]
    enum_bt, text_bt = on_enum[1], on_text[1]
    assert enum_bt is not None and text_bt is not None
    assert (enum_bt.tiers, enum_bt.top, enum_bt.auc) == (text_bt.tiers, text_bt.top, text_bt.auc)
    assert enum_bt.counts.score.tolist() == text_bt.counts.score.tolist()
    assert enum_bt.counts.leads.tolist() == text_bt.counts.leads.tolist()
    # Worked out by hand from how _repeated_leads builds lead i.
    industry_points = [20, 1, 15, 5, 1, 1]  # Software, retail (other), Health Care, Öl, ...
    hot = sum(
        1
        for i in range(400)
        if (30 if i % 3 == 0 else 0) + industry_points[i % 6] - (10 if i % 50 == 1 else 0) >= 40
    )
    assert [t.count for t in on_enum[0].tiers] == [400 - hot, hot]
    assert on_enum[0].leads == 400
    assert on_enum[0].converted == sum(1 for i in range(400) if i % 7 == 0)
