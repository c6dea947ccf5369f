"""`webcare digest`: render the daily (or weekly) digest without sending it.

    webcare digest [--date D] [--out DIR] [--db DB] [--config CFG] [--lang nl|en] [--weekly]
                   [--now ISO]

Prints the digest as text; with `--out DIR` also writes digest.html (to check or e-mail
onward), digest.txt and chart.png. The figures are those the scheduled digest would send:
as of its planned time (the morning after the day, or after the week), or as of now for a
period that is still running. An edge: it reads the config, the database and the clock.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Sequence, TextIO

from webcare.models import MessageFormatError, parse_time
from webcare.settings import SettingsError


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `digest` subcommand; its handler is `run` (set as the `handler` default)."""
    p = subparsers.add_parser("digest", help="render the daily or weekly digest (text, HTML, chart) without sending")
    p.add_argument("--date", type=_date_arg, metavar="YYYY-MM-DD",
                   help="the day to report on; with --weekly, a day in the week (default: yesterday, "
                        "or the last whole week)")
    p.add_argument("--out", type=Path, metavar="DIR", help="also write digest.html, digest.txt and chart.png here")
    p.add_argument("--db", type=Path, help="database file (default: the config's store.path)")
    p.add_argument("--config", type=Path, default=_env_path("WEBCARE_CONFIG"),
                   help="config TOML (default: $WEBCARE_CONFIG, else the embedded default)")
    p.add_argument("--lang", choices=("nl", "en"), help="language (default: [digest] language)")
    p.add_argument("--weekly", action="store_true", help="the weekly digest, compared with the week before")
    p.add_argument("--now", type=_time_arg, metavar="ISO",
                   help="figures as of this time (default: when the digest goes out, or the clock if earlier)")
    p.set_defaults(handler=run)
    return p


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    from webcare import config as config_mod
    from webcare.digest.build import build_digest, digest_config, digest_tz
    from webcare.digest.render import render_html_page, render_text
    from webcare.digest.schedule import day_period, last_complete, trigger, week_period
    from webcare.store import Store

    out = out or sys.stdout
    err = err or sys.stderr
    try:
        cfg = config_mod.load(args.config)
    except SettingsError as exc:
        print(f"{exc.source or 'configuration'}: {len(exc.problems)} problem(s):", file=err)
        for problem in exc.problems:
            print(f"  - {problem}", file=err)
        return 2
    dcfg = digest_config(cfg)
    tz = digest_tz(cfg)
    lang = args.lang or dcfg.language
    kind = "week" if args.weekly else "day"
    clock = datetime.now(timezone.utc)
    if args.date is not None:
        period = week_period(args.date, tz, dcfg.weekday) if args.weekly else day_period(args.date, tz)
    else:
        period = last_complete(kind, dcfg, tz, args.now or clock)
    now = args.now or min(clock, trigger(kind, dcfg, tz).get_next_fire_time(None, period.full_end))
    if now <= period.start:
        print(f"webcare digest: {period.key} has not begun at {now.astimezone(tz):%Y-%m-%d %H:%M}", file=err)
        return 2
    path = args.db or cfg.resolve(cfg.store.path)
    if not Path(path).exists():
        print(f"webcare digest: {path}: no such database (has webcare run?)", file=err)
        return 2
    store = Store(path)
    try:
        digest = build_digest(store, cfg, period, now)
    finally:
        store.close()
    text = render_text(digest, lang)
    print(text, file=out)
    if args.out is not None:
        from webcare.digest.chart import digest_png

        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "digest.txt").write_text(text + "\n", encoding="utf-8")
        (args.out / "digest.html").write_text(render_html_page(digest, lang, "chart.png"), encoding="utf-8")
        (args.out / "chart.png").write_bytes(digest_png(digest, lang))
        print(f"wrote {args.out / 'digest.html'}, digest.txt and chart.png", file=err)
    return 0


def _date_arg(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {value!r}") from None


def _time_arg(value: str) -> datetime:
    try:
        return parse_time(value, "time")
    except MessageFormatError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the subcommand on its own (`python -m webcare.commands_digest ...`)."""
    parser = argparse.ArgumentParser(prog="webcare")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["digest", *(argv if argv is not None else sys.argv[1:])])
    return args.handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
