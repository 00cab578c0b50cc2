"""Suggested points: fit a transparent model to history and turn it into round points.

As credit scorecards do, every criterion's levels (a flag's yes, each band, each category
value, "empty"...) become yes/no indicators of a logistic regression, fitted by
Newton–Raphson (IRLS) with a small ridge penalty so that rare levels and near-perfect
separations stay finite. The data are the counts per distinct combination of levels, which
DuckDB computes in one ``GROUP BY`` (a random sample of leads when there are too many
combinations), so numpy works on thousands of rows, not millions.

Turning coefficients into points:

1. Each level's coefficient is its effect on the log-odds of converting, against the
   criterion's reference level. A level whose points the model format fixes at 0 (a flag's
   "no", an e-mail criterion's unlisted domains, a ranges criterion's "in no band") is the
   zero; otherwise the weakest level is, so points are mostly positive.
2. Effects below :data:`MIN_EFFECT` (about 5 % on the odds) become 0.
3. All points are multiplied by one factor, chosen so that a lead as good as the best 1 % of
   real leads (:data:`BEST_QUANTILE`) adds up to the top of the scale, then rounded to whole
   numbers. Points are therefore proportional to log-odds: 20 points mean twice the effect
   of 10 points, whichever criterion gives them.

Columns without a criterion get one (:func:`workbench.signals.candidate_criteria`) when their
signal is clear (not "could be chance", information value at least 0.02) and not suspected of
leakage. A proposed model (current criteria with suggested points, plus the new ones) is
checked with the same backtest as the current one; with a date column the fit uses the older
leads and both models are checked on the most recent ones, which the fit never saw.
"""

from __future__ import annotations

import copy
import datetime
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from workbench.backtest import (
    RECENT_SHARE,
    Backtest,
    FloatArray,
    IntArray,
    Period,
    evaluate,
    score_counts,
    time_split,
)
from workbench.compiler import Params
from workbench.errors import UserError
from workbench.model import (
    Criterion,
    EmailDomainCriterion,
    FlagCriterion,
    RangesCriterion,
    ScoringModel,
    format_number,
)
from workbench.model_file import model_from_dict, model_to_dict
from workbench.propose import ProfileLike, criterion_id
from workbench.signals import (
    LEVEL_KINDS,
    SignalReport,
    find_signals,
    level_code_sql,
    level_labels,
    level_paths,
    level_points,
    n_levels,
)
from workbench.sql import quote_identifier as q
from workbench.sql import resolve_column
from workbench.summary import outcome_sql

__all__ = [
    "BEST_QUANTILE",
    "MAX_FIT_ROWS",
    "MIN_EFFECT",
    "RIDGE",
    "CriterionSuggestion",
    "LevelSuggestion",
    "Suggestion",
    "apply_suggestions",
    "fit_logistic",
    "points_from_effects",
    "suggest_points",
]

RIDGE = 1.0  # as a prior: each effect is normal with sd 1 (log-odds); negligible with many leads
MIN_EFFECT = 0.05  # log-odds below which an effect is treated as none
BEST_QUANTILE = 0.99  # the "best plausible lead" reaches the scale's max
MAX_FIT_ROWS = 50_000  # level combinations fitted at most (else a random sample of leads)
SAMPLE_SEED = 42


# --------------------------------------------------------------------------- the fit


def fit_logistic(
    x: FloatArray,
    trials: npt.ArrayLike,
    successes: npt.ArrayLike,
    *,
    ridge: float = RIDGE,
    max_iter: int = 100,
    tol: float = 1e-9,
) -> FloatArray:
    """Binomial logistic regression with an intercept and a ridge penalty, by Newton–Raphson.

    Args:
        x: the design matrix (rows × features), without the intercept column.
        trials: leads per row.
        successes: converted leads per row.
        ridge: penalty ``ridge / 2 × Σ β²`` on the features (never on the intercept).
        max_iter: Newton steps at most.
        tol: stop when no coefficient moves more than this.

    Returns:
        The coefficients, intercept first.
    """
    m, p = x.shape
    design = np.hstack([np.ones((m, 1)), x])
    t = np.asarray(trials, dtype=np.float64)
    y = np.asarray(successes, dtype=np.float64)
    rate = min(max(y.sum() / max(t.sum(), 1.0), 1e-6), 1 - 1e-6)
    beta = np.zeros(p + 1)
    beta[0] = math.log(rate / (1 - rate))
    penalty = np.full(p + 1, float(ridge))
    penalty[0] = 1e-9  # keeps the system solvable without pulling the intercept
    for _ in range(max_iter):
        mu = 1 / (1 + np.exp(-np.clip(design @ beta, -30, 30)))
        w = t * mu * (1 - mu)
        grad = design.T @ (y - t * mu) - penalty * beta
        hess = (design.T * w) @ design + np.diag(penalty)
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        beta = beta + step
        if float(np.max(np.abs(step))) < tol:
            break
    return np.asarray(beta, dtype=np.float64)


