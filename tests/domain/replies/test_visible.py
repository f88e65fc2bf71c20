from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from prospector.domain.replies.visible import extract, strip_quote, strip_signature


def test_quote_header_and_quoted_footer_are_removed() -> None:
    text = (
        "Not interested.\n\nOn Tue, Mar 31, 2026 at 7:00 AM Sam <sam@northwind.io> wrote:\n"
        '> Reply "unsubscribe" to stop.\n'
    )
    assert extract(text).text == "Not interested."


def test_outlook_header_block_in_german() -> None:
    text = (
        "Bitte an Frau Lorenz wenden.\n\n________________________________\n"
        "Von: Sam Lee <sam@northwind.io>\nGesendet: Dienstag, 28. April 2026\nAn: X\nBetreff: "
        "Y\n\nquoted"
    )
    assert strip_quote(text)[0] == "Bitte an Frau Lorenz wenden."


def test_chinese_and_japanese_headers() -> None:
    zh = (
        "好的。\n\n发件人: 王磊 <lei@northwind.io>\n发送时间: 2026年4月14日\n收件人: "
        "李华\n主题: 你好"
    )
    assert strip_quote(zh)[0] == "好的。"
    ja = (
        "承知しました。\n\n差出人: 佐藤 <m@northwind.io>\n送信日時: 2026年6月3日\n宛先: "
        "山本\n件名: ご担当"
    )
    assert strip_quote(ja)[0] == "承知しました。"


def test_bottom_posted_reply_keeps_the_new_lines() -> None:
    text = "On Tue, Mar 24, 2026, Sam <sam@n.io> wrote:\n> Is it you?\n\nThat's me.\n\n> Thanks"
    assert strip_quote(text)[0].strip() == "That's me."


def test_mobile_footer_sign_off_and_name_block() -> None:
    assert strip_signature("Yes.\n\nSent from my iPhone")[0] == "Yes."
    assert (
        strip_signature("Yes, call me.\n\nBest regards,\nDana Fox\nVP Sales")[0] == "Yes, call me."
    )
    text = "Klingt gut.\n\nDana Fox\nVP Sales\nAcme GmbH"
    assert strip_signature(text, ["Dana Fox"])[0] == "Klingt gut."


def test_disclaimer_is_cut() -> None:
    text = "No thanks.\n\nThis email is confidential and intended only for the addressee."
    assert strip_signature(text)[0] == "No thanks."


@given(st.text(max_size=300))
def test_visible_text_comes_from_the_body(text: str) -> None:
    visible = extract(text)
    body_words = set(text.split())
    assert set(visible.text.split()) <= body_words | {""}
