"""Per-column choices of the values that mean "not answered", as the app and CLI take them.

:func:`workbench.loading.load_leads` empties placeholders (``Select``, ``unknown``, ``-``…)
and takes a per-column override, ``placeholders={"pdays": ["-1"]}``. This module turns what
a person types into that mapping:

- the app keeps, per column, extra values and whether the usual list
  (:data:`workbench.cleaning.DEFAULT_PLACEHOLDERS`) still applies:
  ``{"Budget": {"extra": ["n.a."], "defaults": True}}`` (:func:`load_mapping`);
- the command line takes ``--placeholders COLUMN=VALUE[,VALUE...]``, whose values replace the
  usual list for that column (:func:`parse_option`, :func:`merge_options`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from workbench.cleaning import DEFAULT_PLACEHOLDERS

__all__ = ["choice_for", "load_mapping", "merge_options", "parse_option", "parse_values"]


def parse_values(text: str) -> list[str]:
    """Comma-separated values, trimmed, blanks and repeats (ignoring case) left out.

    Args:
        text: what the person typed, e.g. ``"Select, -, n.a."``.

    Returns:
        The values in the order typed: ``["Select", "-", "n.a."]``.
    """
    seen: set[str] = set()
    out: list[str] = []
    for part in text.split(","):
        value = part.strip()
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            out.append(value)
    return out


def choice_for(choices: Mapping[str, Any] | None, column: str) -> tuple[list[str], bool]:
    """A column's saved choice: its extra values and whether the usual list applies.

    Args:
        choices: the saved choices per column (read from a settings file, so checked here).
        column: the column name.

    Returns:
        ``(extra, defaults)``; ``([], True)`` for a column without a (readable) choice.
    """
    raw = (choices or {}).get(column) if isinstance(choices, Mapping) else None
    if not isinstance(raw, Mapping):
        return [], True
    extra = raw.get("extra")
    values = [str(v) for v in extra] if isinstance(extra, list) else []
    return values, raw.get("defaults") is not False


def load_mapping(
    choices: Mapping[str, Any] | None, default: Sequence[str] = DEFAULT_PLACEHOLDERS
) -> dict[str, list[str]]:
    """``placeholders=`` for :func:`~workbench.loading.load_leads` from the app's choices.

    Args:
        choices: per column ``{"extra": [values], "defaults": bool}``; columns left out
            use the usual list.
        default: the usual list.

    Returns:
        Per chosen column, every value that means "not answered" there; an empty list keeps
        every value of the column.
    """
    out: dict[str, list[str]] = {}
    if not isinstance(choices, Mapping):  # nothing saved, or a settings file gone wrong
        return out
    for column in choices:
        extra, defaults = choice_for(choices, column)
        out[str(column)] = [*(default if defaults else ()), *extra]
    return out


def parse_option(text: str) -> tuple[str, list[str]]:
    """One ``--placeholders`` argument: ``COLUMN=VALUE[,VALUE...]``.

    The column ends at the first ``=``; ``COLUMN=`` with no values keeps every value of the
    column (the usual list no longer applies to it).

    Args:
        text: the argument as given.

    Returns:
        The column and its values.

    Raises:
        ValueError: there is no ``=`` or no column name before it.
    """
    column, sep, values = text.partition("=")
    if not sep or not column.strip():
        raise ValueError(f"{text!r} is not COLUMN=VALUE[,VALUE...]")
    return column.strip(), parse_values(values)


def merge_options(options: Iterable[tuple[str, Sequence[str]]] | None) -> dict[str, list[str]]:
    """Several ``--placeholders`` arguments as one mapping; a repeated column adds values.

    Args:
        options: what :func:`parse_option` returned for each argument.

    Returns:
        Per column, its values (``{}`` when there were none).
    """
    out: dict[str, list[str]] = {}
    for column, values in options or ():
        out[column] = parse_values(",".join([*out.get(column, []), *values]))
    return out
