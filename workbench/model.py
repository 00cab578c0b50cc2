"""The scoring model: pydantic classes that mirror the YAML file (format lead-scoring-model/1).

Every class forbids unknown keys, so a typo in a file is an error with a line of explanation,
never a silent zero. ``docs/model-format.md`` is the authoritative description.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
        if not re.fullmatch(r"[a-z0-9_]+", v):
            suggestion = re.sub(r"[^a-z0-9_]+", "_", v.lower()).strip("_") or "criterion"
            raise ValueError(
                f"id {v!r} may use only lower-case letters, digits and _ (try {suggestion!r})"
            )
        return v

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


Criterion = Annotated[
    FlagCriterion | RangesCriterion | CategoriesCriterion | EmailDomainCriterion,
    Field(discriminator="kind"),
]
KINDS = ("flag", "ranges", "categories", "email_domain")


class ScoringModel(_Strict):
    """A whole lead scoring model, as kept in one YAML file."""

    format: Literal["lead-scoring-model/1"] = "lead-scoring-model/1"
    name: str = "Untitled model"
    description: str | None = None
    scale: Scale = Field(default_factory=Scale)
    tiers: list[Tier] = Field(min_length=1)
    groups: dict[GroupName, GroupCap] = Field(default_factory=dict)
    criteria: list[Criterion] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> ScoringModel:
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
