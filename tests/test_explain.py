"""explain_row and explain_sentence: hand-computed breakdowns, and a property test."""

from __future__ import annotations

import math
from typing import Any

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.compiler import compile_scoring
from workbench.explain import Breakdown, Contribution, explain_row, explain_sentence, signed
from workbench.model import ScoringModel

MODEL = ScoringModel.model_validate(
    {
        "scale": {"min": 0, "max": 100},
        "tiers": [
            {"name": "cold", "min_score": 0},
            {"name": "warm", "min_score": 50},
            {"name": "hot", "min_score": 80},
        ],
        "groups": {"engagement": {"max_points": 100}},
        "criteria": [
            {
                "id": "demo_request",
                "label": "Asked for a demo",
                "group": "engagement",
                "column": "demo",
                "kind": "flag",
                "points": 80,
            },
            {
                "id": "email_opens",
                "label": "Marketing Emails Opened",
                "group": "engagement",
                "column": "opens",
                "kind": "ranges",
                "bands": [{"from": 5, "points": 25}, {"from": 1, "to": 5, "points": 5}],
            },
            {
                "id": "industry",
                "group": "fit",
                "column": "industry",
                "kind": "categories",
                "points": {"Software": 15, "Manufacturing": 10},
            },
            {
                "id": "free_email",
                "label": "Free e-mail domain",
                "group": "fit",
                "column": "email",
                "kind": "email_domain",
                "domains": ["gmail.com", "yahoo.com"],
                "points": -30,
            },
        ],
    }
)


def scored(
    demo: Any, opens: Any, industry: Any, email: Any, pts: list[float], score: float, tier: str
) -> dict[str, Any]:
    """A scored row written out by hand."""
    return {
        "demo": demo,
        "opens": opens,
        "industry": industry,
        "email": email,
        "points__demo_request": pts[0],
        "points__email_opens": pts[1],
        "points__industry": pts[2],
        "points__free_email": pts[3],
        "score": score,
        "tier": tier,
    }


# (row, expected parts as (kind, points, reason), expected sentence)
CASES = [
    pytest.param(
        # engagement 80 + 25 = 105, capped at 100 (−5); fit 15 − 30 = −15; total 85.
        scored("yes", 7, "Software", "ann@gmail.com", [80, 25, 15, -30], 85, "hot"),
        [
            ("criterion", 80, "Asked for a demo: Yes → +80"),
            ("criterion", -30, "Free e-mail domain (gmail.com) → −30"),
            ("criterion", 25, "Marketing Emails Opened is 7 (5 or more) → +25"),
            ("criterion", 15, "Industry is Software → +15"),
            ("cap", -5, "Engagement points capped at 100: −5"),
        ],
        "85 points, hot: demo request +80, gmail.com −30, 7 email opens +25, Software +15, "
        "engagement cap −5.",
        id="group-cap",
    ),
    pytest.param(
        # engagement 80 + 25 = 105 → 100 (−5); fit 15; total 115, clamped to 100 (−15).
        scored("Y", 12, "software ", "bob@acme.com", [80, 25, 15, 0], 100, "hot"),
        [
            ("criterion", 80, "Asked for a demo: Yes → +80"),
            ("criterion", 25, "Marketing Emails Opened is 12 (5 or more) → +25"),
            ("criterion", 15, "Industry is software → +15"),
            ("criterion", 0, "Free e-mail domain: acme.com is not on the list → 0"),
            ("cap", -5, "Engagement points capped at 100: −5"),
            ("clamp", -15, "Score kept within 0–100: −15"),
        ],
        "100 points, hot: demo request +80, 12 email opens +25, software +15, "
        "engagement cap −5, scale limit −15.",
        id="cap-and-clamp-high",
    ),
    pytest.param(
        # engagement 5; fit 0 − 30; total −25, clamped up to 0 (+25).
        scored("no", 3, "Retail", "x@YAHOO.com", [0, 5, 0, -30], 0, "cold"),
        [
            ("criterion", -30, "Free e-mail domain (yahoo.com) → −30"),
            ("criterion", 5, "Marketing Emails Opened is 3 (1 to under 5) → +5"),
            ("criterion", 0, "Asked for a demo: No → 0"),
            ("criterion", 0, "Industry Retail is not on the list → 0"),
            ("clamp", 25, "Score kept within 0–100: +25"),
        ],
        "0 points, cold: yahoo.com −30, 3 email opens +5, scale limit +25.",
        id="clamp-low",
    ),
    pytest.param(
        scored(None, float("nan"), None, None, [0, 0, 0, 0], 0, "cold"),
        [
            ("criterion", 0, "Asked for a demo: empty → 0"),
            ("criterion", 0, "Marketing Emails Opened is empty → 0"),
            ("criterion", 0, "Industry is empty → 0"),
            ("criterion", 0, "Free e-mail domain: empty → 0"),
        ],
        "0 points, cold: no criterion gave points.",
        id="all-empty",
    ),
    pytest.param(
        scored("no", 0, "Manufacturing", "c@acme.com", [0, 0, 10, 0], 10, "cold"),
        [
            ("criterion", 10, "Industry is Manufacturing → +10"),
            ("criterion", 0, "Asked for a demo: No → 0"),
            ("criterion", 0, "Marketing Emails Opened is 0 (in no band) → 0"),
            ("criterion", 0, "Free e-mail domain: acme.com is not on the list → 0"),
        ],
        "10 points, cold: Manufacturing +10.",
        id="zeros-after-nonzero",
    ),
]


