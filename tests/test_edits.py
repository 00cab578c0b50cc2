"""Pure edits of a model dict: criteria lists, band and category tables, domain lists."""

from __future__ import annotations

from typing import Any

import pytest

from workbench import edits
from workbench.errors import UserError


def model() -> dict[str, Any]:
    return {
        "format": "lead-scoring-model/1",
        "tiers": [{"name": "cold", "min_score": 0}],
        "criteria": [{"id": "a", "kind": "flag", "column": "A", "points": 1}],
    }


def test_add_remove_and_replace_criteria_return_copies() -> None:
    start = model()
    added = edits.add_criterion(start, {"id": "b", "kind": "flag", "column": "B", "points": 2})
    assert [c["id"] for c in added["criteria"]] == ["a", "b"]
    assert [c["id"] for c in start["criteria"]] == ["a"]
    assert [c["id"] for c in edits.remove_criterion(added, "a")["criteria"]] == ["b"]
    replaced = edits.replace_criteria(added, [])
    assert replaced["criteria"] == [] and replaced["tiers"] == start["tiers"]


def test_bands_round_trip_through_rows() -> None:
    bands = [{"from": 5, "points": 25}, {"from": 1, "to": 5, "points": 5}, {"to": 1, "points": 0}]
    rows = edits.bands_to_rows(bands)
    assert rows[0] == {"From": 5, "To": None, "Points": 25}
    assert edits.rows_to_bands(rows) == bands


@pytest.mark.parametrize(
    ("row", "band"),
    [
        ({"From": "2,5", "To": None, "Points": "10"}, {"from": 2.5, "points": 10}),
        ({"From": float("nan"), "To": 3.0, "Points": None}, {"to": 3, "points": 0}),
        ({"From": " ", "To": "", "Points": 7}, {"points": 7}),
    ],
)
def test_band_cells_are_read_as_people_type_them(row: dict[str, Any], band: dict[str, Any]) -> None:
    assert edits.rows_to_bands([row]) == [band]


def test_empty_band_rows_are_dropped_and_text_is_refused() -> None:
    assert edits.rows_to_bands([{"From": None, "To": None, "Points": None}]) == []
    with pytest.raises(UserError, match="band 1, From"):
        edits.rows_to_bands([{"From": "five", "To": None, "Points": 1}])


def test_categories_round_trip_and_tidy_values() -> None:
    points = {"Software": 15, "Financial Services": 10}
    assert edits.rows_to_categories(edits.categories_to_rows(points)) == points
    rows = [{"Value": "  Big   Corp ", "Points": "3"}, {"Value": "", "Points": 9}, {"Value": None}]
    assert edits.rows_to_categories(rows) == {"Big Corp": 3}
    with pytest.raises(UserError, match="Big Corp"):
        edits.rows_to_categories([{"Value": "Big Corp", "Points": "lots"}])


def test_parse_domains() -> None:
    assert edits.parse_domains(" Gmail.com, @yahoo.com;hotmail.com  gmail.com ") == [
        "gmail.com",
        "yahoo.com",
        "hotmail.com",
    ]
    assert edits.parse_domains("") == []


def test_table_edits_are_applied_like_the_editor_reports_them() -> None:
    rows = [{"Value": "a", "Points": 1}, {"Value": "b", "Points": 2}, {"Value": "c", "Points": 3}]
    delta = {
        "edited_rows": {"0": {"Points": 10}, 2: {"Value": "C"}},
        "added_rows": [{"Value": "d", "Points": 4}],
        "deleted_rows": [1],
    }
    assert edits.apply_table_edits(rows, delta) == [
        {"Value": "a", "Points": 10},
        {"Value": "C", "Points": 3},
        {"Value": "d", "Points": 4},
    ]
    assert rows[0]["Points"] == 1
    assert edits.apply_table_edits(rows, {}) == rows
