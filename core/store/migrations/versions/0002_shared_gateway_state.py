"""The gateway's state shared by its replicas: whether an update was handled to the end, the rate-limit windows,
the chat's answer language and its consent screen not yet answered (they were in each process's memory), and
the consent press that stored each handover case (a press delivered twice stores one case).

Updates recorded before this revision were handled when they were recorded: they count as done.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN: SQLite and PostgreSQL both have it (a batch copy is only needed to drop).
    op.add_column("processed_updates", sa.Column("done_at", sa.DateTime(), nullable=True))
    op.add_column("processed_updates", sa.Column("notified", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE processed_updates SET done_at = received_at")
    # A unique index, not a constraint: SQLite would copy the table for a constraint and lose its AUTOINCREMENT.
    op.add_column("handover_cases", sa.Column("consent_update", sa.BigInteger(), nullable=True))
    op.create_index("ix_handover_cases_consent_update", "handover_cases", ["consent_update"], unique=True)
    op.create_table(
        "gateway_chats",
        sa.Column("chat", sa.String(64), primary_key=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("proposal", sa.JSON(), nullable=True),
        sa.Column("proposal_shown_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False, index=True),
    )
    op.create_table(
        "gateway_rate",
        sa.Column("chat", sa.String(64), primary_key=True),
        sa.Column("slot", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("count", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_index("ix_handover_cases_consent_update", "handover_cases")
    with op.batch_alter_table("handover_cases") as table:
        table.drop_column("consent_update")
    op.drop_table("gateway_rate")
    op.drop_table("gateway_chats")
    with op.batch_alter_table("processed_updates") as table:
        table.drop_column("notified")
        table.drop_column("done_at")
