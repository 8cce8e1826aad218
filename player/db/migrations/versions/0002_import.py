"""Imported listening history: the source of each play and session, imports and their entries,
and each track's MusicBrainz recording id.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add ``source`` to plays and sessions and ``mbid`` to tracks; create ``imports`` and
    ``imported_entries``."""
    with op.batch_alter_table("tracks") as batch:
        batch.add_column(sa.Column("mbid", sa.String(), server_default="", nullable=False))
    with op.batch_alter_table("plays") as batch:
        batch.add_column(sa.Column("source", sa.String(), server_default="local", nullable=False))
        batch.create_index("ix_plays_started_at", ["started_at"])
        batch.create_index("ix_plays_source", ["source"])
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("source", sa.String(), server_default="local", nullable=False))
        batch.create_index("ix_sessions_source_started_at", ["source", "started_at"])
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("files", sa.String(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("plays_added", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_imports"),
    )
    op.create_table(
        "imported_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("file", sa.String(), nullable=False),
        sa.Column("entry", sa.Integer(), nullable=False),
        sa.Column("played_at", sa.Float(), nullable=False),
        sa.Column("artist", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("album", sa.String(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("played_ms", sa.Integer(), nullable=True),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("mbid", sa.String(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column("play_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_imported_entries"),
        sa.UniqueConstraint("key", name="uq_imported_entries_key"),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name="fk_imported_entries_import_id_imports"
        ),
        sa.ForeignKeyConstraint(
            ["track_id"], ["tracks.id"], name="fk_imported_entries_track_id_tracks"
        ),
        sa.ForeignKeyConstraint(
            ["play_id"], ["plays.id"], name="fk_imported_entries_play_id_plays"
        ),
    )
    op.create_index("ix_imported_entries_import_id", "imported_entries", ["import_id"])
    op.create_index("ix_imported_entries_track_id", "imported_entries", ["track_id"])


def downgrade() -> None:
    """Drop the import tables and the source columns (imported plays stay, as local ones)."""
    op.drop_table("imported_entries")
    op.drop_table("imports")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_index("ix_sessions_source_started_at")
        batch.drop_column("source")
    with op.batch_alter_table("plays") as batch:
        batch.drop_index("ix_plays_started_at")
        batch.drop_index("ix_plays_source")
        batch.drop_column("source")
    with op.batch_alter_table("tracks") as batch:
        batch.drop_column("mbid")
