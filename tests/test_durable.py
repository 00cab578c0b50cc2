"""Crash-safe saves: the file on disk is always a whole version, even when the writer is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbench.durable import (
    atomic_path,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    read_json,
    remove_stale_temporaries,
)

ROOT = Path(__file__).resolve().parent.parent


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_writes_replace_the_file_and_leave_nothing_behind(tmp_path):
    path = tmp_path / "model.json"
    atomic_write_json(path, {"name": "Ünïcode", "n": 1})
    assert read_json(path) == {"name": "Ünïcode", "n": 1}
    atomic_write_text(path, '{"n": 2}')
    assert read_json(path) == {"n": 2}
    atomic_write_bytes(path, b'{"n": 3}')
    assert path.read_bytes() == b'{"n": 3}'
    assert leftovers(tmp_path) == []


def test_a_failed_write_keeps_the_old_version(tmp_path):
    path = tmp_path / "model.json"
    atomic_write_json(path, {"n": 1})
    with pytest.raises(TypeError):
        atomic_write_json(path, {"n": object()})  # not JSON: fails before anything is written
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_text('{"n": "half')
        raise RuntimeError("the writer crashed")
    assert read_json(path) == {"n": 1}
    assert leftovers(tmp_path) == []


def test_duckdb_copy_through_atomic_path(tmp_path, con):
    con.execute("CREATE TABLE leads AS SELECT i AS id FROM range(5) r(i)")
    target = tmp_path / "leads.parquet"
    with atomic_path(target) as tmp:
        con.execute("COPY leads TO $path (FORMAT parquet)", {"path": str(tmp)})
    counted = con.execute("SELECT count(*) FROM read_parquet($path)", {"path": str(target)})
    assert counted.fetchall() == [(5,)]
    assert leftovers(tmp_path) == []


def test_read_json_of_missing_or_damaged_files(tmp_path):
    assert read_json(tmp_path / "nope.json") is None
    (tmp_path / "bad.json").write_text('{"n": ', encoding="utf-8")
    assert read_json(tmp_path / "bad.json") is None


def test_remove_stale_temporaries(tmp_path):
    old = tmp_path / ".model.json.0a1b2c3d.tmp"
    new = tmp_path / ".model.json.4e5f6a7b.tmp"
    keep = tmp_path / "model.json"
    for p in (old, new, keep):
        p.write_text("x")
    past = time.time() - 7200
    os.utime(old, (past, past))
    assert remove_stale_temporaries(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([new.name, keep.name])


# A writer that saves ever newer versions as fast as it can. Each version is ~1 MB and
# carries its number twice (at the start and at the end), so a torn file would show.
_WRITER = """
import sys
from workbench.durable import atomic_write_json
path = sys.argv[1]
n = 0
while True:
    n += 1
    atomic_write_json(path, {"version": n, "padding": "x" * 1_000_000, "check": n})
"""


def test_killing_the_writer_mid_save_never_leaves_a_torn_file(tmp_path):
    path = tmp_path / "model.json"
    atomic_write_json(path, {"version": 0, "padding": "", "check": 0})
    seen = []
    for delay in (0.05, 0.11, 0.17, 0.23, 0.29):
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.4 + delay)  # the interpreter starts, then saves for a while
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        data = read_json(path)
        assert data is not None, "the file must always be whole JSON"
        assert data["version"] == data["check"]
        seen.append(data["version"])
    assert max(seen) > 0, "the writer saved at least once"
    # A kill can leave the temporary file of the save in progress: tidying removes it.
    remove_stale_temporaries(tmp_path, older_than_s=-1)
    assert leftovers(tmp_path) == []
