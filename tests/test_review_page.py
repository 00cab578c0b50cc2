"""The Review page under AppTest, and the one-page summary its download buttons hand out.

AppTest does not expose a download button's bytes, so the summary is tested through
:func:`workbench.summary_doc.build_summary`, the function that makes them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from workbench.library import ENV_VAR as LIBRARY_VAR
from workbench.library import Library
from workbench.loading import load_leads
from workbench.model_file import dump_model_yaml, load_model_file, model_from_dict, model_to_dict
from workbench.scoring import score_frame
from workbench.summary_doc import build_summary, next_review, numbers, tier_lines
from workbench.workspace import ENV_VAR

if str(ROOT) not in sys.path:  # the page imports app_support from the project root
    sys.path.insert(0, str(ROOT))

PAGE = "pages/7_Review.py"
SAMPLE_MODEL = ROOT / "sample_data" / "model.yaml"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test gets its own workspace folder (and so its own library)."""
    folder = tmp_path / "workbench-data"
    monkeypatch.setenv(ENV_VAR, str(folder))
    monkeypatch.delenv(LIBRARY_VAR, raising=False)
    PagesManager.uses_pages_directory = None
    yield folder
    PagesManager.uses_pages_directory = None


def run() -> AppTest:
    return AppTest.from_file(str(ROOT / PAGE), default_timeout=90).run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_page_runs_on_its_own() -> None:
    at = run()
    assert_clean(at)
    assert at.info[0].value.startswith("Pick at least two proposals")
    assert [s.value for s in at.subheader] == [
        "Save the current model to the library",
        "Export the agreed model",
    ]


def test_save_to_the_library_then_compare(data_dir: Path) -> None:
    at = run()
    at.text_input(key="review:author").input("Ana")
    at.text_area(key="review:note").input("Agreed in the Q4 workshop")
    at.button[0].click().run()
    assert_clean(at)
    assert at.success[0].value == 'Saved "B2B inbound (sample)" version 1.'
    [saved] = Library(data_dir / "library.sqlite").versions("B2B inbound (sample)")
    assert (saved.author, saved.note) == ("Ana", "Agreed in the Q4 workshop")

    at.multiselect(key="review:picked").set_value(["current", "lib:B2B inbound (sample)@1"]).run()
    assert_clean(at)
    headings = [s.value for s in at.subheader]
    assert "0 of 3,000 leads change tier" in headings
    assert len(at.get("vega_lite_chart")) == 1  # the migration heatmap
    side_by_side = at.dataframe[0].value
    labels = list(side_by_side["model"].unique())
    assert labels[0] == "Current model (in the app)"
    assert labels[1].startswith("B2B inbound (sample) v1 (") and labels[1].endswith(", Ana)")


def test_a_changed_proposal_shows_who_moves(data_dir: Path) -> None:
    base = load_model_file(SAMPLE_MODEL)
    changed = model_to_dict(base)
    changed["criteria"][0]["points"] = 60
    Library(data_dir / "library.sqlite").save(model_from_dict(changed), name="Q4", note="demo 60")
    at = run()
    at.multiselect(key="review:picked").set_value(["current", "lib:Q4@1"]).run()
    assert_clean(at)
    # Expected: both models scored separately by the app's scorer, tiers compared per lead.
    con = duckdb.connect()
    loaded = load_leads(con, ROOT / "sample_data" / "leads.csv", "leads")
    a = score_frame(con, base, "leads", loaded.columns, keep=["Lead ID"], order_by_score=False)
    b = score_frame(con, model_from_dict(changed), "leads", loaded.columns, keep=["Lead ID"],
                    order_by_score=False)  # fmt: skip
    moved = int((a.set_index("Lead ID")["tier"] != b.set_index("Lead ID")["tier"]).sum())
    assert moved > 0
    assert f"{moved:,} of 3,000 leads change tier" in [s.value for s in at.subheader]
    assert any("now gives +60 points (was +80)" in m.value for m in at.markdown)
    at.selectbox(key="review:cell_old").set_value("hot")
    at.selectbox(key="review:cell_new").set_value("warm").run()
    assert_clean(at)
    cell = at.dataframe[-1].value
    assert len(cell) > 0
    assert set(cell["old_tier"]) == {"hot"} and set(cell["new_tier"]) == {"warm"}
    assert (cell["old_score"] > cell["new_score"]).all()  # a demo request is worth less


