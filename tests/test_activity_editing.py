"""Activity criteria, decay and the fit × engagement matrix, edited in the app.

Unit tests for the pure edits in :mod:`workbench.edits`, then the issue's flow under AppTest:
the worked example's leads and activity log loaded, "3+ page views in 30 days: +10" and a
half-life of 30 days built on the Criteria page, a slider moved on Tune. Expected tier counts
come from ``summarize`` on a fresh connection with a model written out in the test.
"""

from __future__ import annotations

import datetime
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from workbench import activity, edits
from workbench.errors import UserError
from workbench.library import ENV_VAR as LIBRARY_VAR
from workbench.loading import load_leads
from workbench.model_file import model_from_dict
from workbench.summary import summarize
from workbench.workspace import ENV_VAR

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the pages import app_support from the project root
    sys.path.insert(0, str(ROOT))

import app_support  # noqa: E402

PRESETS = ROOT / "sample_data" / "presets"
AS_OF = datetime.date(2026, 1, 31)
TIMEOUT = 90


def plain_model() -> dict[str, Any]:
    return {
        "format": "lead-scoring-model/1",
        "tiers": [{"name": "cold", "min_score": 0}, {"name": "hot", "min_score": 50}],
        "criteria": [{"id": "a", "kind": "flag", "column": "A", "points": 1}],
    }


# --------------------------------------------------------------------------- pure edits


def test_a_new_count_criterion_is_three_in_thirty_days_for_ten() -> None:
    c = edits.new_activity_criterion("activity_count", "  page   view ", ["a"])
    assert c == {
        "id": "page_view_count",
        "label": "3 or more page view in 30 days",
        "group": "engagement",
        "kind": "activity_count",
        "activity": "page view",
        "within_days": 30,
        "at_least": 3,
        "points": 10,
    }
    again = edits.new_activity_criterion("activity_count", "page view", ["page_view_count"])
    assert again["id"] == "page_view_count_2"


def test_a_new_recency_criterion_has_bands_and_missing() -> None:
    c = edits.new_activity_criterion("recency", "Pricing page", [])
    assert c["id"] == "pricing_page_recency" and c["missing"] == 0
    assert c["bands"][0] == {"to": 14, "points": 20}


@pytest.mark.parametrize(("kind", "name"), [("activity_count", "  "), ("flag", "page view")])
def test_a_new_activity_criterion_refuses_bad_input(kind: str, name: str) -> None:
    with pytest.raises(UserError):
        edits.new_activity_criterion(kind, name, [])


def test_adding_an_activity_criterion_sets_the_lead_id_column_once() -> None:
    start = plain_model()
    c = edits.new_activity_criterion("activity_count", "page view", [])
    added = edits.add_activity_criterion(start, c, "Lead ID")
    assert added["activity"] == {"lead_id_column": "Lead ID"}
    assert "activity" not in start
    model_from_dict(added)  # valid as a whole
    kept = edits.add_activity_criterion(added, {**c, "id": "other"}, "Something else")
    assert kept["activity"] == {"lead_id_column": "Lead ID"}
    with pytest.raises(UserError, match="lead id"):
        edits.add_activity_criterion(start, c, None)


def test_switching_the_count_rule_carries_the_points_over() -> None:
    c = edits.new_activity_criterion("activity_count", "page view", [])
    m = edits.add_activity_criterion(plain_model(), c, "Lead ID")
    each = edits.set_count_rule(m, c["id"], "points_each")
    got = each["criteria"][1]
    assert got["points_each"] == 10 and "points" not in got and "at_least" not in got
    assert edits.count_rule(got) == "points_each"
    model_from_dict(each)
    back = edits.set_count_rule(each, c["id"], "at_least")["criteria"][1]
    assert (back["at_least"], back["points"]) == (1, 10) and "points_each" not in back
    assert edits.count_rule(back) == "at_least"
    assert edits.set_count_rule(m, "a", "points_each") == m  # not an activity_count: unchanged


