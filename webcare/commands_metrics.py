"""`webcare metrics`: first-response figures from message JSONL or from the store.

    webcare metrics [--from FILE | --db FILE] [--json] [--since ISO] [--until ISO]
                    [--now ISO] [--facebook]

This is an edge: it reads files, the database and (unless `--now` is given) the clock, then
hands values to the pure `webcare.metrics` and `webcare.responsiveness`.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Sequence, TextIO

from webcare.jsonl import read_messages
from webcare.metrics import (
    MetricsConfig, compute_metrics, first_responses_from_columns, format_report, report_from_pairs,
)
from webcare.models import Author, Message, MessageFormatError, Rejected, parse_time
from webcare.responsiveness import ResponsivenessRules, forecast_label, responsiveness
from webcare.store import read_columns

FACEBOOK_LOOKBACK = timedelta(days=60)  # covers the 30-day window and its 24 h silences


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `metrics` subcommand; the handler is `run` (also set as `handler` default)."""
    p = subparsers.add_parser("metrics", help="first-response times per channel, platform and person")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--from", dest="source", type=Path, metavar="FILE",
                        help="message JSONL (default: standard input)")
    source.add_argument("--db", type=Path, help="read the store's database instead of JSONL")
    p.add_argument("--json", action="store_true", help="print JSON instead of a text report")
    p.add_argument("--since", type=_time_arg, metavar="ISO", help="customer messages from this time")
    p.add_argument("--until", type=_time_arg, metavar="ISO", help="customer messages before this time")
    p.add_argument("--now", type=_time_arg, metavar="ISO",
                   help="judge waiting messages as of this time (default: the clock)")
    p.add_argument("--facebook", action="store_true",
                   help="also Facebook's displayed responsiveness and what threatens it")
    p.set_defaults(handler=run)
    return p


def run(args: argparse.Namespace, config: MetricsConfig | None = None,
        out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    config = config or MetricsConfig()
    now = args.now or datetime.now(timezone.utc)
    messages: list[Message] | None = None
    if args.db is not None:
        if not args.db.exists():
            print(f"webcare metrics: {args.db}: no such database", file=err)
            return 2
        connection = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
        try:
            pairs = first_responses_from_columns(read_columns(connection, args.since, gap=config.gap),
                                                 config.gap)
            names = responder_names(connection, pairs.responders)
            if args.facebook:
                messages = _recent_messages(connection, now - FACEBOOK_LOOKBACK)
        finally:
            connection.close()
        report = report_from_pairs(pairs, now, config, since=args.since, until=args.until,
                                   responder_names=names)
    else:
        try:
            messages = _read_jsonl(args.source, err)
        except OSError as exc:
            print(f"webcare metrics: {exc}", file=err)
            return 2
        report = compute_metrics(messages, now, config, since=args.since, until=args.until)

    facebook = None
    if args.facebook and messages is not None:
        rules = ResponsivenessRules()
        facebook = (responsiveness(messages, now, rules), forecast_label(messages, now, rules))
    if args.json:
        data: dict[str, Any] = {"metrics": report.to_dict()}
        if facebook:
            data["facebook"] = {"responsiveness": facebook[0].to_dict(), "forecast": facebook[1].to_dict()}
        print(json.dumps(data, ensure_ascii=False, indent=2), file=out)
    else:
        print(format_report(report), file=out)
        if facebook:
            shown, forecast = facebook
            print("", file=out)
            print(_format_facebook(shown, forecast), file=out)
    return 0


def responder_names(connection: sqlite3.Connection, responders: Sequence[str]) -> dict[str, str]:
    """The latest display name of each responder: a probe of the `author_id` index each,
    where one GROUP BY over the brand's messages would cost a scan and a sort."""
    names = {}
    for author in responders:
        row = connection.execute(
            "SELECT author_name FROM messages WHERE author_id = ? AND from_brand = 1 "
            "AND author_name IS NOT NULL AND author_name != '' ORDER BY rowid DESC LIMIT 1",
            (author,)).fetchone()
        if row:
            names[author] = row[0]
    return names


def _read_jsonl(path: Path | None, err: TextIO) -> list[Message]:
    rejected: list[Rejected] = []
    if path is None or str(path) == "-":
        messages = list(read_messages(sys.stdin, "stdin", rejected=rejected))
    else:
        with open(path, encoding="utf-8", errors="replace") as fh:
            messages = list(read_messages(fh, path.name, rejected=rejected))
    for bad in rejected:
        print(f"skipped {bad.source}: {bad.error}", file=err)
    return messages


def _recent_messages(connection: sqlite3.Connection, since: datetime) -> list[Message]:
    """The store's messages on the platforms Facebook's label covers, from `since`."""
    platforms = ResponsivenessRules().platforms
    cursor = connection.execute(
        "SELECT platform, id, kind, public, author_id, author_name, text, ts, conversation_id, "
        f"in_reply_to, from_brand, automated FROM messages WHERE ts >= ? "
        f"AND platform IN ({', '.join('?' * len(platforms))}) ORDER BY ts",
        (since.timestamp(), *platforms))
    return [
        Message(platform=platform, id=mid, kind=kind, public=bool(public),
                author=Author(author_id, author_name or ""), text=text or "",
                created_at=datetime.fromtimestamp(ts, timezone.utc), conversation_id=conv,
                in_reply_to=reply_to, from_brand=bool(brand), automated=bool(automated))
        for (platform, mid, kind, public, author_id, author_name, text, ts, conv, reply_to, brand,
             automated) in cursor
    ]


def _format_facebook(shown: Any, forecast: Any) -> str:
    inbox = shown.inbox
    rate = "-" if inbox.response_rate is None else f"{100 * inbox.response_rate:.0f}%"
    minutes = "-" if inbox.response_seconds is None else f"{inbox.response_seconds / 60:.0f} min"
    lines = [
        "Facebook inbox (as customers see it)",
        f"  label: {shown.label or 'none'}; response time {minutes}, response rate {rate} "
        f"over {inbox.counted} counted messages",
        f"  very responsive badge: {'yes' if shown.very_responsive else 'no'}",
        f"  outlook: {forecast.describe()}",
    ]
    public = shown.public
    if public.counted:
        pub_minutes = "-" if public.response_seconds is None else f"{public.response_seconds / 60:.0f} min"
        pub_rate = "-" if public.response_rate is None else f"{100 * public.response_rate:.0f}%"
        lines.append(f"  public threads (not in the label): {pub_minutes}, rate {pub_rate} "
                     f"over {public.counted} counted messages")
    return "\n".join(lines)


def _time_arg(value: str) -> datetime:
    try:
        return parse_time(value, "time")
    except MessageFormatError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the subcommand on its own (`python -m webcare.commands_metrics ...`)."""
    parser = argparse.ArgumentParser(prog="webcare")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["metrics", *(argv if argv is not None else sys.argv[1:])])
    return args.handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
