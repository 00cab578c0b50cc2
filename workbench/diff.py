"""Compare two models: what changed, in words, and whom it moves on the same leads.

Three parts:

- :func:`diff_models`: the differences as atomic :class:`Change` objects (one criterion added,
  one category's points, one tier threshold…), each a sentence, and each able to apply itself
  alone to the old model;
- :func:`compare_models`: both models score the same table in one DuckDB query (joined on the
  row position), giving the tier-migration matrix (old tier × new tier), tier counts and, with
  an outcome, conversion per tier and the backtest metrics of each model (AUC, top 10 %);
  and, for each atomic change applied alone, how many leads cross a tier threshold;
- :func:`cell_leads`: the leads behind one cell of the matrix, a page at a time.
"""

from __future__ import annotations

import copy
import datetime
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import duckdb
import pandas as pd

from workbench.backtest import Backtest, ScoreCounts, evaluate, summary_and_backtest
from workbench.compiler import Params, Query, compile_scoring, input_aliases
from workbench.errors import UserError
from workbench.explain import signed
from workbench.model import (
    Band,
    CategoriesCriterion,
    Criterion,
    EmailDomainCriterion,
    FlagCriterion,
    RangesCriterion,
    ScoringModel,
    format_number,
    normalize_category,
)
from workbench.model_file import model_from_dict, model_to_dict
from workbench.scoring import row_position_sql
from workbench.sql import quote_identifier as q
from workbench.sql import resolve_column
from workbench.summary import outcome_sql

ChangeKind = Literal["added", "removed", "changed"]
ModelDict = dict[str, Any]

_ROWS = "_wb_rows"  # the materialised leads with their row position
_BATCH = 8  # variants scored per query when measuring single changes
# Top-level keys the diff puts in words; any other key's change is reported as a whole.
_WORDED_KEYS = {"format", "name", "description", "scale", "tiers", "groups", "criteria"}
# The kinds read from one lead column, which the diff takes apart field by field.
_COLUMN_KINDS = (FlagCriterion, RangesCriterion, CategoriesCriterion, EmailDomainCriterion)
KIND_WORDS = {
    "flag": "yes/no flag",
    "ranges": "numeric ranges",
    "categories": "categories",
    "email_domain": "e-mail domain list",
}


# =========================================================================== the differences


