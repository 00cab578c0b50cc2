"""Crash-safe saves: a file is either the old version or the new one, never half of either.

Every save writes a temporary file next to the target, flushes it to the disk, renames it over
the target (``os.replace`` is atomic on POSIX and Windows) and then flushes the folder, so
that the rename itself survives a power cut. A process killed in the middle of a save leaves
the previous version in place and, at worst, a stray temporary file, which
:func:`remove_stale_temporaries` clears and every reader ignores (their names start with a
dot and end with ``.tmp``).
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "read_json",
    "remove_stale_temporaries",
]

TEMP_SUFFIX = ".tmp"


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path to write ``path``'s new version to; it replaces ``path`` on success.

    For writers that want a file name rather than bytes (DuckDB's ``COPY … TO``)::

        with atomic_path(folder / "leads.parquet") as tmp:
            con.execute(f"COPY leads TO '{tmp}' (FORMAT parquet)")

    Args:
        path: the file to replace (its folder must exist).

    Yields:
        A path in the same folder. When the block ends without an exception, the file
        there is flushed to disk and renamed over ``path``; when it raises, the file is
        removed and ``path`` is untouched.
    """
    target = Path(path)
    tmp = _temporary(target)
    try:
        yield tmp
        _fsync_file(tmp)
        os.replace(tmp, target)
        _fsync_folder(target.parent)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new file.

    Args:
        path: the file to write (its folder must exist).
        data: the new contents.
    """
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    """:func:`atomic_write_bytes` for text.

    Args:
        path: the file to write.
        text: the new contents.
        encoding: how to encode them.
    """
    atomic_write_bytes(path, text.encode(encoding))


def atomic_write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as JSON (UTF-8, indented) with :func:`atomic_write_bytes`.

    Args:
        path: the file to write.
        data: anything ``json.dumps`` accepts.
    """
    text = json.dumps(data, ensure_ascii=False, indent=1)
    atomic_write_bytes(path, text.encode("utf-8"))


def read_json(path: str | Path) -> Any | None:
    """The JSON in ``path``, or None when it is missing or not valid JSON.

    Args:
        path: the file to read.

    Returns:
        The parsed value, or None.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def remove_stale_temporaries(folder: str | Path, older_than_s: float = 3600.0) -> int:
    """Delete temporary files that a killed save left behind in ``folder``.

    Args:
        folder: the folder to tidy.
        older_than_s: only files not touched for this long (a save in progress is younger).

    Returns:
        How many files were removed.
    """
    cutoff = time.time() - older_than_s
    removed = 0
    for entry in Path(folder).glob(f".*{TEMP_SUFFIX}"):
        try:
            if entry.is_file() and entry.stat().st_mtime < cutoff:
                entry.unlink()
                removed += 1
        except OSError:
            continue  # another process took care of it
    return removed


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
