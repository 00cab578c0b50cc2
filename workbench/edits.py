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
