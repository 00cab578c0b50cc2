"""Undo and redo for model edits: a bounded stack of model dicts, plus a "saved" version.

The app keeps one canonical model as a JSON-able dict. Every accepted edit is pushed here, so
the Tune page can step back and forth through the last changes and return to the version the
team last agreed on. Pure data: no Streamlit, no files.
"""

from __future__ import annotations

import copy
from typing import Any

ModelDict = dict[str, Any]

DEFAULT_LIMIT = 50


class History:
    """The current model, the edits before it (undo) and after it (redo), and a saved version.

    Every dict going in or coming out is a deep copy, so callers can never change the stack by
    mutating a model they were handed.
    """

    def __init__(
        self, present: ModelDict, *, saved: ModelDict | None = None, limit: int = DEFAULT_LIMIT
    ) -> None:
        """Start a history at ``present``.

        Args:
            present: the model as it is now.
            saved: the version "reset to saved" returns to (default: ``present``).
            limit: how many earlier versions undo can reach; older ones are dropped.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._present = copy.deepcopy(present)
        self._saved = copy.deepcopy(present if saved is None else saved)
        self._past: list[ModelDict] = []
        self._future: list[ModelDict] = []

    @property
    def present(self) -> ModelDict:
        """A copy of the current model."""
        return copy.deepcopy(self._present)

    @property
    def saved(self) -> ModelDict:
        """A copy of the saved version."""
        return copy.deepcopy(self._saved)

    @property
    def can_undo(self) -> bool:
        """Whether there is an earlier version to go back to."""
        return bool(self._past)

    @property
    def can_redo(self) -> bool:
        """Whether an undone version can be brought back."""
        return bool(self._future)

    @property
    def undo_depth(self) -> int:
        """How many steps undo can go back."""
        return len(self._past)

    @property
    def redo_depth(self) -> int:
        """How many steps redo can go forward."""
        return len(self._future)

    @property
    def is_saved(self) -> bool:
        """Whether the current model equals the saved version."""
        return self._present == self._saved

    def push(self, model: ModelDict) -> bool:
        """Record an edit: ``model`` becomes current and the redo steps are dropped.

        Args:
            model: the edited model.

        Returns:
            False (and nothing recorded) when ``model`` equals the current one.
        """
        if model == self._present:
            return False
        self._past.append(self._present)
        del self._past[: max(0, len(self._past) - self.limit)]
        self._present = copy.deepcopy(model)
        self._future.clear()
        return True

    def undo(self) -> ModelDict | None:
        """Step back one edit.

        Returns:
            The model now current, or None when there is nothing to undo.
        """
        if not self._past:
            return None
        self._future.append(self._present)
        self._present = self._past.pop()
        return self.present

    def redo(self) -> ModelDict | None:
        """Bring back the last undone edit.

        Returns:
            The model now current, or None when there is nothing to redo.
        """
        if not self._future:
            return None
        self._past.append(self._present)
        self._present = self._future.pop()
        return self.present

    def mark_saved(self, model: ModelDict | None = None) -> None:
        """Make ``model`` (default: the current model) the version "reset to saved" returns to."""
        self._saved = copy.deepcopy(self._present if model is None else model)

    def reset_to_saved(self) -> ModelDict:
        """Return to the saved version, as an ordinary edit that undo can take back.

        Returns:
            The model now current (the saved version).
        """
        self.push(self._saved)
        return self.present
