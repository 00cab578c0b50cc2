"""Values that mean "not answered", chosen per column: core parsing, the Data page, the CLI.

Expected missing counts are counted by hand from the small files written here.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from workbench.cleaning import DEFAULT_PLACEHOLDERS
from workbench.placeholders import (
    choice_for,
    load_mapping,
    merge_options,
    parse_option,
    parse_values,
)
from workbench.workspace import ENV_VAR

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60

# "Budget" says "not answered" three ways: two of the usual list and one of its own.
LEADS_CSV = b"""Lead,Budget,City
L1,Select,Rome
L2,-,Paris
L3,n.a.,Oslo
L4,big,Rome
L5,small,Lima
L6,big,Oslo
"""

MODEL = """\
format: lead-scoring-model/1
name: Placeholder test
scale: {min: 0, max: 100}
tiers:
- {name: low, min_score: 0}
- {name: high, min_score: 50}
criteria:
- id: budget
  column: Budget
  kind: categories
  points: {Select: 30, big: 50}
  missing: 5
"""

# --------------------------------------------------------------------------- core


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Select, -, n.a.", ["Select", "-", "n.a."]),
        ("  ", []),
        ("a,,b, ,A", ["a", "b"]),  # blanks dropped; repeats ignoring case dropped
        ("N/A", ["N/A"]),
    ],
)
def test_parse_values(text: str, expected: list[str]) -> None:
    assert parse_values(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pdays=-1", ("pdays", ["-1"])),
        ("Budget=Select, -", ("Budget", ["Select", "-"])),
        ("Budget=", ("Budget", [])),
        ("a b=x=y", ("a b", ["x=y"])),  # the column ends at the first "="
    ],
)
def test_parse_option(text: str, expected: tuple[str, list[str]]) -> None:
    assert parse_option(text) == expected


@pytest.mark.parametrize("text", ["Budget", "=x", " =x"])
def test_parse_option_refuses_text_without_a_column(text: str) -> None:
    with pytest.raises(ValueError):
        parse_option(text)


def test_merge_options_adds_the_values_of_a_repeated_column() -> None:
    merged = merge_options([("a", ["x"]), ("b", []), ("a", ["y", "X"])])
    assert merged == {"a": ["x", "y"], "b": []}
    assert merge_options(None) == {}


def test_load_mapping_from_the_apps_choices() -> None:
    choices = {
        "Budget": {"extra": ["n.a."], "defaults": True},
        "Notes": {"extra": [], "defaults": False},
        "pdays": {"extra": ["-1"], "defaults": False},
    }
    assert load_mapping(choices, default=("Select", "-")) == {
        "Budget": ["Select", "-", "n.a."],
        "Notes": [],
        "pdays": ["-1"],
    }
    assert load_mapping({"x": {"extra": []}}) == {"x": list(DEFAULT_PLACEHOLDERS)}
    assert load_mapping(None) == {}
    assert load_mapping(["not", "a", "mapping"]) == {}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("saved", "expected"),
    [
        (None, ([], True)),
        ({}, ([], True)),
        ({"Budget": "junk"}, ([], True)),
        ({"Budget": {"extra": "n.a.", "defaults": False}}, ([], False)),
        ({"Budget": {"extra": ["n.a."]}}, (["n.a."], True)),
    ],
)
def test_choice_for_reads_hand_edited_settings_calmly(
    saved: dict[str, object] | None, expected: tuple[list[str], bool]
) -> None:
    assert choice_for(saved, "Budget") == expected


# --------------------------------------------------------------------------- the Data page


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "workbench-data"
    monkeypatch.setenv(ENV_VAR, str(folder))
    PagesManager.uses_pages_directory = None
    yield folder
    PagesManager.uses_pages_directory = None


def data_page(**query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "1_Data.py"), default_timeout=TIMEOUT)
    at.query_params.update(query)
    return at.run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def profile(at: AppTest) -> pd.DataFrame:
    """The column profile table, indexed by column name."""
    frames = [d.value for d in at.dataframe if "Looks like" in d.value.columns]
    assert len(frames) == 1
    return frames[0].set_index("Column")


def emptied(at: AppTest) -> dict[tuple[str, str], int]:
    """The table of emptied values: (column, value) → count."""
    frames = [d.value for d in at.dataframe if "Emptied" in d.value.columns]
    assert len(frames) == 1
    frame = frames[0]
    return {(r.Column, r.Value): int(r.Emptied) for r in frame.itertuples()}


def apply(at: AppTest, column: str, extra: str, defaults: bool) -> AppTest:
    at.selectbox(key="placeholders:column").set_value(column).run()
    at.text_input(key=f"placeholders:extra:{column}").set_value(extra)
    at.checkbox(key=f"placeholders:defaults:{column}").set_value(defaults)
    return at.button(key="placeholders:apply").click().run()


def test_placeholders_chosen_per_column_reload_the_upload_and_survive_a_refresh(
    data_dir: Path,
) -> None:
    at = data_page()
    at.file_uploader(key="leads_upload").set_value(("budget.csv", LEADS_CSV, "text/csv")).run()
    assert_clean(at)
    # The usual list empties "Select" and "-", not "n.a.".
    assert profile(at).loc["Budget", "Missing"] == pytest.approx(2 / 6)
    assert emptied(at) == {("Budget", "Select"): 1, ("Budget", "-"): 1}
    wid = at.query_params["ws"]
    assert (data_dir / wid / "upload.bin").read_bytes() == LEADS_CSV

    # The usual list off for Budget: every value counts as an answer.
    at = apply(at, "Budget", "", defaults=False)
    assert_clean(at)
    assert profile(at).loc["Budget", "Missing"] == 0
    assert any("0 values" in s.value for s in at.success)

    # Budget's own list: its three ways of saying "not answered".
    at = apply(at, "Budget", "Select, -, n.a.", defaults=False)
    assert_clean(at)
    assert profile(at).loc["Budget", "Missing"] == pytest.approx(3 / 6)
    assert emptied(at) == {("Budget", "Select"): 1, ("Budget", "-"): 1, ("Budget", "n.a."): 1}
    assert at.metric[0].value == "6"

    refreshed = data_page(ws=wid)
    assert_clean(refreshed)
    assert profile(refreshed).loc["Budget", "Missing"] == pytest.approx(3 / 6)
    refreshed.selectbox(key="placeholders:column").set_value("Budget").run()
    assert refreshed.text_input(key="placeholders:extra:Budget").value == "Select, -, n.a."
    assert refreshed.checkbox(key="placeholders:defaults:Budget").value is False
    refreshed.selectbox(key="placeholders:column").set_value("City").run()
    assert refreshed.text_input(key="placeholders:extra:City").value == ""
    assert refreshed.checkbox(key="placeholders:defaults:City").value is True


def test_placeholders_on_the_sample_survive_a_refresh() -> None:
    at = data_page()
    before = profile(at).loc["Industry", "Missing"]
    at = apply(at, "Industry", "Software", defaults=True)
    assert_clean(at)
    after = profile(at).loc["Industry", "Missing"]
    assert after == pytest.approx(before + 690 / 3000)  # 690 sample leads say "Software"

    refreshed = data_page(ws=at.query_params["ws"])
    assert_clean(refreshed)
    assert profile(refreshed).loc["Industry", "Missing"] == pytest.approx(after)


def test_a_workspace_without_the_original_file_explains_and_keeps_the_data(
    data_dir: Path,
) -> None:
    at = data_page()
    at.file_uploader(key="leads_upload").set_value(("budget.csv", LEADS_CSV, "text/csv")).run()
    (data_dir / at.query_params["ws"] / "upload.bin").unlink()  # as an older version left it
    at = apply(at, "Budget", "n.a.", defaults=True)
    assert not at.exception
    assert [e.value for e in at.error] and "upload it again" in at.error[0].value
    assert profile(at).loc["Budget", "Missing"] == pytest.approx(2 / 6)


# --------------------------------------------------------------------------- the CLI


def cli(*args: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "workbench", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=120,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.mark.parametrize(
    ("options", "points"),
    [
        # the usual list: Select and - are missing (5), n.a. is an unknown category (0)
        ([], [5, 5, 0, 50, 0, 50]),
        # Budget keeps every value: Select earns its 30 points
        (["--placeholders", "Budget="], [30, 0, 0, 50, 0, 50]),
        # Budget's own list replaces the usual one; repeated, the values add up
        (["--placeholders", "Budget=n.a.", "--placeholders", "Budget=-"], [30, 5, 5, 50, 0, 50]),
    ],
)
def test_cli_placeholders_per_column(tmp_path: Path, options: list[str], points: list[int]) -> None:
    leads, model, out = tmp_path / "leads.csv", tmp_path / "model.yaml", tmp_path / "out.csv"
    leads.write_bytes(LEADS_CSV)
    model.write_text(MODEL, encoding="utf-8")
    result = cli("score", model, leads, "-o", out, *options)
    assert result.returncode == 0, result.stderr
    scored = pd.read_csv(out)
    assert scored["points__budget"].tolist() == points


def test_cli_placeholders_for_a_missing_column_is_one_sentence(tmp_path: Path) -> None:
    leads, model = tmp_path / "leads.csv", tmp_path / "model.yaml"
    leads.write_bytes(LEADS_CSV)
    model.write_text(MODEL, encoding="utf-8")
    result = cli("validate", model, leads, "--placeholders", "budget=x")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert '"budget"' in result.stderr and "leads.csv" in result.stderr
    usage = cli("report", model, leads, "--placeholders", "Budget")
    assert usage.returncode == 2
    assert "COLUMN=VALUE" in usage.stderr
