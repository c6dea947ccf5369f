"""The digest as words: plain text, Telegram HTML and an e-mailable HTML page, Dutch or English.

Pure: a `Digest` in, strings out. One renderer writes all three through a small markup
object, so they never disagree. Every piece that did not come from webcare itself (message
texts, author and connector names, incident titles, topic words, URLs) goes through `esc`
(html.escape after cleaning), so a customer who writes `<b>` sees exactly that. The
Telegram version must fit one message (4096 characters as shown); it shows fewer examples
until it does. The chart goes separately (`chart.render_png`), with `chart_caption`.
"""

from __future__ import annotations

import html
import math
from datetime import date, datetime, timedelta
from typing import Sequence

from webcare.digest.content import (
    ChannelLine,
    Counts,
    Digest,
    FacebookLabel,
    IncidentLine,
    most_severe,
)
from webcare.digest.schedule import Period
from webcare.metrics import ResponseStats
from webcare.telegram.format import SEVERITY_MARK, esc, fits, safe_url

LANGUAGES = ("nl", "en")

MONTHS = {
    "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
DAYS = {
    "nl": ("ma", "di", "wo", "do", "vr", "za", "zo"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_FACEBOOK = {  # Facebook's own Dutch wording of its labels
    "within minutes": "binnen enkele minuten", "within an hour": "binnen een uur",
    "within a few hours": "binnen een paar uur", "within a day": "binnen een dag",
}

T = {
    "nl": {
        "day": "Dagoverzicht", "week": "Weekoverzicht", "today": "Vandaag tot {time}",
        "vs_day": "vergeleken met {prev}", "vs_week": "vergeleken met de week ervoor ({prev})",
        "vs_today": "vergeleken met gisteren tot {time}",
        "prev_day": "gisteren", "prev_week": "vorige week", "prev_today": "gisteren",
        "late": "⏰ Later verstuurd dan gepland ({time}): webcare of Telegram was niet bereikbaar.",
        "volume": "Berichten", "customers": "{n} van klanten", "negative": "{p} negatief",
        "complaints": "{n} klachten", "ours": "{n} van ons", "nothing": "geen berichten",
        "topics": "Waar gaan de klachten over", "topic_line": "{term}: {n} klachten ({p})",
        "no_topics": "geen terugkerend onderwerp", "open": "open ↗",
        "incidents": "Incidenten", "opened": "{n} geopend", "still_open": "{n} nog open",
        "acked": "erkend na {d}", "not_acked": "niet erkend", "resolved": "opgelost na {d}",
        "closed": "vanzelf gesloten na {d}", "open_now": "nog open",
        "inc_summary": "erkend: {a} van {n}{ma}; opgelost of gesloten: {d}{md}",
        "median": ", mediaan {d}", "more": "… en nog {n}",
        "no_incidents": "geen nieuwe incidenten",
        "response": "Reactietijd", "answered": "{a} van {n} beantwoord",
        "in_time": "{p} op tijd", "median_wait": "mediaan {d}", "p90": "p90 {d}",
        "overdue": "{n} te laat", "no_response": "geen klantberichten om te beantwoorden",
        "targets": "norm: publiek {public}, DM {dm}, e-mail {email}",
        "fb": "Facebook-label", "fb_label": "“reageert doorgaans {label}”", "fb_none": "geen label",
        "fb_figures": "{m} gemiddeld, {r} beantwoord, {n} getelde gesprekken",
        "fb_badge": "badge “zeer responsief”", "fb_risk": "⚠️ zakt naar “{to}” tenzij {n} wachtende berichten {within} antwoord krijgen",
        "fb_risk_now": "⚠️ zakt naar “{to}”, ook als de {n} wachtende berichten nu antwoord krijgen",
        "fb_risk_now_one": "⚠️ zakt naar “{to}”, ook als het wachtende bericht nu antwoord krijgt",
        "fb_holds": "blijft staan", "within_min": "binnen {n} min", "within_h": "binnen {n} uur",
        "waiting": "Wacht nog op antwoord", "waiting_head": "{n} berichten, oudste eerst",
        "no_waiting": "niets, alles is beantwoord", "auto_only": "alleen automatisch antwoord",
        "sources": "Bronnen", "gap": "{c} gaf niets van {a} tot {b} ({h} uur; normaal ~{e} berichten)",
        "gap_now": "{c} geeft niets sinds {a} ({h} uur; normaal ~{e} berichten)",
        "trouble": "{c}: {s} — laatste goede poll {t}", "never": "nooit",
        "status": {"backoff": "storing, probeert opnieuw", "rate_limited": "rate limit",
                   "stopped": "gestopt (inloggen mislukt)"},
        "sources_ok": "alle bronnen leverden zoals gewoonlijk",
        "chart": "Berichten per {unit} naar sentiment",
        "chart_caption": "📈 {title}, {span}. Lijn: {prev}. Driehoekjes: incidenten (nummers als in het overzicht).",
        "unit_hour": "uur", "unit_day": "dag",
        "labels": ("negatief", "neutraal", "positief"),
        "new": "nieuw", "incident_axis": "incident",
        "h": "u", "sep": ".", "dec": ",", "business": "werktijd",
    },
    "en": {
        "day": "Daily digest", "week": "Weekly digest", "today": "Today until {time}",
        "vs_day": "compared with {prev}", "vs_week": "compared with the week before ({prev})",
        "vs_today": "compared with yesterday until {time}",
        "prev_day": "day before", "prev_week": "last week", "prev_today": "yesterday",
        "late": "⏰ Sent later than planned ({time}): webcare or Telegram was unreachable.",
        "volume": "Messages", "customers": "{n} from customers", "negative": "{p} negative",
        "complaints": "{n} complaints", "ours": "{n} from us", "nothing": "no messages",
        "topics": "What the complaints are about", "topic_line": "{term}: {n} complaints ({p})",
        "no_topics": "no recurring topic", "open": "open ↗",
        "incidents": "Incidents", "opened": "{n} opened", "still_open": "{n} still open",
        "acked": "acknowledged after {d}", "not_acked": "not acknowledged", "resolved": "resolved after {d}",
        "closed": "calmed down and closed after {d}", "open_now": "still open",
        "inc_summary": "acknowledged: {a} of {n}{ma}; resolved or closed: {d}{md}",
        "median": ", median {d}", "more": "… and {n} more",
        "no_incidents": "no new incidents",
        "response": "Response times", "answered": "{a} of {n} answered",
        "in_time": "{p} in time", "median_wait": "median {d}", "p90": "p90 {d}",
        "overdue": "{n} overdue", "no_response": "no customer messages to answer",
        "targets": "targets: public {public}, DM {dm}, e-mail {email}",
        "fb": "Facebook label", "fb_label": "“typically replies {label}”", "fb_none": "no label",
        "fb_figures": "{m} on average, {r} answered, {n} counted conversations",
        "fb_badge": "“very responsive” badge", "fb_risk": "⚠️ drops to “{to}” unless {n} waiting messages get an answer {within}",
        "fb_risk_now": "⚠️ drops to “{to}” even if the {n} waiting messages are answered now",
        "fb_risk_now_one": "⚠️ drops to “{to}” even if the waiting message is answered now",
        "fb_holds": "holds", "within_min": "within {n} min", "within_h": "within {n} h",
        "waiting": "Still waiting for an answer", "waiting_head": "{n} messages, oldest first",
        "no_waiting": "nothing, everything is answered", "auto_only": "auto-reply only",
        "sources": "Sources", "gap": "{c} returned nothing from {a} to {b} ({h} h; usually ~{e} messages)",
        "gap_now": "{c} has returned nothing since {a} ({h} h; usually ~{e} messages)",
        "trouble": "{c}: {s} — last good poll {t}", "never": "never",
        "status": {"backoff": "failing, retrying", "rate_limited": "rate limited",
                   "stopped": "stopped (login failed)"},
        "sources_ok": "every source delivered as usual",
        "chart": "Messages per {unit} by sentiment",
        "chart_caption": "📈 {title}, {span}. Line: {prev}. Triangles: incidents (numbers as in the digest).",
        "unit_hour": "hour", "unit_day": "day",
        "labels": ("negative", "neutral", "positive"),
        "new": "new", "incident_axis": "incident",
        "h": "h", "sep": ",", "dec": ".", "business": "business time",
    },
}


def words(lang: str) -> dict:
    if lang not in T:
        raise ValueError(f"digest language {lang!r}: expected one of {', '.join(LANGUAGES)}")
    return T[lang]


# --- numbers, times, durations ----------------------------------------------------------------

def number(n: int, lang: str) -> str:
    return f"{n:,}".replace(",", words(lang)["sep"])


def percent(share: float | None, lang: str) -> str:
    if share is None:
        return "–"
    value = 100 * share
    text = f"{value:.0f}%" if value >= 10 or value == 0 else f"{value:.1f}%"
    return text.replace(".", words(lang)["dec"])


def change(now: int, before: int, lang: str) -> str:
    """'+35%' against the previous period; 'new' when there was nothing before."""
    if before == 0:
        return words(lang)["new"] if now else "="
    if now >= 3 * before:
        factor = now / before
        return "×" + (f"{factor:.0f}" if factor >= 10 else f"{factor:.1f}".replace(".", words(lang)["dec"]))
    delta = (now - before) / before
    if abs(delta) < 0.005:
        return "="
    return ("+" if delta > 0 else "−") + percent(abs(delta), lang)


def target(seconds: float, business: bool, lang: str) -> str:
    """'1 h', '30 min', '8 h business time' / '8 u werktijd'."""
    hours = seconds / 3600
    amount = f"{hours:g} {words(lang)['h']}" if hours >= 1 else f"{seconds / 60:g} min"
    return f"{amount} {words(lang)['business']}" if business else amount


def duration(seconds: float | None, lang: str) -> str:
    if seconds is None or math.isnan(seconds):
        return "–"
    minutes = max(0, round(seconds / 60))
    h = words(lang)["h"]
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} {h} {minutes % 60:02d}"
    return f"{minutes // 1440} d {(minutes % 1440) // 60} {h}"


def day_name(day: date, lang: str, year: bool = False) -> str:
    text = f"{DAYS[lang][day.weekday()]} {day.day} {MONTHS[lang][day.month - 1]}"
    return f"{text} {day.year}" if year else text


def span(period: Period, lang: str) -> str:
    """'zo 4 okt 2026' or 'ma 28 sep – zo 4 okt 2026'."""
    first = period.start.date()
    if period.kind == "day":
        return day_name(first, lang, year=True)
    last = first + timedelta(days=6)
    return f"{day_name(first, lang)} – {day_name(last, lang, year=True)}"


def clock(when: datetime, period: Period, lang: str) -> str:
    """Local HH:MM, with the date when it is not on the period's (first) day."""
    local = when.astimezone(period.tz)
    if period.kind == "day" and local.date() == period.start.date():
        return f"{local:%H:%M}"
    return f"{day_name(local.date(), lang)} {local:%H:%M}"


# --- markup -----------------------------------------------------------------------------------

class Markup:
    """Telegram HTML (also valid in an HTML page): untrusted text is escaped."""

    html = True

    def text(self, value, limit: int = 300) -> str:
        return esc(value, limit)

    def bold(self, safe: str) -> str:
        return f"<b>{safe}</b>"

    def italic(self, safe: str) -> str:
        return f"<i>{safe}</i>"

    def link(self, url: str | None, label: str) -> str:
        if not safe_url(url):
            return ""
        return f'<a href="{html.escape(url or "", quote=True)}">{label}</a>'


class Plain(Markup):
    """Plain text: the same cleaning and shortening, no tags, links written out."""

    html = False

    def text(self, value, limit: int = 300) -> str:
        return html.unescape(esc(value, limit))

    def bold(self, safe: str) -> str:
        return safe

    def italic(self, safe: str) -> str:
        return safe

    def link(self, url: str | None, label: str) -> str:
        return f"<{url}>" if safe_url(url) else ""


# --- the digest -------------------------------------------------------------------------------

def render_text(digest: Digest, lang: str = "nl") -> str:
    """Plain text, complete (for the terminal, digest.txt and /digest)."""
    return _render(digest, lang, Plain(), examples=2, example_chars=200, incidents=30, waiting=10)


def render_telegram(digest: Digest, lang: str = "nl") -> str:
    """Telegram HTML that fits one message: fewer examples and lines until it does."""
    for examples, chars, incidents, waiting in ((1, 160, 8, 5), (1, 90, 6, 3), (0, 0, 5, 3), (0, 0, 3, 0)):
        markup = _render(digest, lang, Markup(), examples, chars, incidents, waiting)
        if fits(markup):
            return markup
    return markup


def render_html_page(digest: Digest, lang: str = "nl", chart_file: str = "chart.png") -> str:
    """A standalone HTML page (digest.html) to check or e-mail onward; the chart beside it."""
    body = _render(digest, lang, Markup(), examples=2, example_chars=200, incidents=30, waiting=10)
    title = html.escape(f"{digest.brand} — {_title(digest, lang)}")
    alt = html.escape(chart_title(digest, lang))
    return (f'<!doctype html>\n<html lang="{lang}">\n<head><meta charset="utf-8"><title>{title}</title></head>\n'
            '<body style="font-family: system-ui, sans-serif; max-width: 820px; margin: 1em auto; line-height: 1.45">\n'
            f'<div style="white-space: pre-wrap">{body}</div>\n'
            f'<p><img src="{html.escape(chart_file, quote=True)}" alt="{alt}" style="max-width: 100%"></p>\n'
            "</body>\n</html>\n")


def chart_title(digest: Digest, lang: str) -> str:
    w = words(lang)
    return w["chart"].format(unit=w["unit_hour"] if digest.period.kind == "day" else w["unit_day"])


def chart_caption(digest: Digest, lang: str) -> str:
    """The photo caption (Telegram HTML; well under the 1024-character limit)."""
    w = words(lang)
    return esc(w["chart_caption"].format(title=chart_title(digest, lang), span=span(digest.period, lang),
                                         prev=previous_name(digest, lang)), 1000)


def _title(digest: Digest, lang: str) -> str:
    w = words(lang)
    p = digest.period
    if p.partial:
        return f"{w['today'].format(time=f'{p.end.astimezone(p.tz):%H:%M}')} ({span(p, lang)})"
    return f"{w['day'] if p.kind == 'day' else w['week']} {span(p, lang)}"


def previous_name(digest: Digest, lang: str) -> str:
    w = words(lang)
    if digest.period.partial:
        return w["prev_today"]
    return w["prev_day"] if digest.period.kind == "day" else w["prev_week"]


def _render(d: Digest, lang: str, m: Markup, examples: int, example_chars: int, incidents: int,
            waiting: int) -> str:
    w = words(lang)
    p = d.period
    if p.partial:
        versus = w["vs_today"].format(time=f"{d.previous.end.astimezone(p.tz):%H:%M}")
    elif p.kind == "day":
        versus = w["vs_day"].format(prev=span(d.previous, lang))
    else:
        versus = w["vs_week"].format(prev=span(d.previous, lang))
    lines = [f"📊 {m.bold(m.text(d.brand, 80))} — {m.bold(_title(d, lang))}", m.italic(versus)]
    if d.due_at is not None:
        lines.append(w["late"].format(time=f"{d.due_at.astimezone(p.tz):%H:%M}"))
    prev = previous_name(d, lang)
    lines += ["", *_volume(d, lang, m, prev)]
    lines += ["", *_topics(d, lang, m, examples, example_chars)]
    lines += ["", *_incidents(d, lang, m, incidents, prev)]
    lines += ["", *_responses(d, lang, m, prev)]
    lines += ["", *_waiting(d, lang, m, waiting, example_chars)]
    lines += ["", *_sources(d, lang, m)]
    return "\n".join(lines).rstrip()


def _counts_line(c: Counts, before: Counts, lang: str, prev: str) -> str:
    w = words(lang)
    if not c.messages and not c.brand:
        return w["nothing"] + (f" ({prev} {number(before.messages, lang)})" if before.messages else "")
    parts = [w["customers"].format(n=number(c.messages, lang))
             + f" ({prev} {number(before.messages, lang)}, {change(c.messages, before.messages, lang)})"]
    if c.messages:
        parts.append(w["negative"].format(p=percent(c.negative_share, lang))
                     + f" ({prev} {percent(before.negative_share, lang)})")
        parts.append(w["complaints"].format(n=number(c.complaints, lang)))
    parts.append(w["ours"].format(n=number(c.brand, lang)))
    return " · ".join(parts)


def _volume(d: Digest, lang: str, m: Markup, prev: str) -> list[str]:
    w = words(lang)
    lines = [f"💬 {m.bold(w['volume'])}: {_counts_line(d.total, d.total_before, lang, prev)}"]
    shown: Sequence[ChannelLine] = [c for c in d.channels if c.now.messages or c.now.brand or c.before.messages]
    if len(shown) > 1:  # one channel only: the total says it all
        for c in shown[:8]:
            lines.append(f"• {m.bold(m.text(c.platform, 40))}: {_counts_line(c.now, c.before, lang, prev)}")
    return lines


def _topics(d: Digest, lang: str, m: Markup, examples: int, chars: int) -> list[str]:
    w = words(lang)
    head = f"🔥 {m.bold(w['topics'])}"
    if not d.topics:
        return [f"{head}: {w['no_topics']}"]
    lines = [head]
    for i, topic in enumerate(d.topics, start=1):
        lines.append(f"{i}. " + w["topic_line"].format(term=m.bold(m.text(topic.term, 40)),
                                                       n=number(topic.count, lang), p=percent(topic.share, lang)))
        for message, _ in topic.examples[:examples]:
            who = m.text(message.author.name or message.author.id, 40)
            url = m.link(message.url, w["open"])
            lines.append(f"   “{m.text(message.text, chars)}” — {who}, {m.text(message.platform, 20)}"
                         + (f" {url}" if url else ""))
    return lines


def _incident_line(line: IncidentLine, d: Digest, lang: str, m: Markup) -> str:
    w = words(lang)
    ack = w["acked"].format(d=duration(line.ack_seconds, lang)) if line.ack_seconds is not None else w["not_acked"]
    if line.done_how == "resolved":
        done = w["resolved"].format(d=duration(line.done_seconds, lang))
    elif line.done_how == "closed":
        done = w["closed"].format(d=duration(line.done_seconds, lang))
    else:
        done = w["open_now"]
    who = f" ({m.text(line.acked_by, 30)})" if line.acked_by else ""
    return (f"[{line.number}] {SEVERITY_MARK.get(line.severity, '⚪')} {clock(line.opened_at, d.period, lang)} "
            f"{m.text(line.title, 110)} — {ack}{who}, {done}")


def _incidents(d: Digest, lang: str, m: Markup, limit: int, prev: str) -> list[str]:
    w = words(lang)
    inc = d.incidents
    head = (f"🚨 {m.bold(w['incidents'])}: {w['opened'].format(n=number(inc.opened, lang))} "
            f"({prev} {number(inc.opened_before, lang)}) · {w['still_open'].format(n=number(inc.still_open, lang))}")
    if not inc.lines:
        return [head, w["no_incidents"]]
    summary = w["inc_summary"].format(
        a=number(inc.acknowledged, lang), n=number(inc.opened, lang),
        ma=w["median"].format(d=duration(inc.median_ack_seconds, lang)) if inc.acknowledged else "",
        d=number(inc.done, lang),
        md=w["median"].format(d=duration(inc.median_done_seconds, lang)) if inc.done else "")
    lines = [head, summary]
    chosen = most_severe(inc.lines, limit)
    lines += [_incident_line(line, d, lang, m) for line in chosen]
    if len(inc.lines) > len(chosen):
        lines.append(w["more"].format(n=number(len(inc.lines) - len(chosen), lang)))
    return lines


def _stats_line(s: ResponseStats, lang: str) -> str:
    w = words(lang)
    parts = [w["answered"].format(a=number(s.answered, lang), n=number(s.messages, lang))]
    if s.within_target is not None:
        parts.append(w["in_time"].format(p=percent(s.within_target, lang)))
    if s.median_minutes is not None:
        parts.append(w["median_wait"].format(d=duration(s.median_minutes * 60, lang)))
        parts.append(w["p90"].format(d=duration(s.p90_minutes * 60 if s.p90_minutes is not None else None, lang)))
    if s.overdue:
        parts.append(w["overdue"].format(n=number(s.overdue, lang)))
    return ", ".join(parts)


def _responses(d: Digest, lang: str, m: Markup, prev: str) -> list[str]:
    w = words(lang)
    r = d.response
    head = f"⏱ {m.bold(w['response'])}: "
    if not r.now.messages:
        lines = [head + w["no_response"]]
    else:
        lines = [head + _stats_line(r.now, lang)]
        if r.before.messages:
            lines.append(f"   {prev}: {_stats_line(r.before, lang)}")
        busy = sorted(r.by_platform.items(), key=lambda kv: -kv[1].messages)
        if len(busy) > 1:
            for name, stats in busy[:6]:
                lines.append(f"• {m.text(name, 40)}: {_stats_line(stats, lang)}")
    lines.append(m.italic(w["targets"].format(**{k: target(*v, lang) for k, v in r.targets.items()})))
    if r.facebook is not None:
        lines.append(_facebook(r.facebook, lang, m))
    return lines


def _facebook_label(label: str | None, lang: str) -> str:
    w = words(lang)
    if label is None:
        return w["fb_none"]
    shown = _FACEBOOK.get(label, label) if lang == "nl" else label
    return w["fb_label"].format(label=shown)


def _facebook(fb: FacebookLabel, lang: str, m: Markup) -> str:
    w = words(lang)
    seconds = None if fb.response_minutes is None else fb.response_minutes * 60
    text = (f"📘 {m.bold(w['fb'])}: {_facebook_label(fb.label, lang)} — "
            + w["fb_figures"].format(m=duration(seconds, lang), r=percent(fb.response_rate, lang),
                                     n=number(fb.counted, lang)))
    if fb.very_responsive:
        text += f" · ✅ {w['fb_badge']}"
    if fb.at_risk and fb.reply_within_seconds is not None:
        to = _facebook_label(fb.drops_to, lang).strip("“”")
        if fb.reply_within_seconds <= 0:
            key = "fb_risk_now_one" if fb.waiting == 1 else "fb_risk_now"
            text += "\n   " + w[key].format(to=to, n=number(fb.waiting, lang))
        else:
            minutes_left = int(fb.reply_within_seconds // 60)
            within = (w["within_min"].format(n=minutes_left) if minutes_left < 120
                      else w["within_h"].format(n=f"{minutes_left / 60:.1f}".replace(".", w["dec"])))
            text += "\n   " + w["fb_risk"].format(to=to, n=number(fb.waiting, lang), within=within)
    return text


def _waiting(d: Digest, lang: str, m: Markup, limit: int, chars: int) -> list[str]:
    w = words(lang)
    wt = d.waiting
    head = f"📥 {m.bold(w['waiting'])}: "
    if not wt.total:
        return [head + w["no_waiting"]]
    per = ", ".join(f"{m.text(k, 30)} {number(v, lang)}" for k, v in list(wt.by_platform.items())[:6])
    lines = [head + w["waiting_head"].format(n=number(wt.total, lang)) + (f" ({per})" if per else "")]
    for item in wt.oldest[:limit]:
        msg = item.message
        who = m.text(msg.author.name or msg.author.id, 40)
        url = m.link(msg.url, w["open"])
        auto = f" · {w['auto_only']}" if item.acknowledged else ""
        text = m.text(msg.text, max(chars, 60)) if chars else m.text(msg.text, 60)
        lines.append(f"• {m.bold(duration(item.waited_seconds, lang))} · {m.text(msg.platform, 20)} · {who}{auto}: "
                     f"“{text}”" + (f" {url}" if url else ""))
    return lines


def _sources(d: Digest, lang: str, m: Markup) -> list[str]:
    w = words(lang)
    head = f"🔌 {m.bold(w['sources'])}"
    if not d.gaps and not d.troubles:
        return [f"{head}: {w['sources_ok']}"]
    lines = [head]
    for t in d.troubles:
        state = w["status"].get(t.status, t.status)
        last = clock(t.last_success, d.period, lang) if t.last_success else w["never"]
        line = "• " + w["trouble"].format(c=m.bold(m.text(t.connector, 60)), s=m.text(state, 60), t=last)
        if t.error:
            line += f" ({m.text(t.error, 120)})"
        lines.append(line)
    for g in d.gaps[:6]:
        hours = f"{g.hours:.0f}"
        expected = f"{g.expected:.0f}"
        if g.until_now:
            lines.append("• " + w["gap_now"].format(c=m.bold(m.text(g.connector, 60)),
                                                     a=clock(g.start, d.period, lang), h=hours, e=expected))
        else:
            lines.append("• " + w["gap"].format(c=m.bold(m.text(g.connector, 60)), a=clock(g.start, d.period, lang),
                                                 b=clock(g.end, d.period, lang), h=hours, e=expected))
    return lines
