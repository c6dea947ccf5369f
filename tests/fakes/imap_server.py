"""A small IMAP4rev1 server on 127.0.0.1 (asyncio streams) for tests of `connectors.imap`.

It implements just what the connector uses, as RFC 3501 words it: the greeting, CAPABILITY,
LOGIN, SELECT / EXAMINE (EXISTS, `[UIDVALIDITY n]`, `[UIDNEXT n]`), `UID SEARCH` with
`UID <set>` / `SINCE <date>` / `ALL` (a range `n:*` includes the highest UID even when it is
below n), `UID FETCH <set> (BODY.PEEK[])` or `(RFC822)` as literals, NOOP and LOGOUT.
Tests add mail, renumber a mailbox (a new UIDVALIDITY), and script refusals, hangs and drops.
"""

from __future__ import annotations

import asyncio
import re
import shlex
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
CAPABILITIES = "IMAP4rev1 AUTH=PLAIN LITERAL+ UIDPLUS"


@dataclass
class Mail:
    uid: int
    internal: datetime
    raw: bytes


@dataclass
class Mailbox:
    validity: int
    next_uid: int = 1
    mails: list[Mail] = field(default_factory=list)


@dataclass
class Trick:
    command: str  # LOGIN, SELECT, EXAMINE, SEARCH or FETCH
    reply: str = ""  # e.g. "NO [LIMIT] Too many commands"; "" with hang/drop
    hang: bool = False  # never answer
    drop: bool = False  # close the connection without a word
    times: int = 1
    after: int = 0  # let this many such commands through first


