"""Model lint on planted problems: each finding appears when planted, and only then."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from tests.conftest import ROOT
from workbench.lint import lint_model
from workbench.loading import load_leads
from workbench.model_file import load_model_file, model_from_dict, model_to_dict

# 20 leads: plan ("pro" for 19, "free" for 1), opens 0..19, country always "ES",
# a flag that is "yes" for everyone, visits 10 for everyone, industry software/retail.
ROWS = [
    (
        f"L{i:02d}",
        "free" if i == 0 else "pro",
        i,
        "ES",
        "yes",
        10,
        "Software" if i % 2 else "Retail",
    )
    for i in range(20)
]
COLUMNS = ["id", "plan", "opens", "country", "newsletter", "visits", "industry"]


@pytest.fixture
def leads(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute(
        "CREATE TABLE leads (id VARCHAR, plan VARCHAR, opens BIGINT, country VARCHAR, "
        "newsletter VARCHAR, visits BIGINT, industry VARCHAR)"
    )
    con.executemany("INSERT INTO leads VALUES (?, ?, ?, ?, ?, ?, ?)", ROWS)
    return con


def model(*criteria: dict[str, Any], groups: dict[str, Any] | None = None) -> Any:
    return model_from_dict(
        {
            "format": "lead-scoring-model/1",
            "tiers": [{"name": "cold", "min_score": 0}, {"name": "hot", "min_score": 50}],
            "groups": groups or {},
            "criteria": list(criteria),
        }
    )


HEALTHY = {
    "id": "opens",
    "column": "opens",
    "kind": "ranges",
    "bands": [{"from": 10, "points": 20}],
}


def findings(con: duckdb.DuckDBPyConnection, *criteria: dict[str, Any], **kw: Any) -> list[Any]:
    return lint_model(con, model(*criteria, **kw), "leads", COLUMNS)


def test_a_healthy_model_has_no_findings(leads: duckdb.DuckDBPyConnection) -> None:
    assert findings(leads, HEALTHY) == []


def test_sample_model_on_sample_data_is_clean(con: duckdb.DuckDBPyConnection) -> None:
    loaded = load_leads(con, ROOT / "sample_data" / "leads.csv", "leads")
    sample = load_model_file(ROOT / "sample_data" / "model.yaml")
    assert lint_model(con, sample, "leads", loaded.columns) == []


def test_missing_column(leads: duckdb.DuckDBPyConnection) -> None:
    [f] = findings(leads, HEALTHY, {"id": "src", "column": "Countyr", "kind": "flag", "points": 5})
    assert (f.kind, f.target) == ("missing_column", "src")
    assert f.text.startswith('Criterion "Src" (src) reads the column "Countyr"')
    assert '(the closest is "country")' in f.text


def test_never_fires(leads: duckdb.DuckDBPyConnection) -> None:
    [f] = findings(
        leads, HEALTHY, {"id": "spain", "column": "country", "kind": "flag", "points": 5}
    )
    assert f.kind == "never_fires"
    assert f.text == (
        'Criterion "Spain" (spain) gives points to none of the 20 leads, so it changes no '
        'score; check what "country" holds now, or remove the criterion.'
    )


@pytest.mark.parametrize(
    ("criterion", "detail"),
    [
        (
            {"id": "news", "column": "newsletter", "kind": "flag", "points": 5},
            "gives the same +5 points to 100% of the leads (20 of 20)",
        ),
        (
            {"id": "paid", "column": "plan", "kind": "categories", "points": {"pro": 3}},
            None,  # 19 of 20 = 95%: not more than 95%, so no finding
        ),
        (
            {"id": "opens2", "column": "opens", "kind": "ranges",
             "bands": [{"from": 10, "points": 2}, {"from": 0, "to": 10, "points": 1}]},
            "gives points to 100% of the leads (20 of 20)",
        ),
    ],
)  # fmt: skip
def test_nearly_everyone(
    leads: duckdb.DuckDBPyConnection, criterion: dict[str, Any], detail: str | None
) -> None:
    found = findings(leads, HEALTHY, criterion)
    if detail is None:
        assert found == []
        return
    [f] = found
    assert f.kind == "nearly_everyone" and detail in f.text


def test_nearly_everyone_threshold_is_strict(leads: duckdb.DuckDBPyConnection) -> None:
    paid = {"id": "paid", "column": "plan", "kind": "categories", "points": {"pro": 3}}
    m = model(HEALTHY, paid)
    assert lint_model(leads, m, "leads", COLUMNS, nearly_all=0.9)[0].kind == "nearly_everyone"


def test_criterion_cap_always_hit(leads: duckdb.DuckDBPyConnection) -> None:
    bands = [{"from": 10, "points": 20}, {"from": 5, "to": 10, "points": 15}]
    capped = {"id": "opens", "column": "opens", "kind": "ranges", "max_points": 10, "bands": bands}
    [f] = findings(leads, capped)
    assert f.kind == "cap_always_hit"
    assert f.text.startswith('All 15 leads that earn points from criterion "Opens" (opens) reach')
    not_always = {
        **capped,
        "bands": [{"from": 10, "points": 20}, {"from": 5, "to": 10, "points": 5}],
    }
    assert findings(leads, not_always) == []


def test_group_cap_always_hit(leads: duckdb.DuckDBPyConnection) -> None:
    visits = {"id": "visits", "group": "fit", "column": "visits", "kind": "ranges",
              "bands": [{"from": 5, "points": 40}]}  # fmt: skip
    everyone, f = findings(leads, HEALTHY, visits, groups={"fit": {"max_points": 30}})
    assert (everyone.kind, f.kind, f.target) == ("nearly_everyone", "group_cap_always_hit", "fit")
    assert "reached by 20 of the 20 leads with fit points (100%)" in f.text
    assert [
        f.kind for f in findings(leads, HEALTHY, visits, groups={"fit": {"max_points": 50}})
    ] == ["nearly_everyone"]


def test_categories_that_no_longer_appear(leads: duckdb.DuckDBPyConnection) -> None:
    listed = {"Software": 10, "  retail ": 0, "Retial Trade": 3, "Media": 2}
    industry = {"id": "ind", "column": "industry", "kind": "categories", "points": listed}
    [f] = findings(leads, industry)
    assert f.kind == "absent_categories"
    assert f.text == (
        'Criterion "Ind" (ind) lists 2 values no lead has in "industry" any more: '
        '"Retial Trade", "Media"; fix the spelling or remove them.'
    )  # "retail" is listed already, so it is not offered as the closest spelling
    typo = {**industry, "points": {"Software": 10, "Retial": 3}}
    [f] = findings(leads, typo)
    assert f.text == (
        'Criterion "Ind" (ind) lists a value no lead has in "industry" any more: "Retial" '
        '(closest now: "retail"); fix the spelling or remove it.'
    )
    gone = {**industry, "points": {"Media": 2}}
    texts = [f.text for f in findings(leads, HEALTHY, gone)]
    assert any(
        t.startswith('No lead has any of the values criterion "Ind" (ind) lists') for t in texts
    )


def test_empty_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE leads (opens BIGINT)")
    [f] = lint_model(con, model(HEALTHY), "leads", ["opens"])
    assert f.kind == "no_leads"


def test_every_problem_at_once_in_criterion_order(leads: duckdb.DuckDBPyConnection) -> None:
    sample = model_to_dict(
        model(
            {"id": "gone", "column": "nope", "kind": "flag", "points": 1},
            {"id": "never", "column": "country", "kind": "flag", "points": 1},
            {"id": "all", "column": "newsletter", "kind": "flag", "points": 1},
            HEALTHY,
        )
    )
    kinds = [
        (f.kind, f.target) for f in lint_model(leads, model_from_dict(sample), "leads", COLUMNS)
    ]
    assert kinds == [
        ("missing_column", "gone"),
        ("never_fires", "never"),
        ("nearly_everyone", "all"),
    ]
