"""E-mail connector (`type = "email"`): the inbox and the sent folder over IMAP.

Each folder is read by UID: the cursor keeps the folder's UIDVALIDITY and the highest UID
stored, and every poll asks `UID SEARCH UID <next>:*` and fetches a batch (`BODY.PEEK[]`, so
nothing is marked read). When the server reports a new UIDVALIDITY (the mailbox was rebuilt,
UIDs mean something else now) the folder is read again from the day before the last complete
check; mail is stored by Message-ID, so what was stored already is not stored twice.

Threads follow Message-ID / In-Reply-To / References: `conversation_id` is the first message
of the thread, `in_reply_to` the message answered. Mail in the sent folder (or from one of
`brand_addresses`) is ours (`from_brand`); an auto-reply (`Auto-Submitted`, `X-Autoreply`,
`Precedence: auto_reply`) is `automated`, so it never counts as an answer.

The standard library's blocking `imaplib` runs in a worker thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import asyncio
import hashlib
import imaplib
import logging
import re
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email import policy
from email.errors import MessageError
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from typing import Literal

from connectors import AuthFailed, ConnectorContext, ConnectorError, RateLimited, TransientError
from connectors.http import Harvest, Rounds, html_to_text, iso
from webcare.models import Author, Batch, Message, MessageFormatError, parse_time
from webcare.settings import at_least, env_name, positive, setting

log = logging.getLogger(__name__)

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
AUTH_CODES = ("AUTHENTICATIONFAILED", "AUTHORIZATIONFAILED", "EXPIRED", "PRIVACYREQUIRED")
BUSY_CODES = ("LIMIT", "THROTTLED", "OVERQUOTA")
QUOTE_START = re.compile(
    r"^(On .{5,200} wrote:|Op .{5,200} (schreef|geschreven).{0,100}:|-{2,} ?(Original Message|Oorspronkelijk "
    r"bericht|Forwarded message|Doorgestuurd bericht) ?-{0,}|_{10,})\s*$", re.I)
HEADER_BLOCK = re.compile(r"^(From|Van): .+", re.I)
HEADER_NEXT = re.compile(r"^(Sent|Verzonden|Date|Datum|To|Aan): ", re.I)


@dataclass(frozen=True)
class Options:
    host: str = setting(help="IMAP server, e.g. imap.gmail.com or outlook.office365.com")
    username: str = setting(help="login name, usually the mailbox's address")
    password_env: str = setting("IMAP_PASSWORD", check=env_name,
                                help="environment variable holding the password (an app password)")
    port: int = setting(993, check=at_least(1), help="993 for ssl, 143 for starttls or none")
    security: Literal["ssl", "starttls", "none"] = setting("ssl", help="ssl, starttls or none")
    inbox_folder: str = setting("INBOX", help="where customers' mail arrives")
    sent_folder: str = setting("Sent", help="where our replies are kept (empty: do not read)")
    brand_addresses: list[str] = setting(factory=list, help="our own addresses: their mail is ours")
    batch_size: int = setting(50, check=at_least(1), help="mails fetched per poll at most")
    backfill_hours: float = setting(24.0, check=at_least(0), help="how far back the first run reads")
    timeout_seconds: float = setting(30.0, check=positive, help="give up on a command after this")


@dataclass(frozen=True)
class FolderRead:
    """What one visit to a folder returned: its UIDVALIDITY, fetched mail, whether more waits."""

    validity: int
    mails: list[tuple[int, bytes]]
    more: bool
    renumbered: bool  # the UIDVALIDITY changed: the folder was searched by date again


class ImapConnector:
    type = "email"
    Options = Options

    def __init__(self, name: str, options: Options, ctx: ConnectorContext):
        self.name = name
        self.options = options
        self._ctx = ctx
        self._imap: imaplib.IMAP4 | None = None
        self._brand = {a.strip().lower() for a in options.brand_addresses if a.strip()}

    @classmethod
    def create(cls, name: str, options: Options, ctx: ConnectorContext) -> "ImapConnector":
        return cls(name, options, ctx)

    def streams(self) -> list[str]:
        keys = [f"inbox:{self.options.inbox_folder}"]
        return keys + ([f"sent:{self.options.sent_folder}"] if self.options.sent_folder else [])

    async def poll(self, cursor: str | None) -> Batch:
        password = self._ctx.secret(self.options.password_env, f"{self.name}: IMAP password")
        rounds = Rounds(cursor, self.streams(), self.name)
        role, _, folder = rounds.stage.partition(":")
        st = rounds.state
        now = self._ctx.now()
        since = self._since(st, now)
        read = await asyncio.to_thread(self._visit, password, folder, st.get("validity"), st.get("uid"), since)
        if read.renumbered:
            log.warning("%s: %s has a new UIDVALIDITY (%s, was %s); reading it again from %s",
                        self.name, folder, read.validity, st["validity"], since)
            st.pop("uid", None)
        st["validity"] = read.validity
        got = Harvest()
        for uid, raw in read.mails:
            mail = got.parse(_source(folder, uid, raw), raw, lambda r: self._message(r, role == "sent"))
            if mail is not None:
                got.messages.append(mail)
            st["uid"] = max(st.get("uid", 0), uid)
        if not read.more:
            st["checked"] = iso(now)
        more = rounds.turn(not read.more)
        return got.batch(rounds.dump(), more)

    async def aclose(self) -> None:
        if self._imap is not None:
            imap, self._imap = self._imap, None
            await asyncio.to_thread(_logout, imap)

    # --- where a search by date starts ---------------------------------------------------------
    def _since(self, st: dict, now: datetime) -> str:
        """The IMAP date to read from: a day before the last complete check, or the backfill."""
        if st.get("checked"):
            when = parse_time(st["checked"]) - timedelta(days=1)
        else:
            when = parse_time(st.setdefault("start", iso(now - timedelta(hours=self.options.backfill_hours))))
        return f"{when.day:02d}-{MONTHS[when.month - 1]}-{when.year}"

    # --- IMAP, in a worker thread -------------------------------------------------------------
    def _visit(self, password: str, folder: str, validity: int | None, last_uid: int | None,
               since: str) -> FolderRead:
        """Open `folder` read-only, find the UIDs after `last_uid` (or `since`), fetch a batch (blocking).

        When the folder's UIDVALIDITY is not `validity`, stored UIDs mean nothing any more:
        the folder is searched from `since` instead.
        """
        what = f"{self.name} {folder}"
        try:
            imap = self._connection(password)
            typ, data = imap.select(_quote(folder), readonly=True)
            if typ != "OK":
                refusal = _refusal(_text(data), f"{what}: the folder cannot be opened")
                if not isinstance(refusal, (RateLimited, AuthFailed)) and "[UNAVAILABLE]" not in _text(data).upper():
                    refusal = AuthFailed(f"{what}: the folder cannot be opened ({_text(data)}); check the folder name")
                raise refusal
            current = int(_text(imap.response("UIDVALIDITY")[1]).split()[0])
            renumbered = validity is not None and current != validity
            if last_uid is not None and not renumbered:
                criteria, floor = ("UID", f"{last_uid + 1}:*"), last_uid + 1  # `n:*` also names the top UID
            else:
                criteria, floor = ("SINCE", since), 0
            typ, data = imap.uid("SEARCH", *criteria)
            _ok(typ, data, f"{what}: UID SEARCH")
            uids = sorted(int(u) for u in _text(data).split() if u.isdigit() and int(u) >= floor)
            batch = uids[:self.options.batch_size]
            mails: list[tuple[int, bytes]] = []
            if batch:
                typ, data = imap.uid("FETCH", ",".join(map(str, batch)), "(BODY.PEEK[])")
                _ok(typ, data, f"{what}: UID FETCH")
                mails = _fetched(data)
            return FolderRead(current, mails, len(uids) > len(batch), renumbered)
        except ConnectorError:
            self._drop()
            raise
        except (socket.timeout, TimeoutError):
            self._drop()
            raise TransientError(f"{what}: no answer within {self.options.timeout_seconds:g} s") from None
        except imaplib.IMAP4.abort as exc:
            self._drop()
            raise TransientError(f"{what}: the connection was lost: {exc}") from None
        except imaplib.IMAP4.error as exc:
            self._drop()
            raise _refusal(str(exc), what) from None
        except (OSError, ValueError, IndexError) as exc:
            self._drop()
            raise TransientError(f"{what}: {type(exc).__name__}: {exc}") from None

    def _connection(self, password: str) -> imaplib.IMAP4:
        if self._imap is None:
            o = self.options
            if o.security == "ssl":
                imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(o.host, o.port, timeout=o.timeout_seconds)
            else:
                imap = imaplib.IMAP4(o.host, o.port, timeout=o.timeout_seconds)
                if o.security == "starttls":
                    imap.starttls()
            try:
                imap.login(o.username, password)
            except imaplib.IMAP4.abort:
                raise
            except imaplib.IMAP4.error as exc:
                _logout(imap)
                upper = str(exc).upper()
                if "[UNAVAILABLE]" in upper or any(f"[{code}]" in upper for code in BUSY_CODES):
                    raise _refusal(str(exc), f"{self.name} login") from None
                raise AuthFailed(f"{self.name} login: the server refused {o.username!r}: {_one_line(exc)}") from None
            self._imap = imap
        return self._imap

    def _drop(self) -> None:
        """Forget a connection after a failure: the next poll logs in afresh."""
        imap, self._imap = self._imap, None
        if imap is not None:
            try:
                imap.shutdown()
            except OSError:
                pass

    # --- mail -> Message ---------------------------------------------------------------------
    def _message(self, raw: bytes, sent: bool) -> Message:
        try:
            return self._read_mail(BytesParser(policy=policy.default).parsebytes(raw), raw, sent)
        except (MessageError, LookupError) as exc:
            raise MessageFormatError("mail", f"cannot be parsed: {type(exc).__name__}: {exc}") from None

    def _read_mail(self, mail: EmailMessage, raw: bytes, sent: bool) -> Message:
        name, address = parseaddr(str(mail.get("From", "")))
        if "@" not in address:
            raise MessageFormatError("From", f"expected a sender address, got {str(mail.get('From', ''))!r}")
        own_id = message_id(mail, raw)
        reply_to = _ids(mail.get("In-Reply-To"))
        references = _ids(mail.get("References"))
        thread = references[0] if references else (reply_to[0] if reply_to else own_id)
        subject = " ".join(str(mail.get("Subject", "")).split())
        body = new_text(_body_text(mail))
        recipients = [a.lower() for _, a in getaddresses([str(v) for v in mail.get_all("To", [])]) if a]
        extra: dict = {"subject": subject}
        if recipients:
            extra["to"] = recipients
        lang = str(mail.get("Content-Language", "")).split(",")[0].strip() or None
        return Message(
            platform="email", id=own_id, kind="email", public=False,
            author=Author(address.lower(), name or address), text=f"{subject}\n\n{body}".strip(),
            created_at=sent_time(mail), conversation_id=thread, in_reply_to=reply_to[0] if reply_to else None,
            from_brand=sent or address.lower() in self._brand, automated=is_auto_reply(mail), lang=lang,
            extra=extra)


def message_id(mail: EmailMessage, raw: bytes) -> str:
    """The Message-ID without brackets; for mail without one, a digest of what identifies it."""
    found = _ids(mail.get("Message-ID"))
    if found:
        return found[0]
    key = "\n".join(str(mail.get(h, "")) for h in ("Date", "From", "To", "Subject")).encode() + raw[-2048:]
    return f"sha256-{hashlib.sha256(key).hexdigest()[:32]}@webcare"


def is_auto_reply(mail: EmailMessage) -> bool:
    """RFC 3834 `Auto-Submitted` (anything but "no"), `X-Autoreply`/`X-Autorespond`, `Precedence: auto_reply`."""
    auto = str(mail.get("Auto-Submitted", "")).strip().lower()
    if auto and not auto.startswith("no"):
        return True
    for header in ("X-Autoreply", "X-Autorespond"):
        value = mail.get(header)
        if value is not None and str(value).strip().lower() not in ("no", "false", "0"):
            return True
    return str(mail.get("Precedence", "")).strip().lower() == "auto_reply"


def sent_time(mail: EmailMessage) -> datetime:
    """The Date header; the newest Received stamp if Date is missing or unreadable."""
    candidates = [str(mail.get("Date", ""))]
    candidates += [str(v).rsplit(";", 1)[-1] for v in mail.get_all("Received", [])[:1]]
    for value in candidates:
        try:
            when = parsedate_to_datetime(value.strip())
        except (TypeError, ValueError, IndexError):
            continue
        return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    raise MessageFormatError("Date", f"no readable Date or Received header (Date: {candidates[0]!r})")


def new_text(text: str) -> str:
    """What the writer added: quoted lines (`> ...`) and the quoted mail below a reply header cut off."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if QUOTE_START.match(stripped):
            break
        if HEADER_BLOCK.match(stripped) and any(HEADER_NEXT.match(n.strip()) for n in lines[index + 1:index + 4]):
            break
        if not stripped.startswith(">"):
            kept.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def _body_text(mail: EmailMessage) -> str:
    """The plain-text body; the HTML one as text when there is no (or only an empty) plain part."""
    text = _part_text(mail.get_body(preferencelist=("plain",)))
    return text if text.strip() else _part_text(mail.get_body(preferencelist=("html",)))


