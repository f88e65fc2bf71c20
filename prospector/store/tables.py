"""Tables. Times are UTC; list-like text columns are stored ",a,b," so SQL can test membership."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class Account(SQLModel, table=True):
    """A company, keyed by its normalised domain (or "name:<company>" without one).

    The segment index covers every account column a segment tests, so counting a
    segment never reads the (wide) account rows themselves.
    """

    __table_args__ = (
        Index(
            "ix_account_segment",
            "industry",
            "country",
            "business_model",
            "employees",
            "revenue",
            "icp_score",
            "tags",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=255)
    name: str = ""
    domain: str = ""  # the key already indexes it (key == domain when there is one)
    industry: str = ""
    employees: int | None = None
    revenue: int | None = None
    country: str = ""
    region: str = ""
    business_model: str = ""
    potential_users: int | None = None
    tags: str = ""
    icp_score: int = 0
    icp_reasons: str = ""  # one reason per line
    red_flag: str | None = None  # rule id
    red_flag_reason: str | None = None
    source: str = ""
    created_at: datetime
    updated_at: datetime


class Contact(SQLModel, table=True):
    """A person at an account; the lower-cased address is their identity.

    The segment index lets a segment count join from matching accounts to their
    contacts and test them without reading contact rows.
    """

    __table_args__ = (
        Index(
            "ix_contact_segment", "account_id", "excluded_by", "seniority", "last_interaction_at"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    email: str = Field(unique=True, max_length=320)
    first_name: str = ""
    last_name: str = ""
    title: str = ""
    seniority: str = "unknown"
    timezone: str = ""
    country: str = ""
    region: str = ""
    phone: str = ""
    is_role_address: bool = False
    is_free_mail: bool = False
    tags: str = ""
    stage: str = "prospect"
    excluded_by: str | None = None  # rule id
    excluded_reason: str | None = None
    do_not_contact: bool = False
    referred_by_id: int | None = Field(default=None, foreign_key="contact.id")
    # 0: from a list; 1: referred by a listed contact; 2: … (a server default too, so bulk
    # imports that name their columns need not know about it)
    referral_depth: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    nurture_until: datetime | None = None  # "not now": when to come back
    last_interaction_at: datetime | None = None
    extra: str = ""  # unmapped CSV columns, JSON
    source: str = ""
    created_at: datetime
    updated_at: datetime


class Suppression(SQLModel, table=True):
    """An address that must never be emailed, whatever path tries to."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=320)
    reason: str  # unsubscribed | hard-bounce | do-not-contact | manual
    detail: str = ""
    created_at: datetime