@pytest.mark.parametrize(("row", "expected", "sentence"), CASES)
def test_explain_row_by_hand(
    row: dict[str, Any], expected: list[tuple[str, float, str]], sentence: str
) -> None:
    breakdown = explain_row(MODEL, row)
    assert [(p.kind, p.points, p.reason) for p in breakdown.parts] == expected
    assert breakdown.score == row["score"]
    assert breakdown.tier == row["tier"]
    assert math.fsum(p.points for p in breakdown.parts) == pytest.approx(row["score"], abs=1e-9)
    assert explain_sentence(breakdown) == sentence


@pytest.mark.parametrize(("row", "expected", "sentence"), CASES)
def test_explain_rows_from_the_real_compiler(
    row: dict[str, Any], expected: list[tuple[str, float, str]], sentence: str
) -> None:
    """The same leads, scored by DuckDB: same parts, same sentence."""
    inputs = {k: [row[k]] for k in ("demo", "opens", "industry", "email")}
    frame = pd.DataFrame(inputs).astype(
        {"demo": "object", "industry": "object", "email": "object", "opens": "float64"}
    )
    con = duckdb.connect()
    try:
        con.register("leads_df", frame)
        con.execute(
            "CREATE TABLE leads AS SELECT CAST(demo AS VARCHAR) AS demo, opens, "
            "CAST(industry AS VARCHAR) AS industry, CAST(email AS VARCHAR) AS email FROM leads_df"
        )
        query = compile_scoring(MODEL, "leads", ["demo", "opens", "industry", "email"])
        result = con.sql(query.sql, params=query.params).to_arrow_table().to_pandas()
    finally:
        con.close()
    got = explain_row(MODEL, result.to_dict("records")[0])
    assert [(p.kind, p.points, p.reason) for p in got.parts] == expected
    assert explain_sentence(got) == sentence


def test_contribution_fields() -> None:
    row = scored("yes", 7, "Software", "ann@gmail.com", [80, 25, 15, -30], 85, "hot")
    parts = explain_row(MODEL, row).parts
    assert parts[0] == Contribution(
        label="demo request",
        points=80,
        reason="Asked for a demo: Yes → +80",
        criterion_id="demo_request",
        kind="criterion",
    )
    assert parts[-1].criterion_id is None
    assert parts[-1].label == "engagement cap"