def _fixed_zero(c: Criterion) -> int | None:
    """The level whose points the format fixes at 0, if the criterion has one."""
    if isinstance(c, FlagCriterion | EmailDomainCriterion | RangesCriterion):
        return 0
    return None


def points_from_effects(
    effects: Sequence[FloatArray],
    present: Sequence[npt.NDArray[np.bool_]],
    zero_levels: Sequence[int | None],
    codes: Sequence[IntArray],
    weights: npt.ArrayLike,
    target: float,
) -> tuple[list[FloatArray], float]:
    """Round points per level from log-odds effects (steps 1–3 of the module docstring).

    Args:
        effects: per criterion, the effect of each level code (any reference).
        present: per criterion, which level codes hold leads.
        zero_levels: per criterion, the level fixed at 0 points (None: the weakest level).
        codes: per criterion, the level code of each data row.
        weights: leads per data row.
        target: the points the best plausible lead should reach.

    Returns:
        (points per criterion and level code, the factor from log-odds to points). Levels
        without leads get 0.
    """
    shifted = []
    for eff, here, zero in zip(effects, present, zero_levels, strict=True):
        raw = np.zeros(len(eff))
        if here.any():
            base = eff[zero] if zero is not None and here[zero] else float(eff[here].min())
            raw = np.where(here, eff - base, 0.0)
            raw = np.where(np.abs(raw) < MIN_EFFECT, 0.0, raw)
        shifted.append(raw)
    w = np.asarray(weights, dtype=np.float64)
    total = np.zeros(len(w))
    for raw, code in zip(shifted, codes, strict=True):
        total = total + raw[code]
    best = _weighted_quantile(total, w, BEST_QUANTILE) if len(w) else 0.0
    if best <= 0:
        best = float(total.max()) if len(total) and total.max() > 0 else 1.0
    factor = target / best
    points = [np.round(raw * factor) + 0.0 for raw in shifted]  # + 0.0 turns -0 into 0
    return points, factor


def _weighted_quantile(values: FloatArray, weights: FloatArray, q_: float) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    idx = int(np.searchsorted(cum, q_ * cum[-1], side="left"))
    return float(values[order][min(idx, len(values) - 1)])


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class LevelSuggestion:
    """One level of one criterion: its points now and suggested."""

    label: str
    path: list[Any] | None  # inside the criterion's dict; None: fixed at 0 by the format
    current: float | None  # None for a new criterion
    suggested: float
    leads: int
    converted: int
    effect: float  # log-odds against the criterion's zero level

    @property
    def rate(self) -> float | None:
        """Conversion rate of the leads at this level (in the data fitted)."""
        return self.converted / self.leads if self.leads else None


@dataclass(frozen=True)
class CriterionSuggestion:
    """Suggested points for one criterion (a current one, or a new one)."""

    id: str
    title: str
    column: str
    kind: str
    is_new: bool
    levels: list[LevelSuggestion]
    criterion: dict[str, Any]  # the criterion with the suggested points, as the model dict

    @property
    def changed(self) -> bool:
        """Whether accepting it changes the model."""
        return self.is_new or any(
            lv.path is not None and lv.current != lv.suggested for lv in self.levels
        )


