from __future__ import annotations

from prospector.domain.replies import classify
from prospector.domain.replies.bounce_kind import classify_failure, stage_of

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
    SMTP error from remote mail server after RCPT TO:<lost@acme.example>:
    host mx.acme.example [192.0.2.1]: 550 No such user here
"""
    result = classify(raw)
    assert result.category == "bounce"
    assert result.failed_recipients == ("lost@acme.example",)
    assert result.bounce_kind == "hard"


def test_unknown_user_in_a_reply_to_an_unknown_command_is_not_proof() -> None:
    # Filters and gateways refuse after DATA in the same words; only RCPT TO, an X.1.x code
    # or the mailbox store itself proves the address is gone.
    assert classify_failure("550 No such user here") == ("soft", "filtered")
    assert classify_failure("550 No such user here", stage="RCPT") == ("hard", "userunknown")
    assert classify_failure("550 5.1.1 No such user here") == ("hard", "userunknown")
    local = "mail.local: unknown user: dana 554 <dana@acme.example>... Service unavailable"
    assert classify_failure(local, "5.5.0") == ("hard", "userunknown")
    # A mail store's own notice carries no reply code: it knows its users.
    assert classify_failure("Unknown user: dana@acme.example") == ("hard", "userunknown")


def test_a_bare_reply_code_says_nothing_about_the_address() -> None:
    said = "<dana@acme.example>: host mx.acme.example[192.0.2.1] said: 550"
    assert classify_failure(said) == ("soft", "undefined")
    assert classify_failure(said, stage="RCPT")[0] == "hard"
    assert classify_failure(said, "5.0.0")[0] == "hard"  # the reporting MTA's own verdict


def test_the_stage_is_read_from_an_smtp_colon_command_marker() -> None:
    assert stage_of("Technical details: SMTP:RCPT host 192.0.2.1: 553 5.3.0 No such user") == "RCPT"


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
    diag = "550 5.7.1 No such user here (in reply to RCPT TO command)"
    assert classify(dsn("5.7.1", diag)).bounce_kind == "hard"


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
    assert "notice text '550'" in result.evidence  # the inner part's text was read


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


# --- hard or soft: sisimai's reason taxonomy (prospector/domain/replies/bounce_kind.py) ---


def notice_dsn(notice: str, status: str, diag: str = "", *, recipient: str = "gone") -> bytes:
    """A Postfix-style report: a human-readable notice, then the RFC 3464 fields."""
    diag_line = f"Diagnostic-Code: {diag}\n" if diag else ""
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example>\nTo: sam@northwind.io\n"
        "Subject: Undelivered Mail Returned to Sender\nReturn-Path: <>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        f"--B\nContent-Type: text/plain\n\n{notice}\n\n"
        "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n"
        f"Final-Recipient: rfc822; {recipient}@acme.example\nAction: failed\n"
        f"Status: {status}\n{diag_line}\n--B--\n"
    ).encode()


def test_a_refused_envelope_sender_says_nothing_about_the_recipient() -> None:
    # RFC 3463 X.1.8 is the *sender's* system address; the recipient's domain may be fine.
    diag = "553 5.1.8 <bulk@mail.northwind.io>... Domain of sender address does not exist"
    assert classify(dsn("5.1.8", diag)).bounce_kind == "soft"
    assert classify(dsn("5.1.0", "550 5.1.0 <bulk@x.example> sender rejected")).bounce_kind == (
        "soft"
    )


def test_full_mailbox_wording_in_other_words_is_soft() -> None:
    for words in (
        "550 User mailbox exceeds allowed size: gone@acme.example",
        "552 The number of messages in recipient's mailbox exceeded the local limit.",
        "550 the user's maildir has overdrawn his diskspace quota",
    ):
        assert classify(dsn("5.0.0", words)).bounce_kind == "soft", words


def test_an_x2_code_says_the_mailbox_exists_unless_refused_at_rcpt_to() -> None:
    # RFC 3463 X.2.x: "the mailbox exists"; the unknown-user words are the filter's.
    assert classify(dsn("5.2.1", "550 5.2.1 <gone@acme.example>... User Unknown")).bounce_kind == (
        "soft"
    )
    notice = (
        "<gone@acme.example>: host mx.acme.example[192.0.2.1] said: 550 5.2.1\n"
        "    <gone@acme.example>... User Unknown (in reply to RCPT TO command)"
    )
    raw = notice_dsn(notice, "5.2.1", "smtp; 550 5.2.1 <gone@acme.example>... User Unknown")
    assert classify(raw).bounce_kind == "hard"


def test_the_stage_in_the_notice_counts_when_the_diagnostic_omits_it() -> None:
    notice = (
        "<gone@acme.example>: host mx.acme.example[192.0.2.1] said: 550 Unknown user\n"
        "    gone@acme.example (in reply to end of DATA command)"
    )
    raw = notice_dsn(notice, "5.0.0", "smtp; 550 Unknown user gone@acme.example")
    result = classify(raw)
    assert result.bounce_kind == "soft"
    assert any("filtered" in e for e in result.evidence)


def test_a_transcript_reply_to_data_is_a_filter() -> None:
    notice = (
        "Your message to the following recipients cannot be delivered:\n\n"
        "<gone@acme.example>:\n    mx.acme.example [192.0.2.45]:\n>>> DATA\n"
        "<<< 550 Unknown user gone@acme.example\n"
    )
    assert classify(notice_dsn(notice, "5.0.0", "smtp; 550 Unknown user")).bounce_kind == "soft"


def test_a_pipelined_rcpt_reply_after_data_is_still_about_the_address() -> None:
    # PIPELINING: RCPT TO and DATA go together; "503 Need RCPT" answers DATA.
    notice = (
        "   ----- Transcript of session follows -----\n"
        "... while talking to mx.acme.example.:\n>>> DATA\n"
        "<<< 550 5.0.0 <gone@acme.example>... User unknown\n"
        "<<< 503 5.0.0 Need RCPT (recipient)\n"
    )
    raw = notice_dsn(notice, "5.0.0", "SMTP; 550 5.0.0 <gone@acme.example>... User unknown")
    assert classify(raw).bounce_kind == "hard"
    # An address-level code says the reply was about the address, whatever came last.
    notice = "... while talking to mx.acme.example.:\n>>> DATA\n<<< 551 not our user\n"
    raw = notice_dsn(notice, "5.1.6", "SMTP; 551 not our user")
    assert classify(raw).bounce_kind == "hard"


def test_an_address_code_with_generic_words_is_hard() -> None:
    assert classify(dsn("5.1.1", "550 5.1.1 Address rejected gone@acme.example")).bounce_kind == (
        "hard"
    )
    diag = "550 5.1.1 <gone@acme.example>: inactive email address"
    assert classify(dsn("5.1.1", diag)).bounce_kind == "hard"
    # ... but not when the words name the message's size.
    diag = "550 RCPT TO:<gone@acme.example> max message size exceeded"
    assert classify(dsn("5.1.1", diag)).bounce_kind == "soft"


def test_a_bare_recipient_rejection_at_rcpt_to_is_an_unknown_user() -> None:
    notice = "<gone@acme.example>: Recipient address rejected. (in reply to RCPT TO command)"
    raw = notice_dsn(notice, "5.0.0", "smtp; 550 <gone@acme.example>: Recipient address rejected.")
    assert classify(raw).bounce_kind == "hard"
    # Where it gives a reason, the reason decides.
    diag = "550 5.7.26 <gone@acme.example>: Recipient address rejected: authentication failed"
    assert classify(dsn("5.7.26", diag)).bounce_kind == "soft"


def test_a_host_or_domain_that_accepts_no_mail_is_hard() -> None:
    diag = "521 5.3.2 <gone@acme.example>: System not accepting network messages"
    assert classify(dsn("5.3.2", diag)).bounce_kind == "hard"
    diag = "554 The mail could not be delivered because the domain is not reachable."
    assert classify(dsn("5.5.0", diag)).bounce_kind == "hard"


def test_dns_trouble_that_may_pass_is_soft() -> None:
    diag = "X-Postfix; Name service error for domain acme.example: Host not\n    found, try again"
    assert classify(notice_dsn("", "5.0.0", diag)).bounce_kind == "soft"
    # The RFC 3464 diagnostic type is not read as words ("Relay" here): X.4.4 decides.
    diag = "X-Outbound-Mail-Relay; Name service error for name=acme.example type=MX: Malformed"
    assert classify(notice_dsn("", "5.4.4", diag)).bounce_kind == "hard"


def test_local_delivery_programs_and_server_trouble_are_soft() -> None:
    assert classify(notice_dsn("", "5.0.0", "X-Unix; 255")).bounce_kind == "soft"
    assert classify(dsn("5.0.0", "554 Transaction failed")).bounce_kind == "soft"
    assert classify(dsn("5.0.0", "554 Service currently unavailable")).bounce_kind == "soft"


def test_a_relay_summary_does_not_hide_the_remote_reply() -> None:
    diag = (
        "5.1.0 - Unknown address error 550-'5.7.1 <bounce@mail.northwind.io>... "
        "Access denied' (delivery attempts: 0)"
    )
    assert classify(dsn("5.0.0", diag)).bounce_kind == "soft"


def test_a_queue_that_gave_up_is_soft_but_qmail_giving_up_on_a_host_is_not_a_reason() -> None:
    raw = (
        b"From: MAILER-DAEMON@mx.example\nTo: sam@northwind.io\nSubject: Mail delivery failed\n"
        b"Return-Path: <>\n\nThere was an error delivering your mail to <gone@acme.example>.\n\n"
        b"Could not deliver for the last 432000 seconds. Giving up.\n"
    )
    assert classify(raw).bounce_kind == "soft"
    raw = (
        b"From: MAILER-DAEMON@mx.example\nTo: sam@northwind.io\nSubject: failure notice\n\n"
        b"Hi. This is the qmail-send program at mx.example.\n\n<gone@acme.example>:\n"
        b"192.0.2.25 does not like recipient.\nRemote host said: 550 5.1.1 <gone@acme.example>: "
        b"Recipient address rejected: User unknown\nGiving up on 192.0.2.25.\n"
    )
    assert classify(raw).bounce_kind == "hard"


def test_a_permission_to_post_refusal_is_soft_in_other_languages() -> None:
    raw = (
        "From: Mail Delivery Subsystem <mailer-daemon@groups.example>\nTo: sam@northwind.io\n"
        "Subject: Delivery Status Notification (Failure)\n"
        "X-Failed-Recipients: team@groups.example\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        "die Gruppe, die Sie kontaktieren möchten (team), ist möglicherweise nicht vorhanden bzw. "
        "Sie haben nicht die erforderlichen Berechtigungen, um der Gruppe Nachrichten zu posten.\n"
    ).encode()
    result = classify(raw)
    assert result.category == "bounce"
    assert result.bounce_kind == "soft"


def test_recipient_lines_stop_at_the_next_recipient() -> None:
    notice = (
        "An error has occurred while attempting to deliver a message for\n"
        "the following list of recipients:\n\n"
        "gone@acme.example: 550 5.1.1 <gone@acme.example>: Address rejected: User unknown\n"
        "full@acme.example: 552 5.2.2 <full@acme.example>: Address rejected: Mailbox full\n"
    )
    raw = notice_dsn(notice, "5.0.0").replace(
        b"Status: 5.0.0\n",
        b"Status: 5.0.0\n\nFinal-Recipient: rfc822; full@acme.example\nAction: failed\n"
        b"Status: 5.0.0\n",
    )
    result = classify(raw)
    assert result.failed_recipients == ("gone@acme.example", "full@acme.example")
    assert result.bounce_kind == "mixed"


def test_recipient_field_blocks_without_a_blank_line_between_them() -> None:
    raw = dsn("5.2.2", "550 5.2.2 <full@acme.example>... Mailbox Full").replace(
        b"Diagnostic-Code: smtp; 550 5.2.2 <full@acme.example>... Mailbox Full\n",
        b"Diagnostic-Code: smtp; 550 5.2.2 <full@acme.example>... Mailbox Full\n"
        b"Final-Recipient: rfc822; lost@acme.example\nAction: failed\nStatus: 5.1.1\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 <lost@acme.example>... User Unknown\n",
    )
    result = classify(raw)
    assert result.failed_recipients == ("gone@acme.example", "lost@acme.example")
    assert result.bounce_kind == "mixed"


def test_a_report_whose_boundary_parameter_is_wrong_is_still_read() -> None:
    raw = dsn("5.1.1", "550 5.1.1 User unknown").replace(
        b'boundary="B"', b'boundary="NOT-THE-ONE-USED"'
    )
    result = classify(raw)
    assert result.category == "bounce"
    assert result.failed_recipients == ("gone@acme.example",)
    assert result.bounce_kind == "hard"


def test_the_original_message_was_received_line_does_not_end_the_notice() -> None:
    notice = (
        "This is a delivery status notification from mx.example.\n\n"
        "The original message was received on Fri, 10 Dec 2010 13:21:19 +0900\n\n"
        "<gone@acme.example>:\n    mx.acme.example [192.0.2.45]:\n>>> DATA\n"
        "<<< 550 Unknown user gone@acme.example\n"
    )
    assert classify(notice_dsn(notice, "5.0.0", "smtp; 550 Unknown user")).bounce_kind == "soft"


def test_amazon_ses_bounce_notification() -> None:
    message = (
        '{\\"notificationType\\":\\"Bounce\\",\\"bounce\\":{\\"bounceType\\":\\"Permanent\\",'
        '\\"bouncedRecipients\\":[{\\"emailAddress\\":\\"gone@acme.example\\",'
        '\\"action\\":\\"failed\\",\\"status\\":\\"5.1.1\\",'
        '\\"diagnosticCode\\":\\"smtp; 550 5.1.1 user unknown\\"}]}}'
    )
    raw = (
        "From: SES <no-reply@sns.amazonaws.com>\nTo: sam@northwind.io\n"
        "Subject: AWS Notification Message\nContent-Type: text/plain; charset=UTF-8\n\n"
        '{\n  "Type" : "Notification",\n  "Message" : "' + message + '"\n}\n'
    ).encode()
    result = classify(raw)
    assert result.category == "bounce"
    assert result.failed_recipients == ("gone@acme.example",)
    assert result.bounce_kind == "hard"


def test_stage_of_reads_each_mta_s_way_of_saying_it() -> None:
    from prospector.domain.replies.bounce_kind import stage_of

    assert stage_of("550 User unknown (in reply to RCPT TO\n    command)") == "RCPT"
    assert stage_of("SMTP error from remote mail server after end of data:") == "DATA"
    assert stage_of("SMTP error from remote mail server after MAIL FROM:<a@b.example>:") == "MAIL"
    assert stage_of("192.0.2.1 does not like recipient.\nRemote host said: 550 no") == "RCPT"
    assert stage_of("554 delivery error: dd This user doesn't have an account [RCPT_TO]") == "RCPT"
    assert (
        stage_of("-------server message\n550 unknown user\n\n-------SMTP command\nDATA") == "DATA"
    )
    assert stage_of(">>> RCPT To:<a@b.example>\n<<< 550 5.1.1 User unknown") == "RCPT"
    assert stage_of("550 5.1.1 User unknown") == ""


def test_a_google_group_refusing_a_post_is_soft_in_any_language() -> None:
    for notice in (
        "We're writing to let you know that the group you tried to contact (sales) may not"
        " exist, or you may not have permission to post messages to the group.",
        "Máte-li otázky týkající se této nebo některé jiné skupiny Google, navštivte Centrum.",
    ):
        raw = (
            "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
            "To: sam@northwind.io\nReturn-Path: <>\n"
            "Subject: Delivery Status Notification (Failure)\n"
            "X-Failed-Recipients: sales@googlegroups.com\n\n"
            f"{notice}\n\nhttps://groups.google.com/support/\n"
        ).encode()
        result = classify(raw)
        assert result.category == "bounce"
        assert result.failed_recipients == ("sales@googlegroups.com",)
        assert result.bounce_kind == "soft"
