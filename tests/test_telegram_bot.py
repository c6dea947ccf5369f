"""Triage from the phone: button presses and commands arrive through the fake's getUpdates queue,
long-polled by the real python-telegram-bot Application, exactly as from Telegram.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from conftest import T0, storm_stream
from test_telegram_sink import LEAD, NEG, PEOPLE, TEAM, World, alert, buttons, post, scenario

from webcare.models import Author, Batch, Message, Score

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
ALICE, BOB, CAROL = PEOPLE["alice"], PEOPLE["bob"], PEOPLE["carol"]
STRANGER = 99


def user(w: World, uid: int) -> dict:
    names = {ALICE: "Alice", BOB: "Bob", CAROL: "Carol", STRANGER: "Mallory"}
    return w.fake.user(uid, names[uid])


async def open_storm(w: World) -> tuple[str, dict]:
    """A real complaint storm through the engine; returns its incident and the team's message."""
    w.pipeline.ingest("feed", Batch(tuple(storm_stream(12)), "12"), T0)
    w.at(25)
    await w.flush()
    incident = w.store.alerts()[0].incident
    (message,) = w.fake.sent(TEAM)
    return incident, message


async def press(w: World, chat: int, message: dict, uid: int, data: str, expect: str) -> dict:
    """Tap a button and wait until the callback is answered and the message shows `expect`."""
    qid = w.fake.press(chat, message["message_id"], user(w, uid), data)
    await w.fake.wait_for(lambda: qid in w.fake.answers)
    return await w.fake.wait_for(lambda: expect in w.fake.messages[(chat, message["message_id"])]["text"]
                                 and w.fake.messages[(chat, message["message_id"])])


async def ask(w: World, chat: int, uid: int, text: str) -> dict:
    """Send a command and wait for the bot's reply in that chat."""
    before = len(w.fake.sent(chat))
    w.fake.command(chat, user(w, uid), text)
    await w.fake.wait_for(lambda: len(w.fake.sent(chat)) > before)
    return w.fake.sent(chat)[-1]


def test_acknowledging_from_the_phone_updates_the_message_the_store_and_stops_escalation(tmp_path):
    async def body(w: World):
        incident, message = await open_storm(w)
        qid = w.fake.press(TEAM, message["message_id"], user(w, ALICE), "act:acknowledge")
        edited = await w.fake.wait_for(
            lambda: "Acknowledged by alice at 10:25" in w.fake.messages[(TEAM, message["message_id"])]["text"]
            and w.fake.messages[(TEAM, message["message_id"])])
        assert w.fake.answers[qid]["text"] == "Acknowledged by alice."
        assert "act:acknowledge" not in buttons(edited) and "act:resolve" in buttons(edited)
        row = w.store.incident(incident)
        assert row["status"] == "acknowledged" and row["acked_by"] == "alice"
        w.pipeline.advance(T0 + timedelta(hours=2))
        assert "escalate" not in [a.kind for a in w.store.alerts()]
    scenario(tmp_path, body)


def test_claim_snooze_resolve_and_reopen_show_who_did_what_and_when(tmp_path):
    async def body(w: World):
        incident, message = await open_storm(w)
        await press(w, TEAM, message, BOB, "act:claim", "Claimed by bob")
        assert w.store.incident(incident)["assignee"] == "bob"
        w.at(30)
        await press(w, TEAM, message, ALICE, "act:snooze:120", "Snoozed until 12:30")
        assert w.store.incident(incident)["status"] == "snoozed"
        w.at(31)
        resolved = await press(w, TEAM, message, BOB, "act:resolve", "Resolved by bob at 10:31")
        assert buttons(resolved)[0] == "act:reopen"
        reopened = await press(w, TEAM, message, ALICE, "act:reopen", "10:31 alice reopened")
        assert "act:acknowledge" in buttons(reopened)
        assert "10:25 bob claimed it; 10:30 alice snoozed; 10:31 bob resolved" in reopened["text"]
        assert [a["action"] for a in w.store.incident_actions(incident)] == ["claim", "snooze", "resolve", "reopen"]
        assert w.store.incident(incident)["status"] == "open"
    scenario(tmp_path, body)


