"""The database opens, migrates, recovers from corruption and refuses newer schemas."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from player.db import engine as engine_module
from player.db.engine import Database, DatabaseError, head_revision, open_database
from player.db.models import Base, Track
from tests.faults import DEADLINE_S, full_disk, segue_env, start_until
from tests.fresh_python import run_offscreen


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_pragmas_and_revision(db: Database) -> None:
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == head_revision()
    assert db.notice is None


def test_a_library_at_the_newest_schema_opens_without_importing_alembic(tmp_path: Path) -> None:
    """Issue 29: Alembic's modules cost a running player 17 MB; only an upgrade needs them."""
    path = tmp_path / "library.db"
    open_database(path).close()  # created (and migrated) here
    assert engine_module._written_head() == head_revision()
    script = (
        "import sys\n"
        "from player.db.engine import open_database\n"
        f"open_database({str(path)!r}).close()\n"
        "print('alembic' in sys.modules)\n"
    )
    result = run_offscreen(script, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["False"]


def test_reopening_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    db = open_database(path)
    with db.session() as s, s.begin():
        s.add(Track(path="/m/a.mp3", title="A", artist="B"))
    db.close()
    db = open_database(path)
    with db.session() as s:
        assert s.scalars(select(Track.title)).all() == ["A"]
    db.close()
    assert not list(tmp_path.glob("library.db.bak-*"))  # nothing to upgrade, nothing copied


def test_non_utf8_path_round_trips(db: Database) -> None:
    odd = "/music/" + b"caf\xe9.mp3".decode("utf-8", "surrogateescape")
    with db.session() as s, s.begin():
        s.add(Track(path=odd, title="x", artist="y"))
    with db.session() as s:
        assert s.scalars(select(Track.path)).one() == odd


def test_corrupt_database_is_moved_aside_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    garbage = b"this is not an sqlite file" * 100
    path.write_bytes(garbage)
    db = open_database(path)
    assert db.notice is not None and "corrupt" in db.notice
    moved = list(tmp_path.glob("library.db.corrupt-*"))
    assert len(moved) == 1 and moved[0].read_bytes() == garbage
    assert moved[0].name in db.notice
    db.close()
    # A second corrupt file in the same second gets its own name: the first is not overwritten.
    path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    path.write_bytes(b"garbage again" * 100)
    open_database(path).close()
    kept = sorted(p.read_bytes() for p in tmp_path.glob("library.db.corrupt-*"))
    assert kept == sorted([garbage, b"garbage again" * 100])


def test_truncated_database_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    db = open_database(path)
    with db.session() as s, s.begin():
        s.add_all(Track(path=f"/m/{i}.mp3", title="t" * 200, artist="a") for i in range(500))
    db.close()
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    db = open_database(path)
    assert db.notice is not None
    with db.session() as s:
        assert s.scalars(select(Track)).all() == []
    db.close()


def test_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    open_database(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '9999_future'")
        raw.commit()
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match="newer version of Segue"):
        open_database(path)
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("library.db.corrupt-*"))


def test_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE other (x)")
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match="not a Segue library"):
        open_database(path)
    assert path.read_bytes() == before


# The next revision after the shipped head (whatever number that is by now).
MIGRATION_NEXT = '''"""Test-only revision: add a column through batch mode."""

import sqlalchemy as sa
from alembic import op

revision = "next"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tracks") as batch:
        batch.add_column(sa.Column("rating", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tracks") as batch:
        batch.drop_column("rating")
'''


