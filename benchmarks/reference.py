"""The yardstick: a straightforward vectorised pandas/numpy scorer of the same model.

It is what a competent analyst would write in a notebook: read the CSV with ``pd.read_csv``,
normalise text with the ``.str`` accessor, pick points with ``np.select`` in the model's order,
clamp with ``np.clip``, then ``np.bincount`` and ``np.quantile`` for the summary. It re-scores
from the raw columns every time, as the workbench's full ``summarize`` does. It is written
from docs/model-format.md, not from the compiler, and ``run.py`` checks that it gives the
identical score for every lead.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from workbench.model import (
    TRUTHY,
    CategoriesCriterion,
    Criterion,
    EmailDomainCriterion,
    FlagCriterion,
    RangesCriterion,
    ScoringModel,
    normalize_category,
)
from workbench.summary import DEFAULT_POSITIVE, default_bin_width


def _text(col: pd.Series) -> pd.Series:
    return col.astype("str").str.strip().str.lower()


def criterion_points(df: pd.DataFrame, c: Criterion) -> np.ndarray:
    """One criterion's points per row, after its own cap."""
    col = df[c.column]
    if isinstance(c, FlagCriterion):
        pts = np.where(_text(col).isin(TRUTHY).to_numpy(bool), c.points, 0.0)
    elif isinstance(c, RangesCriterion):
        v = pd.to_numeric(col, errors="coerce").to_numpy(float, na_value=np.nan)
        conds = [np.isnan(v)]
        for b in c.bands:
            ok = np.ones(len(v), bool)
            if b.from_ is not None:
                ok &= v >= b.from_
            if b.to is not None:
                ok &= v < b.to
            conds.append(ok)
        pts = np.select(conds, [c.missing, *(b.points for b in c.bands)], 0.0)
    elif isinstance(c, CategoriesCriterion):
        stripped = col.str.strip()
        norm = stripped.str.lower().str.replace(r"\s+", " ", regex=True)
        missing = (col.isna() | (stripped == "")).to_numpy(bool)
        conds = [missing] + [(norm == normalize_category(k)).to_numpy(bool) for k in c.points]
        pts = np.select(conds, [c.missing, *c.points.values()], c.other)
    elif isinstance(c, EmailDomainCriterion):
        domain = _text(col).str.replace(r"^.*@", "", regex=True)
        pts = np.where(domain.isin(c.domains).to_numpy(bool), c.points, 0.0)
    else:  # pragma: no cover
        raise TypeError(c)
    pts = pts.astype(float)
    if c.max_points is not None:
        pts = np.clip(pts, -c.max_points, c.max_points)
    return pts


def score(df: pd.DataFrame, model: ScoringModel) -> np.ndarray:
    """Every lead's score (group caps, scale clamp, rounded to 6 decimals)."""
    total = np.zeros(len(df))
    for group in ("fit", "engagement"):
        part = np.zeros(len(df))
        for c in model.criteria:
            if c.group == group:
                part = part + criterion_points(df, c)
        cap = model.groups.get(group)
        if cap is not None:
            part = np.clip(part, -cap.max_points, cap.max_points)
        total = total + part
    return np.round(np.clip(total, model.scale.min, model.scale.max), 6)


def summarize(df: pd.DataFrame, model: ScoringModel, outcome: str | None) -> dict[str, Any]:
    """Tier counts, conversion per tier, histogram and statistics, like workbench's summary."""
    s = score(df, model)
    thresholds = [t.min_score for t in model.tiers]
    tier = np.select(
        [s >= m for m in reversed(thresholds[1:])],
        list(range(len(thresholds) - 1, 0, -1)),
        0,
    )
    width = default_bin_width(model)
    lo, hi = model.scale.min, model.scale.max
    n_bins = max(1, math.ceil((hi - lo) / width - 1e-9))
    bins = np.clip(np.floor((s - lo) / width), 0, n_bins - 1).astype(int)
    out: dict[str, Any] = {
        "tiers": np.bincount(tier, minlength=len(thresholds)).tolist(),
        "histogram": np.bincount(bins, minlength=n_bins).tolist(),
        "mean": float(s.mean()),
        "median": float(np.quantile(s, 0.5)),
        "p90": float(np.quantile(s, 0.9)),
        "min": float(s.min()),
        "max": float(s.max()),
    }
    if outcome is not None:
        won = _text(df[outcome]).isin(DEFAULT_POSITIVE).to_numpy(bool)
        out["converted"] = np.bincount(tier, weights=won, minlength=len(thresholds)).astype(int)
        out["converted"] = out["converted"].tolist()
    return out


def summarize_and_backtest(
    df: pd.DataFrame,
    model: ScoringModel,
    outcome: str,
    top_percents: tuple[int, ...] = (10, 20, 30),
) -> dict[str, Any]:
    """The summary plus the backtest's headline numbers, as a notebook would compute them.

    Per tier: lift (tier conversion rate over the base rate) and capture (its share of all
    conversions); the top ``top_percents`` of leads by score: their conversions, with the leads
    tied at the cut counted in proportion; ROC AUC by the Mann–Whitney rank sum with average
    ranks for ties (pandas ``rank``).
    """
    out = summarize(df, model, outcome)
    s = score(df, model)
    won = _text(df[outcome]).isin(DEFAULT_POSITIVE).to_numpy(bool)
    n, pos = len(s), int(won.sum())
    base = pos / n
    tiers, converted = np.asarray(out["tiers"]), np.asarray(out["converted"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["lift"] = ((converted / tiers) / base).tolist()
    out["capture"] = (converted / pos).tolist()
    # Top x %: sort best first; the tie group the cut falls in contributes in proportion.
    order = np.argsort(-s, kind="stable")
    s_sorted, won_sorted = s[order], won[order]
    top = []
    for pct in top_percents:
        wanted = pct / 100 * n
        cut = s_sorted[min(math.ceil(wanted) - 1, n - 1)]
        above = s_sorted > cut
        tied = s_sorted == cut
        share = (wanted - above.sum()) / tied.sum()
        top.append(float(won_sorted[above].sum() + share * won_sorted[tied].sum()))
    out["top_converted"] = top
    ranks = pd.Series(s).rank(method="average").to_numpy()
    out["auc"] = float((ranks[won].sum() - pos * (pos + 1) / 2) / (pos * (n - pos)))
    return out
