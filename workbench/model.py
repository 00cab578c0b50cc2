"""The scoring model: pydantic classes that mirror the YAML file (format lead-scoring-model/1).

Every class forbids unknown keys, so a typo in a file is an error with a line of explanation,
never a silent zero. ``docs/model-format.md`` is the authoritative description.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

FORMAT = "lead-scoring-model/1"

# Values a flag criterion counts as "yes". Compared after lower-casing and trimming.
TRUTHY = ("true", "1", "1.0", "yes", "y", "si", "sí", "sì", "x", "t")

GroupName = Literal["fit", "engagement"]
Points = float


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class Scale(_Strict):
    """The range the total is clamped into."""

    min: Points = 0
    max: Points = 100

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if self.max <= self.min:
            raise ValueError(
                f"the scale's max ({_num(self.max)}) must be above its min ({_num(self.min)})"
            )
        return self


class Tier(_Strict):
    """A named band of scores: a lead is in the highest tier whose ``min_score`` it reaches."""

    name: str = Field(min_length=1)
    min_score: Points


class GroupCap(_Strict):
    """A cap on what one group of criteria can add (and take away)."""

    max_points: Points = Field(gt=0)


class _CriterionBase(_Strict):
    id: str
    label: str | None = None
    group: GroupName = "engagement"
    column: str = Field(min_length=1)
    max_points: Points | None = Field(default=None, gt=0)
    note: str | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str) -> str:
        return _check_id(v)

    @property
    def title(self) -> str:
        """The label, or the id when there is none."""
        return self.label or self.id.replace("_", " ").capitalize()


class FlagCriterion(_CriterionBase):
    """Points when the column holds a yes-like value (true/1/yes/y/si/sí/x, any case)."""

    kind: Literal["flag"]
    points: Points


class Band(_Strict):
    """A numeric band: ``from`` inclusive, ``to`` exclusive; either may be left out."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: Points | None = Field(default=None, alias="from")
    to: Points | None = None
    points: Points

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if self.from_ is not None and self.to is not None and self.to <= self.from_:
            raise ValueError(
                f"a band's 'to' ({_num(self.to)}) must be above its 'from' ({_num(self.from_)})"
            )
        return self

    def describe(self) -> str:
        """Human words for the band, e.g. '5 to under 10' or '5 or more'."""
        if self.from_ is None and self.to is None:
            return "any value"
        if self.from_ is None:
            return f"under {_num(self.to)}"
        if self.to is None:
            return f"{_num(self.from_)} or more"
        return f"{_num(self.from_)} to under {_num(self.to)}"


class RangesCriterion(_CriterionBase):
    """Points by numeric band; the first band that holds the value wins."""

    kind: Literal["ranges"]
    bands: list[Band] = Field(min_length=1)
    missing: Points = 0


class CategoriesCriterion(_CriterionBase):
    """Points by exact value, compared case- and space-insensitively."""

    kind: Literal["categories"]
    points: dict[str, Points] = Field(min_length=1)
    other: Points = 0
    missing: Points = 0

    @field_validator("points")
    @classmethod
    def _distinct_values(cls, v: dict[str, Points]) -> dict[str, Points]:
        seen: dict[str, str] = {}
        for key in v:
            norm = normalize_category(key)
            if not norm:
                raise ValueError("a category value is empty; use 'missing' for empty cells")
            if norm in seen:
                raise ValueError(
                    f"the values {seen[norm]!r} and {key!r} are the same once case and spaces "
                    "are ignored; keep one"
                )
            seen[norm] = key
        return v


class EmailDomainCriterion(_CriterionBase):
    """Points when the e-mail's domain (the part after '@', or a bare domain) is in the list."""

    kind: Literal["email_domain"]
    domains: list[str] = Field(min_length=1)
    points: Points

    @field_validator("domains")
    @classmethod
    def _clean_domains(cls, v: list[str]) -> list[str]:
        cleaned = [d.strip().lower().lstrip("@") for d in v]
        if any(not d for d in cleaned):
            raise ValueError("a domain in 'domains' is empty")
        return cleaned


class Decay(_Strict):
    """How an activity's points fade with its age (whole days before ``as_of``).

    At most one of the three keys; none (``{}``) means no decay, which lets a criterion opt out
    of the model's default.
    """

    half_life_days: float | None = Field(default=None, gt=0)
    linear_percent_per_month: float | None = Field(default=None, gt=0, le=100)
    expire_after_days: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one(self) -> Decay:
        set_ = [k for k, v in self.model_dump().items() if v is not None]
        if len(set_) > 1:
            raise ValueError(
                f"decay takes one of half_life_days, linear_percent_per_month or "
                f"expire_after_days, not {' and '.join(set_)}"
            )
        return self

    @property
    def active(self) -> bool:
        """Whether this decay changes anything."""
        return any(v is not None for v in self.model_dump().values())

    def weight(self, age_days: float) -> float:
        """The share of the points an activity ``age_days`` old keeps (the compiler's rule)."""
        if self.half_life_days is not None:
            return float(0.5 ** (age_days / self.half_life_days))
        if self.linear_percent_per_month is not None:
            months = age_days // 30
            return max(0.0, 1.0 - self.linear_percent_per_month / 100 * months)
        if self.expire_after_days is not None:
            return 1.0 if age_days <= self.expire_after_days else 0.0
        return 1.0

    def describe(self) -> str:
        """Human words, e.g. 'half-life 30 days'."""
        if self.half_life_days is not None:
            return f"half-life {_num(self.half_life_days)} days"
        if self.linear_percent_per_month is not None:
            return f"-{_num(self.linear_percent_per_month)}% per month"
        if self.expire_after_days is not None:
            return f"expires after {self.expire_after_days} days"
        return "no decay"


