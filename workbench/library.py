"""The model library: every saved version of every model, with who saved it, when and why.

One SQLite file (stdlib ``sqlite3``) holds the library: ``$WORKBENCH_LIBRARY`` when set,
otherwise ``library.sqlite`` in the app's data folder (``WORKBENCH_DATA_DIR``, default
``.workbench-data/``). SQLite gives what a library needs without a server: each save is one
transaction (``BEGIN IMMEDIATE`` … ``COMMIT``) in write-ahead-log mode with full syncs, so a
crash or a kill in the middle of a save leaves the earlier versions exactly as they were and the
file readable; two people saving at once wait for each other instead of overwriting.

Versions are never changed or deleted: saving adds version N+1; renaming changes the library
name (not the YAML kept in each version); archiving hides a model from the list and can be
undone. The YAML of each version is stored as the canonical text written by
:func:`workbench.model_file.dump_model_yaml`, so exporting gives a file the app reads back.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from workbench.errors import UserError
from workbench.model import ScoringModel
from workbench.model_file import dump_model_yaml, load_model_file, load_model_text
from workbench.workspace import data_dir

ENV_VAR = "WORKBENCH_LIBRARY"
FILE_NAME = "library.sqlite"
SCHEMA_VERSION = 1
MAX_NAME_CHARS = 200
MAX_TEXT_CHARS = 5000  # author and note: a sentence or a paragraph, not a document
BUSY_TIMEOUT_S = 10.0

# Statements run one by one inside a transaction (executescript would commit first).
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS models ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    " archived INTEGER NOT NULL DEFAULT 0,"
    " created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS versions ("
    " model_id INTEGER NOT NULL REFERENCES models(id),"
    " version INTEGER NOT NULL,"
    " yaml TEXT NOT NULL,"
    " author TEXT NOT NULL DEFAULT '',"
    " note TEXT NOT NULL DEFAULT '',"
    " created_at TEXT NOT NULL,"
    " PRIMARY KEY (model_id, version))",
)


def library_path() -> Path:
    """Where the library lives: ``$WORKBENCH_LIBRARY``, else ``<data folder>/library.sqlite``."""
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env).expanduser() if env else data_dir() / FILE_NAME


@dataclass(frozen=True)
class ModelEntry:
    """One model in the library, with its latest version's details."""

    name: str
    versions: int
    archived: bool
    created_at: str
    updated_at: str
    last_author: str
    last_note: str


@dataclass(frozen=True)
class Version:
    """One saved version of a model."""

    name: str
    version: int
    yaml: str
    author: str
    note: str
    created_at: str  # ISO 8601 in UTC, e.g. 2026-11-20T14:03:11Z

    @property
    def model(self) -> ScoringModel:
        """The version's model, validated."""
        return load_model_text(self.yaml, source=f'"{self.name}" version {self.version}')

    @property
    def label(self) -> str:
        """'B2B inbound v3 (2026-11-20, Ana)' for pickers and headings."""
        who = f", {self.author}" if self.author else ""
        return f"{self.name} v{self.version} ({self.created_at[:10]}{who})"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _checkpoint(stage: str) -> None:
    """A named point inside a save's transaction; does nothing.

    The crash-safety tests replace it to kill the process, or raise, between two statements.
    """