@dataclass(frozen=True)
class Suggestion:
    """What :func:`suggest_points` found.

    Attributes:
        criteria: per criterion, current ones first, then new ones.
        model: the proposed model: every suggestion accepted.
        current: backtest of the current model (None when it has no criteria).
        suggested: backtest of the proposed model.
        check_current: the current model on the most recent leads (with a time split).
        check_suggested: the proposed model on the most recent leads (with a time split).
        check_period: words for the check period ("" without a split).
        left_out: (column, reason) for columns not proposed.
        notes: sentences to show beside the suggestion.
        fitted_on: leads the fit used.
        factor: points per unit of log-odds.
        signals: the signal report the new criteria came from.
    """

    criteria: list[CriterionSuggestion]
    model: ScoringModel
    current: Backtest | None
    suggested: Backtest
    check_current: Backtest | None = None
    check_suggested: Backtest | None = None
    check_period: str = ""
    left_out: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fitted_on: int = 0
    factor: float = 0.0
    signals: SignalReport | None = None

    def criterion(self, criterion_id: str) -> CriterionSuggestion:
        """The suggestion for one criterion (KeyError when absent)."""
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    def check_sentence(self) -> str:
        """How far to trust the suggested AUC: the time-split check, or a caveat without one."""
        if self.check_suggested is None:
            return (
                "Fitted and checked on the same leads, so the suggested AUC is optimistic; a "
                "time split (a date column) gives an honest check."
            )
        now = self.check_current.auc if self.check_current is not None else None
        text = f"On the {self.check_period}, which the fit did not see: AUC "
        text += f"{_fmt_auc(self.check_suggested.auc)} with the suggested points"
        return text + (f", {_fmt_auc(now)} with the current ones." if now is not None else ".")

    def rows(self) -> list[dict[str, Any]]:
        """Current beside suggested, one row per level (for a table)."""
        out = []
        for c in self.criteria:
            for lv in c.levels:
                out.append(
                    {
                        "Criterion": c.title + (" (new)" if c.is_new else ""),
                        "Level": lv.label,
                        "Leads": lv.leads,
                        "Conversion": lv.rate,
                        "Current": lv.current,
                        "Suggested": lv.suggested,
                    }
                )
        return out


# --------------------------------------------------------------------------- suggest