class _ActivityBase(_Strict):
    """Common keys of the criteria that read the activity log instead of a lead column."""

    id: str
    label: str | None = None
    group: GroupName = "engagement"
    activity: str | list[str]
    detail: str | None = None
    max_points: Points | None = Field(default=None, gt=0)
    note: str | None = None
    # The leads column holding the lead id, filled in by ScoringModel (activity.lead_id_column)
    # so code that asks every criterion for its column gets the one this criterion joins on.
    _lead_column: str = PrivateAttr(default="")

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str) -> str:
        return _check_id(v)

    @field_validator("activity")
    @classmethod
    def _activities(cls, v: str | list[str]) -> str | list[str]:
        names = [v] if isinstance(v, str) else v
        if not names or any(not n.strip() for n in names):
            raise ValueError("'activity' needs at least one non-empty activity name")
        return v

    @field_validator("detail")
    @classmethod
    def _detail(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("'detail' is empty; leave it out to match any detail")
        return v

    @property
    def activities(self) -> list[str]:
        """The activity names, trimmed and lower-cased (how the log is compared)."""
        names = [self.activity] if isinstance(self.activity, str) else self.activity
        return [n.strip().lower() for n in names]

    @property
    def column(self) -> str:
        """The leads column this criterion joins the log on (the model's lead id column)."""
        return self._lead_column

    @property
    def title(self) -> str:
        """The label, or the id when there is none."""
        return self.label or self.id.replace("_", " ").capitalize()


class ActivityCountCriterion(_ActivityBase):
    """Points for how often an activity happened (optionally within the last D days).

    Either ``at_least`` + ``points`` (points once the count reaches N) or ``points_each``
    (points per occurrence, usually with ``max_points``).
    """

    kind: Literal["activity_count"]
    within_days: int | None = Field(default=None, ge=0)
    at_least: int | None = Field(default=None, ge=1)
    points: Points | None = None
    points_each: Points | None = None
    decay: Decay | None = None

    @model_validator(mode="after")
    def _one_rule(self) -> ActivityCountCriterion:
        threshold = self.at_least is not None or self.points is not None
        each = self.points_each is not None
        if threshold and each:
            raise ValueError("give either 'at_least' with 'points', or 'points_each', not both")
        if not threshold and not each:
            raise ValueError("give 'at_least' with 'points', or 'points_each'")
        if threshold and (self.at_least is None or self.points is None):
            raise ValueError("'at_least' and 'points' go together; give both")
        return self


class RecencyCriterion(_ActivityBase):
    """Points by days since the last activity of a kind, in bands; ``missing`` when never."""

    kind: Literal["recency"]
    bands: list[Band] = Field(min_length=1)
    missing: Points = 0


ACTIVITY_KINDS = ("activity_count", "recency")
ActivityCriterion = ActivityCountCriterion | RecencyCriterion

Criterion = Annotated[
    FlagCriterion
    | RangesCriterion
    | CategoriesCriterion
    | EmailDomainCriterion
    | ActivityCountCriterion
    | RecencyCriterion,
    Field(discriminator="kind"),
]
KINDS = ("flag", "ranges", "categories", "email_domain", *ACTIVITY_KINDS)


class ActivitySettings(_Strict):
    """How the activity log joins the leads, and the default decay of activity points."""

    lead_id_column: str = Field(min_length=1)
    decay: Decay | None = None


class Matrix(_Strict):
    """The fit × engagement grid: thresholds on the two group totals, cell names, MQL/SQL cells.

    Thresholds are listed best first (descending); a lead is in the first label whose
    threshold it reaches, and in the last label when it reaches none. A cell is named by its
    fit label followed by its engagement label (``A1``).
    """

    fit_thresholds: list[Points] = Field(min_length=1)
    engagement_thresholds: list[Points] = Field(min_length=1)
    fit_labels: list[str] | None = None
    engagement_labels: list[str] | None = None
    mql: list[str] = Field(default_factory=list)
    sql: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Matrix:
        for axis in ("fit", "engagement"):
            th: list[float] = getattr(self, f"{axis}_thresholds")
            if any(b >= a for a, b in zip(th, th[1:], strict=False)):
                raise ValueError(f"{axis}_thresholds must descend (best first), e.g. [60, 40, 20]")
            labels = getattr(self, f"{axis}_labels")
            if labels is not None:
                if len(labels) != len(th) + 1:
                    raise ValueError(
                        f"{axis}_labels needs {len(th) + 1} names: one per threshold plus one "
                        "for leads below them all"
                    )
                if len(set(labels)) != len(labels) or any(not x for x in labels):
                    raise ValueError(f"{axis}_labels must be distinct and non-empty")
        cells = set(self.cells())
        for key in ("mql", "sql"):
            for name in getattr(self, key):
                if name not in cells:
                    raise ValueError(
                        f"{key} names the cell {name!r}, which is not in the grid "
                        f"({', '.join(self.cells())})"
                    )
        return self

    @property
    def fit_names(self) -> list[str]:
        """Fit labels, best first (default A, B, C, …)."""
        return self.fit_labels or [chr(ord("A") + i) for i in range(len(self.fit_thresholds) + 1)]

    @property
    def engagement_names(self) -> list[str]:
        """Engagement labels, best first (default 1, 2, 3, …)."""
        return self.engagement_labels or [
            str(i + 1) for i in range(len(self.engagement_thresholds) + 1)
        ]

    def cells(self) -> list[str]:
        """Every cell name, fit-major, best first."""
        return [f + e for f in self.fit_names for e in self.engagement_names]


class ScoringModel(_Strict):
    """A whole lead scoring model, as kept in one YAML file."""

    format: Literal["lead-scoring-model/1"] = "lead-scoring-model/1"
    name: str = "Untitled model"
    description: str | None = None
    scale: Scale = Field(default_factory=Scale)
    tiers: list[Tier] = Field(min_length=1)
    groups: dict[GroupName, GroupCap] = Field(default_factory=dict)
    criteria: list[Criterion] = Field(default_factory=list)
    activity: ActivitySettings | None = None
    matrix: Matrix | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ScoringModel:
        uses_log = [
            c for c in self.criteria if isinstance(c, ActivityCountCriterion | RecencyCriterion)
        ]
        if uses_log and self.activity is None:
            raise ValueError(
                f"criterion {uses_log[0].id!r} reads the activity log: add "
                "'activity: {lead_id_column: <the leads column with the lead id>}'"
            )
        for log_c in uses_log:
            assert self.activity is not None
            log_c._lead_column = self.activity.lead_id_column
        names: set[str] = set()
        for tier in self.tiers:
            if tier.name in names:
                raise ValueError(f"two tiers are called {tier.name!r}; tier names must differ")
            names.add(tier.name)
        for lower, upper in zip(self.tiers, self.tiers[1:], strict=False):
            if upper.min_score <= lower.min_score:
                raise ValueError(
                    f"tiers must ascend: {upper.name} ({_num(upper.min_score)}) comes after "
                    f"{lower.name} ({_num(lower.min_score)}); list them from lowest to highest "
                    "min_score"
                )
        top = self.tiers[-1]
        if top.min_score > self.scale.max:
            raise ValueError(
                f"tier {top.name} starts at {_num(top.min_score)}, above the scale's max "
                f"({_num(self.scale.max)}), so no lead could reach it; lower it or raise the max"
            )
        ids: set[str] = set()
        for c in self.criteria:
            if c.id in ids:
                raise ValueError(f"two criteria have the id {c.id!r}; ids must be unique")
            ids.add(c.id)
        return self

    def tier_for(self, score: float) -> str:
        """The tier a score falls in; the lowest tier catches everything below the others."""
        name = self.tiers[0].name
        for tier in self.tiers:
            if score >= tier.min_score:
                name = tier.name
        return name

    def criterion(self, criterion_id: str) -> Criterion:
        """The criterion with this id (KeyError when absent)."""
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)


def uses_activity(model: ScoringModel) -> bool:
    """Whether any criterion reads the activity log."""
    return any(isinstance(c, ActivityCountCriterion | RecencyCriterion) for c in model.criteria)


def effective_decay(model: ScoringModel, c: ActivityCountCriterion) -> Decay | None:
    """The decay that applies to ``c``: its own, else the model's default; None when none."""
    decay = c.decay if c.decay is not None else (model.activity.decay if model.activity else None)
    return decay if decay is not None and decay.active else None


def _check_id(v: str) -> str:
    if not re.fullmatch(r"[a-z0-9_]+", v):
        suggestion = re.sub(r"[^a-z0-9_]+", "_", v.lower()).strip("_") or "criterion"
        raise ValueError(
            f"id {v!r} may use only lower-case letters, digits and _ (try {suggestion!r})"
        )
    return v


def normalize_category(value: str) -> str:
    """How category values are compared: trimmed, lower-cased, inner spaces folded to one."""
    return " ".join(value.split()).lower()


def _num(x: float | None) -> str:
    """Print 80.0 as 80 and 12.5 as 12.5 in messages."""
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else str(x)


def format_number(x: float | None) -> str:
    """Public form of the number printer used in messages and labels."""
    return _num(x)
