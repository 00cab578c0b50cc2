"""A per-user workspace on disk: the model, the uploaded leads and the column choices.

Each browser session gets a random workspace id, kept in the page address (the app puts it in
the ``ws`` query parameter), so a refresh finds the same workspace and two people never share
one. Everything lives under the app's data folder: ``.workbench-data/`` in the project unless
the environment variable ``WORKBENCH_DATA_DIR`` names another. Every file is written to a
temporary name first and then moved into place, so a crash never leaves half a file behind.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from workbench import durable
from workbench.loading import compact_text_columns
from workbench.sql import quote_identifier

ENV_VAR = "WORKBENCH_DATA_DIR"
QUERY_PARAM = "ws"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = PROJECT_ROOT / ".workbench-data"

# 128 random bits as hex: unguessable, and safe as a folder name (no dots, no slashes).
_ID_PATTERN = re.compile(r"[0-9a-f]{32}")

MODEL_FILE = "model.json"
SAVED_MODEL_FILE = "saved-model.json"
SETTINGS_FILE = "settings.json"
LEADS_FILE = "leads.parquet"
UPLOAD_FILE = "upload.bin"


def data_dir() -> Path:
    """The folder that holds every workspace (``WORKBENCH_DATA_DIR`` or ``.workbench-data``)."""
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env).expanduser() if env else DEFAULT_DIR


def new_workspace_id() -> str:
    """A fresh random workspace id (32 hex digits)."""
    return secrets.token_hex(16)


def is_workspace_id(value: object) -> bool:
    """Whether ``value`` has the shape of a workspace id (and so is safe as a folder name)."""
    return isinstance(value, str) and _ID_PATTERN.fullmatch(value) is not None


@dataclass(frozen=True)
class Workspace:
    """One user's folder of saved work."""

    id: str
    path: Path

    @classmethod
    def open(cls, workspace_id: str | None = None, base: Path | None = None) -> Workspace:
        """Open the workspace with this id, or a new one when the id is missing or malformed.

        Args:
            workspace_id: an id from the page address; anything not shaped like an id is
                ignored, so a hand-edited address can never reach outside the data folder.
            base: the data folder (default: :func:`data_dir`).

        Returns:
            The workspace; its folder exists.
        """
        wid = workspace_id if is_workspace_id(workspace_id) else new_workspace_id()
        assert wid is not None
        path = (base or data_dir()) / wid
        path.mkdir(parents=True, exist_ok=True)
        durable.remove_stale_temporaries(path)  # left by a save that a crash cut short
        return cls(wid, path)

    # -- the model ---------------------------------------------------------------------------

    def load_model(self) -> dict[str, Any] | None:
        """The autosaved model dict, or None when there is none (or it cannot be read)."""
        return self._read_json(MODEL_FILE)

    def save_model(self, model: dict[str, Any]) -> None:
        """Autosave the current model dict."""
        self._write_json(MODEL_FILE, model)

    def load_saved_model(self) -> dict[str, Any] | None:
        """The version "reset to saved" returns to, or None."""
        return self._read_json(SAVED_MODEL_FILE)

    def save_saved_model(self, model: dict[str, Any]) -> None:
        """Record the version "reset to saved" returns to."""
        self._write_json(SAVED_MODEL_FILE, model)

    # -- column choices ----------------------------------------------------------------------

    def load_settings(self) -> dict[str, Any]:
        """The saved choices (ID column, outcome, converted values, leakage columns, source)."""
        data = self._read_json(SETTINGS_FILE)
        return data if isinstance(data, dict) else {}

    def save_settings(self, settings: dict[str, Any]) -> None:
        """Save the column choices."""
        self._write_json(SETTINGS_FILE, settings)

    # -- the leads ---------------------------------------------------------------------------

    @property
    def leads_path(self) -> Path:
        """Where the uploaded leads are kept as Parquet."""
        return self.path / LEADS_FILE

    def has_leads(self) -> bool:
        """Whether this workspace holds uploaded leads."""
        return self.leads_path.is_file()

    def save_leads(self, con: duckdb.DuckDBPyConnection, table: str) -> None:
        """Write ``table`` to the workspace as Parquet (atomically).

        Args:
            con: the connection holding the table.
            table: the table to save.
        """
        # COPY takes its target as a literal, not a parameter: the path is ours (data folder
        # plus a hex id), and quotes are doubled anyway.
        with durable.atomic_path(self.leads_path) as tmp:
            target = "'" + str(tmp).replace("'", "''") + "'"
            con.execute(
                f"COPY (SELECT * FROM {quote_identifier(table)}) TO {target} (FORMAT parquet)"
            ).fetchall()

    def restore_leads(self, con: duckdb.DuckDBPyConnection, table: str) -> bool:
        """Load the saved leads into ``table`` (replacing it).

        Returns:
            False when the workspace holds no leads or the file cannot be read.
        """
        if not self.has_leads():
            return False
        try:
            con.execute(
                f"CREATE OR REPLACE TABLE {quote_identifier(table)} AS "
                "SELECT * FROM read_parquet($path)",
                {"path": str(self.leads_path)},
            ).fetchall()
            compact_text_columns(con, table)  # Parquet keeps ENUMs as plain text
        except duckdb.Error:
            return False
        return True

    def forget_leads(self) -> None:
        """Drop the saved leads and the upload they came from (back to the bundled sample)."""
        self.leads_path.unlink(missing_ok=True)
        (self.path / UPLOAD_FILE).unlink(missing_ok=True)

    def save_upload(self, payload: bytes) -> None:
        """Keep the uploaded file as it came, so it can be loaded again with other options."""
        durable.atomic_write_bytes(self.path / UPLOAD_FILE, payload)

    def load_upload(self) -> bytes | None:
        """The uploaded file as it came, or None when this workspace did not keep one."""
        try:
            return (self.path / UPLOAD_FILE).read_bytes()
        except OSError:
            return None

    # -- files -------------------------------------------------------------------------------

    def _write_json(self, name: str, data: Any) -> None:
        durable.atomic_write_json(self.path / name, data)

    def _read_json(self, name: str) -> Any:
        return durable.read_json(self.path / name)
