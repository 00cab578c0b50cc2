"""End-to-end tests in a real Chromium: the flows a person uses, one or more per page.

Each test starts in a fresh browser context, that is a new user with a new workspace on the
bundled sample (3,000 leads, the sample model with tiers cold 0 / warm 50 / hot 80). Expected
values come from the sample files (tier counts from the scoring core run on them), never from
the pages.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from workbench.loading import load_leads
from workbench.model import ScoringModel
from workbench.model_file import dump_model_yaml, load_model_file, load_model_text
from workbench.summary import summarize

if TYPE_CHECKING:
    from .conftest import App

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_LEADS = ROOT / "sample_data" / "leads.csv"
SAMPLE_MODEL = ROOT / "sample_data" / "model.yaml"
SAMPLE_ROWS = 3000
HUBSPOT_HEADERS = ROOT / "tests" / "data" / "crm-headers" / "hubspot-contacts-default-view.csv"
WARM_SLIDER = "warm from score"
MINUS = "\u2212"  # the pages write negative points with a real minus sign


# --------------------------------------------------------------------------- helpers


def metric(page: Page, label: str | re.Pattern[str]) -> Locator:
    """The value of the ``st.metric`` whose label matches ``label``."""
    box = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").filter(has_text=label)
    )
    return box.get_by_test_id("stMetricValue")


def tier_metric(page: Page, tier: str) -> Locator:
    """The count metric of one tier on the Tune page (its label is "<tier> (from <min>)")."""
    return metric(page, re.compile(rf"^{re.escape(tier)} \(from "))


def number(text: str) -> int:
    """Parse a shown count: "3,000" → 3000."""
    return int(text.replace(",", "").strip())


def tier_counts(page: Page) -> dict[str, int]:
    """The cold/warm/hot counts shown on the Tune page."""
    return {t: number(tier_metric(page, t).inner_text()) for t in ("cold", "warm", "hot")}


def expected_counts(warm_from: float) -> dict[str, int]:
    """Tier counts of the sample model on the sample leads with warm starting at ``warm_from``."""
    model = load_model_file(SAMPLE_MODEL)
    data = model.model_dump(by_alias=True)
    data["tiers"][1]["min_score"] = warm_from
    moved = ScoringModel.model_validate(data)
    con = duckdb.connect()
    try:
        result = load_leads(con, SAMPLE_LEADS, "leads", filename=SAMPLE_LEADS.name)
        summary = summarize(con, moved, "leads", result.columns)
    finally:
        con.close()
    return {t.name: t.count for t in summary.tiers}


def warm_label(page: Page, value: int) -> Locator:
    """The warm tier's metric label once the page has redrawn for threshold ``value``."""
    return page.get_by_test_id("stMetricLabel").filter(has_text=f"warm (from {value})")


def step_warm_threshold(app: App, page: Page, key: str, times: int) -> int:
    """Press an arrow key on the warm threshold ``times`` times, like a person watching the page.

    After each press the test waits until the slider and the tier metrics show the new value
    (the fragment rerun is done) before pressing again.

    Returns:
        The threshold at the end.
    """
    slider = page.get_by_role("slider", name=WARM_SLIDER)
    value = int(slider.input_value())
    slider.focus()
    for _ in range(times):
        slider.press(key)
        value += 1 if key == "ArrowRight" else -1
        expect(warm_label(page, value)).to_be_visible()
        # While a rerun is drawing, the old slider can still be on the page next to the new one.
        app.wait_idle(page)
        expect(slider).to_have_value(str(value))
    return value


def choose(page: Page, label: str, option: str | re.Pattern[str]) -> None:
    """Pick ``option`` in the ``st.selectbox`` labelled ``label``."""
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option).click()


def options_of(page: Page, label: str) -> list[str]:
    """The option texts of a ``st.selectbox`` (opens it, reads them, closes it)."""
    page.get_by_role("combobox", name=label).click()
    options = page.get_by_role("option")
    expect(options.first).to_be_visible()
    texts = options.all_inner_texts()
    page.keyboard.press("Escape")
    return texts


