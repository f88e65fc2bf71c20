"""enroll(): a segment's eligible contacts started on a sequence, every skip counted by reason."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from prospector.config import Settings, load_settings
from prospector.engine.enrolling import enroll
from prospector.engine.importing import import_contacts
from prospector.errors import InvalidError, NotFoundError
from prospector.store.tables import Contact, Enrollment, Event, Suppression
from tests.conftest import NOW
from tests.workspaces import make_workspace

HEADER = (
    "email,first_name,last_name,title,company,website,industry,employees,revenue,"
    "country,timezone,business_model,potential_users,tags"
)
# ICP fit (config.example.toml): alpha 100, beta 90 (few potential users), gamma 65
# (also small revenue); every one of them is in the saas-leaders segment (score >= 60).
ALPHA = "Alpha,alpha-soft.com,saas,100,10000000,US,America/Los_Angeles,b2b,50,"
BETA = "Beta,beta-soft.com,saas,100,10000000,US,America/New_York,b2b,5,"
GAMMA = "Gamma,gamma-soft.com,saas,100,2000000,US,America/Chicago,b2b,5,"
ROWS = [
    f"a1@alpha-soft.com,Ann,One,CEO,{ALPHA}",
    f"a2@alpha-soft.com,Al,Two,VP Sales,{ALPHA}",
    f"a3@alpha-soft.com,Ada,Three,CTO,{ALPHA}",
    f"a4@alpha-soft.com,Abe,Four,CFO,{ALPHA}",  # the 4th at one account: over the limit of 3
    f"b1@beta-soft.com,Bea,One,CEO,{BETA}",
    f"c1@gamma-soft.com,Cy,One,VP Marketing,{GAMMA}",
    # Red flag has-solution (a tag), red flag existing-customer (a domain), hygiene (role@):
    "d1@delta-soft.com,Di,One,CEO,Delta,delta-soft.com,saas,100,10000000,US,"
    "America/New_York,b2b,50,uses-competitor",
    "e1@globex.com,Ed,One,CEO,Globex,globex.com,saas,100,10000000,US,America/New_York,b2b,50,",
    "info@epsilon-soft.com,,,CEO,Epsilon,epsilon-soft.com,saas,100,10000000,US,"
    "America/New_York,b2b,50,",
    # Marked do-not-contact and suppressed below:
    "f1@phi-soft.com,Fay,One,CEO,Phi,phi-soft.com,saas,100,10000000,US,America/New_York,b2b,50,",
    "g1@gee-soft.com,Gus,One,CEO,Gee,gee-soft.com,saas,100,10000000,US,America/New_York,b2b,50,",
    # Not in the segment at all (seniority, industry): never counted as a skip.
    "i1@alpha-soft.com,Ian,Intern,Sales Intern," + ALPHA,
    "r1@retail-co.com,Rae,One,CEO,Retail,retail-co.com,retail,100,10000000,US,"
    "America/New_York,b2b,50,",
]
SEGMENT_SKIPS = {
    "excluded: has-solution": 1,
    "excluded: existing-customer": 1,
    "excluded: role-address": 1,
    "do-not-contact": 1,
    "suppressed": 1,
}
SECOND_MAILBOX = """
[[mailboxes]]
id = "second"
address = "sam@northwind-demo.com"
name = "Sam Lee"
"""


def load(engine: Engine, ws: Path) -> Settings:
    """Settings for `ws`, with the test's contacts imported into `engine`."""
    settings = load_settings(ws / "config.toml")
    path = ws / "leads.csv"
    path.write_text(HEADER + "\n" + "\n".join(ROWS) + "\n", encoding="utf-8")
    report = import_contacts(engine, settings.config, path, now=NOW)
    assert report.rejected == 0
    with Session(engine) as session:
        session.execute(
            update(Contact)
            .where(col(Contact.email) == "f1@phi-soft.com")
            .values(do_not_contact=True)
        )
        session.add(Suppression(email="g1@gee-soft.com", reason="unsubscribed", created_at=NOW))
        session.commit()
    return settings


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_workspace(tmp_path)


