from __future__ import annotations

from prospector.domain.replies import classify

DSN = b"""From: Mail Delivery System <MAILER-DAEMON@mx.example>
To: sam@northwind.io
Subject: Undelivered Mail Returned to Sender
Return-Path: <>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system at host mx.example. I'm sorry to have to inform you
that your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example

Final-Recipient: rfc822; gone@acme.example
Action: failed
Status: %(status)s
Diagnostic-Code: smtp; %(diag)s

--B--
"""


def dsn(status: str, diag: str) -> bytes:
    return DSN % {b"status": status.encode(), b"diag": diag.encode()}


def test_rfc3464_unknown_user_is_hard() -> None:
    result = classify(dsn("5.1.1", "550 5.1.1 User unknown"))
    assert result.category == "bounce"
    assert result.failed_recipients == ("gone@acme.example",)
    assert result.bounce_kind == "hard"
    assert any("delivery-status" in e for e in result.evidence)


def test_full_mailbox_and_policy_blocks_are_soft() -> None:
    assert classify(dsn("5.2.2", "552 mailbox full")).bounce_kind == "soft"
    assert classify(dsn("5.7.1", "550 5.7.1 blocked by policy")).bounce_kind == "soft"
    assert classify(dsn("4.4.7", "delivery time expired")).bounce_kind == "soft"


def test_delivery_receipt_is_not_a_bounce() -> None:
    raw = dsn("2.0.0", "250 ok").replace(b"Action: failed", b"Action: delivered")
    result = classify(raw)
    assert result.category == "other"
    assert result.report == "delivery-status:delivered"


def test_non_standard_qmail_bounce() -> None:
    raw = b"""From: MAILER-DAEMON@mail.example
To: sam@northwind.io
Subject: failure notice

Hi. This is the qmail-send program at mail.example.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<nobody@acme.example>:
Sorry, no mailbox here by that name. (#5.1.1)
"""
    result = classify(raw)
    assert result.category == "bounce"
    assert result.failed_recipients == ("nobody@acme.example",)
    assert result.bounce_kind == "hard"


def test_x_failed_recipients_header() -> None:
    raw = b"""From: Mail Delivery System <Mailer-Daemon@relay.example>
To: sam@northwind.io
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: lost@acme.example

This message was created automatically by mail delivery software.
  lost@acme.example
    host mx.acme.example said: 550 No such user here
"""
    result = classify(raw)
    assert result.category == "bounce"
    assert result.failed_recipients == ("lost@acme.example",)
    assert result.bounce_kind == "hard"


def test_feedback_loop_reports_are_not_bounces() -> None:
    template = b"""From: fbl@isp.example
To: sam@northwind.io
Subject: FW: report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

A complaint.
--F
Content-Type: message/feedback-report

Feedback-Type: %s
User-Agent: isp/1.0
Version: 1

--F--
"""
    assert classify(template % b"opt-out").category == "unsubscribe"
    abuse = classify(template % b"abuse")
    assert abuse.category == "other"
    assert abuse.report == "feedback-report:abuse"


def test_diagnostic_wording_beats_a_vaguer_code() -> None:
    # Servers often send a policy code with words that say the mailbox does not exist.
    assert classify(dsn("5.7.1", "550 5.7.1 No such user here")).bounce_kind == "hard"


def test_unknown_user_after_end_of_data_is_a_filter_not_a_gone_address() -> None:
    # The server accepted the recipient at RCPT TO; a rejection after DATA is about content.
    result = classify(dsn("5.0.0", "550 Unknown user (in reply to end of DATA command)"))
    assert result.bounce_kind == "soft"


def test_block_wording_with_an_address_code_is_soft() -> None:
    result = classify(dsn("5.1.1", "550 5.1.1 Refused due to recipient preferences"))
    assert result.bounce_kind == "soft"


def test_a_4xx_code_is_soft_whatever_the_text_says() -> None:
    assert classify(dsn("4.4.1", "451 4.4.1 host not found, will retry")).bounce_kind == "soft"


def test_connection_failure_reported_as_permanent_is_soft() -> None:
    diag = "The recipient server did not accept our requests to connect: socket error"
    assert classify(dsn("5.0.0", diag)).bounce_kind == "soft"