def _part_text(part: EmailMessage | None) -> str:
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError, KeyError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
    if not isinstance(content, str):
        return ""
    return html_to_text(content) if part.get_content_subtype() == "html" else content


def _ids(value) -> list[str]:
    return MESSAGE_ID.findall(str(value)) if value is not None else []


def _source(folder: str, uid: int, raw: bytes) -> str:
    """`email <Message-ID>` for the quarantine, or the folder and UID when there is none."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].decode("utf-8", "replace")
    found = re.search(r"^Message-ID:\s*<([^<>\s]+)>", head, re.I | re.M)
    return f"email {found.group(1)}" if found else f"email {folder} uid {uid}"


def _fetched(data: list) -> list[tuple[int, bytes]]:
    """(UID, raw mail) pairs from a `UID FETCH ... (BODY.PEEK[])` answer."""
    out = []
    for entry in data:
        if isinstance(entry, tuple) and len(entry) == 2:
            found = re.search(rb"UID (\d+)", entry[0])
            if found:
                out.append((int(found.group(1)), entry[1]))
    return sorted(out)


def _refusal(text: str, what: str) -> ConnectorError:
    upper = text.upper()
    if any(f"[{code}]" in upper for code in AUTH_CODES):
        return AuthFailed(f"{what}: {_one_line(text)}")
    if any(f"[{code}]" in upper for code in BUSY_CODES):
        return RateLimited(f"{what}: the server asks to slow down: {_one_line(text)}")
    if "[NONEXISTENT]" in upper:
        return AuthFailed(f"{what}: {_one_line(text)}; check the folder name")
    return TransientError(f"{what}: {_one_line(text)}")


def _ok(typ: str, data: list, what: str) -> None:
    if typ != "OK":
        raise _refusal(_text(data), what)


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(data) -> str:
    parts = data if isinstance(data, list) else [data]
    return " ".join(p.decode("utf-8", "replace") if isinstance(p, bytes) else str(p) for p in parts if p is not None)


def _one_line(value) -> str:
    return " ".join(str(value).split())


def _logout(imap: imaplib.IMAP4) -> None:
    try:
        imap.logout()
    except (imaplib.IMAP4.error, OSError):
        pass
