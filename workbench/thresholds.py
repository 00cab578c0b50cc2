"""Where to put the hot (sales-ready) threshold, and what each choice means in counts.

Three ways to choose, all from the score-grouped counts of a backtest
(:class:`workbench.backtest.ScoreCounts`, a few hundred numbers at any lead count):

- **capacity**: sales can call ``calls_per_week`` leads a week and ``leads_per_month`` arrive,
  so the top ``calls_per_week × 52/12 ÷ leads_per_month`` share can be hot;
- **percentile**: the leads above a percentile of the score are hot (the 90th: the top 10 %);
- **F1**: the threshold that best balances catching converted leads (recall) against calling
  leads that will not convert (precision), judged on history.

A lead is hot when its score is at or above the threshold, so the threshold is always one of
the scores that occur. For a share, the threshold is the lowest score at which no more than
that share is hot: capacity is never overrun, unless the leads tied at the very top score
already overrun it (the note then says so).
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.backtest import ScoreCounts
from workbench.errors import UserError
from workbench.model import format_number

__all__ = [
    "WEEKS_PER_MONTH",
    "ThresholdChoice",
    "apply_threshold",
    "threshold_for_capacity",
    "threshold_for_f1",
    "threshold_for_percentile",
    "threshold_for_share",
]

WEEKS_PER_MONTH = 52 / 12


@dataclass(frozen=True)
class ThresholdChoice:
    """A hot threshold and what it means on history.

    Attributes:
        method: "share", "percentile", "capacity" or "f1".
        threshold: the lowest hot score (None when there are no leads).
        leads: leads at or above it.
        share: their share of all leads.
        converted: converted leads at or above it.
        rate: their conversion rate.
        capture: their share of all conversions (the recall).
        f1: the F1 score of "hot" as a prediction of conversion.
        per_month: hot leads to expect per month (capacity only).
        conversions_per_month: conversions to expect from them per month (capacity only).
        notes: sentences about the choice (e.g. capacity overrun by ties).
    """

    method: str
    threshold: float | None
    leads: int
    share: float
    converted: int
    rate: float | None
    capture: float | None
    f1: float | None
    per_month: float | None = None
    conversions_per_month: float | None = None
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One sentence for people: the threshold and what it means."""
        if self.threshold is None:
            return "There are no leads to set a threshold on."
        text = (
            f"Hot from score {format_number(round(self.threshold, 6))}: {self.leads:,} leads "
            f"({self.share:.0%})"
        )
        if self.rate is not None:
            text += f", {self.converted:,} of them converted ({self.rate:.0%})"
        if self.capture is not None:
            text += f", {self.capture:.0%} of all conversions"
        text += "."
        if self.per_month is not None and self.conversions_per_month is not None:
            text += (
                f" About {self.per_month:,.0f} hot leads a month "
                f"(≈{self.per_month / WEEKS_PER_MONTH:,.0f} a week), "
                f"≈{self.conversions_per_month:,.1f} conversions from them."
            )
        return text