def test_negative_group_cap_and_criterion_cap() -> None:
    model = ScoringModel.model_validate(
        {
            "scale": {"min": -50, "max": 50},
            "tiers": [{"name": "all", "min_score": -50}],
            "groups": {"fit": {"max_points": 20}},
            "criteria": [
                {
                    "id": "free_email",
                    "group": "fit",
                    "column": "email",
                    "kind": "email_domain",
                    "domains": ["gmail.com"],
                    "points": -30,
                },
                {
                    "id": "big",
                    "label": "Large company",
                    "group": "fit",
                    "column": "size",
                    "kind": "flag",
                    "points": -40,
                    "max_points": 15,
                },
            ],
        }
    )
    # free_email −30, big −40 capped at −15; fit −45 capped at −20 (+25); no clamp.
    row = {
        "email": "a@gmail.com",
        "size": "1",
        "points__free_email": -30.0,
        "points__big": -15.0,
        "score": -20.0,
        "tier": "all",
    }
    b = explain_row(model, row)
    assert [(p.kind, p.points, p.reason) for p in b.parts] == [
        ("criterion", -30, "Free email (gmail.com) → −30"),
        ("criterion", -15, "Large company: Yes → −15 (capped at 15)"),
        ("cap", 25, "Fit points kept above −20: +25"),
    ]
    assert explain_sentence(b) == "−20 points, all: gmail.com −30, big −15, fit cap +25."


def test_input_column_renamed_by_the_compiler_is_found() -> None:
    """A data column called 'score' comes back as 'score_input'."""
    model = ScoringModel.model_validate(
        {
            "tiers": [{"name": "cold", "min_score": 0}],
            "criteria": [
                {
                    "id": "old_score",
                    "column": "score",
                    "kind": "ranges",
                    "bands": [{"from": 50, "points": 10}],
                }
            ],
        }
    )
    row = {"score_input": 70, "points__old_score": 10.0, "score": 10.0, "tier": "cold"}
    b = explain_row(model, row)
    assert b.parts[0].reason == "Old score is 70 (50 or more) → +10"


def test_row_scored_with_another_model_is_refused() -> None:
    row = scored("yes", 7, "Software", "ann@gmail.com", [80, 25, 15, -30], 60, "warm")
    with pytest.raises(ValueError, match="does not follow"):
        explain_row(MODEL, row)


def test_row_without_points_is_refused() -> None:
    with pytest.raises(KeyError, match="points__demo_request"):
        explain_row(MODEL, {"demo": "yes", "score": 0, "tier": "cold"})


def test_score_and_tier_filled_in_when_absent() -> None:
    row = scored("yes", 7, "Software", "ann@gmail.com", [80, 25, 15, -30], 85, "hot")
    del row["score"], row["tier"]
    b = explain_row(MODEL, row)
    assert (b.score, b.tier) == (85, "hot")


@pytest.mark.parametrize(
    ("points", "text"),
    [(25, "+25"), (-30, "−30"), (0, "0"), (12.5, "+12.5"), (-0.00001, "0"), (1 / 3, "+0.3333")],
)
def test_signed(points: float, text: str) -> None:
    assert signed(points) == text


def test_breakdown_total() -> None:
    b = Breakdown(
        score=3,
        tier="t",
        parts=[Contribution("a", 1, "", "a", "criterion"), Contribution("b", 2, "", "b", "cap")],
    )
    assert b.total == 3


# ---------------------------------------------------------------- property: parts sum to score

POINTS = st.floats(min_value=-200, max_value=200, allow_nan=False).map(lambda x: round(x, 2))
CAPS = st.none() | st.floats(min_value=0.5, max_value=150).map(lambda x: round(x, 2))


