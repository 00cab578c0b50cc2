"""Cleaning values: placeholders, date formats, Excel-mangled ranges; and how loading uses them.

Expected values are written by hand (or, in the properties, produced by Python's own
``strftime``), never by the functions under test.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.cleaning import (
    DEFAULT_PLACEHOLDERS,
    MangledRanges,
    apply_placeholders,
    date_example,
    detect_date_format,
    excel_mangled_ranges,
    find_mangled_ranges,
    placeholder_note,
    repair_excel_ranges,
    unmangle,
)
from workbench.errors import UserError
from workbench.loading import load_leads


def table(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, str], rows: list[Any]):
    cols = ", ".join(f'"{c.replace(chr(34), chr(34) * 2)}" {t}' for c, t in columns.items())
    con.execute(f'CREATE TABLE "{name}" ({cols})')
    con.executemany(f'INSERT INTO "{name}" VALUES ({", ".join("?" * len(columns))})', rows)


# --------------------------------------------------------------------------- placeholders


def test_default_placeholders_cover_the_issue_list():
    wanted = ["Select", "unknown", "-", "N/A", "n/a", "none", "null", "#N/A", "000000000000000AAA"]
    folded = {p.lower() for p in DEFAULT_PLACEHOLDERS}
    assert {w.lower() for w in wanted} <= folded
    # Words that are real answers somewhere are not placeholders by default.
    assert folded.isdisjoint({"0", "no", "na", "nan", "other", ""})


def test_apply_placeholders_defaults_to_text_columns(con):
    table(
        con,
        "t",
        {"Industry": "VARCHAR", "Owner": "VARCHAR", "Score": "BIGINT"},
        [
            ["Select", "000000000000000AAA", 1],
            [" Unknown ", "0055g00000XyZ12", -1],
            ["Retail", "000000000000000", 2],
            ["N/A", None, 3],
            ["n/a", "Unknown owner", 4],
        ],
    )

    found = apply_placeholders(con, "t")

    assert found == {
        "Industry": {"N/A": 1, "Select": 1, "Unknown": 1, "n/a": 1},
        "Owner": {"000000000000000": 1, "000000000000000AAA": 1},
    }
    assert con.execute("SELECT * FROM t").fetchall() == [
        (None, None, 1),
        (None, "0055g00000XyZ12", -1),
        ("Retail", None, 2),
        (None, None, 3),
        (None, "Unknown owner", 4),  # only whole values match
    ]


def test_apply_placeholders_per_column(con):
    table(
        con,
        "t",
        {"pdays": "BIGINT", "rate": "DOUBLE", "stage": "VARCHAR", "note": "VARCHAR"},
        [[-1, 0.5, "Select", "-"], [3, -1.0, "won", "tbd"], [-1, 2.0, "TBD", "x"]],
    )

    found = apply_placeholders(
        con,
        "t",
        {"pdays": ["-1", "unknown"], "rate": ["-1"], "stage": ["tbd"], "note": []},
    )

    # -1 means "never contacted" in pdays; in rate -1.0 matches the number -1.
    assert found == {"pdays": {"-1": 2}, "rate": {"-1.0": 1}, "stage": {"TBD": 1}}
    assert con.execute("SELECT * FROM t").fetchall() == [
        (None, 0.5, "Select", "-"),  # stage has its own list, note keeps everything
        (3, None, "won", "tbd"),
        (None, 2.0, None, "x"),
    ]


def test_apply_placeholders_can_be_limited_and_turned_off(con):
    table(con, "t", {"a": "VARCHAR", "b": "VARCHAR"}, [["-", "-"], ["x", "none"]])
    assert apply_placeholders(con, "t", default=()) == {}
    assert apply_placeholders(con, "t", columns=["b"]) == {"b": {"-": 1, "none": 1}}
    assert con.execute("SELECT * FROM t").fetchall() == [("-", None), ("x", None)]
    assert apply_placeholders(con, "t") == {"a": {"-": 1}}  # a second run finds the rest only


def test_apply_placeholders_binds_values_and_quotes_names(con):
    hostile = "x'); DROP TABLE t; --"
    table(con, "t", {hostile: "VARCHAR", 'a"b': "VARCHAR"}, [["it's", "%"], ["ok", "_"]])
    found = apply_placeholders(con, "t", {hostile: ["it's"], 'a"b': ["%", "(", "a|b"]})
    assert found == {hostile: {"it's": 1}, 'a"b': {"%": 1}}
    assert con.execute("SELECT * FROM t").fetchall() == [(None, None), ("ok", "_")]


def test_apply_placeholders_errors(con):
    with pytest.raises(UserError, match='no table "nope"'):
        apply_placeholders(con, "nope")
    table(con, "t", {"a": "VARCHAR"}, [["x"]])
    with pytest.raises(UserError, match='no column "b"'):
        apply_placeholders(con, "t", {"b": ["-"]})


def test_apply_placeholders_on_dates_and_booleans_compares_text(con):
    table(con, "t", {"d": "DATE", "f": "BOOLEAN"}, [["1900-01-01", True], ["2025-05-01", False]])
    found = apply_placeholders(con, "t", {"d": ["1900-01-01"], "f": ["false"]})
    assert found == {"d": {"1900-01-01": 1}, "f": {"false": 1}}
    assert con.execute("SELECT * FROM t").fetchall() == [(None, True), (dt.date(2025, 5, 1), None)]


def test_placeholder_note():
    assert placeholder_note({}) is None
    assert placeholder_note({"Industry": {"Select": 1}}) == (
        'Treated 1 value that mean "not answered" ("Select") as empty: "Industry" (1).'
    )
    found = {f"c{i}": {"-": i + 1, "unknown": 1} for i in range(8)}
    assert placeholder_note(found, most=2) == (
        'Treated 44 values that mean "not answered" ("-", "unknown") as empty: "c7" (9), '
        '"c6" (8) and 6 more columns.'
    )


# --------------------------------------------------------------------------- dates

DATE_CASES = [
    # values, day_first, expected (format, failed)
    (["2025-12-31", "2024-02-29"], True, ("%Y-%m-%d", 0)),
    (["2025-11-03T14:22:05.000Z"], True, ("%Y-%m-%dT%H:%M:%S.%fZ", 0)),
    (["2025-11-03T14:22:05Z", "2025-01-01T00:00:00Z"], True, ("%Y-%m-%dT%H:%M:%SZ", 0)),
    (["2025-11-03 14:22:05", "2025-11-04 01:00:00"], True, ("%Y-%m-%d %H:%M:%S", 0)),
    (["2025-11-03 14:22"], True, ("%Y-%m-%d %H:%M", 0)),
    (["2025/11/03"], True, ("%Y/%m/%d", 0)),
    (["31/12/2025", "05/01/2025"], False, ("%d/%m/%Y", 0)),  # 31 settles it
    (["12/31/2025", "01/05/2025"], True, ("%m/%d/%Y", 0)),  # so does 31 second
    (["1/5/2025", "2/13/2025"], True, ("%m/%d/%Y", 0)),  # no leading zeros
    (["31.12.2025", "1.5.2025"], True, ("%d.%m.%Y", 0)),
    (["31-12-2025"], True, ("%d-%m-%Y", 0)),
    (["31.12.2025 14:30", "01.05.2025 08:05"], True, ("%d.%m.%Y %H:%M", 0)),
    (["31/12/2025 14:30:59"], True, ("%d/%m/%Y %H:%M:%S", 0)),
    (["12/31/2025 2:30 PM", "1/5/2025 10:00 AM"], True, ("%m/%d/%Y %I:%M %p", 0)),
    (["01/02/2025", "03/04/2025"], True, ("%d/%m/%Y", 0)),  # both read; the preference wins
    (["01/02/2025", "03/04/2025"], False, ("%m/%d/%Y", 0)),
    # Mixed: the order that reads more values wins; the rest are failures.
    (["13/01/2025", "14/01/2025", "01/13/2025"], False, ("%d/%m/%Y", 1)),
    (["31/02/2025", "28/02/2025"], True, ("%d/%m/%Y", 1)),  # no 31 February
    (["31/12/2025", "soon", None, "", "  "], True, ("%d/%m/%Y", 1)),  # blanks are skipped
    (["2025-12-31", "31/12/2025", "2025-01-01"], True, ("%Y-%m-%d", 1)),
    (["2025-12-31 25:00"], True, (None, 1)),  # no 25 o'clock
    (["31/12/25", "1/1/25"], True, (None, 2)),  # two-digit years are not read
    (["2025-12-31T10:00:00+02:00"], True, (None, 1)),  # offsets are not read
    (["12", "abc", "2025"], True, (None, 3)),
    ([], True, (None, 0)),
    ([None, ""], True, (None, 0)),
]


@pytest.mark.parametrize(("values", "day_first", "expected"), DATE_CASES)
def test_detect_date_format(values, day_first, expected):
    assert detect_date_format(values, day_first=day_first) == expected


@pytest.mark.parametrize(
    ("fmt", "shown"),
    [
        ("%d/%m/%Y", "31/12/2025"),
        ("%m/%d/%Y %I:%M %p", "12/31/2025 02:30 PM"),
        ("%Y-%m-%dT%H:%M:%S.%fZ", "2025-12-31T14:30:00.000Z"),
    ],
)
def test_date_example(fmt, shown):
    assert date_example(fmt) == shown


FORMATS = [
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%d-%m-%Y",
]


@settings(max_examples=60, deadline=None)
@given(
    fmt=st.sampled_from(FORMATS),
    stamps=st.lists(
        st.datetimes(min_value=dt.datetime(1950, 1, 1), max_value=dt.datetime(2099, 12, 31)),
        min_size=1,
        max_size=20,
    ),
)
def test_detected_format_reads_every_value_back(fmt, stamps):
    if "%M" not in fmt:
        stamps = [s.replace(hour=0, minute=0, second=0, microsecond=0) for s in stamps]
    elif "%S" not in fmt:
        stamps = [s.replace(second=0, microsecond=0) for s in stamps]
    elif "%f" not in fmt:
        stamps = [s.replace(microsecond=0) for s in stamps]
    # One value whose day is above 12 settles the order of day and month.
    stamps.append(dt.datetime(2025, 12, 31, 13, 45) if "%M" in fmt else dt.datetime(2025, 12, 31))
    values = [s.strftime(fmt) for s in stamps]

    found, failed = detect_date_format(values, day_first=fmt.startswith("%m"))

    assert failed == 0
    assert found is not None
    assert [dt.datetime.strptime(v, found) for v in values] == stamps
    # DuckDB reads the values the same way with the same format.
    con = duckdb.connect()
    try:
        read = con.execute(
            "SELECT list(strptime(v, $fmt) ORDER BY i) FROM "
            "(SELECT unnest($values) AS v, unnest(range(len($values))) AS i)",
            {"fmt": found, "values": values},
        ).fetchone()
    finally:
        con.close()
    assert read is not None and read[0] == stamps


def test_load_converts_date_columns_and_keeps_messy_ones_as_text(con):
    data = (
        "Lead,ISO,EU,US,Messy\n"
        "a,2025-01-31,31/01/2025,01/31/2025,31/01/2025\n"
        "b,2025-02-01,01/02/2025,02/01/2025,tomorrow\n"
    )
    result = load_leads(con, data.encode())
    assert [r[1] for r in con.execute("DESCRIBE leads").fetchall()] == [
        "VARCHAR",
        "DATE",
        "DATE",
        "DATE",
        "VARCHAR",
    ]
    assert con.execute("SELECT ISO, EU, US FROM leads").fetchall() == [
        (dt.date(2025, 1, 31),) * 3,
        (dt.date(2025, 2, 1),) * 3,
    ]
    assert result.date_formats == {"ISO": "%Y-%m-%d", "EU": "%d/%m/%Y", "US": "%m/%d/%Y"}


def test_load_day_first_option_for_ambiguous_dates(con):
    data = b"Lead,Created\na,01/02/2025\nb,03/04/2025\n"
    load_leads(con, data, day_first=False)
    assert con.execute("SELECT Created FROM leads").fetchall() == [
        (dt.date(2025, 1, 2),),
        (dt.date(2025, 3, 4),),
    ]


def test_load_needs_95_percent_of_dates(con):
    good = [f"l{i},{i % 28 + 1:02d}/03/2025\n" for i in range(114)]
    bad = [f"x{i},later\n" for i in range(6)]
    load_leads(con, "".join(["Lead,When\n", *good[:94], *bad]).encode())  # 94 % dates
    assert con.execute('SELECT typeof("When") FROM leads LIMIT 1').fetchone() == ("VARCHAR",)
    result = load_leads(con, "".join(["Lead,When\n", *good, *bad[:1]]).encode())  # 99 %
    assert con.execute('SELECT typeof("When") FROM leads LIMIT 1').fetchone() == ("DATE",)
    assert result.warnings == [
        'Warning: 1 value in "When" is not a date like 31/12/2025 and was left empty '
        '("later"). To keep it, correct it in the file and load it again.'
    ]


# --------------------------------------------------------------------------- Excel ranges


@pytest.mark.parametrize(
    ("shown", "meant"),
    [
        ("May-20", "5-20"),
        ("20-May", "5-20"),
        ("Jan-10", "1-10"),
        ("10-Jan", "1-10"),
        ("Oct-20", "10-20"),
        ("Nov-50", "11-50"),
        ("okt-20", "10-20"),  # German
        ("Mai-20", "5-20"),
        ("dic-50", "12-50"),  # Spanish
        ("  Dec-12 ", "12-12"),
        ("51-200", None),
        ("May", None),
        ("Mayor-20", None),
        ("2025-05-20", None),
    ],
)
def test_unmangle(shown, meant):
    assert unmangle(shown) == meant


def test_find_mangled_ranges():
    assert find_mangled_ranges("Size", {"Jan-10": 4, "51-200": 2, "Oct-20": 7}) == (
        MangledRanges("Size", [("Oct-20", "10-20"), ("Jan-10", "1-10")], 11)
    )
    # The name announces ranges: no intact range needed.
    assert find_mangled_ranges("Number of Employees", ["May-20"]) is not None
    # Months alone, in a column that is not about ranges: a billing month, not a warning.
    assert find_mangled_ranges("Billing month", ["Jan-25", "Feb-25"]) is None
    assert find_mangled_ranges("Size", ["1-10", "11-50"]) is None


def test_excel_mangled_ranges_and_repair(con):
    table(
        con,
        "t",
        {"Company Size": "VARCHAR", "Plan": "VARCHAR", "Employees": "BIGINT"},
        [
            ["Jan-10", "Jan-25", 5],
            ["20-May", "Feb-25", 7],
            ["51-200", "Mar-25", 9],
            [None, None, 1],
        ],
    )
    (found,) = excel_mangled_ranges(con, "t")
    assert found.column == "Company Size"
    assert found.count == 2
    assert found.note().startswith(
        'Warning: 2 values in "Company Size" look like ranges that Excel turned into dates: '
        '"20-May" (probably "5-20"), "Jan-10" (probably "1-10"). Fix them in the source file'
    )

    assert repair_excel_ranges(con, "t", "Company Size") == 2
    assert con.execute('SELECT "Company Size" FROM t').fetchall() == [
        ("1-10",),
        ("5-20",),
        ("51-200",),
        (None,),
    ]
    assert excel_mangled_ranges(con, "t") == []
    with pytest.raises(UserError, match="not a text column"):
        repair_excel_ranges(con, "t", "Employees")


def test_load_warns_about_mangled_ranges_only_where_they_are(con):
    data = "Company,Company Size,Billing month\nA,Jan-10,Jan-25\nB,51-200,Feb-25\nC,Oct-20,Mar-25\n"
    result = load_leads(con, data.encode())
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith('Warning: 2 values in "Company Size" look like ranges')
    assert result.warnings[0] in result.notes


# --------------------------------------------------------------------------- loading options


def test_load_with_placeholders_per_column(con):
    data = b"Lead,pdays,Industry,Stage\na,-1,Select,unknown\nb,3,Software,won\nc,-1,unknown,-\n"
    result = load_leads(con, data, placeholders={"pdays": ["-1"], "Industry": []})
    assert con.execute("SELECT * FROM leads").fetchall() == [
        ("a", None, "Select", None),
        ("b", 3, "Software", "won"),
        ("c", None, "unknown", None),
    ]
    assert result.placeholders == {"pdays": {"-1": 2}, "Stage": {"-": 1, "unknown": 1}}


def test_load_without_placeholder_cleaning(con):
    result = load_leads(con, b"a,b\nx,unknown\ny,5\n", default_placeholders=())
    assert con.execute("SELECT * FROM leads").fetchall() == [("x", "unknown"), ("y", "5")]
    assert result.placeholders == {}


def test_placeholders_in_native_excel_number_columns_only_when_named(con, tmp_path):
    import pandas as pd

    path = tmp_path / "leads.xlsx"
    pd.DataFrame({"Lead": ["a", "b"], "pdays": [-1, 4]}).to_excel(path, index=False)
    load_leads(con, path)
    assert con.execute("SELECT pdays FROM leads").fetchall() == [(-1,), (4,)]
    result = load_leads(con, path, placeholders={"pdays": ["-1"]})
    assert con.execute("SELECT pdays FROM leads").fetchall() == [(None,), (4,)]
    assert result.placeholders == {"pdays": {"-1": 1}}


def test_rows_of_placeholders_only_are_dropped_as_empty(con):
    result = load_leads(con, b"a,b\nx,1\n-,unknown\n")
    assert con.execute("SELECT * FROM leads").fetchall() == [("x", 1)]
    assert "Skipped 1 empty row (every field blank or “not answered”)." in result.notes


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["x", "Y", " n/a", "N/A ", "-", "--", "none", "0", "\tNull", None]),
            st.sampled_from(["a", "unknown", "Unknown ", "select", "-1", "b", None]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_the_few_values_hint_changes_nothing_but_speed(rows: list[tuple[str | None, ...]]):
    """Columns named in ``few_values`` are matched per distinct value: same result."""
    found, tables = [], []
    for hint in ((), ("a", "b")):
        con = duckdb.connect()
        try:
            table(con, "t", {"a": "VARCHAR", "b": "VARCHAR"}, [list(r) for r in rows])
            found.append(apply_placeholders(con, "t", {"b": ["-1", "unknown"]}, few_values=hint))
            tables.append(con.execute("SELECT * FROM t").fetchall())
        finally:
            con.close()
    assert found[0] == found[1]
    assert tables[0] == tables[1]
    # And against a hand-written rule: trimmed, case-insensitive whole-value matches.
    defaults = {p.lower() for p in DEFAULT_PLACEHOLDERS}
    expected = [
        (
            None if a is not None and a.strip().lower() in defaults else a,
            None if b is not None and b.strip().lower() in {"-1", "unknown"} else b,
        )
        for a, b in rows
    ]
    assert tables[0] == expected


def test_salesforce_empty_id_in_a_number_column_is_still_cleared(con):
    """Plain whole-number columns skip the placeholder pass, but "000000000000000" is not
    written as a plain number, so the column still gets it."""
    result = load_leads(con, b"a,n\nx,5\ny,000000000000000\nz,7\n")
    assert con.execute("SELECT n FROM leads").fetchall() == [(5,), (None,), (7,)]
    assert result.placeholders == {"n": {"000000000000000": 1}}


def test_repairing_ranges_in_a_column_stored_as_enum(con):
    rows = "".join(f"{i},{['Jan-10', '51-200', '20-May'][i % 3]}\n" for i in range(30))
    load_leads(con, f"id,Company Size\n{rows}".encode())
    kind = con.execute("SELECT data_type FROM information_schema.columns").fetchall()[1][0]
    assert kind.startswith("ENUM")
    assert repair_excel_ranges(con, "leads", "Company Size") == 20
    got = con.execute('SELECT DISTINCT "Company Size" FROM leads ORDER BY 1').fetchall()
    assert got == [("1-10",), ("5-20",), ("51-200",)]


def test_the_few_values_hint_on_typed_columns(con):
    """Dates and booleans are matched on their text form on both paths."""
    table(con, "t", {"d": "DATE", "f": "BOOLEAN"}, [["1900-01-01", True], ["2025-05-01", False]])
    wanted = {"d": ["1900-01-01"], "f": ["false"]}
    found = apply_placeholders(con, "t", wanted, few_values=["d", "f"])
    assert found == {"d": {"1900-01-01": 1}, "f": {"false": 1}}
    assert con.execute("SELECT * FROM t").fetchall() == [(None, True), (dt.date(2025, 5, 1), None)]