# --------------------------------------------------------------------------- the summary


def test_next_review_is_three_months_on() -> None:
    assert next_review(date(2026, 11, 20)) == date(2027, 2, 20)
    assert next_review(date(2026, 11, 30)) == date(2027, 2, 28)
    assert next_review(date(2027, 11, 30)) == date(2028, 2, 29)
    assert next_review(date(2026, 1, 31), months=1) == date(2026, 2, 28)


def test_summary_has_tiers_criteria_numbers_and_review_date(con: duckdb.DuckDBPyConnection) -> None:
    loaded = load_leads(con, ROOT / "sample_data" / "leads.csv", "leads")
    model = load_model_file(SAMPLE_MODEL)
    summary, tested = numbers(con, model, "leads", loaded.columns, outcome="Converted")
    doc = build_summary(model, summary, backtest=tested, data_label="Q4 export",
                        version_label="B2B v3", agreed=date(2026, 11, 20))  # fmt: skip
    assert doc.review == date(2027, 2, 20)
    md = doc.markdown
    assert md.startswith("# B2B inbound (sample)\n")
    assert "Agreed on **2026-11-20** · next review **2027-02-20** · B2B v3" in md
    assert "| **hot** | 80 or more | 390 | 13.0% | 44.9% |" in md
    assert "| **warm** | 50 to under 80 | 251 | 8.4% | 13.9% |" in md
    assert "| **cold** | under 50 | 2,359 | 78.6% | 6.0% |" in md
    assert '"Demo Requested" is yes: +80' in md
    assert "Scored on 3,000 leads (Q4 export). 351 converted (11.7% overall)." in md
    assert "AUC 0." in md and "fit at most 30 points" in md
    html = doc.html
    assert html.startswith("<!DOCTYPE html>") and "@media print" in html
    assert "<b>2027-02-20</b>" in html and "44.9%" in html and "&quot;Demo Requested&quot;" in html
    assert "http" not in html  # self-contained: nothing fetched from elsewhere


def test_user_text_is_escaped_in_both_formats() -> None:
    data = model_to_dict(load_model_file(SAMPLE_MODEL))
    data["name"] = "<script>alert(1)</script> | *bold*"
    data["criteria"][0]["label"] = "Demo | [link](http://x)"
    data["criteria"][0]["note"] = "<img src=x onerror=alert(1)>"
    doc = build_summary(model_from_dict(data), agreed=date(2026, 1, 1))
    assert "<script>" not in doc.html and "&lt;script&gt;" in doc.html
    assert "<img" not in doc.html
    assert "\\<script\\>" in doc.markdown and "\\| \\*bold\\*" in doc.markdown
    assert "Demo \\| \\[link\\](http://x)" in doc.markdown
    # Without numbers the tier table still defines every tier.
    assert "| **hot** | 80 or more | – | – |" in doc.markdown


def test_tier_lines_for_one_and_many_tiers() -> None:
    model = load_model_file(SAMPLE_MODEL)
    assert [(t.name, t.range) for t in tier_lines(model)] == [
        ("hot", "80 or more"),
        ("warm", "50 to under 80"),
        ("cold", "under 50"),
    ]
    single = model_from_dict({**model_to_dict(model), "tiers": [{"name": "all", "min_score": 0}]})
    assert [t.range for t in tier_lines(single)] == ["every score"]
    assert "every score" in build_summary(single).markdown
    assert dump_model_yaml(single)  # the YAML download of the same model
