"""The e-mail (IMAP) connector against a small IMAP4rev1 server on a real socket, through the runner."""

import asyncio
import logging
import re
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from connectors import ConnectorContext
from connectors.imap import ImapConnector
from webcare.clock import SimClock
from webcare.config import from_dict
from webcare.settings import option_paths
from webcare.store import Store

from connector_kit import coordinator, status, stored
from conftest import T0
from fakes.imap_server import FakeImapServer, mail

DOCS = Path(__file__).resolve().parents[1] / "docs" / "connectors-more.md"


def documented(kind: str) -> tuple[str, set[str]]:
    """The docs section for connector `kind`: its TOML example and the options its table lists."""
    section = next(s for s in DOCS.read_text(encoding="utf-8").split("\n## ") if f'(`type = "{kind}"`)' in s)
    (block,) = re.findall(r"```toml\n(.*?)```", section, re.S)
    names = {n for row in re.findall(r"^\| (`.*?) \|", section, re.M) for n in re.findall(r"`(\w+)`", row)}
    return block, names


def documented_defaults(kind: str):
    """The connector `kind` from the commented all-defaults block in the docs, uncommented."""
    section = next(s for s in DOCS.read_text(encoding="utf-8").split("\n## ") if s.startswith("Every option"))
    (block,) = re.findall(r"```toml\n(.*?)```", section, re.S)
    text = "\n".join(line.removeprefix("# ") for line in block.splitlines())
    return next(c for c in from_dict(tomllib.loads(text)).connectors if c.type == kind)


US = "Zuiderloop Klantenservice <klantenservice@zuiderloop.test>"


def at(minutes: float):
    return T0 + timedelta(minutes=minutes)


def seed(imap: FakeImapServer) -> dict[str, str]:
    """A customer's thread with our auto-reply and a real answer, an out-of-office, HTML mail, an old mail."""
    ids: dict[str, str] = {}

    def inbox(key: str, minutes: float, *args, **kw) -> None:
        ids[key], raw = mail(*args, at(minutes), **kw)
        imap.deliver("INBOX", raw, at(minutes))

    def sent(key: str, minutes: float, *args, **kw) -> None:
        ids[key], raw = mail(*args, at(minutes), **kw)
        imap.deliver("Sent", raw, at(minutes))

    inbox("old", -60 * 24 * 3, "Piet <piet@klant.test>", US, "Vraagje", "Van vorige week", msgid="old@klant.test")
    inbox("first", -300, "Anna de Vries <anna@klant.test>", US, "Geen startnummer ontvangen",
          "Ik heb betaald maar geen startnummer gekregen.", msgid="anna-1@klant.test")
    sent("auto", -299, US, "anna@klant.test", "Re: Geen startnummer ontvangen",
         "Bedankt voor uw bericht, u hoort zo snel mogelijk van ons.", msgid="auto-1@zuiderloop.test",
         in_reply_to="anna-1@klant.test", references=("anna-1@klant.test",),
         headers={"Auto-Submitted": "auto-replied"})
    inbox("again", -120, "Anna de Vries <anna@klant.test>", US, "Re: Geen startnummer ontvangen",
          "Nog steeds niets! Dit is de tweede keer.\n\nOp 4 okt. 2026 om 07:01 schreef Zuiderloop:\n"
          "> Bedankt voor uw bericht", msgid="anna-2@klant.test", in_reply_to="auto-1@zuiderloop.test",
          references=("anna-1@klant.test", "auto-1@zuiderloop.test"))
    inbox("ooo", -100, "Bert <bert@klant.test>", US, "Afwezig: Zuiderloop", "Ik ben afwezig tot maandag.",
          msgid="ooo@klant.test", headers={"X-Autoreply": "yes"})
    inbox("bulk", -90, "Noreply <noreply@shop.test>", US, "Automatisch antwoord", "We hebben je mail ontvangen.",
          msgid="prec@shop.test", headers={"Precedence": "auto_reply"})
    inbox("html", -80, "Carla <carla@klant.test>", US, "Medaille", "", msgid="carla@klant.test",
          html="<html><body><p>Waar is mijn <b>medaille</b>?</p><p>Groet,<br>Carla</p></body></html>")
    inbox("angry", -60, "Dirk <dirk@klant.test>", US, "KLACHT", "Slecht georganiseerd.", msgid="dirk@klant.test")
    inbox("cc", -50, US, "anna@klant.test", "Re: Geen startnummer", "Intern: kijken jullie even?",
          msgid="intern@zuiderloop.test")
    sent("answer", -30, US, "anna@klant.test", "Re: Geen startnummer ontvangen",
         "Sorry Anna, we sturen het vandaag na.\n\n> Nog steeds niets!", msgid="answer@zuiderloop.test",
         in_reply_to="anna-2@klant.test",
         references=("anna-1@klant.test", "auto-1@zuiderloop.test", "anna-2@klant.test"))
    return ids


