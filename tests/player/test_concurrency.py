"""Two Segue processes on one data folder: scans wait for each other, first starts too.

Real processes on a real data folder. The first process is held at a chosen point by a small
snippet that waits for a "go" file; the second is the real ``segue`` command. Whether the second
waits is read from its log ("waiting for ..."), never from a clock.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from player.db.lock import try_lock
from tests.audio import make_library
from tests.faults import DEADLINE_S, run_segue, segue_env, start_segue, wait_for

ROOT = Path(__file__).resolve().parents[2]
N_FILES = 8

HELD_SCAN = """
import sys, time
from pathlib import Path
from player.db.engine import open_database
from player.scanner import scan

music, db_path, ready, go = map(Path, sys.argv[1:5])
db = open_database(db_path)

def hold(progress):
    # The first progress with a total comes after reading the library, before any write.
    if progress.total and not ready.exists():
        ready.touch()
        while not go.exists():
            time.sleep(0.01)

report = scan(db, [music], progress=hold)
db.close()
print(f"added {report.added} unchanged {report.unchanged}")
"""

HELD_FIRST_START = """
import sys, time
from pathlib import Path
from sqlalchemy import event
from sqlalchemy.engine import Engine
from player.db.engine import open_database

db_path, ready, go = map(Path, sys.argv[1:4])

def hold(_connection, _cursor, statement, *_args):
    # Half-way through creating the schema: the first table exists, the others not yet.
    if statement.lstrip().startswith("CREATE TABLE sessions"):
        ready.touch()
        while not go.exists():
            time.sleep(0.01)

event.listen(Engine, "after_cursor_execute", hold)
open_database(db_path).close()
print("created")
"""


def _start_held(snippet: str, *args: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", snippet, *map(str, args)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=segue_env(), cwd=ROOT,
    )  # fmt: skip


def _log(data: Path) -> str:
    log = data / "state" / "logs" / "segue.log"
    return log.read_text(encoding="utf-8") if log.exists() else ""


def _count(label: str, out: str) -> int:
    match = re.search(rf"^{label}:\s+(\d+)$", out, re.MULTILINE)
    assert match, out
    return int(match.group(1))


def test_two_scans_started_together_both_succeed(tmp_path: Path) -> None:
    music, data = tmp_path / "music", tmp_path / "data"
    make_library(music, n_albums=2, tracks_per_album=N_FILES // 2)
    scans = [start_segue(["scan", str(music), "--data-dir", str(data)]) for _ in range(2)]
    results = [p.communicate(timeout=DEADLINE_S) for p in scans]
    for process, (_out, err) in zip(scans, results, strict=True):
        assert process.returncode == 0, err
        assert "IntegrityError" not in err and "already exists" not in err
    assert sum(_count("added", out) for out, _ in results) == N_FILES
    stats = run_segue(["stats", "--data-dir", str(data)])
    assert _count("tracks", stats.stdout) == N_FILES


def test_a_second_scan_waits_for_the_first_then_finds_its_tracks(tmp_path: Path) -> None:
    music, data = tmp_path / "music", tmp_path / "data"
    make_library(music, n_albums=2, tracks_per_album=N_FILES // 2)
    ready, go = tmp_path / "ready", tmp_path / "go"
    first = _start_held(HELD_SCAN, music, data / "library.db", ready, go)
    wait_for(lambda: ready.exists() or first.poll() is not None, "the first scan to read the db")
    assert first.poll() is None, first.communicate()
    second = start_segue(["scan", str(music), "--data-dir", str(data)])
    wait_for(
        lambda: "Another scan" in _log(data) or second.poll() is not None,
        "the second scan to wait or finish",
    )
    go.touch()
    first_out, first_err = first.communicate(timeout=DEADLINE_S)
    second_out, second_err = second.communicate(timeout=DEADLINE_S)
    assert first.returncode == 0, first_err  # was: IntegrityError (UNIQUE constraint tracks.path)
    assert second.returncode == 0, second_err
    assert first_out.strip() == f"added {N_FILES} unchanged 0"
    assert _count("added", second_out) == 0 and _count("unchanged", second_out) == N_FILES


def test_a_second_first_start_waits_for_the_schema_then_uses_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    ready, go = tmp_path / "ready", tmp_path / "go"
    first = _start_held(HELD_FIRST_START, data / "library.db", ready, go)
    wait_for(lambda: ready.exists() or first.poll() is not None, "the first start to begin")
    assert first.poll() is None, first.communicate()
    second = start_segue(["stats", "--data-dir", str(data)])
    wait_for(
        lambda: "creating or upgrading" in _log(data) or second.poll() is not None,
        "the second start to wait or finish",
    )
    go.touch()
    first_out, first_err = first.communicate(timeout=DEADLINE_S)
    second_out, second_err = second.communicate(timeout=DEADLINE_S)
    assert first.returncode == 0 and first_out.strip() == "created", first_err
    assert second.returncode == 0, second_err  # was: "table sessions already exists"
    assert _count("tracks", second_out) == 0


def _holds_flock(pid: int, path: Path) -> bool:
    """Whether process ``pid`` holds an flock on ``path`` (Linux ``/proc/locks``)."""
    if not path.exists():
        return False
    inode = path.stat().st_ino
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "FLOCK" in fields and fields[4] == str(pid) and fields[5].endswith(f":{inode}"):
            return True
    return False


def test_a_second_window_on_the_same_data_dir_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = start_segue(["--data-dir", str(data)])
    lock = data / "window.lock"
    wait_for(lambda: _holds_flock(first.pid, lock) or first.poll() is not None, "the first window")
    try:
        assert first.poll() is None, first.communicate()
        second = run_segue(["--data-dir", str(data)])
        assert second.returncode == 1
        assert "already running with the library in" in second.stderr
    finally:
        first.kill()
        first.communicate(timeout=DEADLINE_S)
    held = try_lock(lock)  # the kernel let go of it with the process, even after kill -9
    assert held is not None
    held.release()
