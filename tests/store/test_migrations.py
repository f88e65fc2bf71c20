"""The Alembic migrations build exactly the schema the SQLModel tables describe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

import prospector.store.tables  # noqa: F401  (registers the tables on the metadata)
from prospector.store.db import SCHEMA_HEAD, alembic_config, is_current, make_engine, upgrade


def differences(engine: Engine) -> list[Any]:
    """What autogenerate would write for this database: nothing, if migrations are complete."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, SQLModel.metadata))


def schema(engine: Engine) -> dict[str, Any]:
    """Tables with their columns, indexes, unique constraints and foreign keys."""
    inspector = inspect(engine)
    found: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        found[table] = (
            [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
            sorted(
                (i["name"] or "", tuple(i["column_names"])) for i in inspector.get_indexes(table)
            ),
            sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)),
            sorted(
                (tuple(f["constrained_columns"]), f["referred_table"])
                for f in inspector.get_foreign_keys(table)
            ),
        )
    return found


def version(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def test_the_schema_head_the_cli_checks_is_the_newest_migration(any_engine: Engine) -> None:
    assert head(any_engine) == SCHEMA_HEAD


def test_migrations_match_the_tables(any_engine: Engine) -> None:
    assert version(any_engine) == head(any_engine)
    assert differences(any_engine) == []


def test_every_table_is_created(any_engine: Engine) -> None:
    tables = set(inspect(any_engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert tables - set(SQLModel.metadata.tables) == {"alembic_version"}


def test_an_empty_database_differs_until_upgraded(tmp_path: Path) -> None:
    """The comparison itself can see a difference (so "no differences" means something)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        assert differences(engine) != []
        assert not is_current(engine)
        upgrade(engine)
        assert is_current(engine)
        assert differences(engine) == []
    finally:
        engine.dispose()


def test_upgrade_twice_is_a_no_op(any_engine: Engine) -> None:
    before = schema(any_engine)
    # Straight through Alembic, not the is_current shortcut in store.db.upgrade.
    command.upgrade(alembic_config(any_engine), "head")
    command.upgrade(alembic_config(any_engine), "head")
    upgrade(any_engine)
    assert schema(any_engine) == before
    assert version(any_engine) == head(any_engine)
    with any_engine.connect() as conn:
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    assert [r[0] for r in rows] == [head(any_engine)]


def test_upgrade_keeps_data(sqlite_engine: Engine) -> None:
    with sqlite_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO suppression (email, reason, detail, created_at) "
                "VALUES ('a@b.com', 'manual', '', '2026-11-24 15:00:00')"
            )
        )
    command.upgrade(alembic_config(sqlite_engine), "head")
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT email FROM suppression")).scalars().all() == ["a@b.com"]


def test_there_is_one_head(sqlite_engine: Engine) -> None:
    heads = ScriptDirectory.from_config(alembic_config(sqlite_engine)).get_heads()
    assert len(heads) == 1, f"migrations have several heads: {heads}"


def test_0002_keeps_messages_sent_before_it(any_engine: Engine) -> None:
    """Rows written under 0001 survive the outbox columns (NOT NULL, defaulted), both ways."""
    command.downgrade(alembic_config(any_engine), "0001")
    with any_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO message (direction, message_id, mailbox, state, subject,"
                ' in_reply_to, "references", body, error, created_at)'
                " VALUES ('out', '<a@b.c>', 'main', 'sent', 's', '', '', 'b', '',"
                " '2026-11-24 15:00:00')"
            )
        )
    command.upgrade(alembic_config(any_engine), "head")
    with any_engine.connect() as conn:
        row = conn.execute(text("SELECT message_id, raw, attempts, to_address FROM message")).one()
    assert tuple(row) == ("<a@b.c>", "", 0, "")
    assert differences(any_engine) == []


def test_0006_queues_replies_that_were_waiting_for_a_person(any_engine: Engine) -> None:
    """Replies sorted before the inbox existed, marked for review or as SQL candidates,
    become inbox items; other replies do not."""
    command.downgrade(alembic_config(any_engine), "0005")
    stamp = "'2026-11-24 15:00:00'"
    with any_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO account (key, name, domain, industry, country, region,"
                " business_model, tags, icp_score, icp_reasons, source, created_at,"
                f" updated_at) VALUES ('a.com', 'A', 'a.com', '', '', '', '', '', 0, '', '',"
                f" {stamp}, {stamp})"
            )
        )
        conn.execute(
            text(
                "INSERT INTO contact (account_id, email, first_name, last_name, title,"
                " seniority, timezone, country, region, phone, is_role_address, is_free_mail,"
                " tags, stage, do_not_contact, referral_depth, extra, source, created_at,"
                " updated_at) VALUES (1, 'ann@a.com', 'Ann', '', '', 'vp', '', '', '', '',"
                f" false, false, '', 'lead', false, 0, '', '', {stamp}, {stamp})"
            )
        )
        for n in (1, 2, 3):
            conn.execute(
                text(
                    "INSERT INTO message (direction, message_id, contact_id, mailbox, state,"
                    ' subject, in_reply_to, "references", body, raw, error, attempts, to_address,'
                    " from_address, folder, category, evidence, action, created_at)"
                    f" VALUES ('in', '<r{n}@a.com>', 1, 'main', 'received', 's', '', '', '',"
                    f" '', '', 0, '', 'ann@a.com', 'INBOX', 'interested', '', '', {stamp})"
                )
            )
        for kind, message, why in (
            ("reply.sql_candidate", 1, ""),
            ("reply.review", 2, "question"),
            ("reply.review", 2, "question"),  # recorded twice: still one item
            ("reply.review", 3, "referral to a role"),
            ("contact.nurture", 3, ""),
        ):
            conn.execute(
                text(
                    "INSERT INTO event (at, kind, contact_id, actor, data)"
                    f" VALUES ({stamp}, :kind, 1, 'ingest', :data)"
                ),
                {"kind": kind, "data": f'{{"message": {message}, "why": "{why}"}}'},
            )
    command.upgrade(alembic_config(any_engine), "head")
    with any_engine.connect() as conn:
        rows = conn.execute(
            text("SELECT message_id, lane, state, why FROM inbox_item ORDER BY id")
        ).all()
    assert [tuple(r) for r in rows] == [
        (1, "sql", "open", "interested"),
        (2, "review", "open", "question"),
        (3, "referral", "open", "referral to a role"),
    ]

    assert differences(any_engine) == []