@dataclass(frozen=True)
class Change:
    """One atomic difference between two models.

    Attributes:
        kind: added, removed or changed.
        area: "model" (name, description), "scale", "tier", "group" or "criterion".
        target: the tier name, group name or criterion id concerned ("" for model and scale).
        text: the difference as a sentence.
        scoring: whether it can change a score or a tier (a label or a note cannot).
    """

    kind: ChangeKind
    area: str
    target: str
    text: str
    scoring: bool = True
    apply: Callable[[ModelDict], None] | None = field(default=None, compare=False, repr=False)

    def applied_to(self, model: ScoringModel) -> ScoringModel:
        """The model with only this change made.

        Raises:
            UserError: the change makes no valid model on its own (e.g. a new tier threshold
                that passes the next tier's).
        """
        data = model_to_dict(model)
        if self.apply is not None:
            self.apply(data)
        return model_from_dict(data, source="the model with only this change")

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``workbench diff --json``."""
        return {
            "kind": self.kind,
            "area": self.area,
            "target": self.target,
            "text": self.text,
            "scoring": self.scoring,
        }


def diff_models(old: ScoringModel, new: ScoringModel) -> list[Change]:
    """The differences from ``old`` to ``new``, each one atomic and in words.

    Criteria are matched by id, tiers by name, groups by name; criterion and tier order do not
    count. In a ``categories`` criterion each value is its own change, in ``email_domain`` each
    domain, and in ``ranges`` each band's points when the band edges are unchanged (otherwise
    the bands change as a whole).

    Args:
        old: the model before.
        new: the model after.

    Returns:
        The changes: model details, scale, tiers, group caps, then criteria in the new model's
        order (removed ones last).
    """
    changes: list[Change] = []
    changes += _model_changes(old, new)
    changes += _tier_changes(old, new)
    changes += _group_changes(old, new)
    new_crit = {c.id: c for c in new.criteria}
    old_crit = {c.id: c for c in old.criteria}
    for c in new.criteria:
        if c.id not in old_crit:
            changes.append(
                Change(
                    "added",
                    "criterion",
                    c.id,
                    f"New criterion {_who(c)}: {describe_rule(c)}.",
                    apply=_add_criterion(_dump_criterion(new, c.id)),
                )
            )
        else:
            changes += _criterion_changes(old_crit[c.id], c, new)
    for c in old.criteria:
        if c.id not in new_crit:
            changes.append(
                Change(
                    "removed",
                    "criterion",
                    c.id,
                    f"Removed criterion {_who(c)} ({describe_rule(c)}).",
                    apply=_remove_criterion(c.id),
                )
            )
    return changes


def _model_changes(old: ScoringModel, new: ScoringModel) -> list[Change]:
    out = []
    if old.name != new.name:
        text = f'Renamed "{old.name}" to "{new.name}".'
        out.append(Change("changed", "model", "", text, False, _set(["name"], new.name)))
    if (old.description or "") != (new.description or ""):
        apply = _set(["description"], new.description)
        out.append(Change("changed", "model", "", "The description changed.", False, apply))
    # Top-level settings this module has no words for (e.g. the activity log's): one change each.
    before, after = model_to_dict(old), model_to_dict(new)
    for key in sorted((set(before) | set(after)) - _WORDED_KEYS):
        if before.get(key) != after.get(key):
            text = f"The {key.replace('_', ' ')} settings changed."
            out.append(Change("changed", "model", key, text, apply=_set([key], after.get(key))))
    for end in ("min", "max"):
        a, b = getattr(old.scale, end), getattr(new.scale, end)
        if a != b:
            out.append(
                Change(
                    "changed",
                    "scale",
                    "",
                    f"The scale's {end} is now {format_number(b)} (was {format_number(a)}).",
                    apply=_set(["scale", end], b),
                )
            )
    return out


def _tier_changes(old: ScoringModel, new: ScoringModel) -> list[Change]:
    out = []
    before = {t.name: t.min_score for t in old.tiers}
    after = {t.name: t.min_score for t in new.tiers}
    for name, start in after.items():
        if name not in before:
            out.append(
                Change(
                    "added",
                    "tier",
                    name,
                    f'New tier "{name}" from {format_number(start)} points.',
                    apply=_put_tier(name, start),
                )
            )
        elif before[name] != start:
            moved = "up" if start > before[name] else "down"
            out.append(
                Change(
                    "changed",
                    "tier",
                    name,
                    f'Tier "{name}" now starts at {format_number(start)} points (was '
                    f"{format_number(before[name])}; threshold moved {moved}).",
                    apply=_put_tier(name, start),
                )
            )
    for name, start in before.items():
        if name not in after:
            out.append(
                Change(
                    "removed",
                    "tier",
                    name,
                    f'Removed tier "{name}" (from {format_number(start)} points).',
                    apply=_drop_tier(name),
                )
            )
    return out


def _group_changes(old: ScoringModel, new: ScoringModel) -> list[Change]:
    out = []
    for group in ("fit", "engagement"):
        a, b = old.groups.get(group), new.groups.get(group)
        if a is None and b is None:
            continue
        if a is None and b is not None:
            text = f"The {group} criteria are now capped at {format_number(b.max_points)} points."
            out.append(Change("added", "group", group, text, apply=_set_group(group, b.max_points)))
        elif a is not None and b is None:
            text = f"The {group} criteria are no longer capped (was {format_number(a.max_points)})."
            out.append(Change("removed", "group", group, text, apply=_set_group(group, None)))
        elif a is not None and b is not None and a.max_points != b.max_points:
            text = (
                f"The cap on the {group} criteria is now {format_number(b.max_points)} points "
                f"(was {format_number(a.max_points)})."
            )
            out.append(
                Change("changed", "group", group, text, apply=_set_group(group, b.max_points))
            )
    return out


def _criterion_changes(a: Criterion, b: Criterion, new: ScoringModel) -> list[Change]:
    """Field-by-field differences of one criterion kept under the same id."""
    who = _who(b)
    cid = b.id
    out: list[Change] = []

    def change(text: str, apply: Callable[[ModelDict], None], scoring: bool = True) -> None:
        out.append(Change("changed", "criterion", cid, text, scoring, apply))

    if a.kind != b.kind:
        change(
            f"{who} is now a {KIND_WORDS.get(b.kind, b.kind)} criterion: {describe_rule(b)} "
            f"(was {describe_rule(a)}).",
            _replace_criterion(_dump_criterion(new, cid)),
        )
        return out
    if not isinstance(b, _COLUMN_KINDS):
        # A kind this module does not take apart (e.g. activity-log criteria): any change
        # to its rule is one change of the whole criterion.
        skip = {"label", "note"}
        if a.model_dump(exclude=skip) != b.model_dump(exclude=skip):
            change(
                f"{who} has a new rule: {describe_rule(b)} (was {describe_rule(a)}).",
                _replace_criterion(_dump_criterion(new, cid)),
            )
        if a.title != b.title:
            change(f'{who} was labelled "{a.title}".', _set_criterion(cid, "label", b.label), False)
        if (a.note or "") != (b.note or ""):
            change(f"The note of {who} changed.", _set_criterion(cid, "note", b.note), False)
        return out
    if a.title != b.title:
        change(f'{who} was labelled "{a.title}".', _set_criterion(cid, "label", b.label), False)
    if (a.note or "") != (b.note or ""):
        change(f"The note of {who} changed.", _set_criterion(cid, "note", b.note), False)
    if a.column != b.column:
        change(
            f'{who} now reads the column "{b.column}" (was "{a.column}").',
            _set_criterion(cid, "column", b.column),
        )
    if a.group != b.group:
        change(
            f"{who} moved from the {a.group} group to the {b.group} group.",
            _set_criterion(cid, "group", b.group),
        )
    if a.max_points != b.max_points:
        if b.max_points is None:
            text = f"{who} is no longer capped (was {format_number(a.max_points)})."
        elif a.max_points is None:
            text = f"{who} is now capped at {format_number(b.max_points)} points."
        else:
            text = (
                f"{who} is now capped at {format_number(b.max_points)} points (was "
                f"{format_number(a.max_points)})."
            )
        change(text, _set_criterion(cid, "max_points", b.max_points))

    if isinstance(a, FlagCriterion | EmailDomainCriterion) and isinstance(
        b, FlagCriterion | EmailDomainCriterion
    ):
        if a.points != b.points:
            change(
                f"{who} now gives {signed(b.points)} points (was {signed(a.points)}).",
                _set_criterion(cid, "points", b.points),
            )
    if isinstance(a, EmailDomainCriterion) and isinstance(b, EmailDomainCriterion):
        for d in b.domains:
            if d not in a.domains:
                change(f"{who} now also counts the domain {d}.", _add_domain(cid, d))
        for d in a.domains:
            if d not in b.domains:
                change(f"{who} no longer counts the domain {d}.", _drop_domain(cid, d))
    if isinstance(a, RangesCriterion) and isinstance(b, RangesCriterion):
        if a.missing != b.missing:
            change(
                f"{who} now gives {signed(b.missing)} points when the value is missing (was "
                f"{signed(a.missing)}).",
                _set_criterion(cid, "missing", b.missing),
            )
        same_edges = [(x.from_, x.to) for x in a.bands] == [(x.from_, x.to) for x in b.bands]
        if same_edges:
            for i, (x, y) in enumerate(zip(a.bands, b.bands, strict=True)):
                if x.points != y.points:
                    change(
                        f"{who}, band {x.describe()}: {signed(y.points)} points (was "
                        f"{signed(x.points)}).",
                        _set_band_points(cid, i, y.points),
                    )
        else:
            change(
                f"{who} has new bands: {_bands(b.bands)} (was {_bands(a.bands)}).",
                _set_criterion(cid, "bands", [_dump_band(x) for x in b.bands]),
            )
    if isinstance(a, CategoriesCriterion) and isinstance(b, CategoriesCriterion):
        for end in ("other", "missing"):
            x, y = getattr(a, end), getattr(b, end)
            if x != y:
                words = "any other value" if end == "other" else "an empty cell"
                change(
                    f"{who} now gives {signed(y)} points for {words} (was {signed(x)}).",
                    _set_criterion(cid, end, y),
                )
        before = {normalize_category(k): (k, v) for k, v in a.points.items()}
        after = {normalize_category(k): (k, v) for k, v in b.points.items()}
        for norm, (key, pts) in after.items():
            if norm not in before:
                change(
                    f'{who} now gives {signed(pts)} points for "{key}" (was {signed(a.other)}, '
                    "as any other value).",
                    _put_category(cid, key, pts),
                )
            elif before[norm][1] != pts:
                change(
                    f'{who} now gives {signed(pts)} points for "{key}" (was '
                    f"{signed(before[norm][1])}).",
                    _put_category(cid, key, pts),
                )
        for norm, (key, pts) in before.items():
            if norm not in after:
                change(
                    f'{who} no longer lists "{key}" (was {signed(pts)}; now {signed(b.other)}, '
                    "as any other value).",
                    _drop_category(cid, key),
                )
    return out


# -- words ----------------------------------------------------------------------------------


def _who(c: Criterion) -> str:
    return f'"{c.title}" ({c.id})'


def _bands(bands: Sequence[Band]) -> str:
    return "; ".join(f"{b.describe()} {signed(b.points)}" for b in bands)


def describe_rule(c: Criterion) -> str:
    """What a criterion gives, in words: '"Demo Requested" is yes: +80'.

    Args:
        c: the criterion.

    Returns:
        One phrase without a final full stop; caps are mentioned.
    """
    col = f'"{c.column}"'
    if isinstance(c, FlagCriterion):
        text = f"{col} is yes: {signed(c.points)}"
    elif isinstance(c, RangesCriterion):
        text = f"{col}: {_bands(c.bands)}"
        if c.missing:
            text += f"; missing {signed(c.missing)}"
    elif isinstance(c, CategoriesCriterion):
        listed = ", ".join(f"{k} {signed(v)}" for k, v in c.points.items())
        text = f"{col}: {listed}"
        if c.other:
            text += f"; any other value {signed(c.other)}"
        if c.missing:
            text += f"; empty {signed(c.missing)}"
    elif isinstance(c, EmailDomainCriterion):
        text = f"domain of {col} is {', '.join(c.domains)}: {signed(c.points)}"
    else:  # a kind without its own wording: its settings, as written in the file
        fields = c.model_dump(exclude={"id", "label", "group", "note", "kind", "max_points"})
        settings = ", ".join(
            f"{k} {signed(v) if isinstance(v, float) else v}"
            for k, v in fields.items()
            if v is not None
        )
        text = f"{c.kind.replace('_', ' ')}: {settings}"
    if c.max_points is not None:
        text += f" (capped at {format_number(c.max_points)})"
    return text


# -- applying one change to a model dict -----------------------------------------------------


def _dump_criterion(model: ScoringModel, cid: str) -> ModelDict:
    for c in model_to_dict(model)["criteria"]:
        if c["id"] == cid:
            return dict(c)
    raise KeyError(cid)  # pragma: no cover


def _dump_band(b: Band) -> ModelDict:
    return b.model_dump(by_alias=True, exclude_none=True)


def _criterion(data: ModelDict, cid: str) -> ModelDict:
    for c in data["criteria"]:
        if c["id"] == cid:
            return c
    raise KeyError(cid)  # pragma: no cover


def _set(path: list[str], value: Any) -> Callable[[ModelDict], None]:
    def apply(data: ModelDict) -> None:
        node = data
        for step in path[:-1]:
            node = node.setdefault(step, {})
        if value is None:
            node.pop(path[-1], None)
        else:
            node[path[-1]] = value

    return apply


def _put_tier(name: str, start: float) -> Callable[[ModelDict], None]:
    """Move a tier's threshold in place (passing a neighbour makes an invalid model, on
    purpose: tiers never swap order), or insert a new tier where its threshold falls."""

    def apply(data: ModelDict) -> None:
        tiers = data["tiers"]
        for t in tiers:
            if t["name"] == name:
                t["min_score"] = start
                return
        at = sum(1 for t in tiers if t["min_score"] < start)
        tiers.insert(at, {"name": name, "min_score": start})

    return apply


def _drop_tier(name: str) -> Callable[[ModelDict], None]:
    def apply(data: ModelDict) -> None:
        data["tiers"] = [t for t in data["tiers"] if t["name"] != name]

    return apply


def _set_group(group: str, cap: float | None) -> Callable[[ModelDict], None]:
    def apply(data: ModelDict) -> None:
        groups = data.setdefault("groups", {})
        if cap is None:
            groups.pop(group, None)
        else:
            groups[group] = {"max_points": cap}

    return apply


def _add_criterion(criterion: ModelDict) -> Callable[[ModelDict], None]:
    def apply(data: ModelDict) -> None:
        data["criteria"].append(copy.deepcopy(criterion))

    return apply


def _remove_criterion(cid: str) -> Callable[[ModelDict], None]:
    def apply(data: ModelDict) -> None:
        data["criteria"] = [c for c in data["criteria"] if c["id"] != cid]

    return apply


def _replace_criterion(criterion: ModelDict) -> Callable[[ModelDict], None]:
    def apply(data: ModelDict) -> None:
        data["criteria"] = [
            copy.deepcopy(criterion) if c["id"] == criterion["id"] else c for c in data["criteria"]
        ]

    return apply


def _set_criterion(cid: str, key: str, value: Any) -> Callable[[ModelDict], None]:
    def apply(data: ModelDict) -> None:
        c = _criterion(data, cid)
        if value is None:
            c.pop(key, None)
        else:
            c[key] = copy.deepcopy(value)

    return apply


def _set_band_points(cid: str, index: int, points: float) -> Callable[[ModelDict], None]:
    def apply(data: ModelDict) -> None:
        _criterion(data, cid)["bands"][index]["points"] = points

    return apply


def _add_domain(cid: str, domain: str) -> Callable[[ModelDict], None]:
    def apply(data: ModelDict) -> None:
        _criterion(data, cid)["domains"].append(domain)

    return apply


def _drop_domain(cid: str, domain: str) -> Callable[[ModelDict], None]:
    def apply(data: ModelDict) -> None:
        c = _criterion(data, cid)
        c["domains"] = [d for d in c["domains"] if d != domain]

    return apply


def _put_category(cid: str, key: str, points: float) -> Callable[[ModelDict], None]:
    def apply(data: ModelDict) -> None:
        c = _criterion(data, cid)
        norm = normalize_category(key)
        kept = {k: v for k, v in c["points"].items() if normalize_category(k) != norm}
        c["points"] = {**kept, key: points}

    return apply


def _drop_category(cid: str, key: str) -> Callable[[ModelDict], None]:
    def apply(data: ModelDict) -> None:
        c = _criterion(data, cid)
        norm = normalize_category(key)
        c["points"] = {k: v for k, v in c["points"].items() if normalize_category(k) != norm}

    return apply


# =========================================================================== scoring both


@dataclass(frozen=True)
class Cell:
    """One cell of the migration matrix: leads in ``old_tier`` before and ``new_tier`` after."""

    old_tier: str
    new_tier: str
    count: int
    converted: int | None = None


@dataclass(frozen=True)
class TierCount:
    """A tier's lead count under one model, and its conversion when an outcome is known."""

    name: str
    min_score: float
    count: int
    converted: int | None = None

    @property
    def conversion_rate(self) -> float | None:
        """Converted / count, or None without an outcome or leads."""
        if self.converted is None or not self.count:
            return None
        return self.converted / self.count