def suggest_points(
    con: duckdb.DuckDBPyConnection,
    model: ScoringModel,
    table: str,
    profiles: Iterable[ProfileLike],
    *,
    outcome: str,
    positive_values: Sequence[str] | None = None,
    skip: Iterable[str] = (),
    leakage_columns: Iterable[str] = (),
    date_column: str | None = None,
    recent_share: float = RECENT_SHARE,
    add_new: bool = True,
    signals: SignalReport | None = None,
    max_rows: int = MAX_FIT_ROWS,
    ridge: float = RIDGE,
    events: str | None = None,
    as_of: datetime.date | None = None,
) -> Suggestion:
    """Suggest points for the model's criteria, and new criteria for strong unused columns.

    Args:
        con: the connection holding the table.
        model: the current model (its criteria, scale and tiers are kept).
        table: the leads table.
        profiles: the table's column profiles (``workbench.profile.profile_table``).
        outcome: the column that says whether a lead converted.
        positive_values: its values that mean converted.
        skip: columns never proposed (e.g. the lead ID).
        leakage_columns: columns the user marked as filled in after sales contact.
        date_column: optional; fit on the older leads, check on the most recent
            ``recent_share`` of them.
        recent_share: see ``date_column``.
        add_new: also propose criteria for columns the model does not use.
        signals: a signal report already computed for the same leads (and fit period).
        max_rows: level combinations fitted at most; above it, a random sample of this many
            leads is fitted.
        ridge: the ridge penalty.
        events: the activity log table, when the model has activity criteria (they keep
            their points; the backtests need the log to score them).
        as_of: the day activity is scored on (default today).

    Returns:
        The :class:`Suggestion`.

    Raises:
        UserError: no lead converted, or every lead did.
    """
    profiles = list(profiles)
    columns = [p.name for p in profiles]
    real_outcome = resolve_column(outcome, columns)
    fit_period: Period | None = None
    check_period: Period | None = None
    if date_column is not None:
        fit_period, check_period = time_split(con, table, date_column, recent_share)
        skip = [*skip, resolve_column(date_column, columns)]
    if signals is None:
        signals = find_signals(
            con,
            table,
            profiles,
            outcome=real_outcome,
            positive_values=positive_values,
            skip=skip,
            leakage_columns=leakage_columns,
            period=fit_period,
        )
    if signals.converted == 0 or signals.converted == signals.leads:
        what = "No lead" if signals.converted == 0 else "Every lead"
        raise UserError(
            f"{what} converted in the data, so there is nothing to learn points from; check "
            "the outcome column and the values that mean converted."
        )
    by_column = {s.column.casefold(): s for s in signals.signals}
    used = {c.column.casefold() for c in model.criteria}
    ids = {c.id for c in model.criteria}
    new: list[Criterion] = []
    left_out: list[tuple[str, str]] = []
    notes: list[str] = []
    for s in signals.signals:
        if s.column.casefold() in used:
            continue
        if s.suspected_leak:
            left_out.append((s.column, "suspected leakage: " + "; ".join(s.leakage)))
        elif s.could_be_chance or s.strength == "none":
            left_out.append((s.column, "its link with conversion is too weak or could be chance"))
        elif add_new:
            cid = criterion_id(s.column, ids)
            ids.add(cid)
            new.append(s.criterion.model_copy(update={"id": cid}))
    for c in model.criteria:
        sig = by_column.get(c.column.casefold())
        if sig is not None and sig.suspected_leak:
            notes.append(
                f"“{c.title}” uses the column “{c.column}”, which is suspected of leakage "
                f"({'; '.join(sig.leakage)}): its points make the backtest look better than "
                "the model will do on new leads."
            )
    # Activity-log criteria (activity_count, recency) have no levels in the lead table: they
    # are kept as they are and left out of the fit.
    own = [(i, c) for i, c in enumerate(model.criteria) if c.kind in LEVEL_KINDS]
    if len(own) < len(model.criteria):
        notes.append(
            "Criteria on the activity log keep their points: the fit uses only the lead table."
        )
    criteria: list[Criterion] = [*(c for _, c in own), *new]
    if not criteria:
        raise UserError(
            "No column shows a clear link with conversion, so there are no points to suggest."
        )
    codes, trials, wins, sampled = _combinations(
        con,
        table,
        columns,
        criteria,
        outcome=real_outcome,
        positive_values=positive_values,
        period=fit_period,
        max_rows=max_rows,
    )
    fitted_on = int(trials.sum())
    if sampled:
        notes.append(
            f"The leads spread over too many combinations of values, so the points were fitted "
            f"on a random sample of {fitted_on:,} leads."
        )
    design, slots, present = _design(criteria, codes, trials)
    beta = fit_logistic(design, trials, wins, ridge=ridge)
    effects = []
    for c, slot in zip(criteria, slots, strict=True):
        eff = np.zeros(n_levels(c))
        for code, column in slot.items():
            eff[code] = beta[1 + column]
        effects.append(eff)
    target = model.scale.max - max(model.scale.min, 0.0)
    if target <= 0:
        target = model.scale.max - model.scale.min
    zero_levels = [_fixed_zero(c) for c in criteria]
    points, factor = points_from_effects(effects, present, zero_levels, codes, trials, target)

    base = model_to_dict(model)
    base_criteria = list(base.get("criteria", []))
    suggestions: list[CriterionSuggestion] = []
    kept_new: list[dict[str, Any]] = []
    for i, c in enumerate(criteria):
        is_new = i >= len(own)
        if is_new:
            crit_dict = model_to_dict(_alone(model, c))["criteria"][0]
        else:
            crit_dict = copy.deepcopy(base_criteria[own[i][0]])
        n_code = np.bincount(codes[i], weights=trials, minlength=n_levels(c))
        c_code = np.bincount(codes[i], weights=wins, minlength=n_levels(c))
        current = level_points(c)
        levels = []
        zero = zero_levels[i]
        ref = zero if zero is not None and present[i][zero] else None
        for code, (label, path) in enumerate(zip(level_labels(c), level_paths(c), strict=True)):
            if not present[i][code]:
                # No lead at this level: no evidence to change it. A new criterion gives it 0.
                if is_new and path is not None:
                    _set_path(crit_dict, path, 0)
                continue
            value = 0.0 if path is None else float(points[i][code])
            if path is not None:
                _set_path(crit_dict, path, _whole(value))
            if ref is not None:
                effect = float(effects[i][code] - effects[i][ref])
            else:
                effect = float(effects[i][code] - effects[i][present[i]].min())
            levels.append(
                LevelSuggestion(
                    label=label,
                    path=path,
                    current=None if is_new else current[code],
                    suggested=value,
                    leads=int(round(n_code[code])),
                    converted=int(round(c_code[code])),
                    effect=effect,
                )
            )
        if is_new and all(lv.suggested == 0 for lv in levels):
            left_out.append((c.column, "no effect left once the other criteria are counted"))
            continue
        if is_new:
            kept_new.append(crit_dict)
        else:
            base_criteria[own[i][0]] = crit_dict
        suggestions.append(
            CriterionSuggestion(
                id=c.id,
                title=c.title,
                column=c.column,
                kind=c.kind,
                is_new=is_new,
                levels=levels,
                criterion=crit_dict,
            )
        )
    base["criteria"] = [*base_criteria, *kept_new]
    proposed = model_from_dict(base, source="the suggested model")
    notes += _cap_notes(proposed, criteria, points, codes)

    current_bt = suggested_bt = None
    check_current = check_suggested = None

    def run(m: ScoringModel, period: Period | None) -> Backtest:
        counts = score_counts(
            con,
            m,
            table,
            columns,
            outcome=real_outcome,
            positive_values=positive_values,
            period=period,
            events=events,
            as_of=as_of,
        )
        return evaluate(counts, m, period=period.label if period else "all leads")

    if model.criteria:
        current_bt = run(model, None)
    suggested_bt = run(proposed, None)
    if check_period is not None:
        if model.criteria:
            check_current = run(model, check_period)
        check_suggested = run(proposed, check_period)
    top = suggested_bt.tiers[-1]
    if len(proposed.tiers) > 1 and top.share < 0.02:
        notes.append(
            f"With the suggested points only {top.leads:,} leads ({top.share:.1%}) would be "
            f"{top.name}: lower the {top.name} threshold (see the threshold helpers)."
        )
    return Suggestion(
        criteria=suggestions,
        model=proposed,
        current=current_bt,
        suggested=suggested_bt,
        check_current=check_current,
        check_suggested=check_suggested,
        check_period=check_period.label if check_period else "",
        left_out=left_out,
        notes=notes,
        fitted_on=fitted_on,
        factor=factor,
        signals=signals,
    )


