"""Feedback events: the listener loved a track, or said never to play it (and undoing either).

Revision ID: 0005
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004_replaygain"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``feedback_events`` (append-only, like play events)."""
    op.create_table(
        "feedback_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("on", sa.Boolean(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["track_id"], ["tracks.id"], name="fk_feedback_events_track_id_tracks"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_feedback_events"),
    )
    op.create_index("ix_feedback_events_track_id", "feedback_events", ["track_id"])


def downgrade() -> None:
    """Drop ``feedback_events``."""
    op.drop_index("ix_feedback_events_track_id", table_name="feedback_events")
    op.drop_table("feedback_events")