@dataclass(frozen=True)
class Impact:
    """What one change, applied alone to the old model, does to the tiers."""

    change: Change
    moved: int  # leads whose tier changes
    up: int  # … to a tier that starts higher
    down: int  # … to a tier that starts lower
    error: str | None = None  # why it could not be tried alone

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        out = {**self.change.to_json(), "moved": self.moved, "up": self.up, "down": self.down}
        if self.error:
            out["error"] = self.error
        return out


@dataclass(frozen=True)
class Comparison:
    """Two models on the same leads: migration, tier counts, metrics and the changes."""

    leads: int
    old_tiers: list[TierCount]
    new_tiers: list[TierCount]
    cells: list[Cell]  # every old tier × new tier, zeros included, in tier order
    changes: list[Change]
    impacts: list[Impact]  # scoring changes, most leads moved first
    old_backtest: Backtest | None = None
    new_backtest: Backtest | None = None

    @property
    def moved(self) -> int:
        """Leads whose tier name differs between the models."""
        return sum(c.count for c in self.cells if c.old_tier != c.new_tier)

    def count(self, old_tier: str, new_tier: str) -> int:
        """The leads in one cell."""
        for c in self.cells:
            if c.old_tier == old_tier and c.new_tier == new_tier:
                return c.count
        return 0

    def matrix_frame(self) -> pd.DataFrame:
        """The matrix as a table: one row per old tier, one column per new tier."""
        rows = [t.name for t in self.old_tiers]
        cols = [t.name for t in self.new_tiers]
        data = [[self.count(r, c) for c in cols] for r in rows]
        return pd.DataFrame(data, index=pd.Index(rows, name="old tier"), columns=cols)

    def to_json(self) -> dict[str, Any]:
        """The shape of ``workbench diff --json``."""

        def tiers(items: list[TierCount]) -> list[dict[str, Any]]:
            out = []
            for t in items:
                row: dict[str, Any] = {"name": t.name, "min_score": t.min_score, "count": t.count}
                if t.converted is not None:
                    row["converted"] = t.converted
                    rate = t.conversion_rate
                    row["conversion_rate"] = None if rate is None else round(rate, 4)
                out.append(row)
            return out

        data: dict[str, Any] = {
            "leads": self.leads,
            "moved": self.moved,
            "changes": [c.to_json() for c in self.changes],
            "migration": [
                {"old": c.old_tier, "new": c.new_tier, "count": c.count}
                | ({"converted": c.converted} if c.converted is not None else {})
                for c in self.cells
            ],
            "old": {"tiers": tiers(self.old_tiers)},
            "new": {"tiers": tiers(self.new_tiers)},
            "single_changes": [i.to_json() for i in self.impacts],
        }
        for key, bt in (("old", self.old_backtest), ("new", self.new_backtest)):
            if bt is not None:
                data[key]["auc"] = None if bt.auc is None else round(bt.auc, 4)
                data[key]["converted"] = bt.converted
                data[key]["top"] = {str(t.percent): _round(t.capture) for t in bt.top}
        return data


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