def uploader(page: Page, label: str) -> Locator:
    """The file input of the ``st.file_uploader`` labelled ``label``."""
    return page.get_by_test_id("stFileUploader").filter(has_text=label).locator("input[type=file]")


def hubspot_csv(path: Path, rows: int) -> Path:
    """A HubSpot "Contacts, default view" export: the real headers, made-up people."""
    with HUBSPOT_HEADERS.open(encoding="utf-8-sig", newline="") as f:
        headers = next(csv.reader(f))
    domains = ["acme.com", "gmail.com", "globex.io", "initech.co.uk"]
    statuses = ["New", "Open", "In Progress", "Connected", "Unqualified"]
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(headers)
        for i in range(1, rows + 1):
            first, last = f"Ann{i}", f"Lee{i}"
            w.writerow(
                [
                    str(1000 + i),
                    first,
                    last,
                    f"{first.lower()}.{last.lower()}@{domains[i % len(domains)]}",
                    f"+44 20 7946 {i:04d}",
                    "Sam Seller" if i % 2 else "",
                    str(500 + i % 7),
                    f"2025-{1 + i % 12:02d}-{1 + i % 28:02d} 10:00",
                    statuses[i % len(statuses)],
                    f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} 09:30",
                    "",
                    ["Acme", "Globex", "Initech"][i % 3],
                ]
            )
    return path


def first_number(pattern: str, text: str) -> float:
    """The number captured by ``pattern``'s first group in ``text`` (a clear failure if absent)."""
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not found in {text!r}"
    return float(found.group(1).replace(MINUS, "-"))


def breakdown_sum(sentence: str) -> tuple[float, float]:
    """From "100 points, hot: demo request +80, …, scale limit −15." → (100, sum of the parts)."""
    total_text, _, parts_text = sentence.partition(":")
    total = first_number(r"^\s*([−-]?\d+(?:\.\d+)?) points", total_text)
    # A signed number after a space and before ", " or the final "." is one criterion's part.
    parts = re.findall(r"(?<=\s)([+−-]\d+(?:\.\d+)?)(?=[,.]?\s|[,.]?$)", parts_text)
    return total, sum(float(p.replace(MINUS, "-")) for p in parts)


# --------------------------------------------------------------------------- tests


def test_home_explains_the_flow(page: Page, app: App) -> None:
    """The first screen says what to do in order, shows the sample, and links the five steps."""
    app.open(page)
    expect(page.get_by_role("heading", name="Lead Scoring Workbench")).to_be_visible()
    main = page.get_by_test_id("stMain")
    for step in ("Load your leads", "choose the criteria", "Tune", "ranked leads", "export"):
        expect(main).to_contain_text(step)
    expect(metric(page, "Leads")).to_have_text(f"{SAMPLE_ROWS:,}")
    expect(metric(page, "Criteria")).to_have_text("8")
    for link in ("1 · Data", "2 · Criteria", "3 · Tune", "4 · Leads", "5 · Export"):
        expect(main.get_by_role("link", name=re.compile(re.escape(link)))).to_be_visible()
    # The workspace id goes into the address, so a refresh finds the same work.
    expect(page).to_have_url(re.compile(r"[?&]ws=[0-9a-f]{32}"))
    app.check_no_error(page)
    app.shot(page, "0-home")


