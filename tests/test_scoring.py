"""score_frame, write_scored and validate_against_data on small tables built in DuckDB."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from workbench.errors import UserError
from workbench.model import ScoringModel
from workbench.model_file import load_model_text
from workbench.scoring import check_output_path, score_frame, validate_against_data, write_scored

MODEL_YAML = """
format: lead-scoring-model/1
name: Small
scale: {min: 0, max: 100}
tiers:
- {name: cold, min_score: 0}
- {name: warm, min_score: 30}
- {name: hot, min_score: 60}
criteria:
- id: demo
  column: demo
  kind: flag
  points: 50
- id: opens
  column: opens
  kind: ranges
  bands:
  - {from: 5, points: 20}
  - {from: 1, to: 5, points: 10}
- id: industry
  group: fit
  column: industry
  kind: categories
  points: {Software: 15}
- id: free_email
  group: fit
  column: email
  kind: email_domain
  domains: [gmail.com]
  points: -10
"""

# lead, demo, opens, industry, email -> expected score, tier (worked out by hand)
ROWS = [
    ("a", "yes", "7", "Software", "a@acme.com", 85.0, "hot"),  # 50 + 20 + 15
    ("b", "no", "2", "Retail", "b@gmail.com", 0.0, "cold"),  # 10 - 10
    ("c", "no", "5", "software", "c@corp.io", 35.0, "warm"),  # 20 + 15
    ("d", "yes", None, None, None, 50.0, "warm"),  # 50
    ("e", "no", "6", "Software", "e@x.org", 35.0, "warm"),  # ties with c; comes after it
    ("f", "no", "0", "Retail", "f@y.org", 0.0, "cold"),
]


@pytest.fixture
def model() -> ScoringModel:
    """The small model above."""
    return load_model_text(MODEL_YAML)


@pytest.fixture
def leads(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The ROWS as a table 'leads' of text columns; returns its columns."""
    con.execute(
        "CREATE TABLE leads (lead VARCHAR, demo VARCHAR, opens VARCHAR, "
        "industry VARCHAR, email VARCHAR)"
    )
    con.executemany("INSERT INTO leads VALUES (?, ?, ?, ?, ?)", [r[:5] for r in ROWS])
    return ["lead", "demo", "opens", "industry", "email"]


EXPECTED = {r[0]: (r[5], r[6]) for r in ROWS}


def test_score_frame_scores_every_lead(con, model, leads):
    df = score_frame(con, model, "leads", leads, order_by_score=False)
    assert list(df["lead"]) == [r[0] for r in ROWS]  # file order
    assert {k: (s, t) for k, s, t in zip(df["lead"], df["score"], df["tier"], strict=True)} == (
        EXPECTED
    )
    assert list(df.columns) == [
        *leads,
        "points__demo",
        "points__opens",
        "points__industry",
        "points__free_email",
        "score",
        "tier",
    ]
    assert df.loc[df["lead"] == "b", "points__free_email"].item() == -10


def test_score_frame_orders_by_score_with_ties_in_file_order(con, model, leads):
    df = score_frame(con, model, "leads", leads)
    assert list(df["lead"]) == ["a", "d", "c", "e", "b", "f"]


def test_ties_stay_in_file_order_on_a_bigger_table(con, model):
    con.execute(
        "CREATE TABLE big AS SELECT CAST(i AS VARCHAR) AS lead, 'no' AS demo, "
        "CAST(i % 3 AS VARCHAR) AS opens, 'Retail' AS industry, 'x@y.org' AS email "
        "FROM range(20000) t(i)"
    )
    df = score_frame(con, model, "big", ["lead", "demo", "opens", "industry", "email"])
    ids = df["lead"].astype(int)
    for _, group in df.groupby("score", sort=False):
        assert group["lead"].astype(int).is_monotonic_increasing
    assert len(ids) == 20000


def test_score_frame_filters_by_tier_and_pages(con, model, leads):
    warm = score_frame(con, model, "leads", leads, tier="warm")
    assert list(warm["lead"]) == ["d", "c", "e"]
    page = score_frame(con, model, "leads", leads, tier="warm", limit=1, offset=1)
    assert list(page["lead"]) == ["c"]
    assert score_frame(con, model, "leads", leads, limit=0).empty


