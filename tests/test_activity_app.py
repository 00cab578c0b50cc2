"""Activity criteria everywhere a plain model is scored: the app's pages and the explanation.

A preset (model + leads + activity log, docs/activity.md) is loaded through the app as a person
would: leads on the Data page, the model file on Export, the log on Activity, scored as of
2026-01-31. Expected scores come from ``workbench.scoring.score_frame`` on a fresh connection.
"""

from __future__ import annotations

import csv
import datetime
import io
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from workbench import activity
from workbench.backtest import ScoreCounts, describe, evaluate
from workbench.explain import ActivityFact, activity_facts, explain_row
from workbench.library import ENV_VAR as LIBRARY_VAR
from workbench.loading import load_leads
from workbench.model_file import load_model_file
from workbench.scoring import score_frame
from workbench.workspace import ENV_VAR

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the pages import app_support from the project root
    sys.path.insert(0, str(ROOT))

import app_support  # noqa: E402

PRESETS = ROOT / "sample_data" / "presets"
AS_OF = datetime.date(2026, 1, 31)
TIMEOUT = 90


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test gets its own workspace folder (and library); pages are re-detected."""
    folder = tmp_path / "workbench-data"
    monkeypatch.setenv(ENV_VAR, str(folder))
    monkeypatch.delenv(LIBRARY_VAR, raising=False)
    PagesManager.uses_pages_directory = None
    yield folder
    PagesManager.uses_pages_directory = None


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def leads_with_outcome() -> bytes:
    """The B2B preset's leads plus a made-up "Won" column (every third lead, and Software)."""
    with (PRESETS / "b2b_leads.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*rows[0], "Won"])
    for i, row in enumerate(rows[1:]):
        writer.writerow([*row, "yes" if i % 3 == 0 or row[3] == "Software" else "no"])
    return out.getvalue().encode("utf-8")


def expected_scores(leads: bytes) -> pd.DataFrame:
    """The preset scored on a fresh connection, as of AS_OF, file order."""
    con = duckdb.connect()
    loaded = load_leads(con, leads, "leads", filename="b2b.csv")
    activity.load_event_file(con, PRESETS / "b2b_activity.csv")
    events = activity.map_events(
        con, activity.EventMapping("Lead ID", "Activity", "Timestamp", "Detail")
    )
    model = load_model_file(PRESETS / "b2b.yaml")
    return score_frame(
        con, model, "leads", loaded.columns, events=events.table, as_of=AS_OF, order_by_score=False
    )


def load_preset(at: AppTest, leads: bytes) -> None:
    """Leads (Data page), the model file (Export page), the log and the day (Activity page)."""
    at.switch_page("pages/1_Data.py").run()
    at.file_uploader(key="leads_upload").set_value(("b2b.csv", leads, "text/csv"))
    at.run()
    assert_clean(at)
    at.selectbox(key="setting:outcome").set_value("Won").run()
    assert at.session_state[app_support._SETTINGS]["outcome"] == "Won"

    at.switch_page("pages/5_Export.py").run()
    model_yaml = (PRESETS / "b2b.yaml").read_bytes()
    at.file_uploader(key="model_upload").set_value(("b2b.yaml", model_yaml, "application/x-yaml"))
    at.run()
    assert at.session_state[app_support.MODEL]["name"].startswith("B2B preset")

    at.switch_page("pages/8_Activity.py").run()
    log = (PRESETS / "b2b_activity.csv").read_bytes()
    at.file_uploader(key="activity:file").set_value(("b2b_activity.csv", log, "text/csv"))
    at.run()
    at.date_input(key="activity:as_of").set_value(AS_OF)
    at.button(key="activity:apply").click().run()
    assert_clean(at)
    assert at.session_state["activity_events"] == activity.EVENTS_TABLE
    assert at.session_state["activity_as_of"] == AS_OF


def test_pages_score_a_model_with_activity_criteria() -> None:
    leads = leads_with_outcome()
    want = expected_scores(leads)
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT).run()
    load_preset(at, leads)

    at.switch_page("pages/3_Tune.py").run()
    assert_clean(at)
    counts = {m.label.split(" (")[0]: int(m.value.replace(",", "")) for m in at.metric}
    assert counts == want["tier"].value_counts().to_dict()
    # The live backtest comes from the same scan as the counts: it must describe these
    # scores and outcomes, counted here with pandas.
    won = (want["Won"] == "yes").astype(int)
    grouped = pd.DataFrame({"score": want["score"], "won": won}).groupby("score")["won"]
    counts_by_score = ScoreCounts.from_arrays(
        grouped.size().index, grouped.size().to_numpy(), grouped.sum().to_numpy()
    )
    text, _ = describe(evaluate(counts_by_score, load_model_file(PRESETS / "b2b.yaml")))
    assert any(c.value == app_support.md(text) for c in at.caption), text

    at.switch_page("pages/4_Leads.py").run()
    assert_clean(at)
    shown = at.dataframe[0].value
    top = want.sort_values("score", ascending=False, kind="stable").head(len(shown))
    assert list(shown["score"]) == pytest.approx(list(top["score"]))
    reasons = list(at.dataframe[1].value["Why"])
    assert any("in the last 30 days" in r for r in reasons), reasons
    assert any(r.startswith(("last ", "no ")) for r in reasons), reasons  # the recency one

    at.switch_page("pages/5_Export.py").run()
    assert_clean(at)
    cursor = at.session_state[app_support._CON].cursor()
    columns = list(at.session_state[app_support._DATA].columns)
    model = load_model_file(PRESETS / "b2b.yaml")
    payload = app_support.scored_file(
        cursor, model, columns, "csv", events=activity.EVENTS_TABLE, as_of=AS_OF
    )
    scored = pd.read_csv(io.BytesIO(payload))
    assert list(scored["score"]) == pytest.approx(list(want["score"]))

    at.switch_page("pages/6_Learn.py").run()
    assert_clean(at)
    assert at.metric[0].label == "AUC" and at.metric[0].value != "–"

    at.switch_page("pages/7_Review.py").run()
    model_yaml = (PRESETS / "b2b.yaml").read_bytes()
    at.file_uploader(key="review:uploads").set_value([("b2b.yaml", model_yaml, "text/yaml")])
    at.run()
    at.multiselect(key="review:picked").set_value(["current", "file:0"]).run()
    assert_clean(at)
    assert any(s.value.startswith("0 of 120 leads change tier") for s in at.subheader)