class Library:
    """The model library in one SQLite file.

    Each call opens its own short connection, so one ``Library`` can serve several threads
    (Streamlit runs each browser session in its own) and nothing stays locked between calls.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        """Open (and create when absent) the library.

        Args:
            path: the SQLite file; ``None`` uses :func:`library_path`.

        Raises:
            UserError: the file exists but is not a model library, or cannot be created.
        """
        self.path = Path(path) if path is not None else library_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UserError(
                f'The model library folder "{self.path.parent}" cannot be created ({e.strerror}).'
            ) from None
        with self._connect() as con:
            version = int(con.execute("PRAGMA user_version").fetchone()[0])
        if version < SCHEMA_VERSION:
            with self._write() as con:  # checked again under the write lock
                version = int(con.execute("PRAGMA user_version").fetchone()[0])
                if version < SCHEMA_VERSION:
                    for statement in _SCHEMA:
                        con.execute(statement)
                    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        if version > SCHEMA_VERSION:
            raise UserError(
                f'The model library "{self.path}" was written by a newer version of the app; '
                "update the app to open it."
            )

    # -- connection ---------------------------------------------------------------------------

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as e:
            raise UserError(f'The model library "{self.path}" cannot be opened ({e}).') from None
        with closing(con):
            try:
                con.execute("PRAGMA journal_mode=WAL")
                # FULL: a committed save survives a power cut too, not only a crash of the app.
                con.execute("PRAGMA synchronous=FULL")
                con.execute("PRAGMA foreign_keys=ON")
                yield con
            except sqlite3.DatabaseError as e:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                if isinstance(e, sqlite3.OperationalError) and "locked" in str(e):
                    raise UserError(
                        "The model library is busy with another save; try again in a moment."
                    ) from None
                raise UserError(
                    f'"{self.path}" is not a model library or is damaged ({e}); move it away '
                    f"or point {ENV_VAR} at another file."
                ) from None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: everything inside commits together or not at all."""
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    # -- reading ------------------------------------------------------------------------------

    def list_models(self, *, include_archived: bool = False) -> list[ModelEntry]:
        """The models, most recently saved first.

        Args:
            include_archived: list archived models too.

        Returns:
            One entry per model with its version count and latest save.
        """
        where = "" if include_archived else "WHERE m.archived = 0"
        with self._connect() as con:
            rows = con.execute(
                "SELECT m.name, count(v.version), m.archived, m.created_at, max(v.created_at), "
                "(SELECT author FROM versions WHERE model_id = m.id ORDER BY version DESC LIMIT 1),"
                " (SELECT note FROM versions WHERE model_id = m.id ORDER BY version DESC LIMIT 1) "
                f"FROM models m JOIN versions v ON v.model_id = m.id {where} "
                "GROUP BY m.id ORDER BY max(v.created_at) DESC, max(v.rowid) DESC"
            ).fetchall()
        return [
            ModelEntry(str(r[0]), int(r[1]), bool(r[2]), str(r[3]), str(r[4]), r[5], r[6])
            for r in rows
        ]

    def versions(self, name: str) -> list[Version]:
        """Every version of a model, oldest first.

        Raises:
            UserError: there is no model of that name.
        """
        with self._connect() as con:
            model_id, real = self._find(con, name)
            rows = con.execute(
                "SELECT version, yaml, author, note, created_at FROM versions "
                "WHERE model_id = ? ORDER BY version",
                (model_id,),
            ).fetchall()
        return [Version(real, int(r[0]), r[1], r[2], r[3], r[4]) for r in rows]

    def get(self, name: str, version: int | None = None) -> Version:
        """One version of a model: the latest unless ``version`` is given.

        Raises:
            UserError: no such model, or no such version of it.
        """
        with self._connect() as con:
            model_id, real = self._find(con, name)
            if version is None:
                row = con.execute(
                    "SELECT version, yaml, author, note, created_at FROM versions "
                    "WHERE model_id = ? ORDER BY version DESC LIMIT 1",
                    (model_id,),
                ).fetchone()
            else:
                row = con.execute(
                    "SELECT version, yaml, author, note, created_at FROM versions "
                    "WHERE model_id = ? AND version = ?",
                    (model_id, version),
                ).fetchone()
                if row is None:
                    last = con.execute(
                        "SELECT max(version) FROM versions WHERE model_id = ?", (model_id,)
                    ).fetchone()[0]
                    raise UserError(
                        f'"{real}" has no version {version}; its versions are 1 to {last}.'
                    )
        return Version(real, int(row[0]), row[1], row[2], row[3], row[4])

    def _find(self, con: sqlite3.Connection, name: str) -> tuple[int, str]:
        row = con.execute("SELECT id, name FROM models WHERE name = ?", (name.strip(),)).fetchone()
        if row is None:
            names = [r[0] for r in con.execute("SELECT name FROM models ORDER BY name")]
            from workbench.sql import closest

            starts = [n for n in names if n.casefold().startswith(name.strip().casefold())]
            hint = starts[0] if len(starts) == 1 else closest(name, names)
            tip = f' Did you mean "{hint}"?' if hint else ""
            listing = " (the library is empty)" if not names else ""
            raise UserError(f'The model library has no model "{name}"{listing}.{tip}')
        return int(row[0]), str(row[1])

    # -- writing ------------------------------------------------------------------------------

    def save(
        self,
        model: ScoringModel,
        *,
        name: str | None = None,
        author: str = "",
        note: str = "",
    ) -> Version:
        """Save the model as the next version of ``name`` (a new model when the name is new).

        Saving to an archived model brings it back to the list.

        Args:
            model: the model to keep.
            name: the library name; default the model's own name.
            author: who saved it.
            note: why: what changed and who agreed.

        Returns:
            The version just saved.

        Raises:
            UserError: an empty or overlong name, author or note.
        """
        real_name = _clean_name(name if name is not None else model.name)
        author, note = _clean_text(author, "author"), _clean_text(note, "note")
        text = dump_model_yaml(model)
        created = _now()
        with self._write() as con:
            row = con.execute("SELECT id, name FROM models WHERE name = ?", (real_name,)).fetchone()
            if row is None:
                cur = con.execute(
                    "INSERT INTO models (name, created_at) VALUES (?, ?)", (real_name, created)
                )
                model_id, stored = int(cur.lastrowid or 0), real_name
            else:
                model_id, stored = int(row[0]), str(row[1])
                con.execute("UPDATE models SET archived = 0 WHERE id = ?", (model_id,))
            _checkpoint("model row written")
            number = con.execute(
                "SELECT coalesce(max(version), 0) + 1 FROM versions WHERE model_id = ?",
                (model_id,),
            ).fetchone()[0]
            con.execute(
                "INSERT INTO versions (model_id, version, yaml, author, note, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (model_id, number, text, author, note, created),
            )
            _checkpoint("version row written")
        return Version(stored, int(number), text, author, note, created)

    def rename(self, name: str, new_name: str) -> None:
        """Give a model another library name (its versions keep their YAML as saved).

        Raises:
            UserError: no such model, or the new name is taken or empty.
        """
        clean = _clean_name(new_name)
        with self._write() as con:
            model_id, real = self._find(con, name)
            taken = con.execute(
                "SELECT name FROM models WHERE name = ? AND id <> ?", (clean, model_id)
            ).fetchone()
            if taken:
                raise UserError(
                    f'There is already a model "{taken[0]}" in the library; pick another name.'
                )
            con.execute("UPDATE models SET name = ? WHERE id = ?", (clean, model_id))

    def archive(self, name: str, archived: bool = True) -> None:
        """Hide a model from the list (``archived=False`` brings it back); nothing is deleted."""
        with self._write() as con:
            model_id, _ = self._find(con, name)
            con.execute("UPDATE models SET archived = ? WHERE id = ?", (int(archived), model_id))

    # -- files --------------------------------------------------------------------------------

    def import_file(
        self, path: str | Path, *, name: str | None = None, author: str = "", note: str = ""
    ) -> Version:
        """Read a model YAML file and save it as a new version (see :meth:`save`)."""
        model = load_model_file(path)
        note = note or f"Imported from {Path(path).name}"
        return self.save(model, name=name, author=author, note=note)

    def export_file(self, name: str, path: str | Path, version: int | None = None) -> Version:
        """Write one version's YAML to a file (replaced atomically if it exists).

        Returns:
            The version written.
        """
        chosen = self.get(name, version)
        target = Path(path)
        tmp = target.with_name(f".{target.name}.tmp")
        try:
            tmp.write_text(chosen.yaml, encoding="utf-8")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return chosen


def _clean_name(name: str) -> str:
    clean = " ".join(str(name).split())
    if not clean:
        raise UserError("A model in the library needs a name; give one.")
    if len(clean) > MAX_NAME_CHARS:
        raise UserError(f"A model name can be at most {MAX_NAME_CHARS} characters; shorten it.")
    return clean


def _clean_text(value: str | None, what: str) -> str:
    clean = (value or "").strip()
    if len(clean) > MAX_TEXT_CHARS:
        raise UserError(
            f"The {what} is {len(clean):,} characters; keep it under {MAX_TEXT_CHARS:,}."
        )
    return clean