def connector(imap: FakeImapServer, clock: SimClock, **overrides) -> ImapConnector:
    options = dict(host="127.0.0.1", port=imap.port, security="none", username=imap.user,
                   password_env="IMAP_PASS", batch_size=3, brand_addresses=["klantenservice@zuiderloop.test"],
                   timeout_seconds=0.5)
    options.update(overrides)
    ctx = ConnectorContext(now=clock.now, env={"IMAP_PASS": "imap-secret"})
    return ImapConnector.create("mail", ImapConnector.Options(**options), ctx)


async def poll_with(store: Store, imap: FakeImapServer, clock: SimClock, **overrides):
    conn = connector(imap, clock, **overrides)
    try:
        return await coordinator(store, conn, clock).poll()
    finally:
        await conn.aclose()


def test_a_round_reads_inbox_and_sent_mail_as_threads_and_the_next_only_new_uids(store):
    async def scenario():
        clock = SimClock(T0)
        async with FakeImapServer() as imap:
            ids = seed(imap)
            conn = connector(imap, clock)
            coord = coordinator(store, conn, clock)
            assert await coord.poll() == T0 + timedelta(seconds=60)
            rows = stored(store, "email")
            assert set(rows) == {v for k, v in ids.items() if k != "old"}  # not from before the backfill
            assert imap.sent("SELECT") == [] and len(imap.sent("EXAMINE")) == 4  # read-only: 3 + 1 polls
            assert imap.sent("SEARCH")[0] == "UID SEARCH SINCE 03-Oct-2026"
            assert all(c.endswith("(BODY.PEEK[])") for c in imap.sent("FETCH"))  # nothing marked as read
            assert imap.logins == 1

            first, again = rows[ids["first"]], rows[ids["again"]]
            assert (first["kind"], first["public"], first["author_id"], first["author_name"],
                    first["conversation_id"]) == ("email", 0, "anna@klant.test", "Anna de Vries", "anna-1@klant.test")
            assert first["text"] == "Geen startnummer ontvangen\n\nIk heb betaald maar geen startnummer gekregen."
            assert (again["in_reply_to"], again["conversation_id"]) == ("auto-1@zuiderloop.test", "anna-1@klant.test")
            assert again["text"] == "Re: Geen startnummer ontvangen\n\nNog steeds niets! Dit is de tweede keer."
            auto = rows[ids["auto"]]
            assert (auto["from_brand"], auto["automated"], auto["in_reply_to"]) == (1, 1, "anna-1@klant.test")
            answer = rows[ids["answer"]]
            assert (answer["from_brand"], answer["automated"], answer["in_reply_to"], answer["conversation_id"]) \
                == (1, 0, "anna-2@klant.test", "anna-1@klant.test")
            assert "Nog steeds niets" not in answer["text"]  # the quoted part is not ours
            assert (rows[ids["ooo"]]["automated"], rows[ids["bulk"]]["automated"]) == (1, 1)
            assert (rows[ids["angry"]]["automated"], rows[ids["angry"]]["from_brand"]) == (0, 0)
            assert rows[ids["cc"]]["from_brand"] == 1  # from our own address, though in the inbox
            assert rows[ids["html"]]["text"] == "Medaille\n\nWaar is mijn medaille?\n\nGroet,\nCarla"

            imap.commands.clear()
            new, raw = mail("Dirk <dirk@klant.test>", US, "Re: KLACHT", "Hallo??", at(0.5), msgid="dirk-2@klant.test",
                            in_reply_to="dirk@klant.test", references=("dirk@klant.test",))
            imap.deliver("INBOX", raw, at(0.5))
            clock.advance(60)
            await coord.poll()
            clock.advance(60)
            await coord.poll()  # nothing new: `UID 10:*` still names UID 9, which is not fetched again
            await conn.aclose()
            assert set(stored(store, "email")) - set(rows) == {new}
            assert imap.sent("SEARCH") == ["UID SEARCH UID 9:*", "UID SEARCH UID 3:*",
                                           "UID SEARCH UID 10:*", "UID SEARCH UID 3:*"]
            assert len(imap.sent("FETCH")) == 1 and status(store)["status"] == "ok"

    asyncio.run(scenario())