@pytest.mark.parametrize(
    ("mode", "value", "decay"),
    [
        ("half_life_days", 30, {"half_life_days": 30}),
        ("half_life_days", None, {"half_life_days": 30}),
        ("linear_percent_per_month", 12.5, {"linear_percent_per_month": 12.5}),
        ("expire_after_days", 90.0, {"expire_after_days": 90}),
    ],
)
def test_set_decay(mode: str, value: float | None, decay: dict[str, Any]) -> None:
    out = edits.set_decay(plain_model(), mode, value, lead_id_column="Lead ID")
    assert out["activity"] == {"lead_id_column": "Lead ID", "decay": decay}
    assert edits.decay_mode(out["activity"]["decay"]) == (mode, next(iter(decay.values())))
    model_from_dict(out)
    off = edits.set_decay(out, "none")
    assert off["activity"] == {"lead_id_column": "Lead ID"}
    assert edits.decay_mode(None) == ("none", None)


def test_set_decay_refuses_unknown_modes_and_a_missing_lead_column() -> None:
    with pytest.raises(UserError):
        edits.set_decay(plain_model(), "sometimes")
    with pytest.raises(UserError):
        edits.set_decay(plain_model(), "half_life_days", 30)
    assert edits.set_decay(plain_model(), "none") == plain_model()


def test_matrix_on_off_and_thresholds() -> None:
    on = edits.set_matrix(plain_model(), True)
    assert on["matrix"] == {"fit_thresholds": [40, 20], "engagement_thresholds": [30, 10]}
    model_from_dict(on)
    assert "matrix" not in edits.set_matrix(on, False)
    labelled = {
        **on,
        "matrix": {**on["matrix"], "fit_labels": ["X", "Y", "Z"], "mql": ["X1", "Z3"], "sql": []},
    }
    two = edits.set_matrix_thresholds(labelled, "fit", [50])
    assert two["matrix"]["fit_thresholds"] == [50]
    assert "fit_labels" not in two["matrix"]  # three labels no longer fit two rows
    assert two["matrix"]["mql"] == []  # X1 and Z3 left the grid (now A/B)
    model_from_dict(two)
    eng = edits.set_matrix_thresholds(labelled, "engagement", [60, 30, 10])
    assert eng["matrix"]["fit_labels"] == ["X", "Y", "Z"]
    assert eng["matrix"]["mql"] == ["X1", "Z3"]
    model_from_dict(eng)


@pytest.mark.parametrize(
    ("text", "values"),
    [("40, 20", [40, 20]), ("20 40", [40, 20]), ("10;10; 2.5", [10, 2.5]), (" 7 ", [7])],
)
def test_parse_thresholds(text: str, values: list[float]) -> None:
    assert edits.parse_thresholds(text) == values


@pytest.mark.parametrize("text", ["", " , ", "40, lots"])
def test_parse_thresholds_refuses(text: str) -> None:
    with pytest.raises(UserError):
        edits.parse_thresholds(text)


def test_activity_names_round_trip() -> None:
    assert edits.activities_value(["page view"]) == "page view"
    assert edits.activities_value(["page view", " email  open "]) == ["page view", "email open"]
    assert edits.parse_activities("page view, email open,") == ["page view", "email open"]
    assert edits.activity_names("page view") == ["page view"]
    assert edits.activity_names(["a", "b"]) == ["a", "b"]
    assert edits.activity_names(None) == []


# --------------------------------------------------------------------------- the app


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each app test gets its own workspace folder (and library); pages are re-detected."""
    folder = tmp_path / "workbench-data"
    monkeypatch.setenv(ENV_VAR, str(folder))
    monkeypatch.delenv(LIBRARY_VAR, raising=False)
    PagesManager.uses_pages_directory = None
    yield folder
    PagesManager.uses_pages_directory = None


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def load_worked_example(at: AppTest) -> None:
    """The preset's leads on the Data page, its activity log on the Activity page."""
    at.switch_page("pages/1_Data.py").run()
    leads = (PRESETS / "worked_example_leads.csv").read_bytes()
    at.file_uploader(key="leads_upload").set_value(("leads.csv", leads, "text/csv"))
    at.run()
    assert_clean(at)
    at.switch_page("pages/8_Activity.py").run()
    log = (PRESETS / "worked_example_activity.csv").read_bytes()
    at.file_uploader(key="activity:file").set_value(("activity.csv", log, "text/csv"))
    at.run()
    at.date_input(key="activity:as_of").set_value(AS_OF)
    at.button(key="activity:apply").click().run()
    assert_clean(at)