def _at_or_above(counts: ScoreCounts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(scores high → low, leads at or above each, converted at or above each)."""
    s = counts.score[::-1]
    return s, np.cumsum(counts.leads[::-1]), np.cumsum(counts.converted[::-1])


def _choice(counts: ScoreCounts, index: int | None, method: str, **extra: Any) -> ThresholdChoice:
    total, conv = counts.total, counts.total_converted
    if index is None or total == 0:
        return ThresholdChoice(method, None, 0, 0.0, 0, None, None, None, **extra)
    s, n_cum, c_cum = _at_or_above(counts)
    n, c = int(n_cum[index]), int(c_cum[index])
    return ThresholdChoice(
        method=method,
        threshold=float(s[index]),
        leads=n,
        share=n / total,
        converted=c,
        rate=c / n if n else None,
        capture=c / conv if conv else None,
        f1=2 * c / (n + conv) if conv else None,
        **extra,
    )


def threshold_for_share(
    counts: ScoreCounts, share: float, *, method: str = "share"
) -> ThresholdChoice:
    """The lowest threshold at which at most ``share`` of the leads are hot.

    Args:
        counts: score-grouped counts (:func:`workbench.backtest.score_counts`).
        share: 0..1; 1 makes every lead hot.
        method: the name recorded in the result.

    Returns:
        The choice; when even the leads tied at the top score exceed the share, the top
        score, with a note.
    """
    if not 0 <= share <= 1:
        raise ValueError("share must be between 0 and 1")
    total = counts.total
    if total == 0:
        return _choice(counts, None, method)
    _, n_cum, _ = _at_or_above(counts)
    fits = np.flatnonzero(n_cum <= share * total + 1e-9)
    if len(fits):
        return _choice(counts, int(fits[-1]), method)
    top = _choice(counts, 0, method)
    note = (
        f"The {top.leads:,} leads tied at the top score already make {top.share:.0%} of all "
        f"leads, more than the {share:.0%} asked for: the model cannot tell them apart."
    )
    return _replace_notes(top, [note])


def threshold_for_percentile(counts: ScoreCounts, percentile: float) -> ThresholdChoice:
    """Hot above the ``percentile``-th percentile of the score (90 → the top 10 %).

    Args:
        counts: score-grouped counts.
        percentile: 0..100.
    """
    if not 0 <= percentile <= 100:
        raise ValueError("percentile must be between 0 and 100")
    return threshold_for_share(counts, 1 - percentile / 100, method="percentile")


def threshold_for_capacity(
    counts: ScoreCounts, calls_per_week: float, leads_per_month: float
) -> ThresholdChoice:
    """As many hot leads as sales can call: ``calls_per_week`` against ``leads_per_month``.

    Args:
        counts: score-grouped counts (history: the share of leads above each score).
        calls_per_week: leads sales can call in a week.
        leads_per_month: new leads arriving in a month.

    Returns:
        The choice, with the hot leads and conversions to expect per month.

    Raises:
        UserError: a number is not positive.
    """
    if leads_per_month <= 0 or calls_per_week < 0:
        raise UserError(
            "Give the leads arriving per month (above 0) and the calls per week (0 or more)."
        )
    share = min(1.0, calls_per_week * WEEKS_PER_MONTH / leads_per_month)
    base = threshold_for_share(counts, share, method="capacity")
    notes = list(base.notes)
    if share >= 1:
        notes.append("Sales can call every lead that arrives, so every lead can be hot.")
    per_month = base.share * leads_per_month
    conversions = per_month * base.rate if base.rate is not None else None
    return dataclasses.replace(
        base, per_month=per_month, conversions_per_month=conversions, notes=notes
    )


def threshold_for_f1(counts: ScoreCounts) -> ThresholdChoice:
    """The threshold whose hot tier best predicts conversion by F1 (ties: the higher one).

    F1 = 2·TP / (2·TP + FP + FN), with TP the converted hot leads, FP the hot leads that did
    not convert and FN the converted leads left out.
    """
    total, conv = counts.total, counts.total_converted
    if total == 0 or conv == 0:
        choice = _choice(counts, None if total == 0 else 0, "f1")
        return _replace_notes(choice, ["No lead converted, so F1 cannot choose a threshold."])
    _, n_cum, c_cum = _at_or_above(counts)
    f1 = 2 * c_cum / (n_cum + conv)
    best = int(np.flatnonzero(f1 >= f1.max() - 1e-12)[0])  # the first, highest score
    return _choice(counts, best, "f1")


def _replace_notes(choice: ThresholdChoice, notes: list[str]) -> ThresholdChoice:
    return dataclasses.replace(choice, notes=[*choice.notes, *notes])


def apply_threshold(model: dict[str, Any], threshold: float) -> dict[str, Any]:
    """A copy of a model dict whose top tier starts at ``threshold``.

    Args:
        model: the model as a plain dict (``workbench.model_file.model_to_dict``).
        threshold: the new ``min_score`` of the highest tier.

    Returns:
        The changed copy.

    Raises:
        UserError: the model has one tier only, or the threshold would not sit above the
            next tier down or would exceed the scale's max.
    """
    tiers = model.get("tiers") or []
    if len(tiers) < 2:
        raise UserError("The model has a single tier; add a tier above it first.")
    top, below = tiers[-1], tiers[-2]
    value = round(float(threshold), 6)
    if value <= float(below["min_score"]):
        raise UserError(
            f"A {top['name']} threshold of {format_number(value)} would not sit above the "
            f"{below['name']} tier (from {format_number(below['min_score'])}); lower that "
            "tier first."
        )
    scale_max = float((model.get("scale") or {}).get("max", 100))
    if value > scale_max:
        raise UserError(
            f"A threshold of {format_number(value)} is above the scale's max "
            f"({format_number(scale_max)})."
        )
    out = copy.deepcopy(model)
    out["tiers"][-1]["min_score"] = int(value) if value.is_integer() else value
    return out