CHALLENGE = b"""From: noreply@screening.example
To: sam@northwind.io
Subject: Re: Who owns SDR tooling at Acme?
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="R"

--R
Content-Type: text/plain

Hello Sam,

Your message about "Who owns SDR tooling" has been held until you
verify that you are a human. Please add yourself to my approved
senders list with the link below.

--R
Content-Type: message/delivery-status

Reporting-MTA: dns; screening.example

Final-Recipient: rfc822; dana@acme.example
Action: failed
Status: 4.7.0
Diagnostic-Code: X-Notice; Sender not pre-approved

--R--
"""


def test_challenge_response_is_an_auto_reply_not_a_bounce() -> None:
    result = classify(CHALLENGE)
    assert result.category == "out_of_office"
    assert any("challenge-response" in e for e in result.evidence)
    assert result.alternates == ()


def test_challenge_wording_needs_a_program_as_sender() -> None:
    from tests.domain.replies.conftest import QUOTE, message

    body = "Happy to help - I'll add you to the guest list for the Berlin dinner." + QUOTE
    assert classify(message(body)).category != "out_of_office"


def test_auto_replied_user_unknown_from_a_null_sender_is_a_bounce() -> None:
    raw = (
        b"From: <>\nTo: sam@northwind.io\nReturn-Path: <>\nAuto-Submitted: auto-replied\n"
        b"Date: Wed, 1 Apr 2026 09:00:00 +0000\n\n"
        b"You sent mail to dana@acme.example. That's not a valid user here.\n"
    )
    result = classify(raw)
    assert result.category == "bounce"
    assert result.bounce_kind == "hard"


def test_parameter_folded_without_indent_still_splits_the_multipart() -> None:
    raw = (
        b"From: post_master@sms.example\nTo: sam@northwind.io\nSubject: Re:Test\n"
        b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="OUT"\n\n'
        b'--OUT\nContent-Type: multipart/alternative;\nboundary="IN"\n\n'
        b"--IN\nContent-Type: text/plain\n\nError: Invalid user address\n\n"
        b"550 - Requested action not taken: no such user here\n\n"
        b"  RCPT TO: gone@sms.example\n\n--IN--\n\n--OUT--\n"
    )
    result = classify(raw)
    assert result.category == "bounce"
    assert result.failed_recipients == ("gone@sms.example",)
    assert result.bounce_kind == "hard"


def test_listed_recipients_read_without_flufl_bounce() -> None:
    raw = (
        b"From: MAILER-DAEMON@mx.example\nTo: sam@northwind.io\nReturn-Path: <>\n"
        b"Subject: failure notice\n\n"
        b"Hi. This is the qmail-send program at mx.example.\n"
        b"I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        b"This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        b"<gone@acme.example>:\nSorry, no mailbox here by that name.\n\n"
        b"<full@acme.example>:\n552 5.2.2 mailbox is full\n\n"
        b"--- Below this line is a copy of the message.\n"
    )
    result = classify(raw)
    assert result.failed_recipients == ("gone@acme.example", "full@acme.example")
    assert any("'<address>:' lines" in e for e in result.evidence)
    assert result.bounce_kind == "mixed"


def test_gated_detectors_match_flufl_bounce() -> None:
    import email

    from flufl.bounce import all_failures

    from prospector.domain.replies.bounces import _all_failures

    samples = [
        b"From: MAILER-DAEMON@x.example\nSubject: failure\n\n"
        b"This is a delivery failure notification message indicating that\n"
        b"an email addressed to email address :\n-- lost@acme.example\n\n"
        b"could not be delivered. The problem appears to be :\n-- gone\n",
        b"From: postmaster@x.example\nSubject: Warning\n\n"
        b"The address to which the message has not yet been delivered is:\n\n"
        b"  slow@acme.example\n\nNo action is required on your part.\n",
        b"From: MAILER-DAEMON@yahoo.com\nSubject: failure\n\n"
        b"Message from yahoo.com.\nUnable to deliver message to the following address(es).\n\n"
        b"<nobody@acme.example>:\nThis user doesn't have a yahoo.com account\n",
        b"From: someone@acme.example\nSubject: hello\n\nJust a note, nothing failed.\n",
    ]
    for raw in samples:
        message = email.message_from_bytes(raw)
        assert _all_failures(message) == all_failures(message)
