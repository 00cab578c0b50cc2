"""Reading and writing model YAML files: strict, readable errors, lossless round-trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from workbench.errors import UserError
from workbench.model import FORMAT, ScoringModel
from workbench.sql import closest

MAX_FILE_BYTES = 1_000_000  # a real model is a few KB; anything this big is a mistake or an attack


def load_model_file(path: str | Path) -> ScoringModel:
    """Read and validate a model YAML file.

    Args:
        path: the file to read.

    Returns:
        The validated model.

    Raises:
        UserError: the file is missing, not YAML, or not a valid model (one readable sentence).
    """
    p = Path(path)
    if not p.is_file():
        raise UserError(f"There is no model file at {str(p)!r}; check the path.")
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UserError(_too_big(size))
    return load_model_text(p.read_bytes(), source=p.name)


def load_model_text(data: str | bytes, source: str = "the model file") -> ScoringModel:
    """Parse and validate model YAML given as text or bytes (e.g. an upload)."""
    if isinstance(data, bytes):
        if len(data) > MAX_FILE_BYTES:
            raise UserError(_too_big(len(data)))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise UserError(
                f"{source} is not UTF-8 text (byte {e.start} cannot be read); save it as UTF-8 "
                "and load it again."
            ) from None
    else:
        text = data
        if len(text.encode("utf-8")) > MAX_FILE_BYTES:
            raise UserError(_too_big(len(text.encode("utf-8"))))
    raw = _parse_yaml(text, source)
    return model_from_dict(raw, source=source, text=text)


def model_from_dict(raw: Any, source: str = "the model", text: str | None = None) -> ScoringModel:
    """Validate a plain dict (from YAML or session state) into a model, with readable errors."""
    if not isinstance(raw, dict):
        raise UserError(
            f"{source} does not describe a model: it should be a set of 'key: value' lines "
            f"starting with 'format: {FORMAT}'."
        )
    fmt = raw.get("format")
    if fmt is None:
        raise UserError(f"{source} has no 'format' line; add 'format: {FORMAT}' at the top.")
    if fmt != FORMAT:
        raise UserError(
            f"{source} is in format {fmt!r}, which this version does not know; it reads "
            f"{FORMAT!r}. Update the app, or fix the format line."
        )
    try:
        return ScoringModel.model_validate(raw)
    except ValidationError as e:
        raise UserError(describe_validation_error(e, raw, source, text)) from None


def dump_model_yaml(model: ScoringModel) -> str:
    """Write the model as YAML in a human order (the order of docs/model-format.md)."""
    doc = model_to_dict(model)
    body = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return "# Lead scoring model: edit in Lead Scoring Workbench or by hand.\n" + body


def model_to_dict(model: ScoringModel) -> dict[str, Any]:
    """The model as plain data in file order, without defaults that add nothing."""
    data = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    if not data.get("groups"):
        data.pop("groups", None)
    crits = []
    for c in data.get("criteria", []):
        order = ["id", "label", "group", "column", "kind", "points", "bands", "domains", "other"]
        order += ["missing", "max_points", "note"]
        order += [k for k in c if k not in order]  # activity kinds' own keys, in model order
        crits.append({k: _tidy(c[k]) for k in order if k in c})
    data["criteria"] = crits
    return {k: _tidy(v) for k, v in data.items()}


def _tidy(value: Any) -> Any:
    """Write 80.0 as 80 so files read the way people wrote them."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    return value