def apply_suggestions(
    model: dict[str, Any], suggestion: Suggestion, ids: Iterable[str] | None = None
) -> dict[str, Any]:
    """A copy of a model dict with some (or all) suggestions accepted.

    Args:
        model: the model as a plain dict (``workbench.model_file.model_to_dict``).
        suggestion: from :func:`suggest_points` on this model.
        ids: the criteria to accept (default: all). A current criterion gets its suggested
            points, level by level; a new one is appended (unless its column is already used).

    Returns:
        The changed copy (validate it, e.g. through the app's commit).
    """
    out = copy.deepcopy(model)
    out.setdefault("criteria", [])
    wanted = None if ids is None else set(ids)
    by_id = {c.get("id"): c for c in out["criteria"]}
    for cs in suggestion.criteria:
        if wanted is not None and cs.id not in wanted:
            continue
        if cs.is_new:
            columns = {str(c.get("column", "")).casefold() for c in out["criteria"]}
            if cs.column.casefold() in columns:
                continue
            crit = copy.deepcopy(cs.criterion)
            if cs.id in by_id:
                crit["id"] = criterion_id(cs.column, by_id)
            by_id[crit["id"]] = crit
            out["criteria"].append(crit)
            continue
        target = by_id.get(cs.id)
        if target is None:
            continue
        for lv in cs.levels:
            if lv.path is not None:
                _set_path(target, lv.path, _whole(lv.suggested))
    return out


# --------------------------------------------------------------------------- helpers


