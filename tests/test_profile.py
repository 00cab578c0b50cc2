"""Column profiles: hand-checked on a small table, and on the real bank marketing file."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from workbench.errors import UserError
from workbench.loading import load_leads
from workbench.profile import KINDS, ColumnProfile, profile_table

# Six leads, one column per kind. Every expectation below was counted by hand from these rows.
COLUMNS = {
    "Record ID": "INTEGER",
    "Email": "VARCHAR",
    "Country": "VARCHAR",
    "Score": "DOUBLE",
    "Opted in": "VARCHAR",
    "Converted": "INTEGER",
    "Code": "VARCHAR",
    "Notes": "VARCHAR",
    "Fax": "VARCHAR",
    "Created": "DATE",
    "Demo": "BOOLEAN",
    "Visits": "BIGINT",
}
NOTES = [
    "Asked for a demo after the webinar on pricing and onboarding",
    "Downloaded the white paper twice and then went quiet again",
    "Came from a partner referral, wants a quote for ten seats",
    "Large account: procurement process will take at least a quarter",
    "Unsubscribed from the newsletter but still opens sales emails",
    "Met at the trade fair in Cologne, interested in the API",
]
ROWS = [
    (1, "anna@example.com", "DE", 1.5, "Yes", 0, "A-17", NOTES[0], None, "2024-01-05", True, 5),
    (2, "ben@example.org", "FR", 2.0, "no", 1, "B-22", NOTES[1], "", "2024-01-06", False, 5),
    (3, None, "DE", None, "YES", 0, "C-31", NOTES[2], None, "2024-01-06", None, 7),
    (4, "carla@example.net", "IT", 2.0, "", 0, "D-45", NOTES[3], None, None, True, 8),
    (5, "", "DE", 3.25, "No", 1, "E-58", NOTES[4], None, "2024-02-01", True, 9),
    (6, "dan@example.de", "FR", 1.5, None, 0, "F-69", NOTES[5], None, "2024-02-02", False, 9),
]


@pytest.fixture
def small(con) -> dict[str, ColumnProfile]:
    columns = ", ".join(f'"{name}" {dtype}' for name, dtype in COLUMNS.items())
    con.execute(f"CREATE TABLE small ({columns})")
    con.executemany(f"INSERT INTO small VALUES ({', '.join('?' * len(COLUMNS))})", ROWS)
    return {p.name: p for p in profile_table(con, "small")}


def test_profile_order_and_types(small):
    assert list(small) == list(COLUMNS)
    assert [p.dtype for p in small.values()] == list(COLUMNS.values())
    assert all(p.kind in KINDS for p in small.values())


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Record ID", "id"),  # unique integers with an id-like name
        ("Email", "email"),
        ("Country", "category"),
        ("Score", "number"),
        ("Opted in", "flag"),  # Yes / no / YES / No
        ("Converted", "flag"),  # numeric 0/1
        ("Code", "id"),  # unique short text
        ("Notes", "text"),  # unique, but long free text
        ("Fax", "empty"),
        ("Created", "date"),
        ("Demo", "flag"),  # BOOLEAN
        ("Visits", "number"),
    ],
)
def test_kinds(small, name, kind):
    assert small[name].kind == kind


def test_missing_share_and_distinct(small):
    # Email: NULL in row 3 and '' in row 5 -> 2 of 6 missing, 4 distinct addresses.
    assert small["Email"].missing_share == pytest.approx(2 / 6)
    assert small["Email"].distinct == 4
    # Opted in: '' in row 4 and NULL in row 6 -> 2 missing; 'Yes', 'no', 'YES', 'No' differ.
    assert small["Opted in"].missing_share == pytest.approx(2 / 6)
    assert small["Opted in"].distinct == 4
    assert small["Score"].missing_share == pytest.approx(1 / 6)
    assert small["Score"].distinct == 3
    assert small["Fax"].missing_share == 1.0
    assert small["Fax"].distinct == 0
    assert small["Fax"].top_values == []
    assert small["Demo"].missing_share == pytest.approx(1 / 6)
    assert small["Record ID"].missing_share == 0.0


def test_top_values_most_frequent_first_then_by_value(small):
    assert small["Country"].top_values == [("DE", 3), ("FR", 2), ("IT", 1)]
    # 1.5 and 2.0 both appear twice: the smaller number comes first.
    assert small["Score"].top_values == [("1.5", 2), ("2.0", 2), ("3.25", 1)]
    assert small["Converted"].top_values == [("0", 4), ("1", 2)]
    assert small["Visits"].top_values == [("5", 2), ("9", 2), ("7", 1), ("8", 1)]
    assert small["Demo"].top_values == [("true", 3), ("false", 2)]
    assert small["Opted in"].top_values == [("No", 1), ("YES", 1), ("Yes", 1), ("no", 1)]


def test_minimum_and_maximum_for_numbers_only(small):
    assert (small["Score"].minimum, small["Score"].maximum) == (1.5, 3.25)
    assert (small["Visits"].minimum, small["Visits"].maximum) == (5.0, 9.0)
    assert (small["Record ID"].minimum, small["Record ID"].maximum) == (1.0, 6.0)
    for name in ("Email", "Country", "Created", "Demo", "Fax"):
        assert (small[name].minimum, small[name].maximum) == (None, None), name


def test_top_values_keep_ten_and_count_all_distinct(con):
    # Value k appears k times, k = 1..12: the top ten are 12 down to 3.
    con.execute(
        "CREATE TABLE t AS SELECT 'v' || lpad(k::VARCHAR, 2, '0') AS v "
        "FROM range(1, 13) r(k), range(12) s(i) WHERE i < k"
    )
    (p,) = profile_table(con, "t")
    assert p.distinct == 12
    assert p.top_values == [(f"v{k:02d}", k) for k in range(12, 2, -1)]
    assert p.kind == "category"


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["si", "no", "sí", "No"], "flag"),
        (["sì", "NO"], "flag"),
        (["x", None, "x", None], "flag"),  # a ticked box or nothing
        (["T", "F", "t"], "flag"),
        (["y", "n", "Y"], "flag"),
        (["1.0", "0.0"], "flag"),
        (["TRUE", "false"], "flag"),
        (["yes", "no", "maybe", "yes"], "category"),
        (["a@x.com", "b@y.org", "n/a", "c@z.net"], "email"),  # most look like addresses
        (["a@x.com", "n/a", "n/a", "none"], "category"),
        ([None, "", None], "empty"),
    ],
)
def test_kind_of_text_values(con, values, kind):
    con.execute("CREATE TABLE t (v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[v] for v in values])
    assert profile_table(con, "t")[0].kind == kind


def test_category_limit_and_near_unique_text(con):
    # 60 distinct cities over 600 rows: too many for a category, far from unique -> text.
    con.execute(
        "CREATE TABLE t AS SELECT 'city ' || (i % 60) AS city, i AS amount FROM range(600) r(i)"
    )
    city, amount = profile_table(con, "t")
    assert (city.kind, city.distinct) == ("text", 60)
    # Unique integers without an id-like name are numbers.
    assert (amount.kind, amount.dtype) == ("number", "BIGINT")


@pytest.mark.parametrize("name", ["lead_id", "LeadId", "Person - ID", "Id", "uuid"])
def test_id_like_integer_names(con, name):
    con.execute(
        f'CREATE TABLE t AS SELECT i AS "{name.replace(chr(34), chr(34) * 2)}" FROM range(50) r(i)'
    )
    assert profile_table(con, "t")[0].kind == "id"


def test_hostile_column_names(con):
    hostile = ["lead score", 'a"b', "select", "Ünïcode", "x'); DROP TABLE leads; --"]
    cols = ", ".join(f'{i} AS "{h.replace(chr(34), chr(34) * 2)}"' for i, h in enumerate(hostile))
    con.execute(f"CREATE TABLE leads AS SELECT {cols} FROM range(3)")
    profiles = profile_table(con, "leads")
    assert [p.name for p in profiles] == hostile
    assert [p.top_values for p in profiles] == [[(str(i), 3)] for i in range(5)]
    assert con.execute("SELECT count(*) FROM leads").fetchone() == (3,)


def test_empty_table_and_missing_table(con):
    con.execute("CREATE TABLE t (a VARCHAR, b BIGINT)")
    a, b = profile_table(con, "t")
    assert (a.kind, b.kind, a.distinct, a.top_values) == ("empty", "empty", 0, [])
    with pytest.raises(UserError, match='no table "nope"'):
        profile_table(con, "nope")


def test_bank_full_profile(con, bank_full):
    with open(bank_full, newline="", encoding="utf-8") as fh:
        records = list(csv.DictReader(fh, delimiter=";"))
    load_leads(con, bank_full)

    profiles = {p.name: p for p in profile_table(con, "leads")}

    y, job, age = profiles["y"], profiles["job"], profiles["age"]
    assert y.kind == "flag"
    assert y.top_values == [("no", 45_211 - 5_289), ("yes", 5_289)]
    # "unknown" is how this file writes "not answered": the loader empties it.
    jobs = Counter(r["job"] for r in records if r["job"] != "unknown")
    assert job.kind == "category"
    assert job.distinct == len(jobs) == 11
    assert job.top_values == sorted(jobs.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert job.missing_share == pytest.approx(288 / 45_211)
    ages = [int(r["age"]) for r in records]
    assert age.kind == "number"
    assert (age.minimum, age.maximum) == (min(ages), max(ages))
    assert age.distinct == len(set(ages))
    assert profiles["balance"].kind == "number"
    assert profiles["housing"].kind == "flag"
    for name, p in profiles.items():
        unknown = sum(1 for r in records if r[name] == "unknown")
        assert p.missing_share == pytest.approx(unknown / len(records)), name