def test_strangers_get_no_data_and_change_nothing(tmp_path, caplog):
    async def body(w: World):
        w.fake.add_chat(STRANGER)
        w.fake.add_chat(-555, "some other group")
        incident, message = await open_storm(w)
        edits = len(w.fake.method_calls("editMessageText"))
        qid = w.fake.press(TEAM, message["message_id"], user(w, STRANGER), "act:resolve")
        await w.fake.wait_for(lambda: qid in w.fake.answers)
        assert w.fake.answers[qid]["text"] == "Not authorized."
        for text in ("/queue", "/incidents", "/status", "/digest", "/oncall take 8h", "/mute 7d", "/help"):
            w.fake.command(STRANGER, user(w, STRANGER), text)  # in their own chat
            w.fake.command(TEAM, user(w, STRANGER), text)  # in the team group
        w.fake.command(-555, user(w, ALICE), "/incidents")  # a known person, but an unknown group
        reply = await ask(w, ALICE, ALICE, "/help")  # processed after all of the above
        assert "/queue" in reply["text"]
        assert not w.fake.sent(STRANGER) and not w.fake.sent(-555)
        assert len(w.fake.sent(TEAM)) == 1  # only the alert itself
        assert len(w.fake.method_calls("editMessageText")) == edits
        row = w.store.incident(incident)
        assert row["status"] == "open" and not w.store.incident_actions(incident)
        assert w.store.oncall_override() is None and w.store.muted_until(TEAM) is None
    with caplog.at_level(logging.DEBUG, logger="webcare.telegram.bot"):
        scenario(tmp_path, body)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("user id 99 in chat id -1001" in m for m in warned)
    assert any("user id 11 in chat id -555" in m for m in warned)
    assert len(warned) == 3  # once per stranger and chat, not once per attempt


def test_the_commands_are_registered_with_telegram(tmp_path):
    async def body(w: World):
        assert [c["command"] for c in w.fake.commands] == ["queue", "incidents", "status", "digest",
                                                           "oncall", "mute", "help"]
    scenario(tmp_path, body)


def test_queue_lists_unanswered_messages_most_urgent_and_oldest_first_with_reply_links(tmp_path):
    def customer(mid, hours_ago, urgency, **kw):
        m = Message("facebook", mid, "comment", True, Author(f"a{mid}", f"Klant {mid}"), f"vraag {mid}",
                    T0 - timedelta(hours=hours_ago), url=f"https://facebook.example/c/{mid}", **kw)
        return m, Score("nl", -0.5, "neg", "complaint", True, 0.7, urgency)

    async def body(w: World):
        rows = [customer("m1", 3, 0.8), customer("m2", 1, 0.9), customer("m3", 5, 0.1),
                customer("m4", 4, 0.7), customer("m5", 2, 0.65)]
        brand = [Message("facebook", "b1", "comment", True, Author("brand", "Zuiderloop"), "Opgelost!",
                         T0 - timedelta(hours=3.5), in_reply_to="m4", from_brand=True),
                 Message("facebook", "b2", "comment", True, Author("brand", "Zuiderloop"),
                         "Bedankt voor je bericht, we reageren zo snel mogelijk", T0 - timedelta(hours=1.9),
                         in_reply_to="m5", from_brand=True, automated=True)]
        with w.store.transaction():
            w.store.save_messages([m for m, _ in rows] + brand, "test", T0)
            w.store.save_scores(rows)
        reply = await ask(w, TEAM, ALICE, "/queue")
        text = reply["text"]
        order = [text.index(f"vraag {mid}") for mid in ("m1", "m5", "m2", "m3")]
        assert order == sorted(order) and "vraag m4" not in text
        assert "4 waiting" in text and "3 h 00" in text
        links = [e["url"] for e in reply["entities"] if e["type"] == "text_link"]
        assert links == [f"https://facebook.example/c/{mid}" for mid in ("m1", "m5", "m2", "m3")]
    scenario(tmp_path, body)