_PLACEHOLDER = re.compile(r'"(?:[^"]|"")*"|\'(?:[^\']|\'\')*\'|\$([A-Za-z_][A-Za-z0-9_]*)')


def rename_params(query: Query, prefix: str) -> Query:
    """The query with every ``$name`` placeholder renamed ``$<prefix><name>``.

    Placeholders are found outside quoted identifiers and string literals, so a column called
    ``"$p1"`` is left alone. Used to put several compiled models in one statement.
    """

    def swap(m: re.Match[str]) -> str:
        return m.group(0) if m.group(1) is None else f"${prefix}{m.group(1)}"

    params = {f"{prefix}{k}": v for k, v in query.params.items()}
    return Query(_PLACEHOLDER.sub(swap, query.sql), params)


@dataclass(frozen=True)
class _Scored:
    """SQL that scores several models over the same rows, joined on the row position."""

    ctes: str  # "WITH … " ready to prefix a SELECT
    params: dict[str, Any]
    join: str  # "FROM m0 JOIN m1 USING (row) …"
    row: str  # the row-position column
    conv: str | None  # the converted flag column (a BOOLEAN), with an outcome
    kept: dict[str, str]  # kept input column → its name in m0


def _unused(name: str, taken: Sequence[str]) -> str:
    folded = {t.casefold() for t in taken}
    out, n = name, 0
    while out.casefold() in folded:
        n += 1
        out = f"{name}_{n}"
    return out