def enrollments(engine: Engine) -> list[tuple[str, Enrollment]]:
    with Session(engine) as session:
        query = select(Contact.email, Enrollment).join(Contact).order_by(col(Enrollment.id))
        return [(email, enrollment) for email, enrollment in session.exec(query).all()]


def events(engine: Engine, kind: str) -> list[Event]:
    with Session(engine) as session:
        return list(session.exec(select(Event).where(Event.kind == kind).order_by(col(Event.id))))


def test_enroll_starts_every_eligible_contact_and_counts_each_skip(
    any_engine: Engine, ws: Path
) -> None:
    settings = load(any_engine, ws)
    report = enroll(any_engine, settings, "referral-ask", now=NOW)
    assert (report.sequence, report.segment, report.dry_run) == (
        "referral-ask",
        "saas-leaders",
        False,
    )
    assert report.enrolled == 5
    assert report.skipped == Counter({**SEGMENT_SKIPS, "too many at one account": 1})
    rows = enrollments(any_engine)
    assert [email for email, _ in rows] == [
        "a1@alpha-soft.com",
        "a2@alpha-soft.com",
        "a3@alpha-soft.com",
        "b1@beta-soft.com",
        "c1@gamma-soft.com",
    ]
    for _, enrollment in rows:
        assert (enrollment.sequence, enrollment.segment) == ("referral-ask", "saas-leaders")
        assert (enrollment.state, enrollment.step, enrollment.mailbox) == ("active", 0, "main")
        assert enrollment.next_due_at is not None
        assert enrollment.next_due_at.utcoffset() is not None  # aware, never naive
        assert enrollment.next_due_at == NOW  # the first step waits 0 days
        assert enrollment.created_at == NOW


def test_enrollment_report_as_dict_is_plain_json(sqlite_engine: Engine, ws: Path) -> None:
    settings = load(sqlite_engine, ws)
    report = enroll(sqlite_engine, settings, "referral-ask", now=NOW, dry_run=True)
    assert json.loads(json.dumps(report.as_dict())) == {
        "sequence": "referral-ask",
        "segment": "saas-leaders",
        "enrolled": 5,
        "skipped": {**SEGMENT_SKIPS, "too many at one account": 1},
        "dry_run": True,
    }


def test_each_enrollment_is_audited(any_engine: Engine, ws: Path) -> None:
    settings = load(any_engine, ws)
    enroll(any_engine, settings, "referral-ask", now=NOW)
    rows = enrollments(any_engine)
    created = events(any_engine, "enrollment.created")
    assert [(e.enrollment_id, e.contact_id) for e in created] == [
        (enrollment.id, enrollment.contact_id) for _, enrollment in rows
    ]
    assert all(e.at == NOW for e in created)
    assert json.loads(created[0].data) == {
        "sequence": "referral-ask",
        "segment": "saas-leaders",
        "mailbox": "main",
    }


def test_a_second_run_enrolls_nobody_twice(any_engine: Engine, ws: Path) -> None:
    settings = load(any_engine, ws)
    enroll(any_engine, settings, "referral-ask", now=NOW)
    again = enroll(any_engine, settings, "referral-ask", now=NOW)
    assert again.enrolled == 0
    # The over-the-limit contact still counts against its account, not as "already".
    assert again.skipped == Counter(
        {**SEGMENT_SKIPS, "already enrolled": 5, "too many at one account": 1}
    )
    assert len(enrollments(any_engine)) == 5
    assert len(events(any_engine, "enrollment.created")) == 5


def test_limit_takes_the_best_icp_fit_first(any_engine: Engine, ws: Path) -> None:
    settings = load(any_engine, ws)
    report = enroll(any_engine, settings, "referral-ask", now=NOW, limit=4)
    assert report.enrolled == 4
    assert report.skipped["over --limit"] == 1
    assert report.skipped["too many at one account"] == 1
    assert [email for email, _ in enrollments(any_engine)] == [
        "a1@alpha-soft.com",
        "a2@alpha-soft.com",
        "a3@alpha-soft.com",
        "b1@beta-soft.com",  # 90 beats gamma's 65
    ]
    rest = enroll(any_engine, settings, "referral-ask", now=NOW)
    assert rest.enrolled == 1
    assert enrollments(any_engine)[-1][0] == "c1@gamma-soft.com"