@st.composite
def models_and_data(draw: st.DrawFn) -> tuple[ScoringModel, pd.DataFrame]:
    n_criteria = draw(st.integers(min_value=1, max_value=5))
    criteria: list[dict[str, Any]] = []
    columns: dict[str, Any] = {}
    n_rows = draw(st.integers(min_value=1, max_value=8))
    for i in range(n_criteria):
        group = draw(st.sampled_from(["fit", "engagement"]))
        cap = draw(CAPS)
        extra = {} if cap is None else {"max_points": cap}
        kind = draw(st.sampled_from(["flag", "ranges", "categories"]))
        col = f"c{i}"
        if kind == "flag":
            criteria.append(
                {"id": f"k{i}", "group": group, "column": col, "kind": "flag"}
                | {"points": draw(POINTS)}
                | extra
            )
            columns[col] = draw(
                st.lists(st.sampled_from(["yes", "no", None]), min_size=n_rows, max_size=n_rows)
            )
        elif kind == "ranges":
            edge = draw(st.integers(min_value=-10, max_value=10))
            criteria.append(
                {
                    "id": f"k{i}",
                    "group": group,
                    "column": col,
                    "kind": "ranges",
                    "bands": [
                        {"from": edge, "points": draw(POINTS)},
                        {"to": edge, "points": draw(POINTS)},
                    ],
                    "missing": draw(POINTS),
                }
                | extra
            )
            columns[col] = draw(
                st.lists(
                    st.none() | st.integers(min_value=-20, max_value=20),
                    min_size=n_rows,
                    max_size=n_rows,
                )
            )
        else:
            criteria.append(
                {
                    "id": f"k{i}",
                    "group": group,
                    "column": col,
                    "kind": "categories",
                    "points": {"a": draw(POINTS), "b": draw(POINTS)},
                    "other": draw(POINTS),
                    "missing": draw(POINTS),
                }
                | extra
            )
            columns[col] = draw(
                st.lists(st.sampled_from(["a", "B ", "c", None]), min_size=n_rows, max_size=n_rows)
            )
    groups = {}
    for g in ("fit", "engagement"):
        cap = draw(CAPS)
        if cap is not None:
            groups[g] = {"max_points": cap}
    low = draw(st.integers(min_value=-100, max_value=50))
    high = low + draw(st.integers(min_value=1, max_value=300))
    tiers = [{"name": "low", "min_score": low}]
    if high - low >= 2:
        tiers.append({"name": "high", "min_score": low + (high - low) / 2})
    model = ScoringModel.model_validate(
        {
            "scale": {"min": low, "max": high},
            "tiers": tiers,
            "groups": groups,
            "criteria": criteria,
        }
    )
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in columns.items()})
    return model, frame


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models_and_data())
def test_parts_always_sum_to_the_score(case: tuple[ScoringModel, pd.DataFrame]) -> None:
    model, frame = case
    con = duckdb.connect()
    try:
        casts = []
        for c in model.criteria:
            target = "BIGINT" if c.kind == "ranges" else "VARCHAR"
            casts.append(f'CAST("{c.column}" AS {target}) AS "{c.column}"')
        con.register("frame", frame)
        con.execute(f"CREATE TABLE leads AS SELECT {', '.join(casts)} FROM frame")
        query = compile_scoring(model, "leads", list(frame.columns))
        rows = con.sql(query.sql, params=query.params).to_arrow_table().to_pylist()
    finally:
        con.close()
    for row in rows:
        b = explain_row(model, row)
        assert math.fsum(p.points for p in b.parts) == pytest.approx(row["score"], abs=1e-6)
        assert b.tier == row["tier"]
        kinds = [p.kind for p in b.parts]
        assert kinds == sorted(kinds, key=["criterion", "cap", "clamp"].index)
        assert kinds.count("clamp") <= 1
        assert kinds.count("criterion") == len(model.criteria)
        crit = [p for p in b.parts if p.kind == "criterion"]
        nonzero = [abs(p.points) for p in crit if p.points != 0]
        assert nonzero == sorted(nonzero, reverse=True)
        assert all(p.points != 0 for p in crit[: len(nonzero)])
