"""ReplayGain on tracks: track and album gain (dB) and peak (linear), read from the tags.

Every file's tags are read again at the next scan (its stored mtime is cleared), so a library
scanned before this version gets its gains without the user doing anything.

Revision ID: 0004_replaygain
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_replaygain"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

_COLUMNS = ("track_gain", "track_peak", "album_gain", "album_peak")


def upgrade() -> None:
    """Add the four columns; make the next scan read every file's tags again."""
    with op.batch_alter_table("tracks") as batch:
        for name in _COLUMNS:
            batch.add_column(sa.Column(name, sa.Float(), nullable=True))
    op.execute("UPDATE tracks SET mtime = 0")


def downgrade() -> None:
    """Drop the four columns."""
    with op.batch_alter_table("tracks") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