def mail(sender: str, to: str, subject: str, body: str, when: datetime, *, msgid: str | None = None,
         in_reply_to: str | None = None, references: tuple[str, ...] = (), headers: dict | None = None,
         html: str | None = None) -> tuple[str, bytes]:
    """A mail as a client would send it: (Message-ID without brackets, raw bytes)."""
    m = EmailMessage()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    m["Date"] = format_datetime(when)
    m["Message-ID"] = f"<{msgid}>" if msgid else make_msgid(domain="mail.test")
    if in_reply_to:
        m["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        m["References"] = " ".join(f"<{r}>" for r in references)
    for name, value in (headers or {}).items():
        m[name] = value
    if html is not None and not body:
        m.set_content(html, subtype="html")  # an HTML-only mail
    else:
        m.set_content(body)
        if html is not None:
            m.add_alternative(html, subtype="html")
    return m["Message-ID"].strip("<>"), m.as_bytes()


class FakeImapServer:
    def __init__(self, *, user: str = "klantenservice@zuiderloop.test", password: str = "imap-secret"):
        self.user = user
        self.password = password
        self.mailboxes: dict[str, Mailbox] = {"INBOX": Mailbox(1700000001), "Sent": Mailbox(1700000002)}
        self.tricks: list[Trick] = []
        self.commands: list[str] = []  # every command line received, without its tag
        self.logins = 0
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._release = asyncio.Event()
        self._writers: set[asyncio.StreamWriter] = set()

    # --- data and scripting ---------------------------------------------------------------
    def deliver(self, folder: str, raw: bytes, internal: datetime) -> int:
        box = self.mailboxes[folder]
        uid = box.next_uid
        box.next_uid += 1
        box.mails.append(Mail(uid, internal, raw))
        return uid

    def renumber(self, folder: str, validity: int, first_uid: int = 1) -> None:
        """The server rebuilt the mailbox: same mail, new UIDs, a new UIDVALIDITY."""
        box = self.mailboxes[folder]
        for offset, m in enumerate(box.mails):
            m.uid = first_uid + offset
        box.validity, box.next_uid = validity, first_uid + len(box.mails)

    def trick(self, command: str, reply: str = "", *, hang: bool = False, drop: bool = False, times: int = 1,
              after: int = 0) -> None:
        self.tricks.append(Trick(command.upper(), reply, hang, drop, times, after))

    def sent(self, word: str) -> list[str]:
        return [c for c in self.commands if word.upper() in c.upper().split()[:3]]

    # --- server ---------------------------------------------------------------------------
    async def __aenter__(self) -> "FakeImapServer":
        self._server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        self._release.set()
        for writer in list(self._writers):
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        selected: Mailbox | None = None
        try:
            writer.write(f"* OK [CAPABILITY {CAPABILITIES}] Fake IMAP ready\r\n".encode())
            await writer.drain()
            while True:
                line = await reader.readline()
                if not line:
                    return
                text = line.decode("utf-8", "replace").rstrip("\r\n")
                tag, _, rest = text.partition(" ")
                self.commands.append(rest)
                words = _words(rest)
                if not words:
                    writer.write(f"{tag} BAD empty command\r\n".encode())
                    continue
                name = words[0].upper()
                key = words[1].upper() if name == "UID" and len(words) > 1 else name
                trick = next((t for t in self.tricks if t.command == key and t.times > 0), None)
                if trick is not None and trick.after > 0:
                    trick.after -= 1
                    trick = None
                if trick is not None:
                    trick.times -= 1
                    if trick.hang:
                        await self._release.wait()
                        return
                    if trick.drop:
                        return
                    writer.write(f"{tag} {trick.reply}\r\n".encode())
                    await writer.drain()
                    continue
                if name == "CAPABILITY":
                    writer.write(f"* CAPABILITY {CAPABILITIES}\r\n{tag} OK CAPABILITY completed\r\n".encode())
                elif name == "NOOP":
                    writer.write(f"{tag} OK NOOP completed\r\n".encode())
                elif name == "LOGIN":
                    if words[1:3] == [self.user, self.password]:
                        self.logins += 1
                        writer.write(f"{tag} OK [CAPABILITY {CAPABILITIES}] LOGIN completed\r\n".encode())
                    else:
                        writer.write(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)\r\n".encode())
                elif name in ("SELECT", "EXAMINE"):
                    selected = self.mailboxes.get(words[1] if len(words) > 1 else "")
                    if selected is None:
                        writer.write(f"{tag} NO [NONEXISTENT] Unknown Mailbox: {words[1:]}\r\n".encode())
                    else:
                        mode = "READ-ONLY" if name == "EXAMINE" else "READ-WRITE"
                        writer.write((
                            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
                            f"* {len(selected.mails)} EXISTS\r\n* 0 RECENT\r\n"
                            f"* OK [UIDVALIDITY {selected.validity}] UIDs valid\r\n"
                            f"* OK [UIDNEXT {selected.next_uid}] Predicted next UID\r\n"
                            f"{tag} OK [{mode}] {name} completed\r\n").encode())
                elif name == "UID" and selected is not None and key == "SEARCH":
                    uids = _search(selected, words[2:])
                    writer.write(f"* SEARCH {' '.join(map(str, uids))}\r\n{tag} OK SEARCH completed\r\n"
                                 .replace("SEARCH \r\n", "SEARCH\r\n").encode())
                elif name == "UID" and selected is not None and key == "FETCH":
                    await self._fetch(writer, tag, selected, words[2], " ".join(words[3:]).upper())
                elif name == "LOGOUT":
                    writer.write(f"* BYE Logging out\r\n{tag} OK LOGOUT completed\r\n".encode())
                    await writer.drain()
                    return
                else:
                    writer.write(f"{tag} BAD command unknown or arguments invalid\r\n".encode())
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _fetch(self, writer: asyncio.StreamWriter, tag: str, box: Mailbox, spec: str, items: str) -> None:
        wanted = set(_uid_set(spec, box))
        item = "RFC822" if "RFC822" in items and "BODY" not in items else "BODY[]"
        for seq, m in enumerate(sorted(box.mails, key=lambda m: m.uid), start=1):
            if m.uid in wanted:
                writer.write(f"* {seq} FETCH (UID {m.uid} {item} {{{len(m.raw)}}}\r\n".encode() + m.raw + b")\r\n")
        writer.write(f"{tag} OK FETCH completed\r\n".encode())


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text, posix=True)
    except ValueError:
        return text.split()


def _uid_set(spec: str, box: Mailbox) -> list[int]:
    highest = max((m.uid for m in box.mails), default=0)
    out: list[int] = []
    for part in spec.split(","):
        low, _, high = part.partition(":")
        a = highest if low == "*" else int(low)
        b = a if not high else (highest if high == "*" else int(high))
        a, b = min(a, b), max(a, b)  # "n:*" with n above the highest UID means "*:n"
        out += [m.uid for m in box.mails if a <= m.uid <= b]
    return out


def _search(box: Mailbox, criteria: list[str]) -> list[int]:
    uids = [m.uid for m in box.mails]
    index = 0
    while index < len(criteria):
        word = criteria[index].upper()
        if word == "UID":
            allowed = set(_uid_set(criteria[index + 1], box))
            uids = [u for u in uids if u in allowed]
            index += 2
        elif word == "SINCE":
            day = _imap_date(criteria[index + 1])
            inside = {m.uid for m in box.mails if m.internal.date() >= day}
            uids = [u for u in uids if u in inside]
            index += 2
        else:  # ALL
            index += 1
    return sorted(uids)


def _imap_date(text: str) -> date:
    day, month, year = re.match(r"(\d{1,2})-(\w{3})-(\d{4})", text).groups()
    return date(int(year), MONTHS.index(month.title()) + 1, int(day))
