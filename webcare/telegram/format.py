"""Telegram HTML for alerts and command replies. Pure: values in, (html, keyboard) out.

Every piece that did not come from webcare itself (message text, author names, titles and
reasons built from them, URLs, even playbook names) goes through `esc`, so a customer who
writes `<b>`, `&amp;` or `</blockquote>` sees exactly that in the chat. Telegram allows 4096
characters after markup is parsed; `fit` measures what the client will show (in UTF-16 code
units, as Telegram counts) and the renderers shorten examples first, never cutting a tag.
"""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import datetime, tzinfo
from typing import Any, Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from webcare.models import Alert, Message, Score
from webcare.sinks import Example
from webcare.sinks.text import UNSEEN
from webcare.sinks.text import KIND_LABEL
from webcare.telegram.rota import OnCall

LIMIT = 4096
SEVERITY_MARK = {"low": "⚪", "medium": "🟡", "high": "🟠", "critical": "🔴"}
RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
ACTION_WORDS = {"acknowledge": "acknowledged", "claim": "claimed it", "snooze": "snoozed",
                "resolve": "resolved", "reopen": "reopened"}
SNOOZE_CHOICES = ((30, "30 min"), (120, "2 h"))
# Control and direction-changing characters: they could hide or reorder what an alert says.
_TAG = re.compile(r"<[^>]*>")


