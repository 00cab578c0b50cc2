"""Threshold helpers on a hand example whose every number is worked out in the comments."""

from __future__ import annotations

import pytest

from workbench.backtest import ScoreCounts
from workbench.errors import UserError
from workbench.thresholds import (
    WEEKS_PER_MONTH,
    apply_threshold,
    threshold_for_capacity,
    threshold_for_f1,
    threshold_for_percentile,
    threshold_for_share,
)

# 100 leads, 15 converted. At or above each score:
#   score 40:   5 leads,  4 converted
#   score 30:  15 leads,  8 converted
#   score 20:  30 leads, 11 converted
#   score 10:  60 leads, 14 converted
#   score  0: 100 leads, 15 converted
HAND = ScoreCounts.from_arrays([0, 10, 20, 30, 40], [40, 30, 15, 10, 5], [1, 3, 3, 4, 4])


def test_share_never_overruns() -> None:
    choice = threshold_for_share(HAND, 0.15)  # 15 leads at or above 30: exactly 15 %
    assert (choice.threshold, choice.leads, choice.converted) == (30, 15, 8)
    assert choice.share == 0.15
    assert choice.rate == pytest.approx(8 / 15)
    assert choice.capture == pytest.approx(8 / 15)
    assert threshold_for_share(HAND, 0.29).threshold == 30  # 30 leads at 20 would overrun
    assert threshold_for_share(HAND, 1.0).threshold == 0


def test_percentile() -> None:
    choice = threshold_for_percentile(HAND, 90)  # top 10 %: 5 leads at 40 fit, 15 at 30 do not
    assert (choice.method, choice.threshold, choice.leads, choice.converted) == (
        "percentile",
        40,
        5,
        4,
    )
    with pytest.raises(ValueError):
        threshold_for_percentile(HAND, 120)


def test_capacity() -> None:
    # 5 calls a week ≈ 21.7 a month against 100 leads a month: 21.7 % may be hot.
    choice = threshold_for_capacity(HAND, calls_per_week=5, leads_per_month=100)
    assert 5 * WEEKS_PER_MONTH == pytest.approx(21.6667, abs=1e-4)
    assert (choice.method, choice.threshold, choice.leads) == ("capacity", 30, 15)
    assert choice.per_month == pytest.approx(15.0)  # 15 % of 100 a month
    assert choice.conversions_per_month == pytest.approx(8.0)  # at 8/15 conversion
    assert "15 hot leads a month" in choice.describe()


def test_capacity_for_everyone_and_bad_input() -> None:
    choice = threshold_for_capacity(HAND, calls_per_week=1000, leads_per_month=100)
    assert choice.threshold == 0 and choice.leads == 100
    assert any("every lead" in n for n in choice.notes)
    with pytest.raises(UserError):
        threshold_for_capacity(HAND, calls_per_week=5, leads_per_month=0)


def test_f1() -> None:
    # F1 = 2·TP / (hot leads + all converted): 40 → 8/20 = .4; 30 → 16/30 = .533;
    # 20 → 22/45 = .489; 10 → 28/75 = .373; 0 → 30/115 = .261.
    choice = threshold_for_f1(HAND)
    assert (choice.method, choice.threshold) == ("f1", 30)
    assert choice.f1 == pytest.approx(16 / 30)


def test_f1_tie_prefers_the_higher_threshold() -> None:
    # At 20: 2·2/(2+4) = 2/3; at 10: 2·4/(8+4) = 2/3. The higher one (fewer calls) wins.
    counts = ScoreCounts.from_arrays([10, 20], [6, 2], [2, 2])
    assert threshold_for_f1(counts).threshold == 20


def test_ties_at_the_top_are_said() -> None:
    counts = ScoreCounts.from_arrays([5, 9], [10, 90], [1, 30])
    choice = threshold_for_share(counts, 0.5)
    assert (choice.threshold, choice.leads) == (9, 90)
    assert choice.notes and "tied at the top score" in choice.notes[0]


def test_no_leads_and_no_conversions() -> None:
    empty = ScoreCounts.from_arrays([], [], [])
    assert threshold_for_share(empty, 0.1).threshold is None
    assert "no leads" in threshold_for_share(empty, 0.1).describe()
    none = threshold_for_f1(ScoreCounts.from_arrays([1, 2], [5, 5], [0, 0]))
    assert none.notes and "No lead converted" in none.notes[0]


MODEL = {
    "format": "lead-scoring-model/1",
    "scale": {"min": 0, "max": 100},
    "tiers": [
        {"name": "cold", "min_score": 0},
        {"name": "warm", "min_score": 50},
        {"name": "hot", "min_score": 80},
    ],
}


def test_apply_threshold_moves_the_top_tier() -> None:
    out = apply_threshold(MODEL, 65.0)
    assert out["tiers"][-1] == {"name": "hot", "min_score": 65}
    assert MODEL["tiers"][-1]["min_score"] == 80  # the input is not changed
    assert apply_threshold(MODEL, 62.5)["tiers"][-1]["min_score"] == 62.5


@pytest.mark.parametrize(
    ("threshold", "words"), [(50, "would not sit above the warm tier"), (101, "scale's max")]
)
def test_apply_threshold_refuses_impossible_values(threshold: float, words: str) -> None:
    with pytest.raises(UserError, match=words):
        apply_threshold(MODEL, threshold)


def test_apply_threshold_needs_two_tiers() -> None:
    with pytest.raises(UserError, match="single tier"):
        apply_threshold({**MODEL, "tiers": [{"name": "all", "min_score": 0}]}, 10)
