"""Pure edits of a model dict, as the Criteria page makes them.

The app keeps the model as a plain dict (the shape of :func:`workbench.model_file.model_to_dict`);
these helpers return changed copies and turn the page's tables (bands, category points) into
model fields and back. They never validate: the caller validates the whole model once.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from workbench.errors import UserError

ModelDict = dict[str, Any]
Row = dict[str, Any]

BAND_COLUMNS = ("From", "To", "Points")
CATEGORY_COLUMNS = ("Value", "Points")


def add_criterion(model: ModelDict, criterion: Mapping[str, Any]) -> ModelDict:
    """A copy of ``model`` with ``criterion`` appended."""
    out = copy.deepcopy(model)
    out.setdefault("criteria", []).append(copy.deepcopy(dict(criterion)))
    return out


def remove_criterion(model: ModelDict, criterion_id: str) -> ModelDict:
    """A copy of ``model`` without the criterion with this id."""
    out = copy.deepcopy(model)
    out["criteria"] = [c for c in out.get("criteria", []) if c.get("id") != criterion_id]
    return out


def replace_criteria(model: ModelDict, criteria: Iterable[Mapping[str, Any]]) -> ModelDict:
    """A copy of ``model`` whose criteria are ``criteria`` (tiers, scale and name kept)."""
    out = copy.deepcopy(model)
    out["criteria"] = [copy.deepcopy(dict(c)) for c in criteria]
    return out


def bands_to_rows(bands: Sequence[Mapping[str, Any]]) -> list[Row]:
    """Bands as table rows with the columns From, To, Points (an open end is None)."""
    return [{"From": b.get("from"), "To": b.get("to"), "Points": b.get("points")} for b in bands]


def rows_to_bands(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Table rows back into bands; fully empty rows are dropped, an empty Points is 0.

    Raises:
        UserError: a cell holds something that is not a number.
    """
    bands = []
    for n, row in enumerate(rows, start=1):
        start, end, points = (_number(row.get(k), f"band {n}, {k}") for k in BAND_COLUMNS)
        if start is None and end is None and points is None:
            continue
        band: dict[str, Any] = {}
        if start is not None:
            band["from"] = start
        if end is not None:
            band["to"] = end
        band["points"] = points or 0
        bands.append(band)
    return bands


def categories_to_rows(points: Mapping[str, Any]) -> list[Row]:
    """Category points as table rows with the columns Value, Points."""
    return [{"Value": value, "Points": pts} for value, pts in points.items()]


