"""Suggested points: a known generating rule is recovered, leaks are kept out, the app accepts.

The synthetic leads are drawn from a logistic rule written here; the checks compare the
suggested points with that rule (order and sign of the effects, proportions), never with the
code's own output. AUCs are computed by the rank formula on scores from the real scorer.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT
from workbench.loading import load_leads
from workbench.model import ScoringModel, Tier
from workbench.model_file import load_model_file, model_from_dict, model_to_dict
from workbench.profile import profile_table
from workbench.scoring import score_frame
from workbench.suggest import apply_suggestions, fit_logistic, suggest_points

EMPTY = ScoringModel(
    tiers=[
        Tier(name="cold", min_score=0),
        Tier(name="warm", min_score=50),
        Tier(name="hot", min_score=80),
    ]
)
# The generating rule (log-odds): strong flag +2, weaker flag +1, a flag without effect, a
# negative flag −1, a category (A +1.5, B +0.5, C 0) and a number (+0.03 per unit, 0..60).
RULE = {"strong": 2.0, "weak": 1.0, "none": 0.0, "bad": -1.0}


def synthetic(n: int = 30000, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    flags = {name: rng.random(n) < 0.3 for name in RULE}
    plan = rng.choice(["A", "B", "C"], n, p=[0.2, 0.3, 0.5])
    visits = rng.integers(0, 61, n)
    logit = -3.0 + sum(RULE[k] * flags[k] for k in RULE)
    logit = logit + np.select([plan == "A", plan == "B"], [1.5, 0.5], 0.0) + 0.03 * visits
    won = rng.random(n) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame({f"{k} flag": np.where(v, "yes", "no") for k, v in flags.items()})
    frame["plan"] = plan
    frame["visits"] = visits
    frame["won"] = np.where(won, "yes", "no")
    return frame


def load(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    con.register("frame", frame)
    con.execute("CREATE TABLE leads AS SELECT * FROM frame")
    con.unregister("frame")


def rank_auc(scores: pd.Series, converted: pd.Series) -> float:
    ranks = scores.rank(method="average")
    p = int(converted.sum())
    return float((ranks[converted.astype(bool)].sum() - p * (p + 1) / 2) / (p * (len(scores) - p)))


@pytest.fixture(scope="module")
def fitted() -> tuple[pd.DataFrame, object, duckdb.DuckDBPyConnection]:
    frame = synthetic()
    con = duckdb.connect()
    load(con, frame)
    return (
        frame,
        suggest_points(con, EMPTY, "leads", profile_table(con, "leads"), outcome="won"),
        con,
    )


def points_of(suggestion: object, column: str) -> dict[str, float]:
    crit = next(c for c in suggestion.criteria if c.column == column)  # type: ignore[attr-defined]
    return {lv.label: lv.suggested for lv in crit.levels}


def test_known_rule_is_recovered(
    fitted: tuple[pd.DataFrame, object, duckdb.DuckDBPyConnection],
) -> None:
    _, sg, _ = fitted
    strong = points_of(sg, "strong flag")["yes"]
    weak = points_of(sg, "weak flag")["yes"]
    bad = points_of(sg, "bad flag")["yes"]
    assert strong > weak > 0 > bad
    assert strong / weak == pytest.approx(2.0, rel=0.25)  # points are proportional to log-odds
    assert abs(bad) == pytest.approx(weak, rel=0.3)
    none = [c for c in sg.criteria if c.column == "none flag"]  # type: ignore[attr-defined]
    assert not none or abs(points_of(sg, "none flag")["yes"]) <= 2
    plan = points_of(sg, "plan")
    assert plan["A"] > plan["B"] > plan["C"] == 0
    assert plan["A"] / strong == pytest.approx(1.5 / 2.0, rel=0.25)
    visits = [v for k, v in points_of(sg, "visits").items() if "empty" not in k]
    assert visits[-1] > visits[0] and visits == sorted(visits)  # a rising effect rises
    assert all(float(v).is_integer() for v in points_of(sg, "plan").values())


def test_suggested_model_ranks_like_the_true_rule(
    fitted: tuple[pd.DataFrame, object, duckdb.DuckDBPyConnection],
) -> None:
    frame, sg, con = fitted
    model = sg.model  # type: ignore[attr-defined]
    scored = score_frame(con, model, "leads", list(frame.columns), order_by_score=False)
    y = (scored["won"] == "yes").astype(int)
    truth = (
        sum(RULE[k] * (frame[f"{k} flag"] == "yes") for k in RULE)
        + frame["plan"].map({"A": 1.5, "B": 0.5, "C": 0.0})
        + 0.03 * frame["visits"]
    )
    ours = rank_auc(scored["score"], y)
    assert ours == pytest.approx(sg.suggested.auc, abs=1e-9)  # type: ignore[attr-defined]
    assert ours > rank_auc(truth, (frame["won"] == "yes").astype(int)) - 0.01
    # The best plausible lead reaches the top of the scale, and no lead goes beyond it.
    assert scored["score"].quantile(0.995) >= 90 and scored["score"].max() <= 100


def test_fit_logistic_recovers_coefficients() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, (20000, 2)).astype(float)
    p = 1 / (1 + np.exp(-(-1.0 + 1.5 * x[:, 0] - 0.7 * x[:, 1])))
    y = (rng.random(20000) < p).astype(float)
    beta = fit_logistic(x, np.ones(20000), y, ridge=0.0)
    assert beta == pytest.approx([-1.0, 1.5, -0.7], abs=0.08)
    # Perfect separation stays finite with the ridge.
    sep = fit_logistic(np.array([[0.0], [1.0]]), [10, 10], [0, 10])
    assert np.isfinite(sep).all() and sep[1] > 2


def test_a_leaking_column_is_left_out(con: duckdb.DuckDBPyConnection) -> None:
    frame = synthetic(5000, seed=3)
    rng = np.random.default_rng(1)
    won = frame["won"] == "yes"
    frame["Result Code"] = np.where(won ^ (rng.random(5000) < 0.01), "P", "N")
    load(con, frame)
    sg = suggest_points(con, EMPTY, "leads", profile_table(con, "leads"), outcome="won")
    assert all(c.column != "Result Code" for c in sg.criteria)
    assert any(col == "Result Code" and "leakage" in why for col, why in sg.left_out)
    assert "optimistic" in sg.check_sentence()


def test_current_criteria_get_points_and_apply(con: duckdb.DuckDBPyConnection) -> None:
    load(con, synthetic(8000, seed=5))
    current = model_from_dict(
        {
            "format": "lead-scoring-model/1",
            "tiers": [{"name": "cold", "min_score": 0}, {"name": "hot", "min_score": 60}],
            "criteria": [
                {"id": "weak", "column": "weak flag", "kind": "flag", "points": 50},
                {"id": "strong", "column": "strong flag", "kind": "flag", "points": 5},
            ],
        }
    )
    sg = suggest_points(con, current, "leads", profile_table(con, "leads"), outcome="won")
    weak, strong = sg.criterion("weak"), sg.criterion("strong")
    assert not weak.is_new and weak.levels[-1].current == 50
    assert strong.levels[-1].suggested > weak.levels[-1].suggested
    assert sg.current is not None and sg.suggested.auc > sg.current.auc  # type: ignore[operator]
    before = model_to_dict(current)
    some = apply_suggestions(before, sg, ["strong"])
    assert some["criteria"][1]["points"] == strong.levels[-1].suggested
    assert some["criteria"][0]["points"] == 50
    assert len(some["criteria"]) == 2
    everything = model_from_dict(apply_suggestions(before, sg))
    assert everything == sg.model
    assert before == model_to_dict(current)  # the input is left alone
    rows = sg.rows()
    assert {"Criterion", "Level", "Current", "Suggested"} <= set(rows[0])


def test_time_split_checks_on_recent_leads(con: duckdb.DuckDBPyConnection) -> None:
    frame = synthetic(6000, seed=8)
    frame["created"] = pd.date_range("2025-01-01", periods=6000, freq="h").astype(str)
    load(con, frame)
    sg = suggest_points(
        con, EMPTY, "leads", profile_table(con, "leads"), outcome="won", date_column="created"
    )
    assert sg.check_suggested is not None and sg.check_suggested.leads == pytest.approx(1500, abs=2)
    assert sg.fitted_on == pytest.approx(4500, abs=2)
    assert "which the fit did not see" in sg.check_sentence()
    assert all(c.column != "created" for c in sg.criteria)


def test_bank_marketing(bank_full: Path) -> None:
    con = duckdb.connect()
    load_leads(con, bank_full, "leads")
    sg = suggest_points(con, EMPTY, "leads", profile_table(con, "leads"), outcome="y")
    assert all(c.column != "duration" for c in sg.criteria)
    assert any(col == "duration" for col, _ in sg.left_out)
    scored = score_frame(
        con, sg.model, "leads", [p.name for p in profile_table(con, "leads")], order_by_score=False
    )
    y = (scored["y"] == "yes").astype(int)
    assert rank_auc(scored["score"], y) > 0.74
    hot, cold = scored["tier"] == "hot", scored["tier"] == "cold"
    assert y[hot].mean() > 3 * y[cold].mean()
    con.close()


# --------------------------------------------------------------------------- the Learn page


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from streamlit.runtime.pages_manager import PagesManager

    from workbench.workspace import ENV_VAR

    folder = tmp_path / "workbench-data"
    monkeypatch.setenv(ENV_VAR, str(folder))
    PagesManager.uses_pages_directory = None
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    yield folder
    PagesManager.uses_pages_directory = None


def test_learn_page_accepts_all_suggestions(data_dir: Path) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=90).run()
    at.switch_page("pages/6_Learn.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert len(at.get("vega_lite_chart")) == 2  # gains and conversion by tier
    assert at.metric[0].label == "AUC"
    before = at.session_state["model"]

    # The expected suggestion, computed on a fresh connection from the sample files.
    con = duckdb.connect()
    load_leads(con, ROOT / "sample_data" / "leads.csv", "leads")
    sample = load_model_file(ROOT / "sample_data" / "model.yaml")
    expected = suggest_points(
        con,
        sample,
        "leads",
        profile_table(con, "leads"),
        outcome="Converted",
        positive_values=at.session_state["wb_settings"].get("positive_values") or None,
        skip=["Lead ID"],
        leakage_columns=at.session_state["wb_settings"].get("leakage") or [],
    )
    at.button(key="learn:accept_all").click().run()
    assert not at.exception, [e.value for e in at.exception]
    after = at.session_state["model"]
    assert after != before
    assert after == model_to_dict(expected.model)
    assert any("Accepted every suggestion" in s.value for s in at.success)

    # Undo (on Tune) takes the whole acceptance back in one step.
    at.switch_page("pages/3_Tune.py").run()
    at.button(key="tune:undo").click().run()
    assert at.session_state["model"] == before


def test_learn_page_applies_a_threshold(data_dir: Path) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "6_Learn.py"), default_timeout=90).run()
    at.slider(key="learn:percentile").set_value(85).run()
    at.button(key="learn:apply:percentile").click().run()
    assert not at.exception, [e.value for e in at.exception]
    con = duckdb.connect()
    load_leads(con, ROOT / "sample_data" / "leads.csv", "leads")
    sample = load_model_file(ROOT / "sample_data" / "model.yaml")
    scores = score_frame(
        con,
        sample,
        "leads",
        order_by_score=False,
        columns=[p.name for p in profile_table(con, "leads")],
    )["score"]
    # The lowest score at which at most 15 % of the leads are at or above it.
    ok = [s for s in sorted(scores.unique()) if (scores >= s).mean() <= 0.15]
    assert at.session_state["model"]["tiers"][-1]["min_score"] == ok[0]


def test_tune_shows_a_live_backtest(data_dir: Path) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=90).run()
    at.switch_page("pages/3_Tune.py").run()
    at.slider(key="m:c:demo_request:points").set_value(0).run()
    assert not at.exception, [e.value for e in at.exception]
    line = next(c.value for c in at.caption if "AUC" in c.value)
    # The AUC of the changed model, by the rank formula on the scores of a fresh scorer.
    con = duckdb.connect()
    load_leads(con, ROOT / "sample_data" / "leads.csv", "leads")
    raw = model_to_dict(load_model_file(ROOT / "sample_data" / "model.yaml"))
    raw["criteria"][0]["points"] = 0
    columns = [p.name for p in profile_table(con, "leads")]
    scored = score_frame(con, model_from_dict(raw), "leads", columns, order_by_score=False)
    auc = rank_auc(scored["score"], (scored["Converted"] == "Yes").astype(int))
    assert f"AUC {auc:.2f}" in line
    assert "top 10% of scores hold" in line


def test_hostile_column_names(con: duckdb.DuckDBPyConnection) -> None:
    frame = synthetic(3000, seed=12).rename(
        columns={"strong flag": 'a"b', "plan": "x'); DROP TABLE leads; --", "visits": "select"}
    )
    load(con, frame)
    sg = suggest_points(con, EMPTY, "leads", profile_table(con, "leads"), outcome="won")
    assert {'a"b', "x'); DROP TABLE leads; --", "select"} <= {c.column for c in sg.criteria}
    assert con.execute("SELECT count(*) FROM leads").fetchall() == [(3000,)]


def test_activity_criteria_keep_their_points(con: duckdb.DuckDBPyConnection) -> None:
    import datetime

    load_leads(con, ROOT / "sample_data" / "leads.csv", "leads")
    con.execute(
        "CREATE TABLE events AS SELECT \"Lead ID\" AS lead_id, 'visit' AS activity, "
        "NULL::VARCHAR AS detail, TIMESTAMP '2026-01-01' AS ts FROM leads "
        "WHERE \"Demo Requested\" = 'Yes'"
    )
    raw = model_to_dict(load_model_file(ROOT / "sample_data" / "model.yaml"))
    raw["activity"] = {"lead_id_column": "Lead ID"}
    visits = {"id": "visits", "kind": "activity_count", "activity": "visit"}
    raw["criteria"].append({**visits, "at_least": 1, "points": 7})
    sg = suggest_points(
        con,
        model_from_dict(raw),
        "leads",
        profile_table(con, "leads"),
        outcome="Converted",
        skip=["Lead ID"],
        events="events",
        as_of=datetime.date(2026, 2, 1),
    )
    assert sg.model.criterion("visits") == model_from_dict(raw).criterion("visits")
    assert all(c.id != "visits" for c in sg.criteria)
    assert any("activity log" in n for n in sg.notes)


def test_learn_page_warns_when_data_are_thin(data_dir: Path) -> None:
    from streamlit.testing.v1 import AppTest

    lines = (ROOT / "sample_data" / "leads.csv").read_text(encoding="utf-8").splitlines()
    small = "\n".join(lines[:121]).encode("utf-8")  # 120 leads, about 14 converted
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=90).run()
    at.switch_page("pages/1_Data.py").run()
    at.file_uploader(key="leads_upload").set_value(("small.csv", small, "text/csv")).run()
    assert at.session_state["wb_settings"]["outcome"] == "Converted"
    at.switch_page("pages/6_Learn.py").run()
    assert not at.exception, [e.value for e in at.exception]
    warnings = " ".join(w.value for w in at.warning)
    converted = sum(1 for ln in lines[1:121] if ln.rstrip().endswith(",Yes"))
    assert f"Only {converted} leads converted" in warnings
    assert "rough" in warnings  # the signal table says so too