def test_queue_counts_a_conversation_answer_but_not_an_auto_reply_even_unflagged(tmp_path):
    def dm(mid, conversation, minutes_ago, text, brand=False, **kw):
        author = Author("page", "Zuiderloop") if brand else Author(f"p{conversation}", f"Klant {conversation}")
        return Message("messenger", mid, "dm", False, author, text, T0 - timedelta(minutes=minutes_ago),
                       conversation_id=f"t{conversation}", from_brand=brand, **kw)

    async def body(w: World):
        w.save_examples(
            dm("q1", 1, 90, "Waar blijft mijn terugbetaling?"),
            dm("a1", 1, 60, "Hoi! Die is vandaag overgemaakt.", brand=True),  # answers, no in_reply_to
            dm("q2", 2, 80, "Mijn startbewijs klopt niet"),
            dm("a2", 2, 79, "Bedankt voor je bericht! We reageren zo snel mogelijk.", brand=True),
            dm("q3", 3, 70, "Hallo? Nog steeds geen antwoord"),
            dm("a3", 3, 69, "Bedankt voor je bericht! We reageren zo snel mogelijk.", brand=True,
               automated=True),
            dm("q4", 1, 30, "En de annuleringsverzekering?"),  # after the answer: waits again
        )
        text = (await ask(w, TEAM, ALICE, "/queue"))["text"]
        assert "3 waiting" in text and "terugbetaling" not in text
        order = [text.index(t) for t in ("startbewijs", "Nog steeds", "annuleringsverzekering")]
        assert order == sorted(order)
    scenario(tmp_path, body)


def test_a_long_queue_says_how_many_wait_beyond_one_message(tmp_path):
    async def body(w: World):
        w.save_examples(*(post(f"n{i}", f"Nog steeds geen startnummer, klacht {i}") for i in range(600)),
                        score=NEG)
        reply = await ask(w, TEAM, ALICE, "/queue")
        shown = reply["text"].count("klacht ")
        assert "600 waiting" in reply["text"] and 10 < shown < 600
        assert reply["text"].rstrip().endswith(f"… and {600 - shown} more")
    scenario(tmp_path, body)


def test_incidents_and_status_report_what_is_going_on(tmp_path):
    async def body(w: World):
        incident, message = await open_storm(w)
        now = w.clock.now()
        with w.store.transaction():
            w.store.set_connector_status("facebook", "ok", now, fetched=12, success=True)
            w.store.set_connector_status("x", "rate_limited", now, error="rate limited until 11:00",
                                         rate_limit_reset=T0 + timedelta(hours=1))
        text = (await ask(w, TEAM, ALICE, "/incidents"))["text"]
        assert "1 open" in text and "Complaint storm on facebook" in text and incident in text
        status = (await ask(w, TEAM, BOB, "/status"))["text"]
        assert "facebook: ok, last poll 10:25" in status
        assert "x: rate_limited" in status and "rate limit resets 11:00" in status
        assert "On call: alice (rota)" in status and "0 alert(s) waiting" in status
        await press(w, TEAM, message, ALICE, "act:resolve", "Resolved by alice")
        assert "none open" in (await ask(w, TEAM, ALICE, "/incidents"))["text"]
    scenario(tmp_path, body)


def test_digest_comes_from_the_injected_provider_and_is_shown_literally(tmp_path):
    async def body(w: World):
        reply = await ask(w, TEAM, CAROL, "/digest")
        assert reply["text"] == "Digest for 04 Oct 10:00\n<b>12 klachten</b> & 3 vragen"
    scenario(tmp_path, body, digest_provider=lambda now: f"Digest for {now:%d %b %H:%M}\n<b>12 klachten</b> & 3 vragen")