def test_limit_of_one(sqlite_engine: Engine, ws: Path) -> None:
    settings = load(sqlite_engine, ws)
    report = enroll(sqlite_engine, settings, "referral-ask", now=NOW, limit=1)
    assert report.enrolled == 1
    # a2, a3, a4, b1, c1: with one at alpha enrolled, a4 is under the account limit.
    assert report.skipped["over --limit"] == 5
    assert "too many at one account" not in report.skipped
    assert [email for email, _ in enrollments(sqlite_engine)] == ["a1@alpha-soft.com"]


def test_max_per_account_comes_from_the_config(any_engine: Engine, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, replace={"max_per_account = 3": "max_per_account = 1"})
    settings = load(any_engine, ws)
    report = enroll(any_engine, settings, "referral-ask", now=NOW)
    assert report.skipped["too many at one account"] == 3
    assert [email for email, _ in enrollments(any_engine)] == [
        "a1@alpha-soft.com",
        "b1@beta-soft.com",
        "c1@gamma-soft.com",
    ]


def test_max_per_account_zero_means_no_limit(sqlite_engine: Engine, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, replace={"max_per_account = 3": "max_per_account = 0"})
    settings = load(sqlite_engine, ws)
    report = enroll(sqlite_engine, settings, "referral-ask", now=NOW)
    assert report.enrolled == 6
    assert "too many at one account" not in report.skipped


def test_dry_run_writes_nothing_and_reports_the_same(any_engine: Engine, ws: Path) -> None:
    settings = load(any_engine, ws)
    dry = enroll(any_engine, settings, "referral-ask", now=NOW, limit=4, dry_run=True)
    assert dry.dry_run is True
    assert enrollments(any_engine) == []
    assert events(any_engine, "enrollment.created") == []
    real = enroll(any_engine, settings, "referral-ask", now=NOW, limit=4)
    assert (dry.enrolled, dry.skipped) == (real.enrolled, real.skipped)
    assert len(enrollments(any_engine)) == 4


def test_mailboxes_rotate_and_stay_balanced(any_engine: Engine, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, extra=SECOND_MAILBOX)
    settings = load(any_engine, ws)
    enroll(any_engine, settings, "referral-ask", now=NOW, limit=3)
    first = [e.mailbox for _, e in enrollments(any_engine)]
    assert first == ["main", "second", "main"]
    enroll(any_engine, settings, "referral-ask", now=NOW)
    # The next run starts from the current load: "second" is behind, so it goes first.
    assert [e.mailbox for _, e in enrollments(any_engine)] == [*first, "second", "main"]
    assert Counter(e.mailbox for _, e in enrollments(any_engine)) == {"main": 3, "second": 2}


