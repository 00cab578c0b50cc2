"""The Streamlit app under AppTest: every page runs, and the widgets change what they should.

Expected tier counts come from ``summarize`` run on a fresh connection with the changed model,
never from the app's own state.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from workbench.loading import load_leads
from workbench.model_file import dump_model_yaml, load_model_file, model_from_dict
from workbench.summary import summarize
from workbench.workspace import ENV_VAR

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the pages import app_support from the project root
    sys.path.insert(0, str(ROOT))

import app_support  # noqa: E402

# Every page in pages/ is smoke-tested, so a new page cannot skip the check.
SCRIPTS = ["streamlit_app.py", *sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))]
HUBSPOT_HEADERS = ROOT / "tests" / "data" / "crm-headers" / "hubspot-contacts-default-view.csv"
TIMEOUT = 60


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test gets its own workspace folder; Streamlit re-detects the pages folder."""
    folder = tmp_path / "workbench-data"
    monkeypatch.setenv(ENV_VAR, str(folder))
    # Streamlit remembers per process whether the first app it ran had a pages/ folder.
    PagesManager.uses_pages_directory = None
    yield folder
    PagesManager.uses_pages_directory = None


def run(script: str, **query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / script), default_timeout=TIMEOUT)
    at.query_params.update(query)
    return at.run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def sample_summary(model: Any) -> Any:
    con = duckdb.connect()
    result = load_leads(con, ROOT / "sample_data" / "leads.csv")
    return summarize(con, model, "leads", result.columns, outcome="Converted")


def shown_counts(at: AppTest) -> dict[str, int]:
    """Tier name → count as the Tune page's metrics show them ("hot (from 80)": "390")."""
    return {m.label.split(" (")[0]: int(m.value.replace(",", "")) for m in at.metric}


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_page_runs_on_its_own(script: str) -> None:
    at = run(script)
    assert_clean(at)
    assert app_support.MODEL in at.session_state


def test_the_sample_is_loaded_at_first_start() -> None:
    at = run("streamlit_app.py")
    assert_clean(at)
    assert [m.value for m in at.metric] == ["3,000", "8"]
    assert at.session_state[app_support.MODEL]["name"] == "B2B inbound (sample)"


def test_tune_shows_the_tier_counts_summarize_computes() -> None:
    at = run("pages/3_Tune.py")
    assert_clean(at)
    model = load_model_file(ROOT / "sample_data" / "model.yaml")
    expected = {t.name: t.count for t in sample_summary(model).tiers}
    assert shown_counts(at) == expected
    assert len(at.get("vega_lite_chart")) == 2  # histogram and conversion by tier


def test_moving_a_threshold_slider_recounts_the_tiers() -> None:
    at = run("pages/3_Tune.py")
    at.slider(key="m:tiers:2:min_score").set_value(60).run()
    assert_clean(at)
    model = load_model_file(ROOT / "sample_data" / "model.yaml")
    before = {t.name: t.count for t in sample_summary(model).tiers}
    model.tiers[2].min_score = 60
    after = {t.name: t.count for t in sample_summary(model).tiers}
    assert after != before
    assert shown_counts(at) == after
    assert at.session_state[app_support.MODEL]["tiers"][2] == {"name": "hot", "min_score": 60}


def test_moving_a_points_slider_rescores_the_leads() -> None:
    at = run("pages/3_Tune.py")
    at.slider(key="m:c:demo_request:points").set_value(30).run()
    at.slider(key="m:c:industry:points:Software").set_value(25).run()
    assert_clean(at)
    model = load_model_file(ROOT / "sample_data" / "model.yaml")
    raw = app_support.model_to_dict(model)
    raw["criteria"][0]["points"] = 30
    raw["criteria"][5]["points"]["Software"] = 25
    expected = {t.name: t.count for t in sample_summary(model_from_dict(raw)).tiers}
    assert shown_counts(at) == expected


def test_undo_redo_and_reset_to_saved() -> None:
    at = run("pages/3_Tune.py")
    original = at.session_state[app_support.MODEL]
    assert at.button(key="tune:undo").disabled
    at.slider(key="m:tiers:1:min_score").set_value(40).run()
    at.slider(key="m:tiers:1:min_score").set_value(30).run()
    at.button(key="tune:undo").click().run()
    assert at.session_state[app_support.MODEL]["tiers"][1]["min_score"] == 40
    assert at.slider(key="m:tiers:1:min_score").value == 40
    at.button(key="tune:undo").click().run()
    assert at.session_state[app_support.MODEL] == original
    assert at.button(key="tune:undo").disabled
    at.button(key="tune:redo").click().run()
    assert at.slider(key="m:tiers:1:min_score").value == 40
    at.button(key="tune:reset").click().run()
    assert at.session_state[app_support.MODEL] == original
    at.button(key="tune:undo").click().run()  # the reset itself can be undone
    assert at.session_state[app_support.MODEL]["tiers"][1]["min_score"] == 40
    assert_clean(at)


def test_a_refresh_restores_the_same_workspace_and_others_get_their_own() -> None:
    first = run("pages/3_Tune.py")
    first.slider(key="m:tiers:2:min_score").set_value(70).run()
    wid = first.query_params["ws"]
    again = run("pages/3_Tune.py", ws=wid)
    assert again.query_params["ws"] == wid
    assert again.session_state[app_support.MODEL]["tiers"][2]["min_score"] == 70
    other = run("pages/3_Tune.py")
    assert other.query_params["ws"] != wid
    assert other.session_state[app_support.MODEL]["tiers"][2]["min_score"] == 80
    forged = run("pages/3_Tune.py", ws="../../etc")
    assert forged.query_params["ws"] not in ("../../etc", wid)


