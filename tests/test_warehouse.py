"""Warehouse SQL: the standalone query per dialect scores like the app's own compiler.

DuckDB runs both the app's compiler and the warehouse query (in its DuckDB form and in the
portable form every other dialect gets), so any difference shows here before it reaches a
warehouse. PostgreSQL and Spark run it for real in tests/test_postgres.py and test_spark.py.
"""

from __future__ import annotations

import re

import duckdb
import pandas as pd
import pytest
import sqlglot
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT
from workbench.errors import UserError
from workbench.loading import load_leads
from workbench.model import ScoringModel
from workbench.model_file import load_model_file, load_model_text, model_from_dict
from workbench.scoring import score_frame
from workbench.sql import quote_identifier
from workbench.warehouse import DIALECTS, scoring_expression, scoring_sql

SAMPLE_LEADS = ROOT / "sample_data" / "leads.csv"
SAMPLE_MODEL = ROOT / "sample_data" / "model.yaml"

# Every kind, both caps, negative points, open bands, hostile names and values.
HOSTILE_MODEL = """\
format: lead-scoring-model/1
name: hostile
scale: {min: -10, max: 50}
tiers:
- {name: "it's cold", min_score: -10}
- {name: 'warm "ish"', min_score: 5.5}
- {name: hot, min_score: 20}
groups:
  fit: {max_points: 12}
criteria:
- id: flag
  column: 'a"b'
  kind: flag
  points: 7.25
- id: num
  column: lead score
  kind: ranges
  bands:
  - {to: 0, points: -3}
  - {from: 0, to: 10, points: 4}
  - {from: 10, points: 9}
  missing: -1
  max_points: 8
- id: cat
  group: fit
  column: select
  kind: categories
  points: {"Software  Tools": 6, "x'); DROP TABLE leads; --": 11, "back\\\\slash": 5, "Ünïcode": 3}
  other: -2
  missing: 1
- id: mail
  group: fit
  column: "x'); DROP TABLE leads; --"
  kind: email_domain
  domains: [gmail.com, "o'brien.ie"]
  points: -4
"""
HOSTILE_COLUMNS = ['a"b', "lead score", "select", "x'); DROP TABLE leads; --"]
HOSTILE_ROWS = [
    ["yes", "5", "Software Tools", "ann@gmail.com"],
    [" SÍ\t", " 12 ", "  software\ttools ", "bob@x@GMAIL.com"],
    ["no", "n/a", None, "o'brien.ie"],
    [None, None, "", None],
    ["1.0", "-4", "x'); DROP TABLE leads; --", "\u00a0carl@o'brien.ie\n"],
    ["x", "nan", "Back\\Slash", "dan@yahoo.com"],
    ["t", "inf", "ünïcode", "gmail.com"],
    ["TRUE", "-Infinity", "Other", "eve@gmail.com@corp.com"],
    ["0", "1_000", "Software Tools Inc", "a\nb@gmail.com"],
    ["y", "1e3", "\u00a0software tools\u00a0", ""],
    ["", ".5", "SOFTWARE TOOLS", "@gmail.com"],
    ["yes please", "5.", "software\u00a0tools", "x@gmail.com "],
    ["Sì", "+7", "back\\\\slash", "X@Gmail.Com"],
    ["1", "1E2", "select", "z@o'brien.ie"],
    ["true", "10", "software tools", "q@gmail.co"],
    ["\u00a0yes", "\u00a05", "software  tools", "w@gmail.com"],
]


def hostile_model() -> ScoringModel:
    return load_model_text(HOSTILE_MODEL)


def hostile_table(con: duckdb.DuckDBPyConnection, table: str = "leads") -> None:
    frame = pd.DataFrame(HOSTILE_ROWS, columns=HOSTILE_COLUMNS, dtype=object)
    con.register("hostile_frame", frame)
    casts = ", ".join(
        f"CAST({quote_identifier(c)} AS VARCHAR) AS {quote_identifier(c)}" for c in HOSTILE_COLUMNS
    )
    con.execute(f'CREATE OR REPLACE TABLE "{table}" AS SELECT {casts} FROM hostile_frame')
    con.unregister("hostile_frame")