def test_a_sequence_naming_its_mailboxes_uses_only_those(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    ws = make_workspace(tmp_path, extra=SECOND_MAILBOX)
    path = ws / "sequences" / "referral-ask.toml"
    path.write_text(path.read_text().replace("mailboxes = []", 'mailboxes = ["second"]'))
    settings = load(sqlite_engine, ws)
    enroll(sqlite_engine, settings, "referral-ask", now=NOW)
    assert {e.mailbox for _, e in enrollments(sqlite_engine)} == {"second"}


def test_the_first_wait_counts_business_days_in_the_contacts_zone(
    any_engine: Engine, ws: Path
) -> None:
    path = ws / "sequences" / "referral-ask.toml"
    text = path.read_text()
    path.write_text(text.replace("wait_days = 0", "wait_days = 1", 1))
    settings = load(any_engine, ws)
    with Session(any_engine) as session:  # a contact with no zone uses the config's default
        session.execute(
            update(Contact).where(col(Contact.email) == "a1@alpha-soft.com").values(timezone="")
        )
        session.commit()
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    enroll(any_engine, settings, "referral-ask", now=friday)
    due = {e.next_due_at for _, e in enrollments(any_engine)}
    assert due == {datetime(2026, 11, 30, 15, 0, tzinfo=UTC)}  # Monday, not Saturday


def test_another_segment_can_be_named(sqlite_engine: Engine, tmp_path: Path) -> None:
    extra = "\n[segments.small-revenue]\nrevenue = { max = 5000000 }\n"
    ws = make_workspace(tmp_path, extra=extra)
    settings = load(sqlite_engine, ws)
    report = enroll(sqlite_engine, settings, "referral-ask", now=NOW, segment_name="small-revenue")
    assert report.segment == "small-revenue"
    assert report.enrolled == 1
    [(email, enrollment)] = enrollments(sqlite_engine)
    assert (email, enrollment.segment) == ("c1@gamma-soft.com", "small-revenue")


def test_unknown_sequence_names_the_known_ones(sqlite_engine: Engine, ws: Path) -> None:
    settings = load(sqlite_engine, ws)
    with pytest.raises(NotFoundError) as caught:
        enroll(sqlite_engine, settings, "nope", now=NOW)
    assert "'nope'" in str(caught.value)
    assert "referral-ask, referral-follow-up" in str(caught.value)


def test_unknown_segment_names_the_known_ones(sqlite_engine: Engine, ws: Path) -> None:
    settings = load(sqlite_engine, ws)
    with pytest.raises(NotFoundError) as caught:
        enroll(sqlite_engine, settings, "referral-ask", now=NOW, segment_name="nope")
    assert "'nope'" in str(caught.value)
    assert "logistics-eu, saas-leaders" in str(caught.value)
    assert enrollments(sqlite_engine) == []


def test_a_sequence_without_a_segment_asks_for_one(sqlite_engine: Engine, ws: Path) -> None:
    settings = load(sqlite_engine, ws)
    with pytest.raises(NotFoundError, match="--segment"):
        enroll(sqlite_engine, settings, "referral-follow-up", now=NOW)


def test_a_broken_sequence_is_refused(sqlite_engine: Engine, ws: Path) -> None:
    path = ws / "sequences" / "referral-ask.toml"
    path.write_text(path.read_text().replace("wait_days = 3", "wait_dayz = 3"))
    settings = load(sqlite_engine, ws)
    with pytest.raises(InvalidError) as caught:
        enroll(sqlite_engine, settings, "referral-ask", now=NOW)
    assert any("wait_dayz" in str(p) for p in caught.value.problems)
    assert enrollments(sqlite_engine) == []


def test_a_broken_template_refuses_its_sequence(sqlite_engine: Engine, ws: Path) -> None:
    path = ws / "templates" / "follow_up.txt"
    path.write_text(path.read_text().replace("contact.first_name", "contact.nick_name"))
    settings = load(sqlite_engine, ws)
    with pytest.raises(InvalidError) as caught:
        enroll(sqlite_engine, settings, "referral-ask", now=NOW)
    assert any("nick_name" in str(p) for p in caught.value.problems)
    assert enrollments(sqlite_engine) == []


def test_a_mailbox_missing_from_the_config_is_refused(sqlite_engine: Engine, ws: Path) -> None:
    path = ws / "sequences" / "referral-ask.toml"
    path.write_text(path.read_text().replace("mailboxes = []", 'mailboxes = ["ghost"]'))
    settings = load(sqlite_engine, ws)
    with pytest.raises(InvalidError, match="ghost"):
        enroll(sqlite_engine, settings, "referral-ask", now=NOW)
    assert enrollments(sqlite_engine) == []


def test_another_broken_file_does_not_block_this_sequence(sqlite_engine: Engine, ws: Path) -> None:
    """Problems are matched by file, not by a name that happens to contain this one's."""
    (ws / "sequences" / "referral-ask-v2.toml").write_text('description = "draft"\n')
    settings = load(sqlite_engine, ws)
    assert enroll(sqlite_engine, settings, "referral-ask", now=NOW).enrolled == 5


def test_no_mailbox_at_all_enrolls_nobody(sqlite_engine: Engine, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    config = ws / "config.toml"
    text = config.read_text()
    start = text.index("\n[[mailboxes]]\n")
    end = text.index("\n[import]\n")
    config.write_text(text[:start] + text[end:])
    settings = load(sqlite_engine, ws)
    with pytest.raises((NotFoundError, InvalidError), match="mailbox"):
        enroll(sqlite_engine, settings, "referral-ask", now=NOW)
    assert enrollments(sqlite_engine) == []
