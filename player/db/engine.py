"""Opening the library database: pragmas, Alembic migrations, backups and corrupt-file recovery."""

from __future__ import annotations

import ast
import importlib.resources
import logging
import shutil
import sqlite3
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from player.db.lock import exclusive_lock
from player.db.models import Base
from player.db.salvage import salvage

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = "player.db:migrations"
BUSY_TIMEOUT_MS = 10_000
# Only these primary result codes mean the file itself is damaged; anything else (locked,
# permission, disk I/O) must never make us move a user's database aside.
SQLITE_CORRUPT = 11
SQLITE_NOTADB = 26


class DatabaseError(Exception):
    """The database cannot be opened; the message is written for a human."""


class Database:
    """An open library database: hands out one SQLAlchemy session per unit of work.

    Attributes:
        path: The database file.
        notice: Set when something was repaired while opening (e.g. a corrupt file moved aside).
        engine: The SQLAlchemy engine (for bulk Core statements, e.g. the scanner).
    """

    def __init__(self, path: Path, engine: Engine, notice: str | None = None) -> None:
        self.path = path
        self.engine = engine
        self.notice = notice
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)

    def session(self) -> Session:
        """Return a new session; use ``with db.session() as s, s.begin():``."""
        return self._sessions()

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


# Alembic is imported where a database is created or upgraded, not at the top: its modules
# are 17 MB of a player's memory for as long as it runs (bench/NOTES.md), and a database
# already at the newest schema never needs them.


def alembic_config() -> Config:
    """Build the Alembic configuration in code (no alembic.ini is shipped)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return config


def head_revision() -> str:
    """The newest schema revision this version of Segue knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def open_database(path: Path) -> Database:
    """Open ``path``, creating or upgrading it to the newest schema.

    Creating the schema and each upgrade are one transaction (DDL included): a process killed
    half-way leaves the file as it was. Several processes may open the same file at once: one
    creates or upgrades it while the others wait on ``<name>.lock``, then use it.

    A corrupt file is moved aside as ``<name>.corrupt-YYYYmmdd-HHMMSS`` (never overwritten) and a
    fresh database is created; ``Database.notice`` says so. A half-made schema left by an older
    Segue killed during its first start (tables but no revision) is stamped when it matches the
    current schema, otherwise moved aside as ``<name>.incomplete-...`` and created again. Before
    an upgrade the file is copied to ``<name>.bak-YYYYmmdd-HHMMSS``.

    Raises:
        DatabaseError: The file comes from a newer Segue or is not a Segue database; it is left
            untouched.
    """
    path = Path(path)
    waiting = f"Another Segue process is creating or upgrading {path}; waiting for it"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(lock_path(path), waiting=waiting):
            notice = _create_or_upgrade(path)
    except OSError as error:
        raise DatabaseError(f"cannot open {path}: {error}") from error
    return Database(path, _make_engine(path), notice)


def lock_path(path: Path) -> Path:
    """The lock file that serialises creating and upgrading the database at ``path``."""
    return path.with_name(path.name + ".lock")


def _create_or_upgrade(path: Path) -> str | None:
    """Bring the file to the newest schema (caller holds the lock); returns a notice or None."""
    try:
        state, version = _inspect(path)
    except (OSError, sqlite3.Error) as error:
        raise DatabaseError(f"cannot open {path}: {error}") from error
    notice: str | None = None
    damaged: Path | None = None
    if state == "corrupt":
        damaged = _move_aside(path, "corrupt")
        notice = (
            f"{path.name} was corrupt or unreadable ({version}); it was moved to {damaged.name} "
            "and a new library was created"
        )
        log.error("%s", notice)
        version = None
    elif state == "foreign":
        raise DatabaseError(
            f"{path} is an SQLite file but not a Segue library; it was left untouched. "
            "Move it away or choose another folder with --data-dir."
        )
    if state == "ours" and version is not None and version == _written_head():
        return notice  # at the newest schema already: nothing for Alembic to do
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    if version is not None and version != head:
        try:
            script.get_revision(version)
        except CommandError:
            raise DatabaseError(
                f"{path} was written by a newer version of Segue (schema {version}; this version "
                f"knows up to {head}). The file was left untouched: update Segue, or choose "
                "another folder with --data-dir."
            ) from None
        backup = _backup(path)
        log.info("Upgrading %s from schema %s to %s (copy kept at %s)", path, version, head, backup)
    try:
        _migrate(path, partial=state == "partial")
    except _IncompleteSchema:
        moved = _move_aside(path, "incomplete")
        notice = (
            f"{path.name} held a half-created library (an earlier first start was interrupted); "
            f"it was moved to {moved.name} and a new, empty library was created"
        )
        log.error("%s", notice)
        _migrate(path, partial=False)
    if damaged is not None:
        notice = f"{notice}{_recovered(salvage(damaged, path))}"
    return notice


