"""The crafted corpus: one small file per input quirk, each with its expected outcome.

Every file in ``tests/corpus/`` is one case of :data:`CASES` (a test checks that none is
forgotten), and :func:`test_corpus_case` runs them all. A case either loads, and then its
columns, DuckDB types, every row and the notes are compared with values written here by hand,
or it is refused, and then the message must contain the fragment written here, be one line,
and leave the previously loaded table alone. Model files go through the model reader; one
case exports formula-like cells. The 50 MB model file is generated, not stored.

How the binary files were made is in ``tests/corpus/README.md``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest

from workbench.errors import UserError
from workbench.export import scored_csv_bytes, scored_excel_bytes
from workbench.loading import LoadResult, load_leads, read_table_columns
from workbench.model_file import load_model_file, load_model_text
from workbench.profile import profile_table
from workbench.scoring import validate_against_data

CORPUS = Path(__file__).resolve().parent / "corpus"
NOT_CASES = {"README.md"}

D = dt.date
T = dt.datetime
Check = Callable[[duckdb.DuckDBPyConnection, LoadResult], None]


@dataclass(frozen=True)
class Case:
    """One corpus file and what must happen to it.

    ``action`` is "load" (load_leads), "model" (the model reader), "model+data" (a model
    checked against a data file) or "export" (load, then the safe CSV and Excel export).
    """

    file: str
    category: str
    action: str = "load"
    columns: list[str] | None = None
    types: list[str] | None = None
    rows: list[tuple[Any, ...]] | None = None
    note: str | None = None
    warning: str | None = None
    error: str | None = None
    kinds: dict[str, str] = field(default_factory=dict)
    placeholders: dict[str, dict[str, int]] | None = None
    date_formats: dict[str, str] | None = None
    data: str | None = None
    check: Check | None = None
    generate: Callable[[Path], Path] | None = None


def _ragged_few(con: duckdb.DuckDBPyConnection, result: LoadResult) -> None:
    assert result.rows == 298
    # Lines 121 and 251 held leads 120 and 250.
    assert con.execute("SELECT sum(score) FROM leads").fetchone() == (sum(range(301)) - 370,)


def _some_invalid_dates(con: duckdb.DuckDBPyConnection, result: LoadResult) -> None:
    assert result.rows == 42
    assert con.execute('SELECT count("Signed up") FROM leads').fetchone() == (40,)
    assert con.execute("SELECT \"Signed up\" FROM leads WHERE Lead = 'l30'").fetchall() == []
    assert con.execute("SELECT \"Signed up\" FROM leads WHERE Lead = 'm11'").fetchall() == [
        (D(2025, 3, 12),)
    ]


def _missing_share(con: duckdb.DuckDBPyConnection, column: str, share: float) -> None:
    profiles = {p.name: p for p in profile_table(con, "leads")}
    assert profiles[column].missing_share == pytest.approx(share)


def _big_model(tmp: Path) -> Path:
    path = tmp / "model_50mb.yaml"
    head = (CORPUS / "model_good.yaml").read_bytes()
    with open(path, "wb") as fh:
        fh.write(head)
        line = b"# " + b"x" * 97 + b"\n"
        fh.write(line * ((50_000_000 - len(head)) // len(line)))
        fh.write(b"#" * (50_000_000 - fh.tell() - 1) + b"\n")
    assert path.stat().st_size == 50_000_000
    return path


CASES: list[Case] = [
    # ------------------------------------------------------------------ CSV quirks
    Case(
        "semicolon.csv",
        "csv",
        columns=["name", "employees", "country"],
        types=["VARCHAR", "BIGINT", "VARCHAR"],
        rows=[("Acme", 120, "DE"), ("Beta", 7, "AT")],
        note="Read as semicolon-separated text in UTF-8.",
    ),
    Case(
        "tab.tsv",
        "csv",
        columns=["name", "employees", "score"],
        types=["VARCHAR", "BIGINT", "DOUBLE"],
        rows=[("Acme", 120, 0.5), ("Beta, Inc.", 7, 1.25)],
        note="Read as tab-separated text in UTF-8.",
    ),
    Case(
        "pipe.txt",
        "csv",
        columns=["name", "employees", "stage"],
        types=["VARCHAR", "BIGINT", "VARCHAR"],
        rows=[("Acme", 120, "lead"), ("Beta", 7, "customer")],
        note="Read as pipe-separated text in UTF-8.",
    ),
    Case(
        "decimal_comma.csv",
        "csv",
        columns=["name", "revenue", "rate", "ambiguous"],
        types=["VARCHAR", "DOUBLE", "DOUBLE", "DOUBLE"],
        # "1,234" in a file that uses decimal commas is 1.234, not 1234.
        rows=[
            ("Acme", 1234.5, 3.75, 1.234),
            ("Beta", 12.0, 0.5, 5.0),
            ("Gamma", 1000000.25, 10.0, 7.0),
        ],
        note="Read as semicolon-separated text in UTF-8 with decimal commas.",
    ),
    Case(
        "us_thousands.csv",
        "csv",
        columns=["name", "revenue"],
        types=["VARCHAR", "DOUBLE"],
        rows=[("Acme", 1234.5), ("Beta", 12000.0), ("Gamma", 7.25)],
        note="Read as comma-separated text in UTF-8.",
    ),
    Case(
        "utf8_bom.csv",
        "csv",
        columns=["email", "points"],
        types=["VARCHAR", "BIGINT"],
        rows=[("anna@example.com", 10), ("ben@example.org", 20)],
        note="Read as comma-separated text in UTF-8 (with byte-order mark).",
    ),
    Case(
        "cp1252.csv",
        "csv",
        columns=["name", "city", "budget"],
        types=["VARCHAR", "VARCHAR", "VARCHAR"],
        rows=[("Müller", "Köln", "500 €"), ("José", "Málaga", "1000 €")],
        note="Read as semicolon-separated text in Windows-1252.",
    ),
    Case(
        # Latin-1 letters are the same bytes in Windows-1252, which is what the note names.
        "latin1.csv",
        "csv",
        columns=["name", "city", "note"],
        types=["VARCHAR", "VARCHAR", "VARCHAR"],
        rows=[("Muñoz", "A Coruña", "ÿ ø ß"), ("Østergaard", "Århus", "±5 µ")],
        note="Read as semicolon-separated text in Windows-1252.",
    ),
    Case(
        "utf16_tab.txt",
        "csv",
        columns=["name", "city"],
        types=["VARCHAR", "VARCHAR"],
        rows=[("Müller", "Köln")],
        note="Read as tab-separated text in UTF-16.",
    ),
    Case(
        "crlf.csv",
        "csv",
        columns=["id", "name", "score"],
        types=["BIGINT", "VARCHAR", "BIGINT"],
        rows=[(1, "Anna", 10), (2, "Ben", 20)],
    ),
    Case(
        "mac_cr.csv",
        "csv",
        columns=["name", "score"],
        types=["VARCHAR", "BIGINT"],
        rows=[("Anna", 10), ("Ben", 20)],
    ),
    Case(
        "excel_sep_line.csv",
        "csv",
        columns=["name", "employees"],
        types=["VARCHAR", "BIGINT"],
        rows=[("Acme", 120), ("Beta", 7)],
        note='Skipped the first line "sep=;" (it names the separator).',
    ),
    Case(
        "quoted_numbers.csv",
        "csv",
        columns=["Record ID", "Email", "HubSpot Score", "Annual Revenue"],
        types=["BIGINT", "VARCHAR", "BIGINT", "DOUBLE"],
        rows=[(101, "anna@example.com", 42, 1500.5), (102, "ben@example.org", 7, None)],
    ),
    Case(
        "trailing_delimiter.csv",
        "csv",
        columns=["name", "score"],
        types=["VARCHAR", "BIGINT"],
        rows=[("Anna", 10), ("Ben", 20)],
        note='Dropped the empty unnamed last column "column_3" (the lines end with a separator).',
    ),
    Case(
        "blank_rows_end.csv",
        "csv",
        columns=["name", "score", "stage"],
        types=["VARCHAR", "BIGINT", "VARCHAR"],
        rows=[("Anna", 10, "lead"), ("Ben", 20, "customer")],
        note="Skipped 3 empty rows (every field blank).",
    ),
    Case(
        "xlsx_renamed.csv",
        "csv",
        columns=["Email", "Employees", "Signed up", "Zip"],
        types=["VARCHAR", "BIGINT", "DATE", "VARCHAR"],
        rows=[
            ("anna@example.com", 120, D(2025, 1, 5), "01234"),
            ("ben@example.org", 7, D(2025, 2, 28), "98765"),
        ],
        note='Read the sheet "Leads" of the Excel workbook.',
    ),
    Case(
        "legacy.xls",
        "csv",
        error='"legacy.xls" is an old Excel 97–2003 (.xls) workbook, which cannot be read; '
        "open it in Excel and save it as .xlsx or CSV.",
    ),
    Case(
        "opendocument.ods",
        "csv",
        error='"opendocument.ods" is an OpenDocument spreadsheet; save it as .xlsx or CSV',
    ),
    Case(
        "html_export.xls",
        "csv",
        error='"html_export.xls" is a web page or XML document, not a table',
    ),
    Case("json_renamed.csv", "csv", error='"json_renamed.csv" is JSON, not a table'),
    Case("gzipped.csv.gz", "csv", error='"gzipped.csv.gz" is gzip-compressed; decompress it'),
    Case("zipped.zip", "csv", error='"zipped.zip" is a zip archive; unzip it'),
    Case("empty.csv", "csv", error='"empty.csv" is empty; export the leads again'),
    Case("whitespace_only.csv", "csv", error='"whitespace_only.csv" is empty'),
    Case(
        "header_only.csv",
        "csv",
        error='"header_only.csv" has a header row but no data rows; export it again',
    ),
    Case(
        "duplicate_names.csv",
        "csv",
        columns=["Email", "Name", "Email (2)", "Email (3)"],
        types=["VARCHAR"] * 4,
        rows=[("a@x.com", "Anna", "b@x.com", "c@x.com")],
        note='Renamed the second "Email" column to "Email (2)".',
    ),
    Case(
        "case_duplicates.csv",
        "csv",
        columns=["Email", "email (2)", "EMAIL (3)"],
        types=["VARCHAR"] * 3,
        rows=[("a@x.com", "b@x.com", "c@x.com")],
        note='Renamed "email" to "email (2)" because it differs from "Email" only by case',
    ),
    Case(
        "blank_header.csv",
        "csv",
        columns=["name", "column_2", "score"],
        types=["VARCHAR", "VARCHAR", "BIGINT"],
        rows=[("Anna", "x", 10), ("Ben", "y", 20)],
    ),
    Case(
        "ragged.csv",
        "csv",
        error='Lines 3 and 4 of "ragged.csv" do not have the header\'s 2 fields; fix them',
    ),
    Case(
        "ragged_few.csv",
        "csv",
        columns=["name", "score"],
        types=["VARCHAR", "BIGINT"],
        note="2 rows had the wrong number of fields (lines 121 and 251) and were skipped.",
        check=_ragged_few,
    ),
    Case(
        "stray_quote.csv",
        "csv",
        error='Line 3 of "stray_quote.csv" could not be read (a stray quote or an overlong '
        "line); fix it and load the file again.",
    ),
    Case(
        "single_column.csv",
        "csv",
        columns=["company"],
        types=["VARCHAR"],
        rows=[("Acme, Inc.",), ("Beta; Ltd",), ('Gamma "G"',)],
        note="Read as a single column of text in UTF-8.",
    ),
    Case(
        "leading_zeros.csv",
        "csv",
        columns=["zip", "customer_no", "amount"],
        types=["VARCHAR", "VARCHAR", "BIGINT"],
        rows=[("01234", "0042", 5), ("98765", "1234", 6)],
        note='Kept "zip" as text so that values with leading zeros stay intact.',
    ),
    Case(
        "binary_junk.bin",
        "csv",
        error='"binary_junk.bin" does not look like a table (it contains binary data)',
    ),
    # ------------------------------------------------------------------ values
    Case(
        "placeholders.csv",
        "values",
        columns=["Name", "Industry", "Lead Source", "Budget"],
        types=["VARCHAR", "VARCHAR", "VARCHAR", "BIGINT"],
        rows=[
            ("Anna", "Software", "Web", 1000),
            ("Ben", None, None, None),
            ("Carla", None, None, 2500),
            ("Dan", None, None, None),
            ("Eve", "Retail", None, None),
            ("Finn", None, "Referral", 750),
        ],
        note='Treated 11 values that mean "not answered"',
        placeholders={
            "Industry": {"Select": 1, "N/A": 1, "#N/A": 1, "--": 1},
            "Lead Source": {"unknown": 1, "Please select": 1, "n/a": 1, "NULL": 1},
            "Budget": {"-": 1, "N/A": 1, "none": 1},
        },
        kinds={"Budget": "number"},
        check=lambda con, _: _missing_share(con, "Industry", 4 / 6),
    ),
    Case(
        # "unknown" and "-" must not keep a number column as text.
        "placeholders_numbers.csv",
        "values",
        columns=["Lead", "Employees", "Revenue", "Visits"],
        types=["VARCHAR", "BIGINT", "DOUBLE", "BIGINT"],
        rows=[
            ("a", 120, 1.5, 3),
            ("b", None, 2.25, None),
            ("c", None, None, 7),
            ("d", 15, None, None),
        ],
        note='"Employees" (2), "Revenue" (2) and "Visits" (2).',
    ),
    Case(
        "salesforce_null_ids.csv",
        "values",
        columns=["Id", "OwnerId", "CampaignId"],
        types=["VARCHAR"] * 3,
        rows=[
            ("00Q5g00000AbCdE", "0055g00000XyZ12", None),
            ("00Q5g00000AbCdF", None, "7015g000001QwEr"),
            ("00Q5g00000AbCdG", None, None),
        ],
        placeholders={
            "OwnerId": {"000000000000000AAA": 1, "000000000000000": 1},
            "CampaignId": {"000000000000000AAA": 1, "000000000000000": 1},
        },
    ),
    Case(
        "flags.csv",
        "values",
        columns=[
            "Lead",
            "Demo Requested",
            "Opt-in ES",
            "Opt-in IT",
            "Newsletter",
            "IsConverted",
            "Has Budget",
        ],
        types=["VARCHAR"] * 5 + ["BIGINT", "DOUBLE"],
        rows=[
            ("a", "Yes", "Sí", "Sì", "TRUE", 1, 1.0),
            ("b", "No", "No", "No", "FALSE", 0, 0.0),
            ("c", "yes", "sí", "sì", "true", 1, 1.0),
            ("d", "no", "no", "no", "false", 0, 0.0),
            ("e", "Yes", "Sí", "Sì", "TRUE", 0, 0.0),
        ],
        kinds={
            "Demo Requested": "flag",
            "Opt-in ES": "flag",
            "Opt-in IT": "flag",
            "Newsletter": "flag",
            "IsConverted": "flag",
            "Has Budget": "flag",
        },
    ),
    Case(
        "numbers_as_text.xlsx",
        "values",
        columns=["Lead", "Employees", "Revenue", "Zip"],
        types=["VARCHAR", "BIGINT", "DOUBLE", "VARCHAR"],
        rows=[("a", 120, 1500.5, "01234"), ("b", 7, 20.0, "98765"), ("c", None, None, "00001")],
        note='Treated 2 values that mean "not answered" ("-", "unknown") as empty',
    ),
    Case(
        "excel_ranges.csv",
        "values",
        columns=["Company", "Company Size"],
        types=["VARCHAR", "VARCHAR"],
        rows=[
            ("Acme", "Jan-10"),
            ("Beta", "May-20"),
            ("Gamma", "Oct-20"),
            ("Delta", "51-200"),
            ("Epsilon", "201-1000"),
            ("Zeta", "1000+"),
        ],
        warning='Warning: 3 values in "Company Size" look like ranges that Excel turned into '
        'dates: "Jan-10" (probably "1-10"), "May-20" (probably "5-20"), "Oct-20" (probably '
        '"10-20"). Fix them in the source file',
    ),
    Case(
        "dates_day_first.csv",
        "values",
        columns=["Lead", "Created"],
        types=["VARCHAR", "DATE"],
        rows=[
            ("a", D(2025, 12, 31)),
            ("b", D(2025, 1, 5)),
            ("c", D(2024, 2, 13)),
            ("d", None),
        ],
        note='Read "Created" as dates, written day first like 31/12/2025.',
        date_formats={"Created": "%d/%m/%Y"},
        kinds={"Created": "date"},
    ),
    Case(
        "dates_month_first.csv",
        "values",
        columns=["Lead", "Created"],
        types=["VARCHAR", "DATE"],
        rows=[("a", D(2025, 12, 31)), ("b", D(2025, 1, 5)), ("c", D(2024, 2, 13))],
        note='Read "Created" as dates, written month first like 12/31/2025.',
        date_formats={"Created": "%m/%d/%Y"},
    ),
    Case(
        "dates_iso_salesforce.csv",
        "values",
        columns=["Id", "CreatedDate", "LastActivityDate"],
        types=["VARCHAR", "TIMESTAMP", "DATE"],
        rows=[
            ("00Q1", T(2025, 11, 3, 14, 22, 5), D(2025, 11, 20)),
            ("00Q2", T(2025, 1, 31, 8, 0, 0), D(2025, 2, 1)),
        ],
        note='Read "CreatedDate" as dates with times, written like 2025-12-31T14:30:00.000Z.',
        date_formats={"CreatedDate": "%Y-%m-%dT%H:%M:%S.%fZ", "LastActivityDate": "%Y-%m-%d"},
    ),
    Case(
        "dates_dotted.csv",
        "values",
        columns=["Lead", "Angelegt am"],
        types=["VARCHAR", "TIMESTAMP"],
        rows=[("a", T(2025, 12, 31, 14, 30)), ("b", T(2025, 5, 1, 8, 5))],
        note='Read "Angelegt am" as dates with times, written day first like 31.12.2025 14:30.',
    ),
    Case(
        "dates_some_invalid.csv",
        "values",
        columns=["Lead", "Signed up"],
        types=["VARCHAR", "DATE"],
        warning='Warning: 2 values in "Signed up" are not a date like 31/12/2025 and were left '
        'empty ("31/02/2025", "soon"). To keep them, correct them in the file',
        check=_some_invalid_dates,
    ),
    Case(
        "dates_too_messy.csv",
        "values",
        columns=["Lead", "When"],
        types=["VARCHAR", "VARCHAR"],
        rows=[("a", "31/12/2025"), ("b", "next week"), ("c", "Q3"), ("d", "05/01/2025")],
    ),
    Case(
        "dates_ambiguous.csv",
        "values",
        columns=["Lead", "Created"],
        types=["VARCHAR", "DATE"],
        rows=[("a", D(2025, 2, 1)), ("b", D(2025, 4, 3)), ("c", D(2025, 11, 12))],
        note="Every value in it would also read month first; if that is what they are, export "
        "the dates as YYYY-MM-DD",
    ),
    # ------------------------------------------------------------------ model files
    Case("model_good.yaml", "model", action="model"),
    Case(
        "model_unknown_key.yaml",
        "model",
        action="model",
        error="model_unknown_key.yaml: unknown key 'pointz' in criteria #1 (demo) (line 11) "
        "(did you mean 'points'?)",
    ),
    Case(
        "model_wrong_type.yaml",
        "model",
        action="model",
        error="criteria #1 (demo) → points (line 11): expected a number, got 'lots'.",
    ),
    Case(
        "model_duplicate_ids.yaml",
        "model",
        action="model",
        error="two criteria have the id 'demo'; ids must be unique.",
    ),
    Case(
        "model_tiers_out_of_order.yaml",
        "model",
        action="model",
        error="tiers must ascend: hot (80) comes after warm (90)",
    ),
    Case(
        "model_unknown_format.yaml",
        "model",
        action="model",
        error="is in format 'lead-scoring-model/9', which this version does not know",
    ),
    Case(
        "model_not_yaml.yaml",
        "model",
        action="model",
        error="model_not_yaml.yaml could not be read as YAML on line 3",
    ),
    Case(
        "model_alias_bomb.yaml",
        "model",
        action="model",
        error="uses a YAML alias (*name) on line 2; model files do not allow anchors and aliases",
    ),
    Case(
        "model_non_utf8.yaml",
        "model",
        action="model",
        error="model_non_utf8.yaml is not UTF-8 text (byte 38 cannot be read); save it as UTF-8",
    ),
    Case(
        "model_50mb.yaml (generated)",
        "model",
        action="model",
        error="The model file is 50.0 MB; model files are a few KB",
        generate=_big_model,
    ),
    Case(
        "model_missing_column.yaml",
        "model",
        action="model+data",
        data="model_missing_column.csv",
        error='Criterion "Opens" (opens): The data has no column "Emial Opens". The closest is '
        '"Email Opens".',
    ),
    # ------------------------------------------------------------------ hostile content
    Case(
        "hostile_names.csv",
        "hostile",
        columns=["lead score", 'a"b', "select", "Ünïcode", "x'); DROP TABLE leads; --"],
        types=["BIGINT"] * 5,
        rows=[(1, 2, 3, 4, 5), (6, 7, 8, 9, 10)],
    ),
    Case(
        "hostile_values.csv",
        "hostile",
        columns=["id", "<script>alert(1)</script>", "multi\nline", 'quote\'s "name"'],
        types=["BIGINT", "VARCHAR", "VARCHAR", "VARCHAR"],
        rows=[
            (1, "'; DROP TABLE leads; --", "<img src=x onerror=alert(1)>", 'a"b'),
            (2, "Robert'); DELETE FROM leads;--", "line one\nline two", "<b>bold</b>"),
            (3, "{{7*7}} ${jndi:ldap://x}", "\\u0000 text", "%s%n"),
        ],
    ),
    Case(
        "formula_cells.csv",
        "hostile",
        action="export",
        columns=["Name", "Note"],
        types=["VARCHAR", "VARCHAR"],
        rows=[
            ('=HYPERLINK("http://evil.example","Click")', "plain"),
            ("+1+2", "@SUM(A1:A2)"),
            ("-3+cmd|' /C calc'!A0", "safe"),
            ("\tindented", "\rreturn"),
        ],
    ),
]

# What the export must write for formula_cells.csv: an apostrophe before every cell that
# starts with = + - @ tab or carriage return, nothing else changed.
EXPORTED = [
    ["Name", "Note"],
    ['\'=HYPERLINK("http://evil.example","Click")', "plain"],
    ["'+1+2", "'@SUM(A1:A2)"],
    ["'-3+cmd|' /C calc'!A0", "safe"],
    ["'\tindented", "'\rreturn"],
]


def test_corpus_is_big_enough_and_complete():
    files = {p.name for p in CORPUS.iterdir() if not p.name.startswith(".")} - NOT_CASES
    named = {c.file for c in CASES} | {c.data for c in CASES if c.data}
    assert files == {n for n in named if not n.endswith("(generated)")}
    assert len(CASES) >= 40
    assert len({c.file for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.category}:{c.file}")
def test_corpus_case(case: Case, con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = case.generate(tmp_path) if case.generate else CORPUS / case.file
    if case.action == "model":
        _check_model(case, path)
    elif case.action == "model+data":
        _check_model_against_data(case, path, con)
    elif case.error:
        _check_refused(case, path, con)
    else:
        result = _check_loaded(case, path, con)
        if case.action == "export":
            _check_export(con)
        _check_bytes_load_alike(case, path, con, result)


# --------------------------------------------------------------------------- checks


def _check_loaded(case: Case, path: Path, con: duckdb.DuckDBPyConnection) -> LoadResult:
    con.execute("CREATE TABLE keep AS SELECT 1 AS x")
    result = load_leads(con, path)

    assert result.columns == case.columns
    assert read_table_columns(con, "leads") == case.columns
    assert [str(r[1]) for r in con.execute('DESCRIBE "leads"').fetchall()] == case.types
    if case.rows is not None:
        assert con.execute('SELECT * FROM "leads"').fetchall() == case.rows
        assert result.rows == len(case.rows)
    if case.note:
        assert any(case.note in n for n in result.notes), result.notes
    if case.warning:
        assert any(case.warning in w for w in result.warnings), result.warnings
        assert set(result.warnings) <= set(result.notes)
    else:
        assert result.warnings == [], result.warnings
    if case.placeholders is not None:
        assert result.placeholders == case.placeholders
    if case.date_formats is not None:
        assert result.date_formats == case.date_formats
    if case.kinds:
        kinds = {p.name: p.kind for p in profile_table(con, "leads")}
        assert {k: kinds[k] for k in case.kinds} == case.kinds
    if case.check:
        case.check(con, result)
    assert all("\n" not in n for n in result.notes)
    # Nothing else was created or dropped (hostile names and values included).
    assert _tables(con) == {"keep", "leads"}
    return result


def _check_refused(case: Case, path: Path, con: duckdb.DuckDBPyConnection) -> None:
    load_leads(con, CORPUS / "semicolon.csv")
    before = con.execute("SELECT * FROM leads").fetchall()
    message = _refusal(load_leads, con, path)
    assert case.error and case.error in message
    assert "\n" not in message and "Traceback" not in message
    assert con.execute("SELECT * FROM leads").fetchall() == before  # the old data is kept
    assert _tables(con) == {"leads"}
    # An upload of the same bytes is refused with the same reason.
    assert _refusal(load_leads, con, path.read_bytes(), filename=path.name) == message


def _check_bytes_load_alike(
    case: Case, path: Path, con: duckdb.DuckDBPyConnection, result: LoadResult
) -> None:
    upload = load_leads(con, path.read_bytes(), "upload", filename=path.name)
    assert upload.columns == result.columns
    assert upload.notes == result.notes
    assert con.execute('SELECT * FROM "upload"').fetchall() == (
        con.execute('SELECT * FROM "leads"').fetchall()
    )


def _check_model(case: Case, path: Path) -> None:
    if case.error is None:
        model = load_model_file(path)
        assert [c.id for c in model.criteria] == ["demo", "opens"]
        assert load_model_text(path.read_bytes(), source=path.name) == model
        return
    message = _refusal(load_model_file, path)
    assert case.error in message
    assert "\n" not in message
    assert _refusal(load_model_text, path.read_bytes(), source=path.name) == message


def _check_model_against_data(case: Case, path: Path, con: duckdb.DuckDBPyConnection) -> None:
    assert case.data and case.error
    loaded = load_leads(con, CORPUS / case.data)
    problems = validate_against_data(con, load_model_file(path), "leads", loaded.columns)
    assert problems == [case.error + " Fix the column name in the model, or pick the column again."]


def _check_export(con: duckdb.DuckDBPyConnection) -> None:
    frame = con.sql("SELECT * FROM leads").to_arrow_table().to_pandas()
    text = scored_csv_bytes(frame).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text, newline=""))) == EXPORTED

    book = openpyxl.load_workbook(io.BytesIO(scored_excel_bytes(frame)))
    sheet = book.active
    assert sheet is not None
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    # XML (and so .xlsx) reads a carriage return inside a cell back as a line feed.
    assert cells == [[v.replace("\r", "\n") for v in row] for row in EXPORTED]
    assert all(c.data_type == "s" for row in sheet.iter_rows() for c in row)  # no formulas


def _refusal(fn: Callable[..., object], *args: Any, **kwargs: Any) -> str:
    """The UserError message of ``fn(*args, **kwargs)``; fails the test if it succeeds.

    Not ``pytest.raises``: its ExceptionInfo, the traceback's frames and the test's locals
    form a cycle that keeps the test's DuckDB connection alive until interpreter exit, where
    DuckDB's bindings report it as a leak.
    """
    try:
        fn(*args, **kwargs)
    except UserError as exc:
        return str(exc)
    pytest.fail(f"{getattr(fn, '__name__', fn)} accepted what it should refuse")


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {str(r[0]) for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
