"""The model-to-SQL compiler: expected SQL and parameters, execution, hostile column names."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.compiler import WHITESPACE, Params, compile_scoring, criterion_sql
from workbench.errors import UserError
from workbench.model import TRUTHY, ScoringModel
from workbench.model_file import model_from_dict
from workbench.sql import quote_identifier


def _model(*criteria: dict, **extra) -> ScoringModel:
    raw = {
        "format": "lead-scoring-model/1",
        "tiers": [{"name": "cold", "min_score": 0}, {"name": "hot", "min_score": 50}],
        "criteria": list(criteria),
        **extra,
    }
    return model_from_dict(raw)


@pytest.mark.parametrize(
    ("name", "quoted"),
    [
        ("plain", '"plain"'),
        ("lead score", '"lead score"'),
        ('a"b', '"a""b"'),
        ("select", '"select"'),
        ("x'); DROP TABLE leads; --", '"x\'); DROP TABLE leads; --"'),
        ("Ünïcode", '"Ünïcode"'),
    ],
)
def test_quote_identifier(name: str, quoted: str):
    assert quote_identifier(name) == quoted


WS = WHITESPACE
# the folded form of the Industry column
CAT = "regexp_replace(lower(trim(CAST(\"Industry\" AS VARCHAR), $p0)), '\\s+', ' ', 'g')"
CASES = [
    (
        {"id": "demo", "column": "Demo", "kind": "flag", "points": 80},
        'CASE WHEN list_contains($p1, lower(trim(CAST("Demo" AS VARCHAR), $p0))) '
        "THEN CAST($p2 AS DOUBLE) ELSE 0.0 END",
        {"p0": WS, "p1": list(TRUTHY), "p2": 80.0},
    ),
    (
        {
            "id": "opens",
            "column": "Opens",
            "kind": "ranges",
            "missing": -1,
            "bands": [{"from": 5, "points": 25}, {"to": 5, "points": 3}],
        },
        'CASE WHEN TRY_CAST("Opens" AS DOUBLE) IS NULL OR isnan(TRY_CAST("Opens" AS DOUBLE)) '
        "THEN CAST($p0 AS DOUBLE) "
        'WHEN TRY_CAST("Opens" AS DOUBLE) >= CAST($p1 AS DOUBLE) THEN CAST($p2 AS DOUBLE) '
        'WHEN TRY_CAST("Opens" AS DOUBLE) < CAST($p3 AS DOUBLE) THEN CAST($p4 AS DOUBLE) '
        "ELSE 0.0 END",
        {"p0": -1.0, "p1": 5.0, "p2": 25.0, "p3": 5.0, "p4": 3.0},
    ),
    (
        {"id": "ind", "column": "Industry", "kind": "categories", "points": {" Big  Tech": 7}},
        f"CASE WHEN {CAT} IS NULL "
        f"OR {CAT} = '' "
        f"THEN CAST($p1 AS DOUBLE) WHEN {CAT} = $p2 "
        "THEN CAST($p3 AS DOUBLE) ELSE CAST($p4 AS DOUBLE) END",
        {"p0": WS, "p1": 0.0, "p2": "big tech", "p3": 7.0, "p4": 0.0},
    ),
    (
        {
            "id": "free",
            "column": "E-mail",
            "kind": "email_domain",
            "points": -30,
            "domains": ["Gmail.com", "@yahoo.com"],
        },
        'CASE WHEN list_contains($p2, CASE WHEN contains($p1, left(CAST("E-mail" AS VARCHAR), 1)) '
        'OR contains($p1, right(CAST("E-mail" AS VARCHAR), 1)) THEN '
        "string_split(lower(trim(CAST(\"E-mail\" AS VARCHAR), $p0)), '@')[-1] "
        "ELSE lower(split_part(CAST(\"E-mail\" AS VARCHAR), '@', -1)) END) "
        "THEN CAST($p3 AS DOUBLE) ELSE 0.0 END",
        {"p0": WS, "p1": WS, "p2": ["gmail.com", "yahoo.com"], "p3": -30.0},
    ),
]


@pytest.mark.parametrize(("criterion", "sql", "params"), CASES, ids=lambda c: str(c)[:20])
def test_criterion_sql_and_params(criterion: dict, sql: str, params: dict):
    model = _model(criterion)
    bag = Params()
    assert criterion_sql(model.criteria[0], criterion["column"], bag) == sql
    assert bag.values == params


def test_each_column_form_is_worked_out_once():
    """Two criteria reading the same column the same way share one per-row value."""
    model = _model(
        {"id": "a", "column": "Industry", "kind": "categories", "points": {"x": 1}},
        {"id": "b", "column": "industry", "kind": "categories", "points": {"y": 2}},
        {"id": "c", "column": "Industry", "kind": "flag", "points": 3},
    )
    query = compile_scoring(model, "leads", ["Industry"])
    assert query.sql.count("regexp_replace(") == 1
    assert query.sql.count('AS "__wb_v') == 2


def test_no_model_value_reaches_the_sql_text():
    """Points, thresholds, names, categories and domains are all parameters."""
    model = _model(
        {"id": "c", "column": "col", "kind": "categories", "points": {"ZZsecretZZ": 17.25}},
        {
            "id": "d",
            "column": "col",
            "kind": "email_domain",
            "domains": ["qq-evil.example"],
            "points": 3,
        },
        tiers=[
            {"name": "t'; DROP TABLE x; --", "min_score": 0},
            {"name": "top", "min_score": 42.5},
        ],
    )
    query = compile_scoring(model, "leads", ["col"])
    for secret in ("ZZsecretZZ", "zzsecretzz", "17.25", "qq-evil", "DROP", "42.5", "top"):
        assert secret not in query.sql
    assert "zzsecretzz" in query.params.values()


def test_missing_column_names_the_closest():
    model = _model({"id": "demo", "column": "Demo Requestd", "kind": "flag", "points": 1})
    with pytest.raises(UserError, match='no column "Demo Requestd".*closest is "Demo Requested"'):
        compile_scoring(model, "leads", ["Demo Requested", "Email"])


def test_column_matched_case_insensitively(con: duckdb.DuckDBPyConnection):
    con.execute("CREATE TABLE leads AS SELECT 'yes' AS \"Demo\"")
    model = _model({"id": "demo", "column": "demo", "kind": "flag", "points": 60})
    query = compile_scoring(model, "leads", ["Demo"])
    assert con.execute(query.sql, query.params).fetchall() == [("yes", 60.0, 60.0, "hot")]


def test_output_names_do_not_collide_with_input(con: duckdb.DuckDBPyConnection):
    con.execute("CREATE TABLE leads AS SELECT 7 AS score, 'x' AS tier, 'yes' AS flag")
    model = _model({"id": "f", "column": "flag", "kind": "flag", "points": 10})
    query = compile_scoring(model, "leads", ["score", "tier", "flag"])
    cur = con.execute(query.sql, query.params)
    names = [d[0] for d in cur.description]
    assert names == ["score_input", "tier_input", "flag", "points__f", "score", "tier"]
    assert cur.fetchall() == [(7, "x", "yes", 10.0, 10.0, "cold")]


def test_criterion_cap_is_symmetric(con: duckdb.DuckDBPyConnection):
    con.execute("CREATE TABLE leads AS SELECT * FROM (VALUES ('yes', 'yes')) t(a, b)")
    model = _model(
        {"id": "a", "column": "a", "kind": "flag", "points": 30, "max_points": 20},
        {"id": "b", "column": "b", "kind": "flag", "points": -30, "max_points": 5},
        scale={"min": -100, "max": 100},
    )
    query = compile_scoring(model, "leads", ["a", "b"])
    assert con.execute(query.sql, query.params).fetchall() == [
        ("yes", "yes", 20.0, -5.0, 15.0, "cold")
    ]


def test_model_without_criteria_scores_everyone_at_zero(con: duckdb.DuckDBPyConnection):
    con.execute("CREATE TABLE leads AS SELECT range AS id FROM range(3)")
    query = compile_scoring(_model(), "leads", ["id"])
    assert con.execute(query.sql, query.params).fetchall() == [
        (0, 0.0, "cold"),
        (1, 0.0, "cold"),
        (2, 0.0, "cold"),
    ]


def test_internal_prefix_refused():
    with pytest.raises(UserError, match="__wb_"):
        compile_scoring(_model(), "leads", ["__wb_score"])


HOSTILE = ["lead score", 'a"b', "select", "Ünïcode", "1st_touch", "x'); DROP TABLE leads; --"]


def test_hostile_column_names_score_and_leave_tables(con: duckdb.DuckDBPyConnection):
    cols = ", ".join(
        f"{v} AS {quote_identifier(n)}"
        for n, v in zip(
            HOSTILE, ["'yes'", "7", "'Software'", "'a@gmail.com'", "'x'", "'no'"], strict=True
        )
    )
    con.execute(f"CREATE TABLE leads AS SELECT {cols}")
    con.execute("CREATE TABLE other AS SELECT 1 AS keep_me")
    model = _model(
        {"id": "a", "column": HOSTILE[0], "kind": "flag", "points": 10},
        {"id": "b", "column": HOSTILE[1], "kind": "ranges", "bands": [{"from": 5, "points": 20}]},
        {"id": "c", "column": HOSTILE[2], "kind": "categories", "points": {"software": 5}},
        {
            "id": "d",
            "column": HOSTILE[3],
            "kind": "email_domain",
            "domains": ["gmail.com"],
            "points": -4,
        },
        {"id": "e", "column": HOSTILE[4], "kind": "flag", "points": 1},
        {"id": "f", "column": HOSTILE[5], "kind": "flag", "points": 100},
    )
    query = compile_scoring(model, "leads", HOSTILE)
    row = con.execute(query.sql, query.params).fetchall()[0]
    assert row[len(HOSTILE) :] == (10.0, 20.0, 5.0, -4.0, 1.0, 0.0, 32.0, "cold")
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == {"leads", "other"}


def test_hostile_table_name(con: duckdb.DuckDBPyConnection):
    name = 'le"ads; DROP TABLE other'
    con.execute(f"CREATE TABLE {quote_identifier(name)} AS SELECT 'y' AS f")
    con.execute("CREATE TABLE other AS SELECT 1")
    query = compile_scoring(
        _model({"id": "f", "column": "f", "kind": "flag", "points": 5}), name, ["f"]
    )
    assert con.execute(query.sql, query.params).fetchall() == [("y", 5.0, 5.0, "cold")]
    assert con.execute("SELECT count(*) FROM other").fetchone() == (1,)


def _pandas_score(frame: pd.DataFrame) -> pd.Series:
    """The model of test_matches_plain_pandas, written independently with numpy."""
    demo = frame["demo"].str.strip().str.lower().isin(["yes", "1", "true"]).to_numpy()
    opens = pd.to_numeric(frame["opens"], errors="coerce").to_numpy()
    opens_pts = np.select([np.isnan(opens), opens >= 10, opens >= 3], [-2, 20, 8], 0)
    ind = frame["industry"].fillna("").str.strip().str.lower().to_numpy()
    ind_pts = np.select([ind == "", ind == "software", ind == "retail"], [0, 12, 4], -3)
    dom = frame["email"].fillna("").str.lower().str.split("@").str[-1].to_numpy()
    dom_pts = np.where(np.isin(dom, ["gmail.com", "yahoo.com"]), -15, 0)
    engagement = np.clip(np.where(demo, 50, 0) + opens_pts, -60, 60)
    fit = np.clip(ind_pts + dom_pts, -10, 10)
    return pd.Series(np.clip(engagement + fit, 0, 100), index=frame.index, dtype=float)


def test_matches_plain_pandas(con: duckdb.DuckDBPyConnection):
    rng = np.random.default_rng(7)
    n = 5000
    frame = pd.DataFrame(
        {
            "demo": rng.choice(["Yes", "no", " 1", "TRUE", "false"], n),
            "opens": rng.choice(["0", "2", "3", "9", "10", "25", "", "n/a"], n),
            "industry": rng.choice(["Software", "software ", "Retail", "Bank", None], n),
            "email": rng.choice(["a@gmail.com", "b@acme.com", "c@YAHOO.com", None], n),
        }
    )
    frame["opens"] = frame["opens"].replace("", None)
    con.register("raw", frame)
    con.execute("CREATE TABLE leads AS SELECT * FROM raw")
    model = _model(
        {"id": "demo", "column": "demo", "kind": "flag", "points": 50},
        {
            "id": "opens",
            "column": "opens",
            "kind": "ranges",
            "missing": -2,
            "bands": [{"from": 10, "points": 20}, {"from": 3, "points": 8}],
        },
        {
            "id": "ind",
            "column": "industry",
            "kind": "categories",
            "group": "fit",
            "points": {"Software": 12, "Retail": 4},
            "other": -3,
        },
        {
            "id": "free",
            "column": "email",
            "kind": "email_domain",
            "group": "fit",
            "domains": ["gmail.com", "yahoo.com"],
            "points": -15,
        },
        groups={"fit": {"max_points": 10}, "engagement": {"max_points": 60}},
    )
    frame["row"] = range(n)
    con.register("raw", frame)
    con.execute("CREATE OR REPLACE TABLE leads AS SELECT * FROM raw")
    query = compile_scoring(model, "leads", list(frame.columns))
    ordered = f"SELECT * FROM ({query.sql}) ORDER BY row"  # the compiled query keeps no order
    got = con.sql(ordered, params=query.params).to_arrow_table().to_pandas()
    expected = _pandas_score(frame)
    assert (got["score"].to_numpy() == expected.to_numpy()).all()
    assert (got["tier"] == np.where(expected >= 50, "hot", "cold")).all()


def test_tabs_line_breaks_and_nan(con: duckdb.DuckDBPyConnection):
    """Exports leave tabs, line breaks and 'nan' in cells; they must not change the points."""
    con.execute(
        "CREATE TABLE leads AS SELECT * FROM (VALUES "
        "('yes' || chr(9), 'Software' || chr(10), chr(9) || 'a@gmail.com', 'nan'),"
        "(chr(160) || 'Y', chr(9) || 'big ' || chr(9) || ' tech', 'gmail.com' || chr(13), '7')"
        ") t(f, c, e, n)"
    )
    model = _model(
        {"id": "f", "column": "f", "kind": "flag", "points": 1},
        {
            "id": "c",
            "column": "c",
            "kind": "categories",
            "points": {"software": 10, "Big Tech": 20},
        },
        {"id": "e", "column": "e", "kind": "email_domain", "domains": ["gmail.com"], "points": 100},
        {
            "id": "n",
            "column": "n",
            "kind": "ranges",
            "bands": [{"from": 5, "points": 1000}],
            "missing": -1,
        },
        scale={"min": -10000, "max": 10000},
    )
    query = compile_scoring(model, "leads", ["f", "c", "e", "n"])
    rows = con.execute(query.sql, query.params).fetchall()
    assert [r[4:8] for r in rows] == [(1.0, 10.0, 100.0, -1.0), (1.0, 20.0, 100.0, 1000.0)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="aG@. \t\n\xa0", max_size=8), min_size=1, max_size=20))
def test_email_domain_matches_the_documented_rule(cells: list[str]):
    """The domain is the part after the last '@' of the trimmed, lower-cased cell (or the whole
    cell without '@'); the compiler's fast path for unpadded cells must not change that."""
    con = duckdb.connect()
    con.execute("CREATE TABLE leads (row INTEGER, e VARCHAR)")
    con.executemany("INSERT INTO leads VALUES (?, ?)", list(enumerate(cells)))
    domains = ["g", "a.g", "ag"]
    model = _model(
        {"id": "e", "column": "e", "kind": "email_domain", "domains": domains, "points": 1},
    )
    query = compile_scoring(model, "leads", ["row", "e"])
    try:
        got = con.sql(f"SELECT points__e FROM ({query.sql}) ORDER BY row", params=query.params)
        points = [r[0] for r in got.fetchall()]
    finally:
        con.close()
    listed = {d.lower() for d in domains}
    expected = [1.0 if c.strip(WHITESPACE).lower().split("@")[-1] in listed else 0.0 for c in cells]
    assert points == expected