def expected_counts(model: dict[str, Any]) -> dict[str, int]:
    con = duckdb.connect()
    loaded = load_leads(con, PRESETS / "worked_example_leads.csv", "leads")
    activity.load_event_file(con, PRESETS / "worked_example_activity.csv")
    events = activity.map_events(
        con, activity.EventMapping("Lead ID", "Activity", "Timestamp", "Detail")
    )
    s = summarize(
        con, model_from_dict(model), "leads", loaded.columns, events=events.table, as_of=AS_OF
    )
    return {t.name: t.count for t in s.tiers}


def shown_counts(at: AppTest) -> dict[str, int]:
    return {m.label.split(" (")[0]: int(m.value.replace(",", "")) for m in at.metric}


def test_criteria_page_without_a_log_links_to_the_activity_page(data_dir: Path) -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "2_Criteria.py"), default_timeout=TIMEOUT).run()
    assert_clean(at)
    assert any("No activity log is loaded" in i.value for i in at.info)
    at.text_input(key="add:activity_text").set_value("page view")
    at.selectbox(key="add:lead_id").set_value("Company")
    at.button(key="add:activity_button").click().run()
    assert_clean(at)
    added = at.session_state[app_support.MODEL]["criteria"][-1]
    assert (added["kind"], added["activity"]) == ("activity_count", "page view")
    assert at.session_state[app_support.MODEL]["activity"] == {"lead_id_column": "Company"}


