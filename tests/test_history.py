"""Undo, redo and "reset to saved" over model dicts."""

from __future__ import annotations

from typing import Any

import pytest

from workbench.history import History


def model(points: float) -> dict[str, Any]:
    return {"name": "m", "criteria": [{"id": "demo", "points": points}]}


def test_new_history_has_nothing_to_undo_or_redo() -> None:
    h = History(model(1))
    assert (h.can_undo, h.can_redo, h.is_saved) == (False, False, True)
    assert h.undo() is None
    assert h.redo() is None
    assert h.present == model(1)


def test_undo_and_redo_walk_the_edits() -> None:
    h = History(model(1))
    for p in (2, 3, 4):
        assert h.push(model(p))
    assert h.undo() == model(3)
    assert h.undo() == model(2)
    assert (h.undo_depth, h.redo_depth) == (1, 2)
    assert h.redo() == model(3)
    assert h.present == model(3)


def test_a_new_edit_drops_the_redo_steps() -> None:
    h = History(model(1))
    h.push(model(2))
    h.undo()
    h.push(model(5))
    assert not h.can_redo
    assert h.undo() == model(1)


def test_pushing_the_same_model_records_nothing() -> None:
    h = History(model(1))
    assert not h.push(model(1))
    assert not h.can_undo


def test_the_stack_is_bounded() -> None:
    h = History(model(0), limit=3)
    for p in range(1, 10):
        h.push(model(p))
    assert h.undo_depth == 3
    while h.can_undo:
        h.undo()
    assert h.present == model(6)


def test_reset_to_saved_is_an_undoable_edit() -> None:
    h = History(model(1))
    h.push(model(2))
    h.mark_saved()
    h.push(model(3))
    assert not h.is_saved
    assert h.reset_to_saved() == model(2)
    assert h.is_saved
    assert h.undo() == model(3)


def test_saved_defaults_to_the_start_and_can_be_given() -> None:
    assert History(model(1)).saved == model(1)
    h = History(model(1), saved=model(9))
    assert not h.is_saved
    assert h.reset_to_saved() == model(9)


def test_callers_cannot_change_the_stack_by_mutating_dicts() -> None:
    start = model(1)
    h = History(start)
    start["criteria"][0]["points"] = 99
    got = h.present
    got["criteria"][0]["points"] = 42
    edit = model(2)
    h.push(edit)
    edit["name"] = "changed"
    assert h.undo() == model(1)
    assert h.redo() == model(2)


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        History(model(1), limit=0)
