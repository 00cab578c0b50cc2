"""The fit × engagement matrix: hand-counted cells, MQL/SQL totals, conversion, validation."""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd
import pytest

from workbench.compiler import compile_scoring
from workbench.errors import UserError
from workbench.matrix import matrix_chart, matrix_counts
from workbench.model import ScoringModel

MODEL: dict[str, Any] = {
    "tiers": [{"name": "cold", "min_score": 0}, {"name": "hot", "min_score": 60}],
    "groups": {"fit": {"max_points": 50}},
    "criteria": [
        {
            "id": "size",
            "group": "fit",
            "column": "Size",
            "kind": "ranges",
            "bands": [{"from": 0, "points": 1}],
            "missing": 0,
        },
        {"id": "act", "column": "Eng", "kind": "ranges", "bands": [{"from": 0, "points": 1}]},
    ],
    "matrix": {
        "fit_thresholds": [40, 20],
        "engagement_thresholds": [30],
        "fit_labels": ["A", "B", "C"],
        "mql": ["A1", "B1", "A2"],
        "sql": ["A1"],
    },
}


def _frame(model: dict[str, Any]) -> ScoringModel:
    m = {**model, "criteria": []}
    # points equal to the column's value: one band per value used below
    for c in model["criteria"]:
        bands = [{"from": v, "to": v + 1, "points": v} for v in (0, 10, 20, 25, 30, 40, 60)]
        m["criteria"].append({**c, "bands": bands})
    return ScoringModel.model_validate(m)


def test_cells_by_hand() -> None:
    model = _frame(MODEL)
    # (fit, engagement, won): fit 60 is capped at 50 -> A; 40 -> A (threshold reached);
    # 25 -> B; 20 -> B; 10 -> C. Engagement 30 -> 1, 25 -> 2.
    rows = [
        (60, 30, "yes"),  # A1
        (40, 30, "no"),  # A1
        (40, 25, "yes"),  # A2
        (25, 40, "no"),  # B1
        (20, 0, "no"),  # B2
        (10, 60, "yes"),  # C1
        (0, 0, "no"),  # C2
    ]
    con = duckdb.connect()
    con.register("l", pd.DataFrame(rows, columns=["Size", "Eng", "Won"]))
    con.execute("CREATE TABLE leads AS SELECT * FROM l")
    got = matrix_counts(con, model, "leads", ["Size", "Eng", "Won"], outcome="Won")
    assert [(c.name, c.count, c.converted, c.stage) for c in got.cells] == [
        ("A1", 2, 1, "SQL"),
        ("A2", 1, 1, "MQL"),
        ("B1", 1, 0, "MQL"),
        ("B2", 1, 0, None),
        ("C1", 1, 1, None),
        ("C2", 1, 0, None),
    ]
    assert (got.leads, got.mql, got.sql) == (7, 2, 2)
    assert got.cells[0].conversion_rate == 0.5
    assert got.engagement_labels == ["1", "2"]
    chart = matrix_chart(got).to_dict()
    assert chart["layer"][0]["mark"]["type"] == "rect"


def test_group_scores_are_opt_in() -> None:
    model = _frame(MODEL)
    plain = compile_scoring(model, "leads", ["Size", "Eng"], keep=[])
    assert '"fit_score"' not in plain.sql
    con = duckdb.connect()
    con.execute('CREATE TABLE leads AS SELECT 60 AS "Size", 30 AS "Eng"')
    q = compile_scoring(model, "leads", ["Size", "Eng"], keep=[], group_scores=True)
    cols = [d[0] for d in con.execute(q.sql, q.params).description]
    assert cols[-2:] == ["fit_score", "engagement_score"]
    assert con.execute(q.sql, q.params).fetchall()[0][-2:] == (50, 30)


def test_without_outcome_and_without_matrix() -> None:
    model = _frame(MODEL)
    con = duckdb.connect()
    con.execute('CREATE TABLE leads AS SELECT 0 AS "Size", 0 AS "Eng" WHERE false')
    got = matrix_counts(con, model, "leads", ["Size", "Eng"])
    assert got.leads == 0 and all(c.converted is None for c in got.cells)
    plain = ScoringModel.model_validate({**MODEL, "matrix": None})
    with pytest.raises(UserError, match="no fit"):
        matrix_counts(con, plain, "leads", ["Size", "Eng"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"fit_thresholds": [20, 40]}, "descend"),
        ({"fit_labels": ["A", "B"]}, "needs 3 names"),
        ({"mql": ["Z9"]}, "not in the grid"),
        ({"fit_labels": ["A", "A", "B"]}, "distinct"),
    ],
)
def test_invalid_matrix(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ScoringModel.model_validate({**MODEL, "matrix": {**MODEL["matrix"], **change}})


def test_default_labels() -> None:
    m = ScoringModel.model_validate(
        {**MODEL, "matrix": {"fit_thresholds": [50, 25, 10], "engagement_thresholds": [5]}}
    )
    assert m.matrix is not None
    assert m.matrix.cells() == ["A1", "A2", "B1", "B2", "C1", "C2", "D1", "D2"]