def test_a_new_uidvalidity_reads_the_folder_again_without_storing_anything_twice(store, caplog):
    async def scenario():
        clock = SimClock(T0)
        async with FakeImapServer() as imap:
            ids = seed(imap)
            conn = connector(imap, clock, batch_size=50)
            coord = coordinator(store, conn, clock)
            await coord.poll()
            before = store.count_messages()
            imap.renumber("INBOX", validity=1800000000, first_uid=101)  # a rebuilt mailbox
            new, raw = mail("Eva <eva@klant.test>", US, "Vraag", "Hoe laat is de start?", at(2), msgid="eva@klant.test")
            imap.deliver("INBOX", raw, at(2))
            clock.advance(60 * 5)
            imap.commands.clear()
            with caplog.at_level(logging.WARNING):
                await coord.poll()
            await conn.aclose()
            assert store.count_messages() == before + 1 and new in stored(store, "email")
            assert store.conn.execute("SELECT count(DISTINCT id) FROM messages").fetchone()[0] == before + 1
            # from a day before the last complete check, then the sent folder as usual
            assert imap.sent("SEARCH") == ["UID SEARCH SINCE 03-Oct-2026", "UID SEARCH UID 3:*"]
            assert "new UIDVALIDITY (1800000000, was 1700000001)" in caplog.text
            assert '"validity": 1800000000' in store.get_cursor(conn.name)
            assert ids["old"] not in stored(store, "email")  # older than the re-read window

    asyncio.run(scenario())


