"""Telegram HTML rendering: untrusted text is shown literally, messages stay within 4096 characters.

What a phone shows is computed by the fake Bot API's parser (Telegram's HTML rules), so these
tests check the displayed text and entities, not the markup string.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fakes.telegram_api import parse_html, utf16

from webcare.models import Alert, Author, Message, Score
from webcare.telegram.format import LIMIT, incident_keyboard, incident_message, queue_text

AMS = ZoneInfo("Europe/Amsterdam")
AT = datetime(2026, 10, 4, 10, 0, tzinfo=AMS)
HOSTILE = ('<script>alert(1)</script> & <b>not bold</b> &amp; &lt;3 &#169; </blockquote> '
           '<a href="https://evil.example">click</a> @alice #refund /resolve *star* _under_ ~strike~')
SCORE = Score("en", -0.7, "neg", "complaint", True, 0.8, 0.7)


def message(text=HOSTILE, name="<i>Evil</i> & Co", url="https://facebook.example/p/1?a=1&b=2",
            mid="1") -> Message:
    return Message("facebook", mid, "comment", True, Author("u1", name), text, AT, url=url)


def alert(**kw) -> Alert:
    base = dict(at=AT, playbook="complaint-storm", severity="high", incident="complaint-storm-1", seq=0,
                kind="open", title="Storm on <facebook> & co", text="", reasons=("8 > 5 & rising", "<b>x</b>"))
    base.update(kw)
    return Alert(**base)


def shown(markup: str):
    return parse_html(markup)  # raises like Telegram would on invalid markup


def test_untrusted_text_is_shown_literally():
    text, entities = shown(incident_message(alert(), [(message(), SCORE)], AMS))
    assert HOSTILE in text
    assert "<i>Evil</i> & Co" in text
    assert "Storm on <facebook> & co" in text and "<b>x</b>" in text
    start = utf16(text[: text.index(HOSTILE)])
    inside = [e for e in entities if e["offset"] < start + utf16(HOSTILE) and e["offset"] + e["length"] > start]
    assert {e["type"] for e in inside} == {"blockquote"}  # only our quote frame, nothing the customer wrote
    links = [e["url"] for e in entities if e["type"] == "text_link"]
    assert links == ['https://facebook.example/p/1?a=1&b=2']


def test_only_web_links_become_links():
    text, entities = shown(incident_message(alert(), [(message(url="javascript:alert(1)"), SCORE)], AMS))
    assert not [e for e in entities if e["type"] == "text_link"]
    keyboard = incident_keyboard(alert(), [(message(url="javascript:alert(1)"), SCORE)], None)
    assert all(b.url is None for row in keyboard.inline_keyboard for b in row)


def test_control_and_direction_characters_are_removed():
    text, _ = shown(incident_message(alert(), [(message(text="pay \u202eetad\u202c now\x07"), SCORE)], AMS))
    assert "pay etad now" in text


def test_huge_alerts_are_shortened_to_fit_one_message():
    examples = [(message(text="klacht <&> " * 2000, mid=str(i)), SCORE) for i in range(3)]
    big = alert(title="T" * 5000, reasons=tuple("reason & <more> " * 50 for _ in range(40)))
    status = {"status": "acknowledged", "acked_by": "<alice>", "acked_at": AT.isoformat(), "assignee": "bob"}
    actions = [{"action": "claim", "user": "bob&co", "at": (AT + timedelta(minutes=i)).isoformat()} for i in range(30)]
    text, _ = shown(incident_message(big, examples, AMS, incident=status, actions=actions))
    assert utf16(text) <= LIMIT
    assert "klacht <&>" in text and "…" in text
    assert "Acknowledged by <alice>" in text and "bob&co claimed it" in text


def test_buttons_follow_the_incident_state():
    examples = [(message(), SCORE)]

    def actions(status):
        kb = incident_keyboard(alert(), examples, {"status": status})
        return [b.callback_data or f"url:{b.url}" for row in kb.inline_keyboard for b in row]

    assert actions("open") == ["act:acknowledge", "act:claim", "act:snooze:30", "act:snooze:120",
                               "act:resolve", 'url:https://facebook.example/p/1?a=1&b=2']
    assert "act:acknowledge" not in actions("acknowledged")
    assert actions("resolved")[0] == "act:reopen"
    assert actions("closed") == ['url:https://facebook.example/p/1?a=1&b=2']


def test_the_queue_lists_waiting_messages_with_reply_links():
    waiting = [(message(text="<help> me", mid=str(i)), SCORE) for i in range(500)]
    text, entities = shown(queue_text(waiting, AT + timedelta(hours=2), AMS))
    assert utf16(text) <= LIMIT
    assert "500 waiting" in text and "<help> me" in text and "more" in text
    assert any(e["type"] == "text_link" for e in entities)
