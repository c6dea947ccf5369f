"""`webcare replay` end to end: real files, real SQLite, real processes, and kill -9."""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from webcare.cli import main

from conftest import T0, msg, storm_stream, write_jsonl


def busy_stream(n=3000, seed=5):
    """Background chatter with three storms and a customer who keeps trying."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        at = T0 + timedelta(seconds=40 * i)
        storm = (i // 300) % 3 == 1 and i % 300 < 120
        text = ("Dit is waardeloos, schandalig slecht georganiseerd! Terrible!" if storm or rng.random() < 0.03
                else rng.choice(["Leuk event, bedankt!", "Hoe laat is de start?", "Great run today :)"]))
        out.append(msg(f"m{i}", text, at=at, platform=rng.choice(["facebook", "x"]), author=f"u{rng.randrange(400)}"))
        if i % 500 == 250:
            out.append(msg(f"mail{i}", "Where is my refund? Still nothing.", at=at, platform="email",
                           kind="email", public=False, author="marieke@example.nl", name="Marieke de Vries"))
    return out


def replay(*args):
    return [sys.executable, "-m", "webcare.cli", "replay", *map(str, args), "--quiet", "--batch-size", "300"]


def final_state(db, alerts_file):
    conn = sqlite3.connect(db)
    messages = conn.execute("SELECT platform, id, text, created_at FROM messages ORDER BY platform, id").fetchall()
    scores = conn.execute("SELECT platform, id, label FROM scores ORDER BY platform, id").fetchall()
    alerts = conn.execute("SELECT key, payload FROM alerts ORDER BY key").fetchall()
    pending = conn.execute("SELECT count(*) FROM deliveries WHERE delivered_at IS NULL").fetchone()[0]
    conn.close()
    lines = alerts_file.read_text().splitlines()
    return messages, scores, alerts, pending, lines


def test_replay_twice_stores_each_message_once_and_emits_each_alert_once(tmp_path, capsys, caplog):
    feed = write_jsonl(tmp_path / "feed.jsonl", storm_stream(20), extra_lines={5: "{broken"})
    out = tmp_path / "alerts.jsonl"
    assert main(["replay", str(feed), "--db", str(tmp_path / "w.db"), "--alerts-jsonl", str(out)]) == 0
    first = capsys.readouterr()
    assert "Complaint storm on facebook" in first.out
    assert "quarantined feed.jsonl:6: not valid JSON" in caplog.text  # the bad line, by number
    assert main(["replay", str(feed), "--db", str(tmp_path / "w.db"), "--alerts-jsonl", str(out)]) == 0
    second = capsys.readouterr()
    assert second.out == ""
    alerts = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(alerts) == len({(a["incident"], a["seq"]) for a in alerts}) > 0
    assert alerts[0]["playbook"] == "complaint-storm" and alerts[0]["update"] is False
    assert all(a["incident"] == alerts[0]["incident"] for a in alerts)
    conn = sqlite3.connect(tmp_path / "w.db")
    assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 20
    assert conn.execute("SELECT source FROM quarantine").fetchall() == [("feed.jsonl:6",)]


def test_alert_times_are_simulated_not_wall_clock(tmp_path):
    feed = write_jsonl(tmp_path / "feed.jsonl", storm_stream(10))
    out = tmp_path / "alerts.jsonl"
    main(["replay", str(feed), "--db", str(tmp_path / "w.db"), "--alerts-jsonl", str(out), "--quiet"])
    first = json.loads(out.read_text().splitlines()[0])
    assert first["at"] == (T0 + timedelta(minutes=8)).isoformat()  # the 5th message, 2 min apart


def test_missing_file_is_a_clear_error(tmp_path, capsys):
    assert main(["replay", str(tmp_path / "nope.jsonl"), "--db", str(tmp_path / "w.db")]) == 1
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_mid_replay_then_rerun_equals_an_uninterrupted_run(tmp_path, seed):
    feed = write_jsonl(tmp_path / "feed.jsonl", busy_stream())
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    clean_db, clean_out = tmp_path / "clean.db", tmp_path / "clean.jsonl"
    subprocess.run(replay(feed, "--db", clean_db, "--alerts-jsonl", clean_out), check=True, env=env,
                   capture_output=True)
    expected = final_state(clean_db, clean_out)
    assert expected[2], "the stream must raise alerts for this test to mean anything"

    db, out = tmp_path / "killed.db", tmp_path / "killed.jsonl"
    rng = random.Random(seed)
    proc = subprocess.Popen(replay(feed, "--db", db, "--alerts-jsonl", out), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    target = rng.randrange(1, 3000)
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:  # wait for progress, then kill
        try:
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
            stored = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
            conn.close()
        except sqlite3.Error:
            stored = 0
        if stored >= target:
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    subprocess.run(replay(feed, "--db", db, "--alerts-jsonl", out), check=True, env=env, capture_output=True)
    assert final_state(db, out) == expected


def test_the_same_stream_gives_the_same_alerts_in_the_same_order_in_every_run(tmp_path):
    """Eight of our posts fill up with complaints at once, so one tick opens eight incidents:
    two runs (with different string hashing, as any two processes have) must write the same
    alert file, line for line, or nobody can diff two replays of an incident."""
    stream = []
    for p in range(8):
        post = f"post{p}"
        stream.append(msg(post, f"Route {p} is bekend!", at=T0 + timedelta(seconds=p), kind="post",
                          author="brand", from_brand=True))
        stream += [msg(f"{post}c{i}", "Geen water bij km 10, schandalig", author=f"u{p}{i}",
                       at=T0 + timedelta(minutes=1 + i, seconds=p), conversation_id=post, in_reply_to=post)
                   for i in range(6)]
    stream.sort(key=lambda m: m.created_at)
    feed = write_jsonl(tmp_path / "feed.jsonl", stream)
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"alerts{seed}.jsonl"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(replay(feed, "--db", tmp_path / f"w{seed}.db", "--alerts-jsonl", out, "--tail-minutes", 60),
                       check=True, env=env, capture_output=True)
        outputs.append(out.read_text())
    opened = [json.loads(line) for line in outputs[0].splitlines() if json.loads(line)["kind"] == "open"]
    assert len([a for a in opened if a["playbook"] == "unanswered-pile-up"]) == 8
    assert outputs[0] == outputs[1]