def esc(text: Any, limit: int = 300, *, multiline: bool = False) -> str:
    """Untrusted text made inert for Telegram HTML: cleaned, shortened, then escaped."""
    text = UNSEEN.sub("", unicodedata.normalize("NFC", str(text))).replace("\t", " ")
    if multiline:
        text = re.sub(r"\n{3,}", "\n\n", text.replace("\r", "")).strip()
    else:
        text = re.sub(r"\s+", " ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return html.escape(text, quote=False)


def link(url: str | None, label: str) -> str:
    """An <a> tag for http(s) URLs only (anything else is not a link we hand to a phone)."""
    if not safe_url(url):
        return ""
    return f'<a href="{html.escape(url, quote=True)}">{label}</a>'


def safe_url(url: str | None) -> bool:
    return bool(url) and re.match(r"^https?://[^\s<>\"]+$", url or "") is not None and len(url) <= 2000


def button_url(url: str | None) -> bool:
    """A URL Telegram takes on a button: for a web host without a dot (localhost, an intranet
    name) it refuses the whole message."""
    return safe_url(url) and re.match(r"^https?://[^/?#]*\.", url) is not None


def shown_length(markup: str) -> int:
    """Length of what Telegram shows for `markup`, in UTF-16 code units."""
    return len(html.unescape(_TAG.sub("", markup)).encode("utf-16-le")) // 2


def fits(markup: str) -> bool:
    return 0 < shown_length(markup) <= LIMIT


def clock(when: datetime | str | float | None, tz: tzinfo, ref: datetime | None = None) -> str:
    """Local HH:MM, with the day when it is not the day of `ref`."""
    if when is None:
        return "?"
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    elif isinstance(when, (int, float)):
        when = datetime.fromtimestamp(when, tz)
    local = when.astimezone(tz)
    if ref is not None and ref.astimezone(tz).date() == local.date():
        return f"{local:%H:%M}"
    return f"{local:%a %d %b %H:%M}"


# --- incident messages --------------------------------------------------------------------

def incident_message(alert: Alert, examples: Sequence[Example], tz: tzinfo, *,
                     incident: dict | None = None, actions: Sequence[dict] = (),
                     notified: Sequence[str] = ()) -> str:
    """The one chat message that shows an incident: what, why, examples, who did what."""
    for example_chars, max_reasons in ((300, 8), (150, 5), (60, 3), (0, 2), (0, 0)):
        markup = _incident_markup(alert, examples if example_chars else (), tz, incident, actions,
                                  notified, example_chars, max_reasons)
        if fits(markup):
            return markup
    return markup  # unreachable in practice: header and status lines are bounded


def _incident_markup(alert: Alert, examples: Sequence[Example], tz: tzinfo, incident: dict | None,
                     actions: Sequence[dict], notified: Sequence[str], example_chars: int,
                     max_reasons: int) -> str:
    kind = KIND_LABEL.get(alert.kind, alert.kind.upper())
    lines = [f"{SEVERITY_MARK.get(alert.severity, '⚪')} <b>{esc(alert.severity.upper(), 20)} · "
             f"{esc(kind, 30)}</b>",
             f"<b>{esc(alert.title, 200)}</b>",
             f"<i>{esc(alert.playbook, 60)}</i> · {clock(alert.at, tz)} · <code>{esc(alert.incident, 100)}</code>"]
    reasons = list(alert.reasons or ([alert.text] if alert.text else []))
    if reasons and max_reasons:
        lines.append("")
        lines.append("<b>Why</b>")
        lines += [f"• {esc(r, 200)}" for r in reasons[:max_reasons]]
        if len(reasons) > max_reasons:
            lines.append(f"• … {len(reasons) - max_reasons} more")
    if examples:
        lines.append("")
        lines.append("<b>Examples</b>")
        for message, score in examples:
            lines.append(_example(message, score, tz, alert.at, example_chars))
    if notified:
        lines.append("")
        lines.append("📣 " + ", ".join(esc(n, 80) for n in notified))
    status = status_lines(incident, actions, tz, alert.at)
    if status:
        lines.append("")
        lines += status
    return "\n".join(lines)


def _example(message: Message, score: Score | None, tz: tzinfo, ref: datetime, chars: int) -> str:
    who = esc(message.author.name or message.author.id, 60)
    mood = f" · {esc(score.label, 5)} {score.compound:+.2f}" if score else ""
    head = f"💬 <b>{esc(message.platform, 30)}</b> · {who}{mood} · {clock(message.created_at, tz, ref)}"
    body = f"<blockquote>{esc(message.text, chars, multiline=True) or '(no text)'}</blockquote>"
    url = link(message.url, "open post ↗")
    return "\n".join(p for p in (head, body, url) if p)


def status_lines(incident: dict | None, actions: Sequence[dict], tz: tzinfo, ref: datetime) -> list[str]:
    """Who did what and when, from the store's incident row and action log."""
    if not incident:
        return []
    status = incident.get("status")
    lines = []
    if status == "acknowledged" and incident.get("acked_by"):
        lines.append(f"✅ Acknowledged by {esc(incident['acked_by'], 60)} at "
                     f"{clock(incident.get('acked_at'), tz, ref)}")
    if incident.get("assignee") and status not in ("resolved", "closed"):
        lines.append(f"🙋 Claimed by {esc(incident['assignee'], 60)}")
    if status == "snoozed" and incident.get("snoozed_until"):
        lines.append(f"💤 Snoozed until {clock(incident['snoozed_until'], tz, ref)}")
    if status == "resolved":
        lines.append(f"✔️ Resolved by {esc(incident.get('resolved_by') or '?', 60)} at "
                     f"{clock(incident.get('resolved_at'), tz, ref)}")
    if status == "closed":
        lines.append("🌙 Calmed down: closed")
    if actions:
        shown = list(actions)[-5:]
        lines.append("<i>" + "; ".join(
            f"{clock(a['at'], tz, ref)} {esc(a['user'], 40)} {ACTION_WORDS.get(a['action'], esc(a['action'], 20))}"
            for a in shown) + "</i>")
    return lines


def incident_keyboard(alert: Alert, examples: Sequence[Example], incident: dict | None) -> InlineKeyboardMarkup | None:
    """Buttons that fit the incident's state; 'Open' links to the newest example's post."""
    status = (incident or {}).get("status", "open")
    url = next((m.url for m, _ in reversed(list(examples)) if button_url(m.url)), None)
    open_button = [InlineKeyboardButton("🔗 Open", url=url)] if url else []
    if status == "closed" or alert.kind == "close":
        return InlineKeyboardMarkup([open_button]) if open_button else None
    if status == "resolved":
        return InlineKeyboardMarkup([[button("↩️ Reopen", "reopen"), *open_button]])
    if alert.kind == "system":
        first = [button("✅ Acknowledge", "acknowledge")] if status != "acknowledged" else []
        return InlineKeyboardMarkup([[*first, button("✔️ Resolve", "resolve")]])
    first = [button("✅ Acknowledge", "acknowledge")] if status != "acknowledged" else []
    rows = [[*first, button("🙋 Claim", "claim")],
            [button(f"💤 {label}", f"snooze:{minutes}") for minutes, label in SNOOZE_CHOICES],
            [button("✔️ Resolve", "resolve"), *open_button]]
    return InlineKeyboardMarkup(rows)


def button(label: str, action: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=f"act:{action}")


def superseded_message(alert: Alert, reason: str) -> str:
    """What an older copy of an incident turns into when a newer message rings the phone."""
    return (f"{SEVERITY_MARK.get(alert.severity, '⚪')} <b>{esc(alert.title, 200)}</b>\n"
            f"⬇️ Continued in a newer message ({esc(reason, 80)}).")


# --- command replies ----------------------------------------------------------------------

def fit_lines(head: Sequence[str], items: Iterable[str], tail: Sequence[str] = (), *,
              more: str = "… and {n} more", total: int | None = None) -> str:
    """Join as many item lines as fit into one message; say how many were left out (of
    `total`, when only the first items were passed)."""
    items = list(items)
    total = len(items) if total is None else total
    body = list(head)
    for i, item in enumerate(items):
        candidate = "\n".join([*body, item, more.format(n=total), *tail])
        if not fits(candidate):
            body.append(more.format(n=total - i))
            return "\n".join([*body, *tail])
        body.append(item)
    if total > len(items):
        body.append(more.format(n=total - len(items)))
    return "\n".join([*body, *tail])


URGENCY_BANDS = ((0.6, "🔴"), (0.3, "🟠"), (0.0, "⚪"))


def urgency_band(score: Score | None) -> int:
    """0 (most urgent) to 2: the queue sorts by band, then oldest first."""
    value = score.urgency if score else 0.0
    return next(i for i, (low, _) in enumerate(URGENCY_BANDS) if value >= low)


# No more queue lines than this fit in one message: a line is never shorter than 10 characters.
QUEUE_SHOWN = LIMIT // 10


def queue_text(waiting: Sequence[Example], now: datetime, tz: tzinfo, total: int | None = None) -> str:
    """`waiting` may be the first of `total` waiting messages (at least QUEUE_SHOWN of them)."""
    total = len(waiting) if total is None else total
    if not total:
        return "📭 <b>Queue</b>: nothing is waiting for an answer."
    head = [f"📬 <b>Queue</b>: {total} waiting, most urgent and oldest first"]
    items = []
    for message, score in waiting:
        mark = URGENCY_BANDS[urgency_band(score)][1]
        age = _age(now - message.created_at)
        reply = link(message.url, "reply ↗")
        items.append(f"{mark} <b>{age}</b> · {esc(message.platform, 30)} · "
                     f"{esc(message.author.name or message.author.id, 40)}: "
                     f"{esc(message.text, 140)}" + (f" {reply}" if reply else ""))
    return fit_lines(head, items, total=total)


def incidents_text(rows: Sequence[dict], now: datetime, tz: tzinfo) -> str:
    if not rows:
        return "✅ <b>Incidents</b>: none open."
    items = []
    for r in rows:
        who = []
        if r.get("assignee"):
            who.append(f"claimed by {esc(r['assignee'], 40)}")
        elif r.get("acked_by"):
            who.append(f"acknowledged by {esc(r['acked_by'], 40)}")
        if r.get("status") == "snoozed" and r.get("snoozed_until"):
            who.append(f"snoozed until {clock(r['snoozed_until'], tz, now)}")
        items.append(f"{SEVERITY_MARK.get(r['severity'], '⚪')} <b>{esc(r['title'], 120)}</b> — "
                     f"{esc(r['status'], 20)}, opened {clock(r['opened_at'], tz, now)}"
                     + (f", {', '.join(who)}" if who else "") + f"\n    <code>{esc(r['id'], 100)}</code>")
    return fit_lines([f"🚨 <b>Incidents</b>: {len(rows)} open"], items)


def status_text(connectors: Sequence[dict], now: datetime, tz: tzinfo, *, outbox: int,
                held: int, muted_until: datetime | None, oncall: OnCall) -> str:
    items = []
    for c in connectors:
        state = c.get("status") or "?"
        mark = {"ok": "🟢", "rate_limited": "⏳", "backoff": "🔴", "stopped": "⛔"}.get(state, "⚪")
        parts = [f"{mark} <b>{esc(c['connector'], 60)}</b>: {esc(state, 20)}"]
        if c.get("updated_at"):
            parts.append(f"last poll {clock(c['updated_at'], tz, now)}")
        if c.get("last_success"):
            parts.append(f"last success {clock(c['last_success'], tz, now)}")
        if state == "rate_limited" and c.get("rate_limit_reset"):
            parts.append(f"rate limit resets {clock(c['rate_limit_reset'], tz, now)}")
        if c.get("last_error") and state != "ok":
            parts.append(esc(c["last_error"], 120))
        items.append(", ".join(parts))
    tail = ["", f"📨 Telegram: {outbox} alert(s) waiting to be sent, {held} held for quiet hours",
            "🔕 Muted here until " + clock(muted_until, tz, now) if muted_until else "🔔 Not muted here",
            "📟 On call: " + oncall_line(oncall, tz, now)]
    head = ["📊 <b>Status</b>"] + ([] if connectors else ["No connector has run yet."])
    return fit_lines(head, items, tail)


def oncall_line(oncall: OnCall, tz: tzinfo, now: datetime) -> str:
    if not oncall.person:
        return "nobody" + (f" (rota resumes {clock(oncall.until, tz, now)})" if oncall.until else "")
    until = f" until {clock(oncall.until, tz, now)}" if oncall.until else ""
    return f"<b>{esc(oncall.person, 40)}</b> ({oncall.source}){until}"


def digest_counts_text(counts: dict[str, int], day: datetime) -> str:
    """Plain text, like every digest provider's result (the bot escapes it)."""
    return "\n".join([
        f"🗞 Today so far ({day:%a %d %b})",
        f"• {counts['messages']} customer messages, {counts['negative']} negative, "
        f"{counts['complaints']} complaints",
        f"• {counts['brand_replies']} brand messages",
        f"• {counts['incidents_opened']} incidents opened today, {counts['incidents_open']} still open",
    ])


def _age(delta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60:02d}"
    return f"{minutes // 1440} d"


HELP = """<b>webcare bot</b>
Alerts arrive here with buttons: <b>Acknowledge</b>, <b>Claim</b> (assign to me), <b>Snooze</b>, <b>Resolve</b>, <b>Open</b>.

/queue – messages waiting for an answer, most urgent and oldest first
/incidents – open incidents
/status – connectors, last poll, rate limits, Telegram outbox
/digest – today's digest now
/oncall – who is on call; <code>/oncall take [2h]</code> to take over, <code>/oncall release</code>
/mute &lt;duration&gt; – alerts in this chat arrive silently (e.g. <code>/mute 2h</code>, <code>/mute off</code>)
/help – this text"""

COMMANDS = (
    ("queue", "Messages waiting for an answer, most urgent first"),
    ("incidents", "Open incidents"),
    ("status", "Connectors, last poll, rate limits"),
    ("digest", "Today's digest now"),
    ("oncall", "Who is on call; /oncall take to take over"),
    ("mute", "Silence alerts in this chat, e.g. /mute 2h"),
    ("help", "What this bot does"),
)


def severity_rank(severity: str | None) -> int:
    return RANK.get(severity or "", -1)