def rows_to_categories(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Table rows back into ``{value: points}``; rows without a value are dropped.

    Raises:
        UserError: a Points cell is not a number.
    """
    out: dict[str, Any] = {}
    for row in rows:
        value = row.get("Value")
        if value is None or not str(value).strip():
            continue
        key = " ".join(str(value).split())
        out[key] = _number(row.get("Points"), f"the points of {key!r}") or 0
    return out


def parse_domains(text: str) -> list[str]:
    """Domains typed as one line: separated by commas, semicolons or spaces; '@' dropped."""
    parts = re.split(r"[\s,;]+", text.strip().lower())
    seen: list[str] = []
    for p in parts:
        d = p.lstrip("@")
        if d and d not in seen:
            seen.append(d)
    return seen


def apply_table_edits(rows: Sequence[Mapping[str, Any]], edits: Mapping[str, Any]) -> list[Row]:
    """Apply a table widget's edit record to the rows it was drawn from.

    Args:
        rows: the rows the table showed.
        edits: ``{"edited_rows": {index: {column: value}}, "added_rows": [{column: value}],
            "deleted_rows": [index]}`` (the shape Streamlit's data editor reports).

    Returns:
        The rows after the edits, deleted rows removed and added rows at the end.
    """
    out = [dict(r) for r in rows]
    for index, change in (edits.get("edited_rows") or {}).items():
        i = int(index)
        if 0 <= i < len(out):
            out[i].update(change)
    deleted = {int(i) for i in edits.get("deleted_rows") or []}
    out = [r for i, r in enumerate(out) if i not in deleted]
    out += [dict(r) for r in edits.get("added_rows") or []]
    return out


def _number(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip().replace(",", ".")
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            raise UserError(f"{where} should be a number, not {value!r}.") from None
    number = float(value)
    if math.isnan(number):
        return None
    return int(number) if number.is_integer() else number


# --------------------------------------------------------------------------- activity criteria

DECAY_MODES = ("none", "half_life_days", "linear_percent_per_month", "expire_after_days")
COUNT_RULES = ("at_least", "points_each")
DEFAULT_MATRIX: dict[str, Any] = {"fit_thresholds": [40, 20], "engagement_thresholds": [30, 10]}


def unique_id(base: str, taken: Iterable[str]) -> str:
    """``base`` made id-shaped (a-z, 0-9, _), with ``_2``, ``_3``… when it is taken."""
    stem = re.sub(r"[^a-z0-9]+", "_", base.lower()).strip("_") or "criterion"
    used = set(taken)
    name, n = stem, 2
    while name in used:
        name, n = f"{stem}_{n}", n + 1
    return name


def new_activity_criterion(kind: str, activity: str, taken: Iterable[str]) -> dict[str, Any]:
    """A starting ``activity_count`` (3+ in 30 days: 10) or ``recency`` criterion.

    Args:
        kind: ``"activity_count"`` or ``"recency"``.
        activity: the activity name, as the log spells it.
        taken: ids already in the model.

    Returns:
        The criterion dict (its id made unique against ``taken``).

    Raises:
        UserError: the activity name is empty or the kind is not an activity kind.
    """
    name = " ".join(activity.split())
    if not name:
        raise UserError("Pick or type the activity the criterion counts.")
    if kind == "activity_count":
        return {
            "id": unique_id(f"{name} count", taken),
            "label": f"3 or more {name} in 30 days",
            "group": "engagement",
            "kind": "activity_count",
            "activity": name,
            "within_days": 30,
            "at_least": 3,
            "points": 10,
        }
    if kind == "recency":
        return {
            "id": unique_id(f"{name} recency", taken),
            "label": f"Recent {name}",
            "group": "engagement",
            "kind": "recency",
            "activity": name,
            "bands": [{"to": 14, "points": 20}, {"from": 14, "to": 60, "points": 5}],
            "missing": 0,
        }
    raise UserError(f"{kind!r} is not an activity criterion kind (activity_count, recency).")


def add_activity_criterion(
    model: ModelDict, criterion: Mapping[str, Any], lead_id_column: str | None
) -> ModelDict:
    """A copy of ``model`` with an activity criterion appended.

    The model's ``activity.lead_id_column`` (how the log joins the leads) is set to
    ``lead_id_column`` when the model has none yet.

    Raises:
        UserError: the model has no lead id column and none is given.
    """
    out = add_criterion(model, criterion)
    if not (out.get("activity") or {}).get("lead_id_column"):
        if not lead_id_column:
            raise UserError(
                "Pick the leads column with the lead id first (the ID column on the Data page)."
            )
        out.setdefault("activity", {})["lead_id_column"] = lead_id_column
    return out


def set_count_rule(model: ModelDict, criterion_id: str, rule: str) -> ModelDict:
    """Switch an ``activity_count`` criterion between ``at_least`` + ``points`` and ``points_each``.

    The points carry over: 10 once the count reaches N becomes 10 each, and back.
    """
    out = copy.deepcopy(model)
    for c in out.get("criteria", []):
        if c.get("id") != criterion_id or c.get("kind") != "activity_count":
            continue
        if rule == "points_each" and "points_each" not in c:
            c["points_each"] = c.pop("points", None) or 1
            c.pop("at_least", None)
        elif rule == "at_least" and "at_least" not in c:
            c["points"] = c.pop("points_each", None) or 10
            c["at_least"] = 1
    return out


def count_rule(criterion: Mapping[str, Any]) -> str:
    """Which rule an ``activity_count`` criterion uses: ``"at_least"`` or ``"points_each"``."""
    return "points_each" if criterion.get("points_each") is not None else "at_least"


def decay_mode(decay: Mapping[str, Any] | None) -> tuple[str, float | None]:
    """A decay dict as (mode, value): ``("half_life_days", 30)``, or ``("none", None)``."""
    for mode in DECAY_MODES[1:]:
        if (decay or {}).get(mode) is not None:
            return mode, (decay or {})[mode]
    return "none", None


DECAY_DEFAULTS = {"half_life_days": 30, "linear_percent_per_month": 20, "expire_after_days": 90}


def set_decay(
    model: ModelDict, mode: str, value: float | None = None, lead_id_column: str | None = None
) -> ModelDict:
    """A copy of ``model`` with the model-level decay of activity points set.

    Args:
        model: the model dict.
        mode: ``"none"`` or one of the decay keys (``half_life_days``, ...).
        value: the key's value; a default (30 days, 20 %, 90 days) when None.
        lead_id_column: used when the model has no ``activity`` settings yet.

    Raises:
        UserError: the mode is unknown, or a decay is asked for without a lead id column.
    """
    if mode not in DECAY_MODES:
        raise UserError(f"Unknown decay {mode!r}; pick one of {', '.join(DECAY_MODES)}.")
    out = copy.deepcopy(model)
    settings = out.get("activity")
    if mode == "none":
        if settings:
            settings.pop("decay", None)
        return out
    if not settings:
        if not lead_id_column:
            raise UserError("Pick the leads column with the lead id before setting a decay.")
        settings = out["activity"] = {"lead_id_column": lead_id_column}
    chosen = DECAY_DEFAULTS[mode] if value is None else value
    settings["decay"] = {mode: int(chosen) if float(chosen).is_integer() else chosen}
    return out


def set_matrix(model: ModelDict, on: bool) -> ModelDict:
    """A copy of ``model`` with the fit × engagement matrix added (a 3 × 3 default) or removed."""
    out = copy.deepcopy(model)
    if not on:
        out.pop("matrix", None)
    elif not out.get("matrix"):
        out["matrix"] = copy.deepcopy(DEFAULT_MATRIX)
    return out


def parse_thresholds(text: str) -> list[float]:
    """Thresholds typed as one line ("40, 20"), sorted best (highest) first, duplicates dropped.

    Raises:
        UserError: a part is not a number, or there is none.
    """
    values = {_number(p, f"the threshold {p!r}") for p in re.split(r"[\s,;]+", text.strip()) if p}
    numbers = sorted((v for v in values if v is not None), reverse=True)
    if not numbers:
        raise UserError("Give at least one threshold, e.g. 40, 20.")
    return numbers


def set_matrix_thresholds(model: ModelDict, axis: str, thresholds: Sequence[float]) -> ModelDict:
    """A copy of ``model`` with one matrix axis's thresholds replaced.

    When the number of thresholds changes, that axis's own labels no longer fit and are dropped
    (the defaults take over), and MQL/SQL cells that left the grid are dropped.
    """
    out = copy.deepcopy(model)
    matrix = out.setdefault("matrix", copy.deepcopy(DEFAULT_MATRIX))
    matrix[f"{axis}_thresholds"] = list(thresholds)
    labels = matrix.get(f"{axis}_labels")
    if labels is not None and len(labels) != len(thresholds) + 1:
        matrix.pop(f"{axis}_labels")
    cells = {f + e for f in _axis_names(matrix, "fit") for e in _axis_names(matrix, "engagement")}
    for key in ("mql", "sql"):
        if key in matrix:
            matrix[key] = [c for c in matrix[key] if c in cells]
    return out


def _axis_names(matrix: Mapping[str, Any], axis: str) -> list[str]:
    labels = matrix.get(f"{axis}_labels")
    if labels:
        return list(labels)
    n = len(matrix.get(f"{axis}_thresholds") or []) + 1
    if axis == "fit":
        return [chr(ord("A") + i) for i in range(n)]
    return [str(i + 1) for i in range(n)]


def activities_value(names: Iterable[str]) -> str | list[str]:
    """Picked activity names as the model stores them: one name as text, several as a list."""
    clean = [" ".join(n.split()) for n in names if n and n.strip()]
    return clean[0] if len(clean) == 1 else clean


def activity_names(value: str | Sequence[str] | None) -> list[str]:
    """A criterion's ``activity`` (text or list) as a list of names."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def parse_activities(text: str) -> str | list[str]:
    """Activity names typed as one line, separated by commas (a name may hold spaces)."""
    return activities_value(text.split(","))