class Enrollment(SQLModel, table=True):
    """One contact walking one sequence; `next_due_at` (UTC) is when its step is due.

    A contact walks a sequence at most once, even when two `enroll` runs race.
    """

    __table_args__ = (
        UniqueConstraint("contact_id", "sequence"),
        Index("ix_enrollment_due", "state", "next_due_at"),
        Index("ix_enrollment_progress", "state", "step", "sequence", "account_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id")  # the unique key leads with it
    account_id: int = Field(foreign_key="account.id", index=True)
    sequence: str = Field(index=True)
    step: int = 0
    state: str = "active"  # active|paused|stopped|completed|held (ix_enrollment_due leads)
    next_due_at: datetime | None = None
    mailbox: str = ""
    segment: str = ""
    reason: str = ""  # why it stopped or is held
    created_at: datetime
    updated_at: datetime


class Message(SQLModel, table=True):
    """One email in or out; the Message-ID is fixed before anything is sent.

    An outbound row is written (state "sending", with its exact bytes in `raw`) and
    committed before SMTP is called; one row per enrollment step, so a step is never
    sent twice, and a retry resends the very same bytes.
    """

    __table_args__ = (
        UniqueConstraint("enrollment_id", "step", name="uq_message_enrollment_step"),
        Index("ix_message_mailbox_created", "mailbox", "created_at"),
        Index("ix_message_created_account", "created_at", "account_id"),
        # Partial indexes: only the rows they serve carry an entry, so sending a message
        # writes no index page for retries or for inbound mail.
        Index(
            "ix_message_retry",
            "next_attempt_at",
            sqlite_where=text("state = 'retry'"),
            postgresql_where=text("state = 'retry'"),
        ),
        # An inbound message is processed once: its place in the mailbox is its identity.
        Index(
            "uq_message_imap_uid",
            "mailbox",
            "folder",
            "uidvalidity",
            "uid",
            unique=True,
            sqlite_where=text("direction = 'in'"),
            postgresql_where=text("direction = 'in'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    direction: str  # out | in
    message_id: str = Field(unique=True, max_length=998)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    enrollment_id: int | None = Field(default=None, foreign_key="enrollment.id")  # see uq_
    step: int | None = None
    account_id: int | None = Field(default=None, foreign_key="account.id")
    mailbox: str = ""
    to_address: str = ""
    state: str  # out: sending|sent|retry|failed|uncertain; in: received (ix_message_retry leads)
    subject: str = ""
    in_reply_to: str = ""
    references: str = ""
    body: str = ""
    raw: str = ""  # the exact wire message (ASCII: headers are encoded, the body 7bit or QP)
    error: str = ""
    attempts: int = 0
    next_attempt_at: datetime | None = None
    created_at: datetime
    sent_at: datetime | None = None
    # Inbound: where it was read, who wrote it, how it was sorted and what was done.
    from_address: str = ""
    folder: str = ""
    uidvalidity: int | None = Field(default=None, sa_type=BigInteger)
    uid: int | None = Field(default=None, sa_type=BigInteger)
    category: str = ""
    confidence: float | None = None
    evidence: str = ""  # the sorter's JSON (Classification.as_json)
    action: str = ""  # what prospector did about it, in words
    content: bytes | None = Field(default=None, sa_type=LargeBinary)  # the raw inbound bytes
    # outbound: addresses in copy, also on the envelope (an AE on a hand-off)
    cc: str = Field(default="", sa_column_kwargs={"server_default": text("''")})
    # (the server default spares old rows a rewrite when the column was added)


class MailboxFolder(SQLModel, table=True):
    """How far a mailbox folder has been read: UIDs are only comparable within a UIDVALIDITY."""

    __tablename__ = "mailbox_folder"

    mailbox: str = Field(primary_key=True, max_length=64)
    folder: str = Field(primary_key=True, max_length=255)
    uidvalidity: int = Field(sa_type=BigInteger)
    last_uid: int = Field(default=0, sa_type=BigInteger)
    synced_at: datetime


class MailboxState(SQLModel, table=True):
    """Per sending mailbox: when it may send next (pacing), and whether it is paused."""

    __tablename__ = "mailbox_state"

    mailbox: str = Field(primary_key=True, max_length=64)
    next_send_at: datetime | None = None
    failures: int = 0  # consecutive failures that were the mailbox's, not a recipient's
    paused_until: datetime | None = None
    paused_reason: str = ""
    updated_at: datetime


class InboxItem(SQLModel, table=True):
    """A reply a person decides on. `version` makes decisions exclusive: a decision
    updates the row only at the version the rep saw, so two reps never both win."""

    __tablename__ = "inbox_item"
    __table_args__ = (
        # The queue, best first within a lane, read a page at a time from the index.
        Index("ix_inbox_queue", "state", "lane", "priority", "id"),
        Index("ix_inbox_snoozed", "state", "snoozed_until", "id"),
        Index("ix_inbox_contact", "contact_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)  # the inbound reply
    contact_id: int = Field(foreign_key="contact.id")
    account_id: int = Field(foreign_key="account.id")
    lane: str  # sql | review | referral
    state: str = "open"  # open | snoozed | accepted | rejected | reclassified | closed
    priority: int = 0  # lower first: the queue's order within a lane
    why: str = ""  # why a person is asked
    snoozed_until: datetime | None = None
    version: int = 1
    decided_by: str = ""
    decided_at: datetime | None = None
    decision: str = ""  # JSON: what was decided, with its reason
    created_at: datetime
    updated_at: datetime


class Handoff(SQLModel, table=True):
    """An accepted SQL: the AE's task, and how it reaches them (intro email, webhook, export).

    One per inbox item, enforced by the database too: never a double hand-off.
    """

    __table_args__ = (
        Index("ix_handoff_ae_created", "ae", "created_at"),
        Index(
            "ix_handoff_webhook",
            "webhook_next_at",
            sqlite_where=text("webhook_state = 'pending'"),
            postgresql_where=text("webhook_state = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="inbox_item.id", unique=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    account_id: int = Field(foreign_key="account.id")
    ae: str  # the AE's name, as in config
    ae_email: str = ""
    via: str  # intro | call | transfer
    task: str = ""  # what the AE is asked to do, in words
    state: str = "open"  # open | done
    accepted_by: str
    accepted_at: datetime
    intro_message_id: int | None = Field(default=None, foreign_key="message.id")
    webhook_state: str = ""  # "" (no webhook) | pending | delivered | failed
    webhook_attempts: int = 0
    webhook_next_at: datetime | None = None
    webhook_error: str = ""
    created_at: datetime


class Event(SQLModel, table=True):
    """Append-only audit: every state change, with who or what made it."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    kind: str = Field(index=True)  # e.g. contact.imported, enrollment.created
    contact_id: int | None = Field(default=None, index=True)
    enrollment_id: int | None = None
    message_id: int | None = None
    actor: str = "prospector"
    data: str = ""  # JSON


# Core handles for bulk statements and typed queries (column objects, not model attributes).
ACCOUNT = SQLModel.metadata.tables["account"]
CONTACT = SQLModel.metadata.tables["contact"]
SUPPRESSION = SQLModel.metadata.tables["suppression"]
ENROLLMENT = SQLModel.metadata.tables["enrollment"]
MESSAGE = SQLModel.metadata.tables["message"]
EVENT = SQLModel.metadata.tables["event"]
MAILBOX_STATE = SQLModel.metadata.tables["mailbox_state"]
MAILBOX_FOLDER = SQLModel.metadata.tables["mailbox_folder"]
INBOX_ITEM = SQLModel.metadata.tables["inbox_item"]
HANDOFF = SQLModel.metadata.tables["handoff"]