def _scored(
    con: duckdb.DuckDBPyConnection,
    models: Sequence[ScoringModel],
    table: str,
    columns: Sequence[str],
    *,
    outcome: str | None = None,
    positive_values: Sequence[str] | None = None,
    keep: Sequence[str] = (),
    events: str | None = None,
    as_of: datetime.date | None = None,
) -> _Scored:
    cols = list(columns)
    row = _unused("_wb_row", cols)
    extra = f", {row_position_sql(con, table)} AS {q(row)}"
    params: dict[str, Any] = {}
    conv = None
    if outcome is not None:
        conv = _unused("_wb_converted", [*cols, row])
        p = Params(prefix="wb_o")
        extra += f", {outcome_sql(resolve_column(outcome, cols), positive_values, p)} AS {q(conv)}"
        params.update(p.values)
    base = [*cols, row] + ([conv] if conv else [])
    kept_real = [resolve_column(k, cols) for k in keep]
    ctes = [f"{q(_ROWS)} AS MATERIALIZED (SELECT *{extra} FROM {q(table)})"]
    kept: dict[str, str] = {}
    for i, model in enumerate(models):
        carry = [row] + ([conv] if conv and i == 0 else []) + (kept_real if i == 0 else [])
        query = rename_params(
            compile_scoring(model, _ROWS, base, keep=carry, events=events, as_of=as_of),
            f"wb_m{i}_",
        )
        ctes.append(f"{q(f'_wb_m{i}')} AS ({query.sql})")
        params.update(query.params)
        if i == 0:
            outputs = [f"points__{c.id}" for c in model.criteria] + ["score", "tier"]
            kept = {n: a for n, a in input_aliases(carry, outputs) if n in kept_real}
    join = f"FROM {q('_wb_m0')}" + "".join(
        f" JOIN {q(f'_wb_m{i}')} USING ({q(row)})" for i in range(1, len(models))
    )
    return _Scored("WITH " + ", ".join(ctes) + " ", params, join, row, conv, kept)


