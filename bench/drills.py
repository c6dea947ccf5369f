"""Fault drills outside pytest: inject every fault we know, print what survived and what was lost.

    python bench/drills.py [--quick] [--markdown]

Runs the scenarios of tests/test_drills_*.py (imported from there, so the drills and the CI tests
are the same code): kill -9 of a live `webcare run`, every connector against a misbehaving fake,
Telegram outages and 429 storms, a full disk and a locked database, hostile messages and config
files. Prints one row per drill, the totals, the machine and how long it took. `--quick` runs one
kill seed instead of two; `--markdown` prints the table for docs/drills.md. About 1-2 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import logging
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

import test_drills_connectors as connectors_drill  # noqa: E402
import test_drills_hostile as hostile_drill  # noqa: E402
import test_drills_kill as kill_drill  # noqa: E402
import test_drills_storage as storage_drill  # noqa: E402
from run_all import machine  # noqa: E402  (bench/ is the script's own folder)
import test_drills_telegram as telegram_drill  # noqa: E402
from webcare import cli  # noqa: E402


@dataclass
class Row:
    drill: str
    faults: int
    survived: int
    lost_messages: int
    lost_alerts: int = 0
    sent_twice: int = 0
    note: str = ""
    seconds: float = 0.0


def kill_rows(tmp: Path, seeds: list[int]) -> list[Row]:
    rows = []
    for seed in seeds:
        started = time.monotonic()
        r = kill_drill.run_kill_drill(Path(tempfile.mkdtemp(dir=tmp)), seed)
        ok = r.finished and r.lost == 0 and r.undelivered == 0 and r.resumed_from_scratch == 0
        rows.append(Row(f"kill -9 `webcare run` (seed {seed})", len(r.kills), len(r.kills) if ok else 0, r.lost,
                        r.undelivered, r.sent_twice + r.duplicate_rows,
                        f"{r.stored} mentions, {r.incidents} incidents; restarts resumed "
                        f"{'from the committed cursor' if not r.resumed_from_scratch else 'FROM SCRATCH'}",
                        time.monotonic() - started))
    started = time.monotonic()
    r = kill_drill.run_kill_drill(Path(tempfile.mkdtemp(dir=tmp)), 3, in_flight=True)
    rows.append(Row("kill -9 with an alert in flight", 1, 1 if r.finished and r.lost == 0 else 0, r.lost,
                    r.undelivered, r.sent_twice, "known limit: at-least-once, the in-flight message is re-sent",
                    time.monotonic() - started))
    return rows


def connector_rows() -> list[Row]:
    rows = []
    for p in connectors_drill.PLATFORMS:
        started = time.monotonic()
        bad, lost = [], 0
        for fault in connectors_drill.FAULTS:
            out = asyncio.run(connectors_drill.run_cell(p, fault))
            if connectors_drill.problems(out):
                bad.append(fault)
            lost += len(out.lost)
        faults = len(connectors_drill.FAULTS)
        note = f"failed: {', '.join(bad)}" if bad else "429±reset, 5xx, timeout, truncated, wrong types, huge, expired"
        rows.append(Row(f"connector {p.name}: faulty platform", faults, faults - len(bad), lost, note=note,
                        seconds=time.monotonic() - started))
    return rows


def telegram_row(tmp: Path) -> Row:
    started = time.monotonic()
    r = telegram_drill.run_telegram_storm(Path(tempfile.mkdtemp(dir=tmp)), 1)
    in_order = list(dict.fromkeys(r.sends)) == r.opened
    ok = r.pending == 0 and r.orphans == 0 and in_order
    return Row("Telegram down 15 min, then 429 storms", r.faults, r.faults if ok else 0, 0, r.pending, r.orphans,
               f"{r.alerts} alerts queued (peak {r.pending_peak}), {'in order' if in_order else 'OUT OF ORDER'}, "
               f"outage logged {r.outage_warnings}x", time.monotonic() - started)


def storage_rows(tmp: Path) -> list[Row]:
    rows = []
    for fault in ("disk-full", "locked"):
        started = time.monotonic()
        r = storage_drill.run_storage_drill(Path(tempfile.mkdtemp(dir=tmp)), fault)
        ok = r.lost == 0 and r.integrity == "ok" and r.alerts_after == r.expected_alerts and r.alert_keys_unique
        said = re.sub(r"/\S+/", "", r.explained[0])[:80]  # without the temporary folder
        rows.append(Row(f"store: {fault}", r.faults, r.faults if ok else 0, r.lost,
                        max(0, r.expected_alerts - r.alerts_after), 0,
                        f"integrity {r.integrity}; the bot said: {said}",
                        time.monotonic() - started))
    return rows


def hostile_rows(tmp: Path) -> list[Row]:
    started = time.monotonic()
    r = hostile_drill.run_hostile_input(Path(tempfile.mkdtemp(dir=tmp)))
    clean = sum(not hostile_drill.INVISIBLE.search(t) for t in r.shown.values())
    rows = [Row("hostile message texts and names", len(hostile_drill.HOSTILE), clean if not r.plain_fallbacks else 0,
                r.messages - r.stored_exactly, r.telegram_pending, 0,
                "HTML/Markdown, controls, 100 kB, RTL/zero-width, emoji floods: shown literally",
                time.monotonic() - started)]
    started = time.monotonic()
    rows.append(_lone_surrogate(Path(tempfile.mkdtemp(dir=tmp))))
    rows[-1].seconds = time.monotonic() - started
    started = time.monotonic()
    explained = 0
    cases = [text for _, text, _ in hostile_drill.BAD_CONFIGS] + ['[[connectors]]\ntype = []\nname = "m"\n']
    for n, text in enumerate(cases):
        path = tmp / f"bad-{n}.toml"
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err):
                code = cli.main(["check-config", str(path)])
        except Exception:  # noqa: BLE001 - a crash is what this drill counts
            code = -1
        explained += code == 1 and "Traceback" not in err.getvalue()
    rows.append(Row("hostile config files", len(cases), explained, 0,
                    note="wrong types, unknown keys, garbage; `type = []` crashes the loader"
                    if explained < len(cases) else "wrong types, unknown keys, garbage: explained",
                    seconds=time.monotonic() - started))
    return rows


def _lone_surrogate(tmp: Path) -> Row:
    """A text cut in the middle of an emoji (a lone surrogate) between two good messages."""
    import json

    from conftest import msg
    from webcare.store import Store

    lines = [json.dumps(msg("before", "eerst").to_dict()),
             json.dumps({**msg("cut", "x").to_dict(), "text": "kapot \ud83d"}),
             json.dumps(msg("after", "daarna").to_dict())]
    feed = tmp / "cut.jsonl"
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    note = "stored or quarantined"
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            cli.main(["replay", str(feed), "--db", str(tmp / "w.db"), "--quiet"])
    except Exception as exc:  # noqa: BLE001
        note = f"BUG: {type(exc).__name__}: the batch can never be stored, later messages stall"
    store = Store(tmp / "w.db")
    kept = store.count_messages() + len(store.quarantined())
    store.close()
    return Row("lone surrogate in a message text", 1, int(kept == 3), 3 - kept, note=note)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one kill seed instead of two")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = parser.parse_args()
    logging.getLogger().addHandler(logging.NullHandler())  # the drills provoke warnings on purpose
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="webcare-drills-") as tmp:
        work = Path(tmp)
        rows = kill_rows(work, [1] if args.quick else [1, 2])
        rows += connector_rows()
        rows.append(telegram_row(work))
        rows += storage_rows(work)
        rows += hostile_rows(work)
    total = Row("total", sum(r.faults for r in rows), sum(r.survived for r in rows),
                sum(r.lost_messages for r in rows), sum(r.lost_alerts for r in rows), sum(r.sent_twice for r in rows),
                seconds=time.monotonic() - started)
    print(render(rows, total, markdown=args.markdown))
    print()
    print(machine())


def render(rows: list[Row], total: Row, *, markdown: bool) -> str:
    head = ("drill", "faults", "survived", "msgs lost", "alerts lost", "sent twice", "s", "notes")
    cells = [(r.drill, r.faults, r.survived, r.lost_messages, r.lost_alerts, r.sent_twice, f"{r.seconds:.1f}", r.note)
             for r in [*rows, total]]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in cells])
    widths = [max(len(str(row[i])) for row in [head, *cells]) for i in range(len(head) - 1)]
    out = []
    for row in [head, *cells]:
        out.append("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                             for i, (c, w) in enumerate(zip(row, widths))) + "  " + str(row[-1]))
    return "\n".join(out)


if __name__ == "__main__":
    main()