def _written_head() -> str | None:
    """The newest revision as the migration files name it, read without importing Alembic;
    None unless they form one chain with one head (then Alembic decides)."""
    package, colon, folder = MIGRATIONS.partition(":")
    if colon and not Path(MIGRATIONS).exists():
        versions = Path(str(importlib.resources.files(package) / folder / "versions"))
    else:
        versions = Path(MIGRATIONS) / "versions"
    revisions: set[object] = set()
    parents: set[object] = set()
    for file in versions.glob("*.py"):
        names: dict[str, object] = {}
        try:
            body = ast.parse(file.read_text(encoding="utf-8")).body
        except (OSError, SyntaxError, ValueError):
            return None  # Alembic says what is wrong with it
        for node in body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                try:
                    names[target.id] = ast.literal_eval(value)
                except ValueError:
                    return None
        if "revision" in names:
            revisions.add(names["revision"])
            parent = names.get("down_revision")
            parents.update(parent if isinstance(parent, tuple) else (parent,))
    heads = revisions - parents
    head = heads.pop() if len(heads) == 1 else None
    return head if isinstance(head, str) else None


def _recovered(kept: dict[str, int]) -> str:
    """The notice's account of what :func:`salvage` carried over."""
    if not any(kept.values()):
        return "; nothing in it could be read."
    labels = {"tracks": "tracks", "sessions": "listening sessions", "plays": "plays"}
    parts = [f"{kept.get(table, 0):,} {label}" for table, label in labels.items()]
    return f", with what could still be read from it: {', '.join(parts)}."


class _IncompleteSchema(Exception):
    """Tables without a schema revision that do not match the current schema."""


def _migrate(path: Path, *, partial: bool) -> None:
    """Run every pending migration in one transaction; a half-made schema is stamped first.

    pysqlite only opens a transaction before INSERT/UPDATE/DELETE, so by default each CREATE or
    ALTER commits on its own: a crash between them left tables without a revision, and every
    later start failed with "table ... already exists". This engine turns the driver's own
    transaction handling off and issues ``BEGIN IMMEDIATE`` itself, so DDL rolls back too.
    """
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = _make_engine(path, transactional_ddl=True)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            if partial:
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                differences = compare_metadata(context, Base.metadata)
                if differences:
                    kinds = sorted(
                        {str(d[0]) if isinstance(d, tuple) else "modify" for d in differences}
                    )
                    log.warning("Half-made schema in %s differs (%s)", path, ", ".join(kinds))
                    raise _IncompleteSchema
                log.warning("%s has the current schema but no revision; stamping it", path)
                command.stamp(config, "head")
            command.upgrade(config, "head")
    except SQLAlchemyError as error:
        reason = getattr(error, "orig", None) or error
        raise DatabaseError(f"cannot open or upgrade {path}: {reason}") from error
    finally:
        engine.dispose()


def _make_engine(path: Path, *, transactional_ddl: bool = False) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # WAL + NORMAL survives a killed process; only a power cut may lose the last commits.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        if transactional_ddl:
            dbapi_connection.isolation_level = None  # the driver opens no transaction itself

    if transactional_ddl:

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock up front

    return engine


def _inspect(path: Path) -> tuple[str, str | None]:
    """Classify the file without writing to it: (state, detail).

    The state is "new", "ours", "partial", "foreign" or "corrupt".
    For "ours" the detail is the schema revision, for "corrupt" the SQLite error; "partial" is
    Segue tables without a revision: an older Segue killed while creating them.
    """
    if not path.exists() or path.stat().st_size == 0:
        return "new", None
    uri = "file:" + urllib.request.pathname2url(str(path)) + "?mode=ro"
    connection = sqlite3.connect(uri, uri=True)  # errors here are not corruption: let them rise
    try:
        check = connection.execute("PRAGMA quick_check").fetchall()
        if check != [("ok",)]:
            return "corrupt", "; ".join(str(row[0]) for row in check[:3])
        tables = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if not tables:
            return "new", None
        if "alembic_version" not in tables:
            ours = set(Base.metadata.tables)
            return ("partial" if tables <= ours else "foreign"), None
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        return ("ours", row[0]) if row else ("partial", None)
    except sqlite3.DatabaseError as error:
        if (getattr(error, "sqlite_errorcode", 0) & 0xFF) in (SQLITE_CORRUPT, SQLITE_NOTADB):
            return "corrupt", str(error)
        raise
    finally:
        connection.close()


def _free_name(path: Path, tag: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.{tag}-{stamp}")
    counter = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.{tag}-{stamp}-{counter}")
        counter += 1
    return candidate


def _move_aside(path: Path, tag: str) -> Path:
    """Rename the database (and its WAL/SHM companions) to a free, timestamped name."""
    target = _free_name(path, tag)
    path.rename(target)
    for suffix in ("-wal", "-shm", "-journal"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.rename(target.with_name(target.name + suffix))
    return target


def _backup(path: Path) -> Path:
    """Copy the database (WAL content included) next to it before an upgrade."""
    target = _free_name(path, "bak")
    source = sqlite3.connect(path)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    except sqlite3.Error:
        log.warning("SQLite backup of %s failed; copying the file instead", path, exc_info=True)
        shutil.copy2(path, target)
    finally:
        source.close()
    return target