class _Dumper(yaml.SafeDumper):
    """Small mappings (tiers, bands, caps) on one line; everything else in block style."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    flat = all(not isinstance(v, dict | list) for v in data.values())
    short = len(json.dumps(data, ensure_ascii=False, default=str)) <= 60
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flat and short)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flat = all(not isinstance(v, dict | list) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)


_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(list, _represent_list)


def _parse_yaml(text: str, source: str) -> Any:
    """yaml.safe_load with aliases refused (no alias bombs) and readable syntax errors."""
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                line = mark.line + 1 if mark else "?"
                raise UserError(
                    f"{source} uses a YAML alias (*name) on line {line}; model files do not "
                    "allow anchors and aliases, so write the values out in full."
                )
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        where = f" on line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = e.problem or "it is not valid YAML"
        raise UserError(
            f"{source} could not be read as YAML{where}: {problem}. Check the indentation and "
            "the ':' after each key."
        ) from None
    except yaml.YAMLError as e:
        raise UserError(f"{source} could not be read as YAML: {e}.") from None


def describe_validation_error(
    error: ValidationError, raw: Any, source: str = "the model", text: str | None = None
) -> str:
    """Turn pydantic's first error into one sentence that names the place and the fix."""
    errors = error.errors()
    # An unknown key is usually a typo of a missing one: explain the typo, not the gap.
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = _visible_loc(first["loc"], raw)
    where = _describe_loc(loc, raw)
    line = _line_of(text, loc) if text else None
    at = f" (line {line})" if line else ""
    kind = first["type"]
    if kind == "extra_forbidden":
        key = loc[-1] if loc else "?"
        allowed = _allowed_keys(loc[:-1], raw)
        hint = f"; allowed keys here: {', '.join(allowed)}" if allowed else ""
        guess = closest(str(key), allowed) if allowed else None
        if guess:
            hint = f" (did you mean {guess!r}?){hint}"
        return f"{source}: unknown key {key!r} in {_describe_loc(loc[:-1], raw)}{at}{hint}."
    if kind == "missing":
        return f"{source}: {where} is missing{at}; add it."
    if kind == "union_tag_invalid":
        got = first.get("ctx", {}).get("tag", "?")
        return (
            f"{source}: {_describe_loc(loc, raw)}{at} has kind {got!r}; use one of flag, ranges, "
            "categories, email_domain."
        )
    if kind == "union_tag_not_found":
        return (
            f"{source}: {where}{at} has no 'kind'; add kind: flag, ranges, categories or "
            "email_domain."
        )
    msg = first["msg"]
    msg = msg.removeprefix("Value error, ")
    if kind in ("float_parsing", "float_type", "int_parsing"):
        msg = f"expected a number, got {first.get('input')!r}"
    elif kind == "literal_error":
        expected = first.get("ctx", {}).get("expected", "")
        msg = f"got {first.get('input')!r}, expected {expected}"
    if where:
        return f"{source}: {where}{at}: {msg}."
    return f"{source}{at}: {msg}."


def _visible_loc(loc: tuple[Any, ...], raw: Any) -> tuple[Any, ...]:
    """Drop pydantic's union tag steps (e.g. 'ranges') so the path matches the file."""
    out: list[Any] = []
    node = raw
    for step in loc:
        if isinstance(node, dict) and step in node:
            node = node[step]
            out.append(step)
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
            out.append(step)
        elif (
            isinstance(node, dict)
            and isinstance(step, str)
            and step
            in (
                "flag",
                "ranges",
                "categories",
                "email_domain",
            )
        ):
            continue
        else:
            out.append(step)
            node = None
    return tuple(out)


def _describe_loc(loc: tuple[Any, ...], raw: Any) -> str:
    """'criteria #2 (email_opens) → bands #1 → from' style paths, 1-based for people."""
    parts: list[str] = []
    node = raw
    for step in loc:
        if isinstance(step, int):
            label = f"#{step + 1}"
            item = node[step] if isinstance(node, list) and step < len(node) else None
            if isinstance(item, dict):
                name = item.get("id") or item.get("name")
                if name:
                    label += f" ({name})"
            parts[-1:] = [f"{parts[-1]} {label}" if parts else label]
            node = item
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return " → ".join(parts) if parts else "the top level"


def _allowed_keys(loc: tuple[Any, ...], raw: Any) -> list[str]:
    """Keys a place in the file accepts, for 'unknown key' hints."""
    from workbench import model as m

    kinds = {
        "flag": m.FlagCriterion,
        "ranges": m.RangesCriterion,
        "categories": m.CategoriesCriterion,
        "email_domain": m.EmailDomainCriterion,
    }
    node = raw
    for step in loc:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return []
    cls: Any = None
    if not loc:
        cls = m.ScoringModel
    elif loc[0] == "criteria" and len(loc) == 2 and isinstance(node, dict):
        cls = kinds.get(str(node.get("kind")))
    elif loc[0] == "criteria" and len(loc) == 4 and loc[2] == "bands":
        cls = m.Band
    elif loc[0] == "tiers" and len(loc) == 2:
        cls = m.Tier
    elif loc[0] == "scale":
        cls = m.Scale
    elif loc[0] == "groups" and len(loc) == 2:
        cls = m.GroupCap
    if cls is None:
        return []
    return [f.alias or name for name, f in cls.model_fields.items()]


def _line_of(text: str | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of a path in the YAML text, found by walking the composed node tree."""
    if not text:
        return None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for step in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for k, v in node.value:
                if k.value == step:
                    line = k.start_mark.line + 1
                    nxt = v
                    break
            if nxt is None:
                return line
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if step >= len(node.value):
                return line
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _too_big(size: int) -> str:
    return (
        f"The model file is {size / 1e6:.1f} MB; model files are a few KB, so this is not one "
        f"(the limit is {MAX_FILE_BYTES // 1000} KB). Check you picked the right file."
    )