def compare_models(
    con: duckdb.DuckDBPyConnection,
    old: ScoringModel,
    new: ScoringModel,
    table: str,
    columns: Sequence[str],
    *,
    outcome: str | None = None,
    positive_values: Sequence[str] | None = None,
    single_changes: bool = True,
    events: str | None = None,
    as_of: datetime.date | None = None,
) -> Comparison:
    """Score both models on the same leads and compare them, all in DuckDB.

    Args:
        con: the connection holding the table.
        old: the model before (e.g. last quarter's).
        new: the model after.
        table: the leads table.
        columns: the table's columns (checked against both models).
        outcome: optional column that says whether a lead converted.
        positive_values: values of ``outcome`` that mean converted (default: the usual ones).
        single_changes: also try each scoring change alone on the old model.
        events: the activity log table, for activity criteria.
        as_of: the day activity is scored on (default today).

    Returns:
        The :class:`Comparison`.

    Raises:
        UserError: a model names a column the leads lack.
    """
    scored = _scored(
        con,
        [old, new],
        table,
        columns,
        outcome=outcome,
        positive_values=positive_values,
        events=events,
        as_of=as_of,
    )
    conv = f"CAST({q(scored.conv)} AS INTEGER)" if scored.conv else "CAST(NULL AS INTEGER)"
    m0, m1 = q("_wb_m0"), q("_wb_m1")
    # One scan: the matrix cells, and leads/conversions per distinct score of each model.
    rows = con.execute(
        f"{scored.ctes}, _wb_pairs AS (SELECT {m0}.tier AS t0, {m1}.tier AS t1, {m0}.score AS s0, "
        f"{m1}.score AS s1, {conv} AS c {scored.join}) "
        "SELECT t0, t1, s0, s1, count(*), sum(c), grouping(t0, t1, s0, s1) AS g "
        "FROM _wb_pairs GROUP BY GROUPING SETS ((t0, t1), (s0), (s1))",
        scored.params,
    ).fetchall()
    with_outcome = scored.conv is not None
    found = {(r[0], r[1]): (int(r[4]), int(r[5] or 0)) for r in rows if r[6] == 0b0011}
    cells = [
        Cell(
            a.name,
            b.name,
            found.get((a.name, b.name), (0, 0))[0],
            found.get((a.name, b.name), (0, 0))[1] if with_outcome else None,
        )
        for a in old.tiers
        for b in new.tiers
    ]

    def tier_counts(model: ScoringModel, tier_of: Callable[[Cell], str]) -> list[TierCount]:
        """Each of ``model``'s tiers with the cells ``tier_of`` puts in it, summed."""
        out = []
        for t in model.tiers:
            mine = [c for c in cells if tier_of(c) == t.name]
            converted = sum(c.converted or 0 for c in mine) if with_outcome else None
            out.append(TierCount(t.name, t.min_score, sum(c.count for c in mine), converted))
        return out

    old_tiers = tier_counts(old, lambda c: c.old_tier)
    new_tiers = tier_counts(new, lambda c: c.new_tier)
    old_bt = new_bt = None
    if with_outcome:
        by_old = [r for r in rows if r[6] == 0b1101]  # grouped by s0 only
        by_new = [r for r in rows if r[6] == 0b1110]  # grouped by s1 only
        old_bt = evaluate(_counts(by_old, 2), old)
        new_bt = evaluate(_counts(by_new, 3), new)
    changes = diff_models(old, new)
    impacts = (
        measure_changes(con, old, changes, table, columns, events=events, as_of=as_of)
        if single_changes
        else []
    )
    return Comparison(
        leads=sum(c.count for c in cells),
        old_tiers=old_tiers,
        new_tiers=new_tiers,
        cells=cells,
        changes=changes,
        impacts=impacts,
        old_backtest=old_bt,
        new_backtest=new_bt,
    )


def _counts(rows: Sequence[tuple[Any, ...]], score_index: int) -> ScoreCounts:
    return ScoreCounts.from_arrays(
        [float(r[score_index]) for r in rows],
        [int(r[4]) for r in rows],
        [int(r[5] or 0) for r in rows],
    )