def test_the_default_digest_counts_today(tmp_path):
    async def body(w: World):
        await open_storm(w)
        text = (await ask(w, TEAM, CAROL, "/digest"))["text"]
        assert "12 customer messages, 12 negative" in text and "1 incidents opened today, 1 still open" in text
    scenario(tmp_path, body)


def test_taking_over_on_call_redirects_escalations(tmp_path):
    async def body(w: World):
        reply = await ask(w, BOB, BOB, "/oncall take 2h")
        assert "bob is on call until 12:00 (took over from alice)" in reply["text"]
        w.record(alert(), alert(seq=1, kind="escalate", recipients=("oncall",), minutes=15))
        await w.flush()
        assert len(w.fake.sent(BOB)) == 2 and not w.fake.sent(ALICE)  # the reply and the escalation
        shown = await ask(w, CAROL, CAROL, "/oncall")
        assert "On call: bob (take-over) until 12:00" in shown["text"]
        assert "daily 00:00-24:00 alice" in shown["text"] and buttons(shown) == ["oncall:take"]
        qid = w.fake.press(CAROL, shown["message_id"], user(w, CAROL), "oncall:take")
        took = await w.fake.wait_for(lambda: qid in w.fake.answers and w.fake.sent(CAROL)[-1]["text"].startswith("🙋")
                                     and w.fake.sent(CAROL)[-1])
        assert "carol is on call until 22:00 (took over from bob)" in took["text"]  # no handover in the rota: 12 h
        assert w.store.oncall_override()["person"] == "carol"
        released = await ask(w, CAROL, CAROL, "/oncall release")
        assert "On call: alice (rota)" in released["text"]
    scenario(tmp_path, body)


def test_a_muted_chat_gets_alerts_silently_except_critical_ones(tmp_path):
    async def body(w: World):
        reply = await ask(w, TEAM, ALICE, "/mute 2h")
        assert "silently until 12:00" in reply["text"]
        w.record(alert("a", severity="high"), alert("b", severity="critical", title="Critical storm"))
        await w.flush()
        quiet, loud = w.fake.sent(TEAM)[1:]
        assert not w.fake.rang[(TEAM, quiet["message_id"])] and w.fake.rang[(TEAM, loud["message_id"])]
        await ask(w, TEAM, ALICE, "/mute off")
        w.record(alert("c", severity="medium", title="Third"))
        await w.flush()
        assert w.fake.rang[(TEAM, w.fake.sent(TEAM)[-1]["message_id"])]
        bad = await ask(w, TEAM, ALICE, "/mute forever")
        assert "expected a duration" in bad["text"]
    scenario(tmp_path, body)


def test_an_alert_for_the_lead_reaches_the_lead_and_buttons_work_there(tmp_path):
    async def body(w: World):
        w.save_examples(post("1", "Nog steeds geen antwoord"))
        w.record(alert(recipients=("lead",), message_ids=("facebook:1",)))
        await w.flush()
        (message,) = w.fake.sent(LEAD)
        await press(w, LEAD, message, CAROL, "act:acknowledge", "Acknowledged by carol")
        assert w.store.incident("storm-1")["acked_by"] == "carol"
    scenario(tmp_path, body)


def test_a_button_press_is_handled_while_a_slow_digest_is_being_made(tmp_path):
    """At 3 a.m. the on-call's Acknowledge must not wait for a comms lead's /digest."""
    gate = asyncio.Event()

    async def slow_digest(now):
        await gate.wait()
        return "digest text"

    async def body(w: World):
        incident, message = await open_storm(w)
        w.fake.command(TEAM, user(w, ALICE), "/digest")
        await press(w, TEAM, message, BOB, "act:acknowledge", "Acknowledged by bob")
        assert w.store.incident(incident)["status"] == "acknowledged"
        gate.set()
        await w.fake.wait_for(lambda: any("digest text" in m["text"] for m in w.fake.sent(TEAM)))
    scenario(tmp_path, body, digest_provider=slow_digest)