def test_data_shows_sample_then_loads_a_hubspot_export(
    page: Page, app: App, tmp_path: Path
) -> None:
    """The sample is there at once; a HubSpot-shaped CSV uploads and its row count shows."""
    app.open(page, "Data")
    expect(page.get_by_role("heading", name="1 · Data")).to_be_visible()
    expect(metric(page, "Leads")).to_have_text(f"{SAMPLE_ROWS:,}")
    expect(metric(page, "Source")).to_have_text("sample")
    app.check_no_error(page)
    app.shot(page, "1-data-sample")

    csv_path = hubspot_csv(tmp_path / "hubspot-contacts.csv", rows=37)
    uploader(page, "Upload leads").set_input_files(csv_path)
    expect(page.get_by_text("Loaded hubspot-contacts.csv: 37 leads")).to_be_visible()
    expect(metric(page, "Leads")).to_have_text("37")
    expect(metric(page, "Columns")).to_have_text("12")
    expect(metric(page, "Source")).to_have_text("your file")
    app.check_no_error(page)
    app.shot(page, "1-data-uploaded")

    # The upload is kept in the user's workspace: a refresh brings it back.
    page.reload()
    app.wait_idle(page)
    expect(metric(page, "Leads")).to_have_text("37")
    expect(metric(page, "Source")).to_have_text("your file")
    app.check_no_error(page)


def test_criteria_lists_the_sample_criteria(page: Page, app: App) -> None:
    """Every criterion of the sample model is listed by its label."""
    model = load_model_file(SAMPLE_MODEL)
    app.open(page, "Criteria")
    expect(page.get_by_role("heading", name="2 · Criteria")).to_be_visible()
    expect(page.get_by_role("heading", name=f"{len(model.criteria)} criteria")).to_be_visible()
    expanders = page.get_by_test_id("stExpander")
    for c in model.criteria:
        expect(expanders.filter(has_text=c.label or c.id)).to_have_count(1)
    app.check_no_error(page)
    app.shot(page, "2-criteria")


def test_tune_threshold_by_keyboard_updates_tier_counts(page: Page, app: App) -> None:
    """Arrow keys on the warm threshold move it; the counts follow without a page reload."""
    app.open(page, "Tune")
    slider = page.get_by_role("slider", name=WARM_SLIDER)
    expect(slider).to_have_value("50")
    expect(tier_metric(page, "warm")).to_have_text(f"{expected_counts(50)['warm']:,}")
    before = tier_counts(page)
    assert sum(before.values()) == SAMPLE_ROWS
    app.shot(page, "3-tune-before")
    # A full page load would clear this; a Streamlit (fragment) rerun keeps it.
    page.evaluate("window.__e2eMarker = 'still here'")
    url = page.url

    assert step_warm_threshold(app, page, "ArrowRight", 5) == 55
    assert step_warm_threshold(app, page, "ArrowLeft", 2) == 53
    expected = expected_counts(53)
    for tier, count in expected.items():
        expect(tier_metric(page, tier)).to_have_text(f"{count:,}")
    after = tier_counts(page)
    assert after != before
    assert after["hot"] == before["hot"]  # only the warm/cold boundary moved
    assert sum(after.values()) == SAMPLE_ROWS
    assert page.evaluate("window.__e2eMarker") == "still here"
    assert page.url == url
    app.wait_idle(page)
    app.check_no_error(page)
    app.shot(page, "3-tune-after")