def test_leads_page_says_what_is_missing_without_an_activity_log() -> None:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT).run()
    at.switch_page("pages/1_Data.py").run()
    at.file_uploader(key="leads_upload").set_value(("b2b.csv", leads_with_outcome(), "text/csv"))
    at.run()
    at.switch_page("pages/5_Export.py").run()
    model_yaml = (PRESETS / "b2b.yaml").read_bytes()
    at.file_uploader(key="model_upload").set_value(("b2b.yaml", model_yaml, "application/x-yaml"))
    at.run()
    at.switch_page("pages/4_Leads.py").run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The model has activity criteria: load an activity log (lead id, activity, time) to "
        "score them."
    ]


# --------------------------------------------------------------------------- explanation


@pytest.fixture(scope="module")
def worked_example() -> tuple[duckdb.DuckDBPyConnection, pd.DataFrame]:
    con = duckdb.connect()
    loaded = load_leads(con, PRESETS / "worked_example_leads.csv", "leads")
    activity.load_event_file(con, PRESETS / "worked_example_activity.csv")
    activity.map_events(con, activity.EventMapping("Lead ID", "Activity", "Timestamp", "Detail"))
    model = load_model_file(PRESETS / "worked_example.yaml")
    frame = score_frame(con, model, "leads", loaded.columns, events="events", as_of=AS_OF)
    return con, frame


@pytest.mark.parametrize("preset", ["b2b", "b2c", "worked_example"])
def test_explanation_parts_add_up_for_activity_rows(preset: str) -> None:
    leads = {"b2c": "b2c_customers.csv"}.get(preset, f"{preset}_leads.csv")
    lead_col = "Customer ID" if preset == "b2c" else "Lead ID"
    con = duckdb.connect()
    loaded = load_leads(con, PRESETS / leads, "leads")
    activity.load_event_file(con, PRESETS / f"{preset}_activity.csv")
    names = ("Event", "Time") if preset == "b2c" else ("Activity", "Timestamp")
    activity.map_events(con, activity.EventMapping(lead_col, *names, "Detail"))
    model = load_model_file(PRESETS / f"{preset}.yaml")
    frame = score_frame(con, model, "leads", loaded.columns, events="events", as_of=AS_OF)
    for row in frame.to_dict("records"):
        facts = activity_facts(con, model, "events", row[lead_col], as_of=AS_OF)
        breakdown = explain_row(model, row, facts)
        assert breakdown.total == pytest.approx(row["score"], abs=1e-6)
        ids = {p.criterion_id for p in breakdown.parts if p.kind == "criterion"}
        assert ids == {c.id for c in model.criteria}


def test_activity_reasons_read_like_the_docs(
    worked_example: tuple[duckdb.DuckDBPyConnection, pd.DataFrame],
) -> None:
    con, frame = worked_example
    model = load_model_file(PRESETS / "worked_example.yaml")
    row = frame.iloc[0].to_dict()
    facts = activity_facts(con, model, "events", row["Lead ID"], as_of=AS_OF)
    # Counted by hand from the sample log for this lead (before/at 2026-01-31 only).
    log = pd.read_csv(PRESETS / "worked_example_activity.csv")
    mine = log[log["Lead ID"] == row["Lead ID"]]
    day = pd.to_datetime(mine["Timestamp"]).dt.tz_convert(None).dt.normalize()
    age = (pd.Timestamp(AS_OF) - day).dt.days
    visits = ((mine["Activity"].str.lower() == "page view") & (age >= 0) & (age <= 30)).sum()
    reasons = {p.criterion_id: p.reason for p in explain_row(model, row, facts).parts}
    visit_id = next(c.id for c in model.criteria if "page view" in getattr(c, "activities", []))
    assert reasons[visit_id].startswith(f"{visits} page view")
    assert "in the last 30 days → " in reasons[visit_id]


def test_activity_reason_without_facts_and_recency_words() -> None:
    model = load_model_file(PRESETS / "b2b.yaml")
    row = {f"points__{c.id}": 0.0 for c in model.criteria} | {"Lead ID": "x", "score": 0.0}
    quiet = next(c for c in model.criteria if c.kind == "recency")
    plain = {p.criterion_id: p.reason for p in explain_row(model, row).parts}
    assert plain[quiet.id] == f"{quiet.title} → 0"
    facts = {quiet.id: ActivityFact(count=2, days_since=4)}
    worded = {p.criterion_id: p.reason for p in explain_row(model, row, facts).parts}
    assert worded[quiet.id].endswith(" 4 days ago → 0")
    assert worded[quiet.id].startswith("last ")
