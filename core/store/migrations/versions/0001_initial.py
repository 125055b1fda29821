"""The tables as they were made by create_all before migrations: feedback, processed updates, handover cases and
their messages, the inbox.

Each table is created only where it is missing, so a database made by an earlier Lotse is adopted as it is.

Revision ID: 0001
Revises:
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _missing(name: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    if _missing("processed_updates"):
        op.create_table(
            "processed_updates",
            sa.Column("update_id", sa.BigInteger(), primary_key=True, autoincrement=False),
            sa.Column("received_at", sa.DateTime(), nullable=False, index=True),
        )
    if _missing("feedback"):
        op.create_table(
            "feedback",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("chat", sa.String(64), nullable=False, index=True),
            sa.Column("entry", sa.String(64), nullable=False, index=True),
            sa.Column("language", sa.String(8), nullable=False),
            sa.Column("helpful", sa.Boolean(), nullable=False),
            sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.UniqueConstraint("chat", "entry"),
        )
    if _missing("inbox_messages"):
        op.create_table(
            "inbox_messages",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("text", sa.String(500), nullable=False),
            sa.Column("language", sa.String(8), nullable=False),
            sa.Column("reason", sa.String(32), nullable=False),
            sa.Column("candidates", sa.JSON(), nullable=False),
            sa.Column("created_at", sa.DateTime(), nullable=False, index=True),
        )
    if _missing("handover_cases"):
        op.create_table(
            "handover_cases",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("chat", sa.String(64), nullable=False, index=True),
            sa.Column("chat_id", sa.BigInteger(), nullable=False),
            sa.Column("service", sa.String(100), nullable=False),
            sa.Column("language", sa.String(8), nullable=False),
            sa.Column("summary", sa.JSON(), nullable=False),
            sa.Column("state", sa.String(16), nullable=False, index=True),
            sa.Column("proposed_at", sa.DateTime(), nullable=False),
            sa.Column("consented_at", sa.DateTime(), nullable=False),
            sa.Column("sent_at", sa.DateTime(), nullable=True),
            sa.Column("claimed_at", sa.DateTime(), nullable=True),
            sa.Column("answered_at", sa.DateTime(), nullable=True),
            sa.Column("closed_at", sa.DateTime(), nullable=True, index=True),
            sa.Column("deadline_at", sa.DateTime(), nullable=True),
            sa.Column("overdue_notified_at", sa.DateTime(), nullable=True),
            sa.Column("group_chat_id", sa.BigInteger(), nullable=True),
            sa.Column("group_message_id", sa.BigInteger(), nullable=True),
            sa.Column("counsellor_id", sa.BigInteger(), nullable=True),
            sa.Column("counsellor_name", sa.String(128), nullable=True),
            sqlite_autoincrement=True,
        )
    if _missing("handover_case_messages"):
        op.create_table(
            "handover_case_messages",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("case_id", sa.Integer(), nullable=False, index=True),
            sa.Column("message_id", sa.BigInteger(), nullable=False),
        )


def downgrade() -> None:
    for table in ("handover_case_messages", "handover_cases", "inbox_messages", "feedback", "processed_updates"):
        op.drop_table(table)