def test_leads_are_ranked_and_one_is_explained(page: Page, app: App) -> None:
    """Leads come highest first, a tier filter works, and a lead's parts add up to its score."""
    app.open(page, "Leads")
    expect(page.get_by_role("heading", name="4 · Leads")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()

    choose(page, "Show tier", re.compile(r"^warm \("))
    expect(page.get_by_role("combobox", name="Show tier")).to_have_value(re.compile(r"^warm"))
    # The first lead shown is now a warm one (50 to 79 points): the filtered page is drawn.
    expect(page.get_by_role("combobox", name="Explain this lead")).to_have_value(
        re.compile(r"^#1 · .* · [5-7]\d(\.\d+)? points$")
    )
    app.wait_idle(page)
    options = options_of(page, "Explain this lead")
    scores = [first_number(r"· ([\d.]+) points$", o) for o in options]
    assert scores == sorted(scores, reverse=True), "leads are not ranked by score"
    assert all(50 <= s < 80 for s in scores), f"warm filter shows other scores: {scores}"

    choose(page, "Explain this lead", options[1])
    expect(page.get_by_role("heading", name=options[1])).to_be_visible()
    expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
    sentence = page.get_by_test_id("stMarkdownContainer").filter(
        has_text=re.compile(r"^\d+(\.\d+)? points, warm:")
    )
    total, parts = breakdown_sum(sentence.inner_text())
    assert total == scores[1]
    assert parts == pytest.approx(total), f"the breakdown does not add up: {sentence.inner_text()}"
    app.check_no_error(page)
    app.shot(page, "4-leads")


def test_export_yaml_round_trip_and_bad_file(page: Page, app: App, tmp_path: Path) -> None:
    """The downloaded YAML equals the model on screen, loads back, and a broken one is refused."""
    app.open(page, "Tune")
    assert step_warm_threshold(app, page, "ArrowRight", 3) == 53
    app.wait_idle(page)

    app.go(page, "Export")
    expect(page.get_by_role("heading", name="5 · Export")).to_be_visible()
    name_box = page.get_by_role("textbox", name="Model name")
    expect(name_box).to_have_value("B2B inbound (sample)")
    name_box.fill("Projector model")
    name_box.press("Enter")
    app.wait_idle(page)
    page.get_by_text("Preview the file").click()
    preview = page.get_by_test_id("stCode")
    expect(preview).to_contain_text("name: Projector model")
    app.check_no_error(page)
    app.shot(page, "5-export")

    with page.expect_download() as info:
        page.get_by_role("button", name="Download the model (YAML)").click()
    download = info.value
    assert download.suggested_filename.endswith(".yaml")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    downloaded = load_model_file(saved)
    assert downloaded.name == "Projector model"
    assert [(t.name, t.min_score) for t in downloaded.tiers] == [
        ("cold", 0),
        ("warm", 53),
        ("hot", 80),
    ]
    assert downloaded == load_model_text(preview.inner_text())
    sample = load_model_file(SAMPLE_MODEL)
    assert downloaded.criteria == sample.criteria

    model_input = uploader(page, "Model file (.yaml)")
    model_input.set_input_files(saved)
    success = page.get_by_test_id("stAlert").filter(
        has_text=re.compile(r"Loaded “Projector model” with 8 criteria\b")
    )
    expect(success).to_be_visible()
    expect(name_box).to_have_value("Projector model")
    app.check_no_error(page)
    app.shot(page, "5-export-loaded")

    broken = tmp_path / "broken.yaml"
    broken.write_text("format: lead-scoring-model/1\nname: [oops\ntiers: {\n", encoding="utf-8")
    model_input.set_input_files(broken)
    alert = page.get_by_test_id("stAlert").filter(has_text="Your current model is unchanged.")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("broken.yaml")
    expect(name_box).to_have_value("Projector model")
    app.wait_idle(page)
    app.check_no_error(page)
    app.shot(page, "5-export-broken-yaml")


def test_learn_checks_history_and_sets_the_hot_threshold(page: Page, app: App) -> None:
    """History on the sample gives a sensible AUC and base rate; a suggested threshold applies."""
    with SAMPLE_LEADS.open(encoding="utf-8", newline="") as f:
        outcomes = [row["Converted"] for row in csv.DictReader(f)]
    base_rate = outcomes.count("Yes") / len(outcomes)

    app.open(page, "Learn")
    for heading in ("How the model does on history", "Which columns matter", "Hot threshold"):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(metric(page, "Base rate")).to_have_text(f"{base_rate:.1%}")
    auc = float(metric(page, re.compile(r"^AUC$")).inner_text())
    assert 0.5 < auc <= 1, f"the sample model should beat chance, AUC {auc}"
    app.check_no_error(page)
    app.shot(page, "6-learn")

    by_percentile = page.get_by_test_id("stColumn").filter(has_text="Hot above this percentile")
    threshold = first_number(r"Hot from score (\d+(?:\.\d+)?)", by_percentile.inner_text())
    by_percentile.get_by_role("button", name="Make it the hot threshold").click()
    expect(
        page.get_by_test_id("stAlert").filter(has_text="hot tier now starts at")
    ).to_contain_text(f"starts at {threshold:g}.")
    # The run goes on after the message (the checks are recomputed); switching pages before it
    # ends can break the next page on the busy DuckDB connection (reported, not tested here).
    app.wait_idle(page)
    app.go(page, "Tune")
    expect(page.get_by_role("slider", name="hot from score")).to_have_value(f"{threshold:g}")
    expect(tier_metric(page, "hot")).to_be_visible()
    expect(
        page.get_by_test_id("stMetricLabel").filter(has_text=f"hot (from {threshold:g})")
    ).to_be_visible()
    app.check_no_error(page)


def test_review_compares_a_proposal_and_saves_to_the_library(
    page: Page, app: App, tmp_path: Path
) -> None:
    """A proposal file with warm from 60 moves exactly the leads scoring 50-59 to cold."""
    proposal = load_model_file(SAMPLE_MODEL).model_dump(by_alias=True)
    proposal["name"] = "Stricter warm"
    proposal["tiers"][1]["min_score"] = 60
    path = tmp_path / "stricter-warm.yaml"
    path.write_text(dump_model_yaml(ScoringModel.model_validate(proposal)), encoding="utf-8")
    moved = expected_counts(50)["warm"] - expected_counts(60)["warm"]

    app.open(page, "Review")
    expect(page.get_by_role("heading", name="7 · Review")).to_be_visible()
    uploader(page, "Add proposals from model files").set_input_files(path)
    expect(page.get_by_test_id("stFileUploader")).to_contain_text(path.name)
    app.wait_idle(page)
    page.get_by_role("combobox", name=re.compile("^Proposals to compare")).click()
    page.get_by_role("option", name=path.name).click()
    page.keyboard.press("Escape")
    expect(
        page.get_by_role("heading", name=f"{moved:,} of {SAMPLE_ROWS:,} leads change tier")
    ).to_be_visible()
    app.check_no_error(page)
    app.shot(page, "7-review")

    page.get_by_role("textbox", name="Name in the library").fill("E2E agreed")
    page.get_by_role("textbox", name="Your name").fill("Browser test")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_text('Saved "E2E agreed" version 1.')).to_be_visible()
    app.check_no_error(page)