def expected_scores(
    con: duckdb.DuckDBPyConnection, model: ScoringModel, table: str = "leads"
) -> pd.DataFrame:
    """The app's own compiler, in file order: the reference every engine must match."""
    columns = [r[0] for r in con.execute(f'DESCRIBE "{table}"').fetchall()]
    return score_frame(con, model, table, columns, order_by_score=False)


def warehouse_scores(
    con: duckdb.DuckDBPyConnection,
    model: ScoringModel,
    *,
    portable: bool,
    table: str = "leads",
) -> pd.DataFrame:
    # A numbered copy keeps file order; the warehouse query itself promises none.
    con.execute(
        f'CREATE OR REPLACE TEMP TABLE numbered AS SELECT *, rowid AS wb_row FROM "{table}"'
    )
    sql = scoring_expression(model, "duckdb", table="numbered", portable=portable).sql("duckdb")
    frame = con.sql(f"SELECT * FROM ({sql}) ORDER BY wb_row").to_arrow_table().to_pandas()
    return frame.drop(columns="wb_row")


def assert_same_scores(expected: pd.DataFrame, got: pd.DataFrame, model: ScoringModel) -> None:
    outputs = [f"points__{c.id}" for c in model.criteria] + ["score", "tier"]
    assert len(got) == len(expected)
    for name in outputs:
        left = expected[name].tolist()
        right = got[name].tolist()
        mismatches = [(i, a, b) for i, (a, b) in enumerate(zip(left, right, strict=True)) if a != b]
        assert not mismatches, f"{name}: first differences (row, app, warehouse): {mismatches[:5]}"