def test_tier_is_a_bound_value(con, model, leads):
    with pytest.raises(UserError, match="no tier"):
        score_frame(con, model, "leads", leads, tier="hot' OR '1'='1")


def test_score_frame_keep(con, model, leads):
    df = score_frame(con, model, "leads", leads, keep=["LEAD"], limit=2)
    assert list(df.columns)[:2] == ["lead", "points__demo"]
    assert list(df["lead"]) == ["a", "d"]


def test_score_frame_on_a_view_and_with_hostile_names(con, model):
    con.execute(
        'CREATE TABLE raw ("_wb_row" VARCHAR, "de""mo" VARCHAR, "op ens" VARCHAR, '
        '"select" VARCHAR, "score" VARCHAR, "tier" VARCHAR)'
    )
    con.execute(
        "INSERT INTO raw VALUES ('1', 'yes', '9', 'Software', 's', 't'), "
        "('2', 'no', '1', NULL, 's', 't')"
    )
    con.execute("CREATE VIEW v AS SELECT * FROM raw")
    hostile = model.model_copy(
        update={
            "criteria": [
                model.criteria[0].model_copy(update={"column": 'de"mo'}),
                model.criteria[1].model_copy(update={"column": "op ens"}),
                model.criteria[2].model_copy(update={"column": "select"}),
            ]
        }
    )
    cols = ["_wb_row", 'de"mo', "op ens", "select", "score", "tier"]
    df = score_frame(con, hostile, "v", cols)
    assert list(df["_wb_row"]) == ["1", "2"]
    assert list(df["score"]) == [85.0, 10.0]
    assert list(df["score_input"]) == ["s", "s"]
    assert con.execute("SELECT count(*) FROM raw").fetchone() == (2,)


def test_score_frame_missing_column(con, model, leads):
    with pytest.raises(UserError, match='no column "email". The closest is "emails"'):
        score_frame(con, model, "leads", ["lead", "demo", "opens", "industry", "emails"])


@pytest.mark.parametrize("name", ["scored.csv", "scored.CSV", "scored", "scored.parquet"])
def test_write_scored(con, model, leads, tmp_path: Path, name: str):
    out = tmp_path / name
    assert write_scored(con, model, "leads", leads, out) == len(ROWS)
    if name.endswith(".parquet"):
        assert out.read_bytes()[:4] == b"PAR1"
        df = pd.read_parquet(out)
        got = list(zip(df["lead"], df["score"], df["tier"], strict=True))
    else:
        with out.open(newline="", encoding="utf-8") as f:
            records = list(csv.DictReader(f))
        got = [(r["lead"], float(r["score"]), r["tier"]) for r in records]
        assert list(records[0]) == [
            *leads,
            "points__demo",
            "points__opens",
            "points__industry",
            "points__free_email",
            "score",
            "tier",
        ]
    assert got == [(r[0], r[5], r[6]) for r in ROWS]  # every lead, in file order


def test_write_scored_path_with_quote_and_glob_characters(con, model, leads, tmp_path: Path):
    out = tmp_path / "it's [q1] *.csv"
    assert write_scored(con, model, "leads", leads, out) == len(ROWS)
    assert out.is_file()


@pytest.mark.parametrize(
    ("name", "message"),
    [("out.xlsx", "not Excel"), ("model.yaml", "not YAML"), ("missing/out.csv", "does not exist")],
)
def test_write_scored_refuses(con, model, leads, tmp_path: Path, name: str, message: str):
    with pytest.raises(UserError, match=message):
        write_scored(con, model, "leads", leads, tmp_path / name)


def test_check_output_path_refuses_a_folder(tmp_path: Path):
    with pytest.raises(UserError, match="is a folder"):
        check_output_path(tmp_path)


# --------------------------------------------------------------------------- validation


def test_validate_fine(con, model, leads):
    assert validate_against_data(con, model, "leads", leads) == []


def test_validate_collects_every_missing_column(con, model, leads):
    problems = validate_against_data(con, model, "leads", ["lead", "dem", "open", "industry"])
    assert len(problems) == 3
    assert 'no column "demo"' in problems[0] and 'closest is "dem"' in problems[0]
    assert "(opens)" in problems[1] and 'closest is "open"' in problems[1]
    assert "(free_email)" in problems[2]


