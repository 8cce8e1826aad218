"""Playlists: named, ordered entries that keep their path and tags when the file is missing.

Revision ID: 0003_playlists
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_playlists"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the playlist tables."""
    op.create_table(
        "playlists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_playlists"),
        sa.UniqueConstraint("name", name="uq_playlists_name"),
    )
    op.create_table(
        "playlist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("playlist_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("artist", sa.String(), nullable=False),
        sa.Column("album", sa.String(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_playlist_entries"),
        sa.ForeignKeyConstraint(
            ["playlist_id"],
            ["playlists.id"],
            name="fk_playlist_entries_playlist_id_playlists",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["track_id"], ["tracks.id"], name="fk_playlist_entries_track_id_tracks"
        ),
    )
    op.create_index("ix_playlist_entries_order", "playlist_entries", ["playlist_id", "position"])
    op.create_index("ix_playlist_entries_track_id", "playlist_entries", ["track_id"])


def downgrade() -> None:
    """Drop the playlist tables."""
    op.drop_table("playlist_entries")
    op.drop_table("playlists")