@pytest.fixture
def sample(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    load_leads(con, SAMPLE_LEADS, "leads")
    return con


# --------------------------------------------------------------------------- DuckDB equality


@pytest.mark.parametrize("portable", [False, True], ids=["duckdb-form", "portable-form"])
def test_sample_scores_match_the_app(sample: duckdb.DuckDBPyConnection, portable: bool) -> None:
    model = load_model_file(SAMPLE_MODEL)
    expected = expected_scores(sample, model)
    got = warehouse_scores(sample, model, portable=portable)
    assert_same_scores(expected, got, model)
    assert set(expected["tier"]) == {"cold", "warm", "hot"}


@pytest.mark.parametrize("portable", [False, True], ids=["duckdb-form", "portable-form"])
def test_hostile_names_and_values_match_the_app(
    con: duckdb.DuckDBPyConnection, portable: bool
) -> None:
    hostile_table(con)
    model = hostile_model()
    expected = expected_scores(con, model)
    got = warehouse_scores(con, model, portable=portable)
    assert_same_scores(expected, got, model)
    # The hostile category value scored as a value, and every table is still there.
    assert con.execute("SELECT count(*) FROM leads").fetchone() == (len(HOSTILE_ROWS),)


def test_hand_checked_hostile_rows(con: duckdb.DuckDBPyConnection) -> None:
    """A few rows worked out by hand, so the reference itself is checked too."""
    hostile_table(con)
    model = hostile_model()
    got = warehouse_scores(con, model, portable=True)
    first = got.iloc[0]
    # yes → 7.25; 5 in [0, 10) → 4; "Software Tools" → 6; gmail → −4; fit 2, engagement 11.25.
    assert (first["points__flag"], first["points__num"]) == (7.25, 4.0)
    assert (first["points__cat"], first["points__mail"]) == (6.0, -4.0)
    assert first["score"] == 13.25 and first["tier"] == 'warm "ish"'
    third = got.iloc[2]  # "n/a" is missing (−1), empty category → missing (1), o'brien.ie −4
    assert (third["points__num"], third["points__cat"], third["points__mail"]) == (-1, 1, -4)
    seventh = got.iloc[6]  # "inf" falls in the open band from 10 (9, capped at 8)
    assert seventh["points__num"] == 8.0


NUMBER_TEXT = st.text(alphabet="0123456789+-._eE \t\n\u00a0nafiy", max_size=12)


@settings(max_examples=150, deadline=None)
@given(values=st.lists(NUMBER_TEXT, min_size=1, max_size=8))
def test_portable_number_reading_matches_try_cast(values: list[str]) -> None:
    """The portable number pattern reads text exactly as DuckDB's TRY_CAST does.

    Except the documented differences: exponents above 99 or with ``_`` in them, and both
    signs at once ("+-1", which DuckDB reads as -1).
    """
    assume(not any(re.search(r"e[+-]?[0-9_]*(_|[1-9][0-9_]{2})", v.lower()) for v in values))
    assume(not any("+-" in v for v in values))
    model = load_model_text(
        "format: lead-scoring-model/1\ntiers: [{name: a, min_score: 0}]\n"
        "scale: {min: -1000, max: 1000}\n"
        "criteria:\n- {id: n, column: v, kind: ranges, missing: -7, bands: "
        "[{to: -1, points: -5}, {from: -1, to: 0.5, points: 1}, {from: 0.5, to: 100, "
        "points: 2}, {from: 100, points: 3}]}\n"
    )
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE leads (v VARCHAR)")
        con.executemany("INSERT INTO leads VALUES (?)", [[v] for v in values])
        expected = expected_scores(con, model)
        got = warehouse_scores(con, model, portable=True)
        assert_same_scores(expected, got, model)
    finally:
        con.close()


CATEGORY_TEXT = st.text(alphabet="aBc \t\n\r\u00a0\x0b\x0cÍ'@.", max_size=10)


@settings(max_examples=150, deadline=None)
@given(values=st.lists(CATEGORY_TEXT, min_size=1, max_size=8))
def test_portable_text_matching_matches_the_app(values: list[str]) -> None:
    """Trimming, case folding, space runs and the e-mail domain agree with the compiler."""
    model = load_model_text(
        "format: lead-scoring-model/1\ntiers: [{name: a, min_score: 0}]\n"
        "scale: {min: -1000, max: 1000}\n"
        "criteria:\n"
        "- {id: c, column: v, kind: categories, other: 2, missing: 3, "
        "points: {'a b': 10, 'c': 20, 'bí': 30}}\n"
        "- {id: m, column: v, kind: email_domain, domains: [c, a.b, 'b c'], points: 100}\n"
        "- {id: f, column: v, kind: flag, points: 1000}\n"
    )
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE leads (v VARCHAR)")
        con.executemany("INSERT INTO leads VALUES (?)", [[v] for v in values])
        expected = expected_scores(con, model)
        got = warehouse_scores(con, model, portable=True)
        assert_same_scores(expected, got, model)
    finally:
        con.close()


# --------------------------------------------------------------------------- SQL text per dialect


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_parses_back(dialect: str) -> None:
    """What we print is valid in the dialect, as far as sqlglot's parser for it can tell."""
    for model in (load_model_file(SAMPLE_MODEL), hostile_model()):
        sql = scoring_sql(model, dialect, table="crm.lead list")
        tree = sqlglot.parse_one(sql, read=dialect)
        assert tree is not None


@pytest.mark.parametrize(
    ("dialect", "present", "absent"),
    [
        ("duckdb", ['"a""b"', "TRY_CAST(", "ISNAN(", 'FROM "leads"'], ["LIST_CONTAINS"]),
        (
            "postgres",
            ['"a""b"', " ~ '^[+-]?", "AS DECIMAL)", "AS DOUBLE PRECISION", "CHR(9)"],
            ["TRY_CAST", "ISNAN", "LIST_CONTAINS", "IS_NAN"],
        ),
        ("spark", ['`a"b`', " RLIKE ", "AS DOUBLE"], ["TRY_CAST", "ISNAN", "LIST_CONTAINS"]),
        (
            "bigquery",
            ['`a"b`', "REGEXP_CONTAINS(", "FLOAT64", "\\t"],
            ["TRY_CAST", "ISNAN", "LIST_CONTAINS"],
        ),
        ("snowflake", ['"a""b"', "REGEXP_LIKE(", "AS DOUBLE"], ["ISNAN", "LIST_CONTAINS"]),
    ],
)
def test_dialect_forms(dialect: str, present: list[str], absent: list[str]) -> None:
    sql = scoring_sql(hostile_model(), dialect)
    for text in present:
        assert text in sql, f"{text!r} missing from the {dialect} query"
    for text in absent:
        assert text not in sql.upper(), f"{text!r} should not be in the {dialect} query"


def test_values_are_literals_with_quotes_escaped() -> None:
    sql = scoring_sql(hostile_model(), "postgres", pretty=False)
    assert "'x''); drop table leads; --'" in sql  # a category value, lower-cased and escaped
    assert '"x\'); DROP TABLE leads; --"' in sql  # a column name, quoted as an identifier
    assert "'it''s cold'" in sql and "'warm \"ish\"'" in sql


def test_keep_names_columns_and_renames_collisions(con: duckdb.DuckDBPyConnection) -> None:
    model = load_model_text(
        "format: lead-scoring-model/1\ntiers: [{name: low, min_score: 0}, "
        "{name: high, min_score: 5}]\ncriteria:\n- {id: f, column: f, kind: flag, points: 10}\n"
    )
    con.execute("CREATE TABLE leads AS SELECT 'L1' AS id, 'yes' AS f, 3 AS score")
    sql = scoring_sql(model, "duckdb", keep=["id", "score"])
    rows = con.sql(sql).to_arrow_table().to_pylist()
    assert rows == [
        {"id": "L1", "score_input": 3, "points__f": 10.0, "score": 10.0, "tier": "high"}
    ]


def test_one_tier_and_no_criteria(con: duckdb.DuckDBPyConnection) -> None:
    model = load_model_text("format: lead-scoring-model/1\ntiers: [{name: all, min_score: 10}]\n")
    con.execute("CREATE TABLE leads AS SELECT 1 AS x")
    for dialect in DIALECTS:
        assert "all" in scoring_sql(model, dialect)
    rows = con.sql(scoring_sql(model, "duckdb")).fetchall()
    assert rows == [(1, 0.0, "all")]


@pytest.mark.parametrize(
    ("table", "rendered"),
    [
        ("leads", '"leads"'),
        ("crm.leads", '"crm"."leads"'),
        ("prod.crm.lead list", '"prod"."crm"."lead list"'),
        ('we"ird', '"we""ird"'),
    ],
)
def test_table_names(table: str, rendered: str) -> None:
    model = load_model_file(SAMPLE_MODEL)
    assert f"FROM {rendered}" in scoring_sql(model, "postgres", table=table, pretty=False)


@pytest.mark.parametrize("table", ["", "a..b", ".a", "a.b.c.d"])
def test_bad_table_names_are_user_errors(table: str) -> None:
    with pytest.raises(UserError, match="not a table name"):
        scoring_sql(load_model_file(SAMPLE_MODEL), "postgres", table=table)


def test_known_difference_huge_exponent_is_missing(con: duckdb.DuckDBPyConnection) -> None:
    """Documented: the portable form reads "1e400" as missing (PostgreSQL would fail on it)."""
    con.execute("CREATE TABLE leads AS SELECT '1e400' AS \"lead score\"")
    model = hostile_model().model_copy(update={"criteria": [hostile_model().criteria[1]]})
    assert warehouse_scores(con, model, portable=False)["points__num"].tolist() == [8.0]
    assert warehouse_scores(con, model, portable=True)["points__num"].tolist() == [-1.0]


def test_unknown_dialect() -> None:
    with pytest.raises(UserError, match="Unknown SQL dialect 'oracle'"):
        scoring_sql(load_model_file(SAMPLE_MODEL), "oracle")


def test_activity_criteria_are_refused_with_a_sentence() -> None:
    try:
        model = model_from_dict(
            {
                "format": "lead-scoring-model/1",
                "tiers": [{"name": "a", "min_score": 0}],
                "activity": {"lead_id_column": "Lead ID"},
                "criteria": [
                    {"id": "demo", "kind": "activity_count", "activity": "demo", "points_each": 5}
                ],
            }
        )
    except UserError:
        pytest.skip("this model version has no activity-log criteria")
    with pytest.raises(UserError, match=r'Criterion "Demo" \(demo\) is of kind activity_count'):
        scoring_sql(model, "postgres")