def test_build_visits_and_half_life_then_tune_live(data_dir: Path) -> None:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT).run()
    load_worked_example(at)

    at.switch_page("pages/2_Criteria.py").run()
    assert_clean(at)
    assert "page view" in at.selectbox(key="add:activity").options
    at.selectbox(key="add:activity").set_value("page view")
    at.selectbox(key="add:activity_kind").set_value("activity_count")
    at.selectbox(key="add:lead_id").set_value("Lead ID")
    at.button(key="add:activity_button").click().run()
    assert_clean(at)
    cid = "page_view_count"
    at.number_input(key=f"m:c:{cid}:within_days").set_value(30).run()
    at.number_input(key=f"m:c:{cid}:at_least").set_value(3).run()
    at.number_input(key=f"m:c:{cid}:points").set_value(10.0).run()
    at.text_input(key=f"m:c:{cid}:label").set_value("3+ page visits in 30 days").run()
    at.selectbox(key="decay:mode").set_value("half_life_days").run()
    at.number_input(key="m:activity:decay:half_life_days").set_value(30.0).run()
    at.toggle(key="matrix:on").set_value(True).run()
    at.text_input(key="matrix:fit_thresholds").set_value("5").run()
    assert_clean(at)

    # "Asked for a consultation recently" as a recency criterion with a detail pattern.
    at.selectbox(key="add:activity").set_value("form submit")
    at.selectbox(key="add:activity_kind").set_value("recency")
    at.button(key="add:activity_button").click().run()
    rid = "form_submit_recency"
    at.text_input(key=f"m:c:{rid}:detail").set_value("*consultation*").run()
    assert_clean(at)

    model = at.session_state[app_support.MODEL]
    recency = next(c for c in model["criteria"] if c["id"] == rid)
    assert recency["detail"] == "*consultation*" and recency["activity"] == "form submit"
    visits = next(c for c in model["criteria"] if c["id"] == cid)
    assert {k: visits[k] for k in ("kind", "activity", "within_days", "at_least", "points")} == {
        "kind": "activity_count",
        "activity": "page view",
        "within_days": 30,
        "at_least": 3,
        "points": 10,
    }
    assert model["activity"] == {"lead_id_column": "Lead ID", "decay": {"half_life_days": 30}}
    assert model["matrix"]["fit_thresholds"] == [5]

    at.switch_page("pages/3_Tune.py").run()
    assert_clean(at)
    assert at.get("vega_lite_chart")  # histogram and heatmap
    assert any(s.value == "Fit × engagement" for s in at.subheader)
    at.slider(key=f"m:c:{cid}:points").set_value(15).run()
    at.slider(key=f"m:c:{rid}:bands:0:points").set_value(80).run()
    assert_clean(at)
    model = at.session_state[app_support.MODEL]
    assert next(c for c in model["criteria"] if c["id"] == cid)["points"] == 15
    assert next(c for c in model["criteria"] if c["id"] == rid)["bands"][0]["points"] == 80
    # The expected model, written out here rather than taken from the app.
    hand = {
        "format": "lead-scoring-model/1",
        "tiers": model["tiers"],
        "scale": model["scale"],
        "activity": {"lead_id_column": "Lead ID", "decay": {"half_life_days": 30}},
        "criteria": [
            *(c for c in model["criteria"] if c["id"] not in (cid, rid)),
            {
                "id": cid,
                "kind": "activity_count",
                "activity": "page view",
                "within_days": 30,
                "at_least": 3,
                "points": 15,
            },
            {
                "id": rid,
                "kind": "recency",
                "activity": "form submit",
                "detail": "*consultation*",
                "bands": [{"to": 14, "points": 80}, {"from": 14, "to": 60, "points": 5}],
                "missing": 0,
            },
        ],
    }
    want = expected_counts(hand)
    assert shown_counts(at) == want
    assert sum(want.values()) == 60 and len([n for n in want.values() if n]) > 1

    at.slider(key="m:matrix:engagement_thresholds:0").set_value(40).run()
    assert_clean(at)
    assert at.session_state[app_support.MODEL]["matrix"]["engagement_thresholds"][0] == 40


def test_the_b2b_preset_shows_its_activity_fields_and_matrix_sliders(data_dir: Path) -> None:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT).run()
    at.switch_page("pages/1_Data.py").run()
    leads = (PRESETS / "b2b_leads.csv").read_bytes()
    at.file_uploader(key="leads_upload").set_value(("b2b.csv", leads, "text/csv")).run()
    at.switch_page("pages/5_Export.py").run()
    model_yaml = (PRESETS / "b2b.yaml").read_bytes()
    at.file_uploader(key="model_upload").set_value(("b2b.yaml", model_yaml, "application/x-yaml"))
    at.run()
    at.switch_page("pages/8_Activity.py").run()
    log = (PRESETS / "b2b_activity.csv").read_bytes()
    at.file_uploader(key="activity:file").set_value(("b2b_activity.csv", log, "text/csv")).run()
    at.date_input(key="activity:as_of").set_value(AS_OF)
    at.button(key="activity:apply").click().run()
    before = at.session_state[app_support.MODEL]

    at.switch_page("pages/2_Criteria.py").run()
    assert_clean(at)
    assert at.session_state[app_support.MODEL] == before  # drawing the page changes nothing
    assert at.toggle(key="matrix:on").value is True
    assert at.selectbox(key="decay:mode").value == "half_life_days"
    assert at.number_input(key="m:activity:decay:half_life_days").value == 90

    at.switch_page("pages/3_Tune.py").run()
    assert_clean(at)
    fit = before["matrix"]["fit_thresholds"]
    assert at.slider(key="m:matrix:fit_thresholds:0").value == fit[0]
    at.slider(key="m:matrix:fit_thresholds:0").set_value(fit[0] + 5).run()
    assert_clean(at)
    assert at.session_state[app_support.MODEL]["matrix"]["fit_thresholds"][0] == fit[0] + 5
