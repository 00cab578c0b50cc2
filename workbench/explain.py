"""Why is this lead 85? One scored row, taken apart into the points that made its score.

The parts of a :class:`Breakdown` add up to the score exactly (to 1e-6): the per-criterion
points the compiler wrote into ``points__<id>``, then one part per group cap that bit, then one
part for the scale clamp. The cap and clamp arithmetic mirrors ``workbench.compiler`` step by
step (same order of additions, same LEAST/GREATEST), so the sum matches the SQL's.

Activity criteria (``activity_count``, ``recency``) get their points from the row too; the words
("3 page views in the last 30 days → +10", "last page view 4 days ago → +10") come from
:func:`activity_facts`, which counts the lead's events the way the compiler filters them.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import duckdb

from workbench.compiler import Params, glob_to_like, input_aliases, points_column
from workbench.model import (
    TRUTHY,
    ActivityCountCriterion,
    CategoriesCriterion,
    Criterion,
    EmailDomainCriterion,
    FlagCriterion,
    RangesCriterion,
    RecencyCriterion,
    ScoringModel,
    effective_decay,
    format_number,
    normalize_category,
)
from workbench.sql import quote_identifier as q

ContributionKind = Literal["criterion", "cap", "clamp"]

MINUS = "\u2212"  # a real minus sign: "−30" reads better than "-30" in a sentence
TOLERANCE = 1e-6  # the compiler rounds the score to 6 decimals
_MAX_VALUE_CHARS = 60


@dataclass(frozen=True)
class Contribution:
    """One step from 0 to the score.

    Attributes:
        label: a few words for a chart axis or a sentence ("demo request", "7 email opens",
            "Software", "gmail.com", "engagement cap").
        points: what this step adds (negative: takes away).
        reason: a full sentence-like line a salesperson understands
            ("Asked for a demo: Yes → +80").
        criterion_id: the criterion's id, or ``None`` for caps and the clamp.
        kind: "criterion", "cap" (a group cap) or "clamp" (the scale's min/max).
    """

    label: str
    points: float
    reason: str
    criterion_id: str | None
    kind: ContributionKind


@dataclass(frozen=True)
class ActivityFact:
    """What one lead did that an activity criterion looks at, up to the as-of day.

    Attributes:
        count: matching events (within the criterion's window, if it has one).
        days_since: whole days since the most recent matching event (None: never).
    """

    count: int
    days_since: int | None


@dataclass(frozen=True)
class Breakdown:
    """A lead's score and tier, and the parts that add up to the score."""

    score: float
    tier: str
    parts: list[Contribution]

    @property
    def total(self) -> float:
        """The sum of the parts (equal to ``score`` within 1e-6)."""
        return math.fsum(p.points for p in self.parts)


def explain_row(
    model: ScoringModel,
    row: Mapping[str, Any],
    activity: Mapping[str, ActivityFact] | None = None,
) -> Breakdown:
    """Explain one scored row: which criteria gave which points, and what the caps took.

    Args:
        model: the model the row was scored with.
        row: one row of the scoring query's result (or ``scoring.score_frame``): the input
            columns, one ``points__<id>`` per criterion, ``score`` and ``tier``. Input columns
            renamed ``<name>_input`` because they collided with an output are found too.
        activity: criterion id → :class:`ActivityFact` for the row's lead (from
            :func:`activity_facts`), to say what the lead did; without it an activity
            criterion's reason names the criterion only. Points always come from the row.

    Returns:
        The breakdown. Criterion parts come first, non-zero ones by largest absolute points
        (model order on ties), then the zero ones (what did not count) in model order; then a
        "cap" part for each group whose sum went past its cap; then a "clamp" part if the total
        left the scale.

    Raises:
        KeyError: the row lacks a criterion's ``points__<id>`` column.
        ValueError: the row's score does not match its points under this model (it was scored
            with another model).
    """
    outputs = [points_column(c.id) for c in model.criteria] + ["score", "tier"]
    points: list[float] = []
    criterion_parts: list[Contribution] = []
    for c in model.criteria:
        name = points_column(c.id)
        if name not in row:
            raise KeyError(f"the row has no {name!r} column; score it with this model first")
        pts = _as_float(row[name])
        points.append(pts)
        if isinstance(c, ActivityCountCriterion | RecencyCriterion):
            fact = activity.get(c.id) if activity else None
            criterion_parts.append(_activity_part(model, c, pts, fact))
            continue
        value = _lookup(row, c.column, outputs)
        criterion_parts.append(_criterion_part(c, pts, value))

    # Same arithmetic as the compiler: sum each group left to right, cap it, add, clamp.
    cap_parts: list[Contribution] = []
    group_totals: list[float] = []
    for group in ("fit", "engagement"):
        total = 0.0
        first = True
        for c, pts in zip(model.criteria, points, strict=True):
            if c.group == group:
                total = pts if first else total + pts
                first = False
        cap = model.groups.get(group)
        if cap is not None:
            capped = max(min(total, cap.max_points), -cap.max_points)
            if capped != total:
                cap_parts.append(_cap_part(group, cap.max_points, capped - total))
            total = capped
        group_totals.append(total)
    total = group_totals[0] + group_totals[1]
    lo, hi = model.scale.min, model.scale.max
    clamped = max(min(total, hi), lo)

    raw_score = row.get("score")
    score = round(clamped, 6) if _missing(raw_score) else _as_float(raw_score)
    if abs(score - clamped) > TOLERANCE * max(1.0, abs(score)):
        raise ValueError(
            f"the row's score ({format_number(score)}) does not follow from its points under "
            f"this model ({format_number(round(clamped, 6))}); score it with this model again"
        )
    clamp_parts: list[Contribution] = []
    if clamped != total:
        adjustment = clamped - total
        clamp_parts.append(
            Contribution(
                label="scale limit",
                points=adjustment,
                reason=(
                    f"Score kept within {format_number(lo)}–{format_number(hi)}: "
                    f"{signed(adjustment)}"
                ),
                criterion_id=None,
                kind="clamp",
            )
        )

    nonzero = [p for p in criterion_parts if p.points != 0]
    zero = [p for p in criterion_parts if p.points == 0]
    nonzero.sort(key=lambda p: -abs(p.points))  # stable: model order on ties
    raw_tier = row.get("tier")
    tier = model.tier_for(score) if _missing(raw_tier) else str(raw_tier)
    return Breakdown(score=score, tier=tier, parts=nonzero + zero + cap_parts + clamp_parts)


def explain_sentence(breakdown: Breakdown) -> str:
    """One line for a lead: its score, tier and every part that moved it.

    Args:
        breakdown: from :func:`explain_row`.

    Returns:
        For example "85 points, hot: demo request +80, 7 email opens +25, Software +15,
        gmail.com −30, engagement cap −5." Parts worth 0 are left out.
    """
    score = _fmt(breakdown.score).replace("-", MINUS)
    head = f"{score} points, {breakdown.tier}"
    moved = [f"{p.label} {signed(p.points)}" for p in breakdown.parts if p.points != 0]
    if not moved:
        return f"{head}: no criterion gave points."
    return f"{head}: {', '.join(moved)}."


def signed(points: float) -> str:
    """Points with their sign, for people: "+25", "−30" (a real minus sign), "0"."""
    rounded = round(points, 4)
    if rounded == 0:
        return "0"
    if rounded > 0:
        return f"+{format_number(rounded)}"
    return f"{MINUS}{format_number(-rounded)}"


def _criterion_part(c: Criterion, pts: float, value: Any) -> Contribution:
    title = c.title
    words = c.id.replace("_", " ")
    shown = _show(value)
    arrow = f" → {signed(pts)}"
    capped = _cap_note(c, pts)
    if isinstance(c, FlagCriterion):
        # The SQL's verdict (non-zero points) wins over deciding truthiness again here.
        yes = pts != 0 if c.points != 0 else _truthy(value)
        if _missing(value):
            label, reason = f"no {words}", f"{title}: empty"
        elif yes:
            label, reason = words, f"{title}: Yes"
        else:
            label, reason = f"no {words}", f"{title}: No"
    elif isinstance(c, RangesCriterion):
        number = _number(value)
        if _missing(value):
            label, reason = f"{words} empty", f"{title} is empty"
        elif number is None:
            label, reason = f"{words} not a number", f"{title} is {shown} (not a number)"
        else:
            label = f"{_fmt(number)} {words}"
            band = next((b for b in c.bands if _in_band(number, b.from_, b.to)), None)
            where = band.describe() if band is not None else "in no band"
            reason = f"{title} is {_fmt(number)} ({where})"
    elif isinstance(c, CategoriesCriterion):
        if _missing(value) or not normalize_category(str(value)):
            label, reason = f"{words} empty", f"{title} is empty"
        else:
            norm = normalize_category(str(value))
            listed = any(normalize_category(k) == norm for k in c.points)
            label = shown
            reason = f"{title} is {shown}" if listed else f"{title} {shown} is not on the list"
    elif isinstance(c, EmailDomainCriterion):
        if _missing(value) or not str(value).strip():
            label, reason = f"no {words}", f"{title}: empty"
        else:
            # Same rule as the compiler: the part after the last '@', or a bare domain.
            domain = str(value).strip().lower().rsplit("@", 1)[-1]
            label = _clip(domain) or f"no {words}"
            if domain in c.domains:
                reason = f"{title} ({_clip(domain)})"
            else:
                reason = f"{title}: {_clip(domain)} is not on the list"
    else:  # pragma: no cover - the Criterion union is closed
        raise TypeError(f"unknown criterion kind {type(c).__name__}")
    return Contribution(
        label=label, points=pts, reason=reason + arrow + capped, criterion_id=c.id, kind="criterion"
    )


def activity_facts(
    con: duckdb.DuckDBPyConnection,
    model: ScoringModel,
    events: str,
    lead_id: Any,
    *,
    as_of: datetime.date | None = None,
) -> dict[str, ActivityFact]:
    """Count one lead's events per activity criterion, filtered as the compiler filters them.

    Args:
        con: the connection holding the events table.
        model: the model (only its ``activity_count`` and ``recency`` criteria are looked at).
        events: the events table (``lead_id``, ``activity``, ``detail``, ``ts``).
        lead_id: the lead's id as its leads row holds it (compared as trimmed text).
        as_of: the scoring day (default today); later events are ignored.

    Returns:
        Criterion id → :class:`ActivityFact`; empty when the model has no activity criteria.
    """
    log = [c for c in model.criteria if isinstance(c, ActivityCountCriterion | RecencyCriterion)]
    if not log or _missing(lead_id):
        return {}
    p = Params(prefix="wb_x")
    day = p.add((as_of or datetime.date.today()).isoformat())
    age = f"date_diff('day', CAST(\"ts\" AS DATE), CAST({day} AS DATE))"
    aggs = []
    for c in log:
        tests = [f'list_contains({p.add(c.activities)}, lower(trim("activity")))']
        if c.detail is not None:
            tests.append(f"\"detail\" ILIKE {p.add(glob_to_like(c.detail))} ESCAPE '\\'")
        if isinstance(c, ActivityCountCriterion) and c.within_days is not None:
            tests.append(f"{age} <= {p.add(c.within_days)}")
        where = " AND ".join(tests)
        aggs.append(f"count(*) FILTER (WHERE {where}), min({age}) FILTER (WHERE {where})")
    lead = p.add(str(lead_id).strip())
    row = con.execute(
        f'SELECT {", ".join(aggs)} FROM {q(events)} WHERE "ts" IS NOT NULL AND {age} >= 0 '
        f'AND trim(CAST("lead_id" AS VARCHAR)) = {lead}',
        p.values,
    ).fetchall()[0]
    facts = {}
    for i, c in enumerate(log):
        days = row[2 * i + 1]
        facts[c.id] = ActivityFact(int(row[2 * i] or 0), None if days is None else int(days))
    return facts


def _activity_part(
    model: ScoringModel,
    c: ActivityCountCriterion | RecencyCriterion,
    pts: float,
    fact: ActivityFact | None,
) -> Contribution:
    acts = c.activities
    name = acts[0] if len(acts) == 1 else f"{', '.join(acts[:-1])} or {acts[-1]}"
    if c.detail is not None:
        name += f" ({_clip(c.detail)})"
    if fact is None:
        label, reason = c.title, c.title
    elif isinstance(c, RecencyCriterion):
        if fact.days_since is None:
            label = reason = f"no {name} yet"
        else:
            ago = "today" if fact.days_since == 0 else f"{_days(fact.days_since)} ago"
            label = reason = f"last {name} {ago}"
    else:
        label = reason = f"{fact.count:,} {name if fact.count == 1 else _plural(name)}"
        if c.within_days is not None:
            reason += f" in the last {_days(c.within_days)}"
        decay = effective_decay(model, c)
        if decay is not None and pts != 0:
            reason += f" (fading: {decay.describe()})"
    return Contribution(
        label=label,
        points=pts,
        reason=f"{reason} → {signed(pts)}{_cap_note(c, pts)}",
        criterion_id=c.id,
        kind="criterion",
    )


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n:,} days"


def _plural(name: str) -> str:
    """'page view' → 'page views'; 'form submit (*x*)' → 'form submits (*x*)'."""
    head, sep, tail = name.partition(" (")
    return name if head.endswith("s") else f"{head}s{sep}{tail}"


def _cap_part(group: str, cap: float, adjustment: float) -> Contribution:
    if adjustment < 0:
        reason = f"{group.capitalize()} points capped at {format_number(cap)}: {signed(adjustment)}"
    else:
        reason = (
            f"{group.capitalize()} points kept above {MINUS}{format_number(cap)}: "
            f"{signed(adjustment)}"
        )
    return Contribution(
        label=f"{group} cap", points=adjustment, reason=reason, criterion_id=None, kind="cap"
    )


def _cap_note(c: Criterion, pts: float) -> str:
    """Say so when the criterion's own max_points held its points back."""
    if c.max_points is not None and pts != 0 and abs(abs(pts) - c.max_points) < TOLERANCE:
        return f" (capped at {format_number(c.max_points)})"
    return ""


def _lookup(row: Mapping[str, Any], column: str, outputs: list[str]) -> Any:
    """The lead's own value of ``column``, following the compiler's renaming of collisions."""
    alias = input_aliases([column], outputs)[0][1]
    for name in (alias, column):
        if name in row:
            return row[name]
    folded = [k for k in row if isinstance(k, str) and k.casefold() == alias.casefold()]
    return row[folded[0]] if len(folded) == 1 else None


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        # NaN, pd.NA and NaT all compare unequal to themselves (pd.NA raises on bool()).
        return bool(value != value)
    except (TypeError, ValueError):
        return True


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in TRUTHY


def _number(value: Any) -> float | None:
    """Like DuckDB's TRY_CAST(x AS DOUBLE) on the value, for the band description only."""
    if isinstance(value, bool):
        return float(value)
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _in_band(x: float, start: float | None, end: float | None) -> bool:
    return (start is None or x >= start) and (end is None or x < end)


def _as_float(value: Any) -> float:
    if _missing(value):
        return 0.0
    return float(value)


def _fmt(x: float) -> str:
    return format_number(round(x, 4))


def _show(value: Any) -> str:
    if _missing(value):
        return "empty"
    if isinstance(value, float):
        return _fmt(value)
    return _clip(" ".join(str(value).split()))


def _clip(text: str) -> str:
    if len(text) <= _MAX_VALUE_CHARS:
        return text
    return text[: _MAX_VALUE_CHARS - 1] + "…"