def hubspot_headers() -> list[str]:
    with HUBSPOT_HEADERS.open(encoding="utf-8", newline="") as f:
        return next(csv.reader(f))


def hubspot_csv(rows: int = 30) -> bytes:
    headers = hubspot_headers()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    statuses = ["New", "Open", "In progress", "Connected", "Unqualified"]
    for i in range(rows):
        domain = "gmail.com" if i % 3 == 0 else f"company{i % 7}.com"
        writer.writerow(
            [
                1000 + i,
                f"First{i}",
                f"Last{i}",
                f"person{i}@{domain}",
                f"+1 555 010{i:02d}",
                ["Ann Owner", "Bo Owner"][i % 2],
                500 + i % 4,
                f"2026-0{1 + i % 9}-1{i % 10}",
                statuses[i % 5],
                f"2025-1{i % 3}-0{1 + i % 9}",
                "",
                ["Acme", "Globex", "Initech"][i % 3],
            ]
        )
    return out.getvalue().encode("utf-8")


def test_uploading_a_hubspot_export_loads_it_and_proposes_a_model() -> None:
    at = run("streamlit_app.py")
    at.switch_page("pages/1_Data.py").run()
    at.file_uploader(key="leads_upload").set_value(("contacts.csv", hubspot_csv(), "text/csv"))
    at.run()
    assert_clean(at)
    assert at.metric[0].value == "30"
    assert at.session_state["setting:id_column"] == "Record ID"
    leakage = at.session_state["setting:leakage"]
    assert "Lead Status" in leakage and "Contact owner" in leakage
    model = at.session_state[app_support.MODEL]
    headers = hubspot_headers()
    assert model["criteria"], "a model is proposed from the new columns"
    assert all(c["column"] in headers for c in model["criteria"])
    assert not any(c["column"] in leakage for c in model["criteria"])

    at.switch_page("pages/3_Tune.py").run()
    assert_clean(at)
    assert sum(shown_counts(at).values()) == 30
    at.switch_page("pages/4_Leads.py").run()
    assert_clean(at)

    refreshed = run("pages/1_Data.py", ws=at.query_params["ws"])
    assert_clean(refreshed)
    assert refreshed.metric[0].value == "30"
    assert refreshed.session_state[app_support.MODEL] == model


def test_a_broken_upload_keeps_the_old_leads() -> None:
    at = run("pages/1_Data.py")
    at.file_uploader(key="leads_upload").set_value(("leads.csv", b"", "text/csv")).run()
    assert not at.exception
    assert any("empty" in e.value for e in at.error)
    assert at.metric[0].value == "3,000"


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (b"format: lead-scoring-model/1\ntiers: [\n", "could not be read as YAML"),
        (
            b"format: lead-scoring-model/1\ntiers:\n- {name: cold, min_score: 0}\nwieght: 3\n",
            "unknown key",
        ),
        (b"format: something-else/9\n", "format"),
    ],
)
def test_a_bad_model_file_shows_an_error_and_keeps_the_model(payload: bytes, words: str) -> None:
    at = run("pages/5_Export.py")
    before = at.session_state[app_support.MODEL]
    at.file_uploader(key="model_upload").set_value(("model.yaml", payload, "application/x-yaml"))
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and words in at.error[0].value
    assert "unchanged" in at.error[0].value
    assert at.session_state[app_support.MODEL] == before


def test_a_good_model_file_replaces_the_model_and_becomes_the_saved_version() -> None:
    model = load_model_file(ROOT / "sample_data" / "model.yaml")
    model.name = "Agreed on Tuesday"
    model.tiers[1].min_score = 45
    at = run("pages/5_Export.py")
    upload = ("agreed.yaml", dump_model_yaml(model).encode(), "application/x-yaml")
    at.file_uploader(key="model_upload").set_value(upload).run()
    assert_clean(at)
    assert at.success and "Agreed on Tuesday" in at.success[0].value
    assert at.session_state[app_support.MODEL] == app_support.model_to_dict(model)
    assert at.text_input(key="m:name").value == "Agreed on Tuesday"


def test_criteria_can_be_added_labelled_and_removed() -> None:
    at = run("pages/2_Criteria.py")
    at.selectbox(key="add:column").set_value("Lead Source").run()
    at.button[0].click().run()
    assert_clean(at)
    added = at.session_state[app_support.MODEL]["criteria"][-1]
    assert (added["column"], added["kind"]) == ("Lead Source", "categories")
    at.text_input(key="m:c:lead_source:label").input("Where the lead came from").run()
    assert (
        at.session_state[app_support.MODEL]["criteria"][-1]["label"] == "Where the lead came from"
    )
    at.button(key="remove:lead_source").click().run()
    assert all(c["id"] != "lead_source" for c in at.session_state[app_support.MODEL]["criteria"])
    assert_clean(at)


def test_leads_are_ranked_filtered_and_explained() -> None:
    at = run("pages/4_Leads.py")
    at.selectbox(key="leads:tier").set_value("hot").run()
    assert_clean(at)
    table = at.dataframe[0].value
    assert set(table["tier"]) == {"hot"}
    assert list(table["score"]) == sorted(table["score"], reverse=True)
    assert any(", hot:" in m.value for m in at.markdown)
    assert at.get("vega_lite_chart"), "a waterfall chart"


def test_scored_files_hold_every_lead_with_score_tier_and_points() -> None:
    con = duckdb.connect()
    result = load_leads(con, ROOT / "sample_data" / "leads.csv")
    model = load_model_file(ROOT / "sample_data" / "model.yaml")
    data = app_support.scored_file(con, model, result.columns, "csv")
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert len(frame) == 3000
    assert {"score", "tier", "points__demo_request"} <= set(frame.columns)
    assert app_support.scored_file(con, model, result.columns, "xlsx")[:2] == b"PK"