def measure_changes(
    con: duckdb.DuckDBPyConnection,
    old: ScoringModel,
    changes: Sequence[Change],
    table: str,
    columns: Sequence[str],
    *,
    events: str | None = None,
    as_of: datetime.date | None = None,
) -> list[Impact]:
    """For each scoring change applied alone to ``old``: how many leads change tier.

    Args:
        con: the connection holding the table.
        old: the model the changes are applied to.
        changes: from :func:`diff_models`.
        table: the leads table.
        columns: its columns.
        events: the activity log table, for activity criteria.
        as_of: the day activity is scored on (default today).

    Returns:
        One :class:`Impact` per scoring change, most leads moved first (ties in change
        order). A change that makes no valid model alone (or names a column the leads lack)
        has ``moved == 0`` and says why in ``error``.
    """
    old_rank = {t.name: t.min_score for t in old.tiers}
    tried: list[tuple[Change, ScoringModel]] = []
    impacts: dict[int, Impact] = {}
    for i, change in enumerate(changes):
        if not change.scoring:
            continue
        try:
            variant = change.applied_to(old)
            for c in variant.criteria:
                resolve_column(c.column, columns)
        except UserError as e:
            impacts[i] = Impact(change, 0, 0, 0, error=str(e))
            continue
        tried.append((change, variant))
    order = {id(c): i for i, c in enumerate(changes)}
    for start in range(0, len(tried), _BATCH):
        batch = tried[start : start + _BATCH]
        scored = _scored(
            con, [old, *(v for _, v in batch)], table, columns, events=events, as_of=as_of
        )
        tiers = ", ".join(f"{q(f'_wb_m{k}')}.tier AS t{k}" for k in range(len(batch) + 1))
        sets = ", ".join(f"(t0, t{k})" for k in range(1, len(batch) + 1))
        others = ", ".join(f"t{k}" for k in range(1, len(batch) + 1))
        rows = con.execute(
            f"{scored.ctes}, _wb_pairs AS (SELECT {tiers} {scored.join}) "
            f"SELECT t0, {others}, count(*) FROM _wb_pairs GROUP BY GROUPING SETS ({sets})",
            scored.params,
        ).fetchall()
        for k, (change, variant) in enumerate(batch, start=1):
            rank = {t.name: t.min_score for t in variant.tiers}
            moved = up = down = 0
            for r in rows:
                before, after, n = r[0], r[k], int(r[-1])
                if after is None or before == after:
                    continue
                moved += n
                if rank[after] > old_rank[before]:
                    up += n
                else:
                    down += n
            impacts[order[id(change)]] = Impact(change, moved, up, down)
    ranked = [impacts[i] for i in sorted(impacts)]
    return sorted(ranked, key=lambda imp: -imp.moved)


def cell_leads(
    con: duckdb.DuckDBPyConnection,
    old: ScoringModel,
    new: ScoringModel,
    table: str,
    columns: Sequence[str],
    old_tier: str,
    new_tier: str,
    *,
    keep: Sequence[str] | None = None,
    limit: int = 50,
    offset: int = 0,
    events: str | None = None,
    as_of: datetime.date | None = None,
) -> pd.DataFrame:
    """The leads in one cell of the migration matrix, a page at a time.

    Args:
        con: the connection holding the table.
        old: the model before.
        new: the model after.
        table: the leads table.
        columns: its columns.
        old_tier: the cell's tier under ``old``.
        new_tier: the cell's tier under ``new``.
        keep: input columns to show (default: all).
        limit: rows per page.
        offset: rows to skip (page × limit).
        events: the activity log table, for activity criteria.
        as_of: the day activity is scored on (default today).

    Returns:
        The kept columns, then ``old_score``, ``old_tier``, ``new_score``, ``new_tier``;
        highest new score first, ties in file order. Kept columns that collide with those
        names are shown as ``<name>_input``.

    Raises:
        UserError: a tier name is not one of its model's tiers.
    """
    for tier, model, which in ((old_tier, old, "old"), (new_tier, new, "new")):
        names = [t.name for t in model.tiers]
        if tier not in names:
            raise UserError(
                f"The {which} model has no tier {tier!r}; its tiers are {', '.join(names)}."
            )
    if limit < 0 or offset < 0:
        raise ValueError("limit and offset must be zero or positive")
    kept_cols = list(columns) if keep is None else [resolve_column(k, columns) for k in keep]
    scored = _scored(con, [old, new], table, columns, keep=kept_cols, events=events, as_of=as_of)
    m0, m1 = q("_wb_m0"), q("_wb_m1")
    outputs = ["old_score", "old_tier", "new_score", "new_tier"]
    select = [
        f"{m0}.{q(scored.kept[name])} AS {q(alias)}"
        for name, alias in input_aliases(kept_cols, outputs)
    ]
    select += [
        f"{m0}.score AS old_score",
        f"{m0}.tier AS old_tier",
        f"{m1}.score AS new_score",
        f"{m1}.tier AS new_tier",
    ]
    params = {**scored.params, "wb_ot": old_tier, "wb_nt": new_tier}
    params |= {"wb_limit": limit, "wb_offset": offset}
    sql = (
        f"{scored.ctes}SELECT {', '.join(select)} {scored.join} "
        f"WHERE {m0}.tier = $wb_ot AND {m1}.tier = $wb_nt "
        f"ORDER BY {m1}.score DESC, {m0}.{q(scored.row)} LIMIT $wb_limit OFFSET $wb_offset"
    )
    return con.sql(sql, params=params).to_arrow_table().to_pandas()


