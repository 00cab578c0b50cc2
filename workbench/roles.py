"""First guesses at what each column is for: the lead ID, the outcome, the leakage columns.

The Data page shows these as starting choices the user can change; nothing here is final.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from workbench.propose import ProfileLike, looks_like_leakage, name_words
from workbench.summary import DEFAULT_POSITIVE

# Column names (as words) that usually say whether a lead converted.
_OUTCOME_NAMES = (
    "converted",
    "is converted",
    "won",
    "is won",
    "closed won",
    "outcome",
    "target",
    "conversion",
    "y",
)
_ID_NAMES = ("id", "lead id", "record id", "contact id", "person id", "customer id", "uuid")
# An outcome is a yes/no-like column: a handful of values at most.
_MAX_OUTCOME_VALUES = 10


@dataclass(frozen=True)
class Roles:
    """Guessed column roles.

    Attributes:
        id_column: the column that names each lead, or None.
        outcome: the column that says whether a lead converted, or None.
        positive_values: the outcome's values that mean "converted" (empty: the defaults).
        leakage: columns that look filled in after sales contact (never proposed as criteria).
    """

    id_column: str | None = None
    outcome: str | None = None
    positive_values: list[str] = field(default_factory=list)
    leakage: list[str] = field(default_factory=list)


def guess_roles(profiles: Sequence[ProfileLike], rows: int | None = None) -> Roles:
    """Guess the ID, outcome and leakage columns from a column profile.

    Args:
        profiles: the table's column profiles (``workbench.profile.ColumnProfile``).
        rows: the table's row count; an ID column must then have one value per row.

    Returns:
        The guesses; any may be empty.
    """
    id_column = _guess_id(profiles, rows)
    outcome = _guess_outcome(profiles)
    positive: list[str] = []
    if outcome is not None:
        prof = next(p for p in profiles if p.name == outcome)
        positive = [v for v, _ in prof.top_values if v.strip().lower() in DEFAULT_POSITIVE]
    leakage = [
        p.name
        for p in profiles
        if p.name not in (id_column, outcome) and looks_like_leakage(p.name)
    ]
    return Roles(id_column, outcome, positive, leakage)


def _guess_id(profiles: Sequence[ProfileLike], rows: int | None) -> str | None:
    def unique(p: ProfileLike) -> bool:
        return rows is None or p.distinct == rows

    named = [p for p in profiles if " ".join(name_words(p.name)) in _ID_NAMES and unique(p)]
    if named:
        return named[0].name
    kinds = [p for p in profiles if p.kind == "id" and unique(p)]
    return kinds[0].name if kinds else None


def _guess_outcome(profiles: Sequence[ProfileLike]) -> str | None:
    for wanted in _OUTCOME_NAMES:
        for p in profiles:
            few = p.distinct is not None and 0 < p.distinct <= _MAX_OUTCOME_VALUES
            if " ".join(name_words(p.name)) == wanted and few:
                return p.name
    return None
