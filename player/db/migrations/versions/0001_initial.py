"""Initial schema: tracks, listening sessions, plays and play events.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create every table of the first schema."""
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("last_activity_at", sa.Float(), nullable=False),
        sa.Column("closed_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
    )
    op.create_index("ix_sessions_closed_at", "sessions", ["closed_at"])
    op.create_table(
        "tracks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("mtime", sa.Float(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("artist", sa.String(), nullable=False),
        sa.Column("album_artist", sa.String(), nullable=False),
        sa.Column("album", sa.String(), nullable=False),
        sa.Column("track_number", sa.Integer(), nullable=True),
        sa.Column("disc_number", sa.Integer(), nullable=True),
        sa.Column("genre", sa.String(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("codec", sa.String(), nullable=False),
        sa.Column("has_embedded_cover", sa.Boolean(), nullable=False),
        sa.Column("cover_path", sa.String(), nullable=True),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("added_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tracks"),
        sa.UniqueConstraint("path", name="uq_tracks_path"),
    )
    op.create_index("ix_tracks_match", "tracks", ["title", "artist", "duration_ms"])
    op.create_table(
        "plays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_plays"),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name="fk_plays_session_id_sessions"
        ),
        sa.ForeignKeyConstraint(["track_id"], ["tracks.id"], name="fk_plays_track_id_tracks"),
    )
    op.create_index("ix_plays_session_id", "plays", ["session_id"])
    op.create_index("ix_plays_track_id", "plays", ["track_id"])
    op.create_table(
        "play_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("play_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("position_ms", sa.Integer(), nullable=False),
        sa.Column("played_ms", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_play_events"),
        sa.ForeignKeyConstraint(["play_id"], ["plays.id"], name="fk_play_events_play_id_plays"),
    )
    op.create_index("ix_play_events_play_id", "play_events", ["play_id"])


def downgrade() -> None:
    """Drop every table (history included): only for development."""
    op.drop_table("play_events")
    op.drop_table("plays")
    op.drop_table("tracks")
    op.drop_table("sessions")