@pytest.mark.parametrize("setup, expect_status, expect_next, error_has", [
    ("wrong-password", "stopped", None, "AUTHENTICATIONFAILED"),
    (("SEARCH", "NO [LIMIT] Too many simultaneous commands"), "rate_limited", T0 + timedelta(seconds=10),
     "slow down"),
    (("EXAMINE", "NO [UNAVAILABLE] Mailbox temporarily unavailable"), "backoff", T0 + timedelta(seconds=10),
     "UNAVAILABLE"),
    ("hang-search", "backoff", T0 + timedelta(seconds=10), "no answer within"),
    ("drop-fetch", "backoff", T0 + timedelta(seconds=10), "connection was lost"),
    ("no-sent-folder", "stopped", None, "check the folder name"),
    ("server-down", "backoff", T0 + timedelta(seconds=10), "Connection"),
], ids=["wrong-password", "limit", "unavailable", "timeout", "dropped-connection", "no-such-folder", "server-down"])
def test_failures_map_to_what_the_runner_does(store, setup, expect_status, expect_next, error_has):
    async def scenario():
        clock = SimClock(T0)
        async with FakeImapServer() as imap:
            seed(imap)
            overrides = {}
            if setup == "wrong-password":
                imap.password = "changed"
            elif setup == "hang-search":
                imap.trick("SEARCH", hang=True)
            elif setup == "drop-fetch":
                imap.trick("FETCH", drop=True)
            elif setup == "no-sent-folder":
                overrides = {"sent_folder": "Verzonden items", "batch_size": 50}
            elif setup == "server-down":
                overrides = {"port": _closed_port()}
            else:
                imap.trick(*setup)
            assert await poll_with(store, imap, clock, **overrides) == expect_next
            row = status(store)
            assert row["status"] == expect_status and error_has in row["last_error"]
            assert store.count_messages() == (7 if setup == "no-sent-folder" else 0)  # the inbox was read
            assert len(store.alerts()) == (1 if expect_status == "stopped" else 0)

    asyncio.run(scenario())


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreadable_mail_is_quarantined_and_the_rest_is_stored(store, caplog):
    async def scenario():
        clock = SimClock(T0)
        async with FakeImapServer() as imap:
            ids = seed(imap)
            imap.deliver("INBOX", b"Message-ID: <kapot@klant.test>\r\nSubject: geen afzender\r\n"
                                  b"Date: Sun, 04 Oct 2026 07:30:00 +0000\r\n\r\nwie ben ik?\r\n", at(-29))
            imap.deliver("INBOX", b"From: Eef <eef@klant.test>\r\nSubject: geen datum\r\nDate: gisteren\r\n\r\n"
                                  b"hallo\r\n", at(-28))
            with caplog.at_level(logging.WARNING):
                await poll_with(store, imap, clock)
            assert set(stored(store, "email")) == {v for k, v in ids.items() if k != "old"}
            assert status(store)["status"] == "ok"
            quarantined = {q["source"]: q for q in store.quarantined()}
            assert set(quarantined) == {"email kapot@klant.test", "email INBOX uid 10"}
            assert "From" in quarantined["email kapot@klant.test"]["error"]
            assert "gisteren" in quarantined["email INBOX uid 10"]["error"]
            assert "wie ben ik?" in quarantined["email kapot@klant.test"]["raw"]
            assert "quarantined email kapot@klant.test" in caplog.text

    asyncio.run(scenario())


def test_a_restart_after_a_dropped_connection_resumes_without_duplicates(tmp_path):
    async def scenario():
        clock = SimClock(T0)
        async with FakeImapServer() as imap:
            seed(imap)
            imap.trick("FETCH", drop=True, after=1)  # the first batch arrives, the second never does
            first = Store(tmp_path / "mail.db")
            assert await poll_with(first, imap, clock) == T0 + timedelta(seconds=10)
            assert first.count_messages() == 3
            first.close()

            again = Store(tmp_path / "mail.db")  # a new process: fresh objects, same database
            clock.advance(10)
            imap.commands.clear()
            await poll_with(again, imap, clock)
            assert imap.sent("SEARCH")[0] == "UID SEARCH UID 5:*"  # right after the stored batch
            assert again.count_messages() == 9
            assert again.conn.execute("SELECT count(DISTINCT id) FROM messages").fetchone()[0] == 9
            again.close()

    asyncio.run(scenario())


def test_the_documented_config_block_loads_and_every_option_is_documented():
    block, names = documented("email")
    (c,) = from_dict(tomllib.loads(block)).connectors
    assert (c.type, c.options.host, c.options.sent_folder) == ("email", "imap.gmail.com", "[Gmail]/Sent Mail")
    assert names == set(option_paths(ImapConnector.Options))


def test_the_all_defaults_block_in_the_docs_is_exactly_the_defaults():
    assert documented_defaults("email").options == ImapConnector.Options(
        host="imap.example.com", username="klantenservice@example.com")
