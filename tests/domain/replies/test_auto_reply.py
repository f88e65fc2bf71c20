from __future__ import annotations

from datetime import date

from prospector.domain.replies import classify
from prospector.domain.replies.auto_reply import return_date, stand_ins

from .conftest import message


def test_rfc3834_header_with_return_date_and_stand_in() -> None:
    raw = message(
        "I am out of the office until Friday 10 April and back on Monday, 13 April.\n"
        "For urgent matters please contact my colleague Ana Ruiz (ana.ruiz@acme.example)"
        " or sales@acme.example.",
        subject="Automatic reply: Who owns SDR tooling?",
        extra="Auto-Submitted: auto-replied\n",
    )
    result = classify(raw)
    assert result.category == "out_of_office"
    assert result.returns_on == date(2026, 4, 13)
    assert [(p.name, p.email) for p in result.alternates] == [("Ana Ruiz", "ana.ruiz@acme.example")]
    assert any("Auto-Submitted" in e for e in result.evidence)


def test_wording_without_headers_in_german() -> None:
    raw = message(
        "Ich bin bis zum 17.04.2026 nicht im Büro und habe keinen Zugriff auf meine E-Mails.",
        subject="Abwesenheitsnotiz",
    )
    result = classify(raw)
    assert result.category == "out_of_office"
    assert result.returns_on == date(2026, 4, 17)


def test_return_dates_in_several_languages() -> None:
    sent = date(2026, 7, 20)
    assert return_date("Je serai de retour le lundi 3 août.", sent)[0] == date(2026, 8, 3)
    assert return_date("Volveré a la oficina el 24 de agosto.", sent)[0] == date(2026, 8, 24)
    assert return_date("8月17日(月)より順次ご返信いたします。", sent)[0] == date(2026, 8, 17)
    assert return_date("我于7月30日至8月8日休假", sent)[0] == date(2026, 8, 10)
    assert return_date("I'll be back next Monday.", sent)[0] == date(2026, 7, 27)
    # "until the 14th" means back on the 14th; inclusive means the next working day.
    assert return_date("Out of office until August 14.", sent)[0] == date(2026, 8, 14)
    assert return_date("Ik ben afwezig tot en met vrijdag 14 augustus.", sent)[0] == date(
        2026, 8, 17
    )


def test_role_mailbox_is_not_a_stand_in() -> None:
    assert stand_ins("Please contact finance@acme.example.", set()) == ()
    people = stand_ins("In the meantime, please reach out to my colleague Aisha Bello.", set())
    assert [(p.name, p.email) for p in people] == [("Aisha Bello", None)]