def _one_problem(con: duckdb.DuckDBPyConnection, model: ScoringModel, values: dict) -> str:
    """Validate a one-column table per criterion column; exactly one problem expected."""
    con.execute(
        "CREATE OR REPLACE TABLE t (demo VARCHAR, opens VARCHAR, industry VARCHAR, email VARCHAR)"
    )
    good = {"demo": "yes", "opens": "3", "industry": "Software", "email": "a@b.com"}
    n = max(len(v) for v in values.values())
    rows = [tuple(values[c][i] if c in values else good[c] for c in good) for i in range(n)]
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)
    problems = validate_against_data(con, model, "t", list(good))
    assert len(problems) == 1, problems
    return problems[0]


def test_validate_ranges_without_numbers(con, model):
    msg = _one_problem(con, model, {"opens": ["many", "few", None]})
    assert '"opens"' in msg and "no numbers" in msg and '"few"' in msg


def test_validate_ranges_share_of_non_numbers(con, model):
    msg = _one_problem(con, model, {"opens": ["1", "2", "n/a", "3 times"]})
    assert "2 of 4" in msg and "50%" in msg


def test_validate_ranges_a_few_stray_values_are_fine(con, model):
    con.execute(
        "CREATE TABLE t AS SELECT 'yes' AS demo, CASE WHEN i = 0 THEN 'n/a' "
        "ELSE CAST(i AS VARCHAR) END AS opens, 'Software' AS industry, "
        "'a@b.com' AS email FROM range(100) r(i)"
    )
    assert validate_against_data(con, model, "t", ["demo", "opens", "industry", "email"]) == []


def test_validate_ranges_on_a_date_column(con, model):
    con.execute(
        "CREATE TABLE t AS SELECT 'yes' AS demo, DATE '2026-01-01' AS opens, "
        "'Software' AS industry, 'a@b.com' AS email"
    )
    problems = validate_against_data(con, model, "t", ["demo", "opens", "industry", "email"])
    assert len(problems) == 1 and "no numbers" in problems[0]


def test_validate_flag_without_yes(con, model):
    msg = _one_problem(con, model, {"demo": ["ja", "nein", "nein"]})
    assert "no yes-like values" in msg and '"nein", "ja"' in msg


def test_validate_empty_column(con, model):
    msg = _one_problem(con, model, {"demo": [None, " "]})
    assert "empty in every row" in msg


def test_validate_categories_never_seen(con, model):
    msg = _one_problem(con, model, {"industry": ["Sotfware", "Retail"]})
    assert "none of the listed values" in msg and '"Software" (closest: "Sotfware")' in msg


def test_validate_some_categories_never_seen(con):
    model = load_model_text(
        MODEL_YAML.replace("{Software: 15}", "{Software: 15, Manufacturing: 5, Fintech: 3}")
    )
    msg = _one_problem(con, model, {"industry": ["Software", "Manufacture", "Retail"]})
    assert "values never appear" in msg
    assert '"Manufacturing" (closest: "Manufacture")' in msg and '"Fintech"' in msg


def test_validate_email_without_addresses(con, model):
    msg = _one_problem(con, model, {"email": ["yes", "no"]})
    assert "no e-mail addresses or domains" in msg


def test_validate_bare_domains_are_fine(con, model):
    con.execute(
        "CREATE TABLE t AS SELECT 'yes' AS demo, '3' AS opens, 'Software' AS industry, "
        "'Gmail.com' AS email"
    )
    assert validate_against_data(con, model, "t", ["demo", "opens", "industry", "email"]) == []


def test_validate_no_rows(con, model, leads):
    con.execute("DELETE FROM leads")
    assert validate_against_data(con, model, "leads", leads) == [
        "The data has no rows, so the columns cannot be checked; load a file with leads in it."
    ]


def test_a_column_called_rowid_does_not_change_the_order(con, model, leads):
    con.execute(
        "CREATE TABLE r AS SELECT 7 - CAST(row_number() OVER () AS INTEGER) AS rowid, * FROM leads"
    )
    df = score_frame(con, model, "r", ["rowid", *leads], order_by_score=False)
    assert list(df["lead"]) == [r[0] for r in ROWS]