def test_upgrade_copies_the_database_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "data" / "library.db"
    db = open_database(path)
    with db.session() as s, s.begin():
        s.add(Track(path="/m/kept.mp3", title="kept", artist="x"))
    db.close()
    # A newer Segue: the shipped migrations plus one more revision.
    scripts = tmp_path / "migrations"
    shutil.copytree(
        Path(engine_module.__file__).parent / "migrations",
        scripts,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    head = head_revision()
    (scripts / "versions" / "next_rating.py").write_text(MIGRATION_NEXT.format(head=head))
    monkeypatch.setattr(engine_module, "MIGRATIONS", str(scripts))
    db = open_database(path)
    with db.engine.connect() as connection:
        assert (
            connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "next"
        )
        assert connection.execute(text("SELECT title, rating FROM tracks")).all() == [
            ("kept", None)
        ]
    db.close()
    (backup,) = (tmp_path / "data").glob("library.db.bak-*")
    with sqlite3.connect(backup) as raw:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchone() == (head,)
        assert raw.execute("SELECT title FROM tracks").fetchall() == [("kept",)]


def test_unopenable_path_is_an_error_not_corruption(tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    path.mkdir()  # e.g. a folder where the file should be: nothing may be moved or replaced
    with pytest.raises(DatabaseError, match="cannot open"):
        open_database(path)
    assert path.is_dir() and not list(tmp_path.glob("library.db.corrupt-*"))


# --- A first start or an upgrade is all-or-nothing; a half-made schema is recovered ---------


def _version(path: Path) -> str | None:
    with sqlite3.connect(path) as raw:
        row = raw.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


def test_first_start_killed_between_two_tables_leaves_a_usable_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    # Frozen as it is about to create the second table (sessions exists), then kill -9.
    paused = start_until(
        "alembic.ddl.impl:DefaultImpl.create_table", ["stats", "--data-dir", str(data)], nth=2
    )
    assert paused.reached
    paused.kill()
    db = open_database(data / "library.db")  # was: "table sessions already exists", for ever
    assert db.notice is None
    with db.session() as s, s.begin():
        s.add(Track(path="/m/a.mp3", title="A", artist="B"))
    db.close()
    assert _version(data / "library.db") == head_revision()


def test_first_start_on_a_full_disk_fails_cleanly_then_works(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with full_disk(32_768) as limit:  # room for some tables, not all
        full = subprocess.run(
            [sys.executable, "-m", "player", "stats", "--data-dir", str(data)],
            capture_output=True, text=True, env=segue_env(), timeout=DEADLINE_S, preexec_fn=limit,
        )  # fmt: skip
    assert full.returncode == 2, full.stderr
    assert "cannot open or upgrade" in full.stderr
    db = open_database(data / "library.db")
    assert db.notice is None
    db.close()
    assert _version(data / "library.db") == head_revision()


def _half_made(path: Path, tmp_path: Path, *, version_table: bool) -> None:
    """What an older Segue killed during its first start left: every table, no revision."""
    reference = tmp_path / "reference.db"
    open_database(reference).close()
    with sqlite3.connect(reference) as raw:
        schema = [
            sql
            for (sql,) in raw.execute(
                "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL"
                " AND name != 'alembic_version' ORDER BY rowid"
            )
        ]
    with sqlite3.connect(path) as raw:
        for sql in schema:
            raw.execute(sql)
        if version_table:
            raw.execute(
                "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
            )
        raw.execute(
            "INSERT INTO tracks (path, size, mtime, title, artist, album_artist, album, genre,"
            " codec, has_embedded_cover, available, added_at)"
            " VALUES ('/m/kept.mp3', 1, 1, 'kept', 'x', '', '', '', 'mp3', 0, 1, 1)"
        )


@pytest.mark.parametrize("version_table", [True, False], ids=["empty-version", "no-version"])
def test_half_made_schema_that_matches_is_stamped(tmp_path: Path, version_table: bool) -> None:
    path = tmp_path / "library.db"
    _half_made(path, tmp_path, version_table=version_table)
    db = open_database(path)
    with db.session() as s:
        assert s.scalars(select(Track.title)).all() == ["kept"]
    db.close()
    assert _version(path) == head_revision()
    assert not list(tmp_path.glob("library.db.*-*"))  # nothing moved aside, nothing copied


def test_half_made_schema_that_differs_is_set_aside_and_recreated(tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    with sqlite3.connect(path) as raw:  # killed after the first table of the first start
        raw.execute(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
            "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
        )
        raw.execute("CREATE TABLE sessions (id INTEGER NOT NULL, PRIMARY KEY (id))")
    db = open_database(path)
    assert db.notice is not None and "half-created" in db.notice
    (moved,) = tmp_path.glob("library.db.incomplete-*")
    assert moved.name in db.notice
    with sqlite3.connect(moved) as raw:  # kept as it was, for whoever wants to look
        names = {
            row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    assert names == {"alembic_version", "sessions"}
    with db.session() as s, s.begin():
        s.add(Track(path="/m/a.mp3", title="A", artist="B"))
    db.close()
    assert _version(path) == head_revision()


FAILING_NEXT = MIGRATION_NEXT.replace(
    'batch.add_column(sa.Column("rating", sa.Integer(), nullable=True))',
    'batch.add_column(sa.Column("rating", sa.Integer(), nullable=True))\n'
    '    raise RuntimeError("migration next failed half-way")',
)


def test_a_failing_migration_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "data" / "library.db"
    open_database(path).close()
    scripts = tmp_path / "migrations"
    shutil.copytree(
        Path(engine_module.__file__).parent / "migrations",
        scripts,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    head = head_revision()
    (scripts / "versions" / "next_rating.py").write_text(FAILING_NEXT.format(head=head))
    monkeypatch.setattr(engine_module, "MIGRATIONS", str(scripts))
    with pytest.raises(RuntimeError, match="failed half-way"):
        open_database(path)
    monkeypatch.undo()
    with sqlite3.connect(path) as raw:
        columns = [row[1] for row in raw.execute("PRAGMA table_info(tracks)")]
    assert "rating" not in columns
    assert _version(path) == head
    open_database(path).close()


def _damage_page_of(path: Path, table: str) -> None:
    """Overwrite the root page of ``table`` in a closed database file with garbage."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = connection.execute("PRAGMA page_size").fetchone()[0]
    root = connection.execute(
        "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()[0]
    connection.close()
    with path.open("r+b") as handle:
        handle.seek((root - 1) * size)
        handle.write(b"\xa5" * size)


def test_a_corrupt_library_keeps_what_can_still_be_read(tmp_path: Path) -> None:
    """Issue #25 (3): the rows SQLite can still read come over into the new library."""
    from player.history import History
    from player.plugin_api import Origin, Outcome

    path = tmp_path / "library.db"
    db = open_database(path)
    with db.session() as s, s.begin():
        s.add_all(Track(path=f"/m/{i}.ogg", title=f"t{i}", artist="a") for i in range(1, 301))
    history = History(db)
    for track_id in range(1, 41):
        play = history.play_started(track_id, Origin.USER)
        history.play_ended(play, Outcome.FINISHED, position_ms=1000, played_ms=1000)
    history.close_session()
    db.close()
    _damage_page_of(path, "play_events")

    db = open_database(path)
    assert db.notice is not None and "corrupt" in db.notice
    assert "300 tracks" in db.notice and "40 plays" in db.notice
    with db.session() as s:
        assert s.scalar(text("SELECT count(*) FROM tracks")) == 300
        assert s.scalar(text("SELECT count(*) FROM plays")) == 40
        assert s.execute(text("PRAGMA foreign_key_check")).all() == []
        assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    db.close()
    kept = [p for p in tmp_path.glob("library.db.corrupt-*") if not p.name.endswith(("wal", "shm"))]
    assert len(kept) == 1  # the damaged file, kept as it was