def test_two_users_keep_their_own_model(
    new_context: Callable[[], BrowserContext], app: App
) -> None:
    """A threshold moved by one user leaves the other's alone, and survives a refresh."""
    alice = new_context().new_page()
    bob = new_context().new_page()
    app.open(alice, "Tune")
    app.open(bob, "Tune")
    assert alice.url != bob.url  # two workspaces
    for p in (alice, bob):
        expect(p.get_by_role("slider", name=WARM_SLIDER)).to_have_value("50")

    assert step_warm_threshold(app, alice, "ArrowRight", 4) == 54
    app.wait_idle(alice)

    for p in (alice, bob):
        p.reload()
        app.wait_idle(p)
    expect(alice.get_by_role("slider", name=WARM_SLIDER)).to_have_value("54")
    expect(bob.get_by_role("slider", name=WARM_SLIDER)).to_have_value("50")
    expect(warm_label(bob, 50)).to_be_visible()
    app.shot(alice, "8-two-users-alice")
    app.shot(bob, "8-two-users-bob")


def test_tune_quick_key_presses_are_not_lost(page: Page, app: App) -> None:
    """Five quick presses (a held-down key) move the threshold by exactly five, three times.

    Guards against a rerun still busy with an earlier press pushing a stale value back into
    the slider (it happened when every run wrote the model into the widget state).
    """
    app.open(page, "Tune")
    slider = page.get_by_role("slider", name=WARM_SLIDER)
    expect(slider).to_have_value("50")
    for _attempt in range(3):
        start = int(slider.input_value())
        slider.focus()
        for _ in range(5):
            slider.press("ArrowRight")
        expect(warm_label(page, start + 5)).to_be_visible(timeout=5_000)
        app.wait_idle(page)
        expect(slider).to_have_value(str(start + 5), timeout=2_000)