# =========================================================================== side by side


def proposals_table(
    con: duckdb.DuckDBPyConnection,
    proposals: Sequence[tuple[str, ScoringModel]],
    table: str,
    columns: Sequence[str],
    *,
    outcome: str | None = None,
    positive_values: Sequence[str] | None = None,
    events: str | None = None,
    as_of: datetime.date | None = None,
) -> pd.DataFrame:
    """Several models on the same leads, one row per model and tier, for a side-by-side view.

    Args:
        con: the connection holding the table.
        proposals: (label, model) pairs.
        table: the leads table.
        columns: its columns.
        outcome: optional column that says whether a lead converted.
        positive_values: values of ``outcome`` that mean converted.
        events: the activity log table, for activity criteria.
        as_of: the day activity is scored on (default today).

    Returns:
        Columns ``model``, ``tier`` (highest first), ``from`` (its min score), ``leads``,
        ``share``; with an outcome also ``conversion`` per tier, and per model (repeated on
        its rows) ``AUC`` and ``top 10% capture``.

    Raises:
        UserError: a model names a column the leads lack.
    """
    rows: list[dict[str, Any]] = []
    for label, model in proposals:
        summary, bt = summary_and_backtest(
            con,
            model,
            table,
            columns,
            outcome=outcome,
            positive_values=positive_values,
            events=events,
            as_of=as_of,
        )
        extra: dict[str, Any] = {}
        if bt is not None:
            top = next((t for t in bt.top if t.percent == 10), None)
            extra = {"AUC": bt.auc, "top 10% capture": top.capture if top else None}
        for t in reversed(summary.tiers):
            row: dict[str, Any] = {
                "model": label,
                "tier": t.name,
                "from": t.min_score,
                "leads": t.count,
                "share": t.share,
            }
            if outcome is not None:
                row["conversion"] = t.conversion_rate
            rows.append(row | extra)
    return pd.DataFrame(rows)


# =========================================================================== chart


def format_comparison(cmp: Comparison, old_label: str = "old", new_label: str = "new") -> str:
    """The comparison as plain text: changes, migration matrix, tiers and single changes.

    Args:
        cmp: from :func:`compare_models`.
        old_label: how to name the old model.
        new_label: how to name the new model.

    Returns:
        Lines of text without a trailing newline.
    """
    lines = [f"{old_label} → {new_label} on {cmp.leads:,} leads", ""]
    if cmp.changes:
        lines.append("What changed")
        lines += [f"  - {c.text}" for c in cmp.changes]
    else:
        lines.append("The two models are the same.")
    lines += ["", f"Tier migration (rows: {old_label}, columns: {new_label})"]
    header = ["", *(t.name for t in cmp.new_tiers), "total"]
    table = [header]
    for t in cmp.old_tiers:
        counts = [cmp.count(t.name, n.name) for n in cmp.new_tiers]
        table.append([t.name, *(f"{x:,}" for x in counts), f"{t.count:,}"])
    table.append(["total", *(f"{t.count:,}" for t in cmp.new_tiers), f"{cmp.leads:,}"])
    lines += ["  " + line for line in _align(table)]
    share = cmp.moved / cmp.leads if cmp.leads else 0.0
    lines.append(f"  {cmp.moved:,} leads ({share:.1%}) change tier.")

    if cmp.old_backtest is not None and cmp.new_backtest is not None:
        lines += ["", "Conversion per tier"]
        rows = [["", "leads", "converted", "rate"]]
        for label, tiers in ((old_label, cmp.old_tiers), (new_label, cmp.new_tiers)):
            for t in tiers:
                rate = t.conversion_rate
                rows.append(
                    [
                        f"{label}: {t.name}",
                        f"{t.count:,}",
                        f"{t.converted or 0:,}",
                        "-" if rate is None else f"{rate:.1%}",
                    ]
                )
        lines += ["  " + line for line in _align(rows)]
        lines.append("  " + _metrics_line(cmp.old_backtest, cmp.new_backtest))

    moving = [i for i in cmp.impacts if i.moved]
    if cmp.impacts:
        lines += ["", "Each change alone (applied to the old model)"]
        for imp in cmp.impacts:
            if imp.error:
                lines.append(f"  - cannot be tried alone: {imp.change.text} ({imp.error})")
            else:
                lines.append(
                    f"  - {imp.moved:,} leads change tier ({imp.up:,} up, {imp.down:,} down): "
                    f"{imp.change.text}"
                )
        if moving:
            lines.append(f"  The change that moves the most leads: {moving[0].change.text}")
    return "\n".join(lines)


def _metrics_line(old: Backtest, new: Backtest) -> str:
    parts = []
    if old.auc is not None and new.auc is not None:
        parts.append(f"AUC {old.auc:.3f} → {new.auc:.3f} ({new.auc - old.auc:+.3f})")
    for a, b in zip(old.top, new.top, strict=True):
        if a.capture is not None and b.capture is not None:
            parts.append(
                f"top {a.percent}% of leads hold {a.capture:.1%} → {b.capture:.1%} of conversions"
            )
            break
    return "; ".join(parts) + "." if parts else "No conversions to compare."


def _align(table: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in table
    ]