def _combinations(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str],
    criteria: Sequence[Criterion],
    *,
    outcome: str,
    positive_values: Sequence[str] | None,
    period: Period | None,
    max_rows: int,
) -> tuple[list[IntArray], FloatArray, FloatArray, bool]:
    """Leads and conversions per distinct combination of level codes (sampled if too many)."""
    params = Params(prefix="f")
    exprs = [
        f"{level_code_sql(c, resolve_column(c.column, columns), params)} AS {q(f'k{i}')}"
        for i, c in enumerate(criteria)
    ]
    conv = outcome_sql(outcome, positive_values, params)
    where = ""
    if period is not None:
        where = f" WHERE {period.condition(q(resolve_column(period.column, columns)), params)}"
    keys = ", ".join(q(f"k{i}") for i in range(len(criteria)))
    leads = f"SELECT * FROM {q(table)}{where}"

    def run(source: str) -> dict[str, Any]:
        sql = (
            f"SELECT {keys}, count(*) AS n, sum(y) AS c FROM (SELECT {', '.join(exprs)}, "
            f"CAST({conv} AS INTEGER) AS y FROM ({source})) GROUP BY ALL "
            f"LIMIT {int(max_rows) + 1}"
        )
        return dict(con.execute(sql, params.values).fetchnumpy())

    cols = run(leads)
    sampled = len(cols["n"]) > max_rows
    if sampled:
        cols = run(
            f"SELECT * FROM ({leads}) USING SAMPLE reservoir({int(max_rows)} ROWS) "
            f"REPEATABLE ({SAMPLE_SEED})"
        )
    codes = [np.asarray(cols[f"k{i}"], dtype=np.int64) for i in range(len(criteria))]
    trials = np.asarray(cols["n"], dtype=np.float64)
    wins = np.asarray(np.ma.filled(cols["c"], 0), dtype=np.float64)
    return codes, trials, wins, sampled


def _design(
    criteria: Sequence[Criterion], codes: Sequence[IntArray], trials: FloatArray
) -> tuple[FloatArray, list[dict[int, int]], list[npt.NDArray[np.bool_]]]:
    """One-hot indicators of every level except each criterion's reference level.

    The reference is the level fixed at 0 when there is one, else the most common level, so
    the ridge pulls rare levels towards the typical lead rather than towards a rare one.
    """
    slots: list[dict[int, int]] = []
    present: list[npt.NDArray[np.bool_]] = []
    columns: list[FloatArray] = []
    for c, code in zip(criteria, codes, strict=True):
        counts = np.bincount(code, weights=trials, minlength=n_levels(c))
        here = counts > 0
        present.append(here)
        zero = _fixed_zero(c)
        ref = zero if zero is not None and here[zero] else int(np.argmax(counts))
        slot: dict[int, int] = {}
        if here.sum() > 1:
            for level in np.flatnonzero(here):
                if int(level) != ref:
                    slot[int(level)] = len(columns)
                    columns.append((code == level).astype(np.float64))
        slots.append(slot)
    m = len(trials)
    design = np.column_stack(columns) if columns else np.zeros((m, 0))
    return design, slots, present


def _alone(model: ScoringModel, c: Criterion) -> ScoringModel:
    """A model holding only ``c`` (to dump one criterion the way model files are written)."""
    return ScoringModel(tiers=model.tiers, scale=model.scale, criteria=[c])


def _set_path(d: dict[str, Any], path: Sequence[Any], value: Any) -> None:
    node: Any = d
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


def _fmt_auc(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def _whole(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x


def _cap_notes(
    proposed: ScoringModel,
    criteria: Sequence[Criterion],
    points: Sequence[FloatArray],
    codes: Sequence[IntArray],
) -> list[str]:
    """Sentences about caps that would clip the suggested points."""
    notes = []
    by_id = {c.id: c for c in proposed.criteria}
    for c, pts in zip(criteria, points, strict=True):
        now = by_id.get(c.id)
        if now is None or now.max_points is None:
            continue
        top = float(np.abs(pts).max()) if len(pts) else 0.0
        if top > now.max_points:
            notes.append(
                f"“{now.title}” is capped at {format_number(now.max_points)} points, below "
                f"its suggested {format_number(top)}: raise or remove the cap to let it count."
            )
    for group, cap in proposed.groups.items():
        members = [
            (pts, code)
            for c, pts, code in zip(criteria, points, codes, strict=True)
            if c.id in by_id and by_id[c.id].group == group
        ]
        if not members:
            continue
        total = sum(pts[code] for pts, code in members)
        if isinstance(total, np.ndarray) and len(total) and float(total.max()) > cap.max_points:
            notes.append(
                f"The {group} group is capped at {format_number(cap.max_points)} points, but "
                f"the suggested {group} points reach {format_number(float(total.max()))} for "
                "some leads: raise the cap to let them count fully."
            )
    return notes
