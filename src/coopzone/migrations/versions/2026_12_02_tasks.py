"""tasks a clerk can work with: assignees, replies, attachments, extensions; agreement status
history; in-app notifications; workflow history columns

A task is assigned to one or more organisations (``cooperation_task_assignee``, one row per
organisation with its own progress and deadline; existing tasks get one row, their owner's,
carrying the task's state). Task history rows name the assignee a move was about and share the
workflow kit's column widths (20). Agreement status changes get a history table. Notifications
are one row per recipient user.

Revision ID: 70e50c617556
Revises: 5b2e9c7d41a0
Create Date: 2026-12-02 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import coopzone.db

revision: str = "70e50c617556"
down_revision: str | None = "5b2e9c7d41a0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _history_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("at", coopzone.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=False),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "cooperation_task_assignee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("returned_count", sa.Integer(), nullable=False),
        sa.Column("submitted_at", coopzone.db.AwareDateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", coopzone.db.AwareDateTime(timezone=True), nullable=True),
        sa.Column("lock_version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["accounts_organisation.id"],
                                name=op.f("fk_cooperation_task_assignee_org_id_accounts_organisation")),
        sa.ForeignKeyConstraint(["task_id"], ["cooperation_task.id"], ondelete="CASCADE",
                                name=op.f("fk_cooperation_task_assignee_task_id_cooperation_task")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cooperation_task_assignee")),
        sa.UniqueConstraint("task_id", "org_id",
                            name=op.f("uq_cooperation_task_assignee_task_id_org_id")),
    )
    for column in ("task_id", "org_id", "state", "deadline"):
        op.create_index(f"ix_cooperation_task_assignee_{column}", "cooperation_task_assignee",
                        [column])
    op.execute(
        "INSERT INTO cooperation_task_assignee (task_id, org_id, state, deadline, "
        "returned_count, submitted_at, accepted_at, lock_version) "
        "SELECT id, owner_org_id, state, deadline, returned_count, submitted_at, accepted_at, 1 "
        "FROM cooperation_task")

    with op.batch_alter_table("cooperation_task_event", schema=None) as batch_op:
        for column in ("action", "from_state", "to_state"):
            batch_op.alter_column(column, existing_type=sa.String(length=12),
                                  type_=sa.String(length=20), existing_nullable=False)
        batch_op.add_column(sa.Column("org_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f("fk_cooperation_task_event_org_id_accounts_organisation"),
                                    "accounts_organisation", ["org_id"], ["id"])
    op.execute(
        "UPDATE cooperation_task_event SET org_id = (SELECT owner_org_id FROM cooperation_task "
        "WHERE cooperation_task.id = cooperation_task_event.task_id) WHERE action <> 'create'")

    op.create_table(
        "cooperation_task_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", coopzone.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["accounts_organisation.id"],
                                name=op.f("fk_cooperation_task_reply_org_id_accounts_organisation")),
        sa.ForeignKeyConstraint(["task_id"], ["cooperation_task.id"], ondelete="CASCADE",
                                name=op.f("fk_cooperation_task_reply_task_id_cooperation_task")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cooperation_task_reply")),
    )
    op.create_index("ix_cooperation_task_reply_task_id", "cooperation_task_reply", ["task_id"])

    op.create_table(
        "cooperation_task_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("reply_id", sa.Integer(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("added_at", coopzone.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["cooperation_document.id"],
            name=op.f("fk_cooperation_task_attachment_document_id_cooperation_document")),
        sa.ForeignKeyConstraint(
            ["reply_id"], ["cooperation_task_reply.id"], ondelete="CASCADE",
            name=op.f("fk_cooperation_task_attachment_reply_id_cooperation_task_reply")),
        sa.ForeignKeyConstraint(["task_id"], ["cooperation_task.id"], ondelete="CASCADE",
                                name=op.f("fk_cooperation_task_attachment_task_id_cooperation_task")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cooperation_task_attachment")),
    )
    op.create_index("ix_cooperation_task_attachment_task_id", "cooperation_task_attachment",
                    ["task_id"])
    op.create_index("ix_cooperation_task_attachment_reply_id", "cooperation_task_attachment",
                    ["reply_id"])

    op.create_table(
        "cooperation_task_extension",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("old_deadline", sa.Date(), nullable=False),
        sa.Column("new_deadline", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("asked_at", coopzone.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("asked_by", sa.String(length=120), nullable=False),
        sa.Column("decided_at", coopzone.db.AwareDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("lock_version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["accounts_organisation.id"],
            name=op.f("fk_cooperation_task_extension_org_id_accounts_organisation")),
        sa.ForeignKeyConstraint(["task_id"], ["cooperation_task.id"], ondelete="CASCADE",
                                name=op.f("fk_cooperation_task_extension_task_id_cooperation_task")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cooperation_task_extension")),
    )
    op.create_index("ix_cooperation_task_extension_task_id", "cooperation_task_extension",
                    ["task_id"])
    op.create_index("ix_cooperation_task_extension_state", "cooperation_task_extension",
                    ["state"])

    op.create_table(
        "cooperation_agreement_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=True),
        *_history_columns(),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["cooperation_agreement.id"], ondelete="CASCADE",
            name=op.f("fk_cooperation_agreement_event_agreement_id_cooperation_agreement")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cooperation_agreement_event")),
    )
    op.create_index("ix_cooperation_agreement_event_agreement_id", "cooperation_agreement_event",
                    ["agreement_id"])

    op.create_table(
        "notifications_notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("entity", sa.String(length=30), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("created_at", coopzone.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("read_at", coopzone.db.AwareDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["accounts_user.id"], ondelete="CASCADE",
                                name=op.f("fk_notifications_notification_user_id_accounts_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications_notification")),
        sa.UniqueConstraint("user_id", "key", name=op.f("uq_notifications_notification_user_id_key")),
    )
    op.create_index("ix_notifications_notification_unread", "notifications_notification",
                    ["user_id", "read_at"])


def downgrade() -> None:
    op.drop_index("ix_notifications_notification_unread", "notifications_notification")
    op.drop_table("notifications_notification")
    op.drop_index("ix_cooperation_agreement_event_agreement_id", "cooperation_agreement_event")
    op.drop_table("cooperation_agreement_event")
    op.drop_index("ix_cooperation_task_extension_state", "cooperation_task_extension")
    op.drop_index("ix_cooperation_task_extension_task_id", "cooperation_task_extension")
    op.drop_table("cooperation_task_extension")
    op.drop_index("ix_cooperation_task_attachment_reply_id", "cooperation_task_attachment")
    op.drop_index("ix_cooperation_task_attachment_task_id", "cooperation_task_attachment")
    op.drop_table("cooperation_task_attachment")
    op.drop_index("ix_cooperation_task_reply_task_id", "cooperation_task_reply")
    op.drop_table("cooperation_task_reply")
    with op.batch_alter_table("cooperation_task_event", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_cooperation_task_event_org_id_accounts_organisation"),
                                 type_="foreignkey")
        batch_op.drop_column("org_id")
        for column in ("action", "from_state", "to_state"):
            batch_op.alter_column(column, existing_type=sa.String(length=20),
                                  type_=sa.String(length=12), existing_nullable=False)
    for column in ("task_id", "org_id", "state", "deadline"):
        op.drop_index(f"ix_cooperation_task_assignee_{column}", "cooperation_task_assignee")
    op.drop_table("cooperation_task_assignee")
