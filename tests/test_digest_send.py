"""Sending the digest on Telegram with the real python-telegram-bot client against a local
fake Bot API (which here also speaks sendPhoto). Time is a SimClock; nothing sleeps."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from fakes.telegram_api import BOT_USER, DATE0, ApiError, FakeBotApi, parse_html, utf16
from PIL import Image
from test_digest_content import AMS, DAY, NOW, at, fill_store

from webcare import config
from webcare.clock import SimClock
from webcare.digest.config import DigestConfig
from webcare.digest.send import schedule_digests
from webcare.engine import Engine
from webcare.pipeline import Pipeline
from webcare.playbooks import load_dir
from webcare.store import Store
from webcare.telegram.service import start_telegram

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
ALICE, LEAD, TEAM = 11, 33, -1001


class PhotoBotApi(FakeBotApi):
    """The shared fake plus sendPhoto: a multipart upload, a caption parsed like a message."""

    def __init__(self) -> None:
        super().__init__()
        self.photos: dict[tuple[int, int], bytes] = {}
        self._upload: bytes | None = None

    async def _handle(self, request):
        if request.match_info["method"].lower() == "sendphoto":
            form = await request.post()  # aiohttp keeps the parsed form: the base handler reads it again
            upload = form.get("photo")
            self._upload = upload.file.read() if hasattr(upload, "file") else None
            request = _BodyRead(request)
        return await super()._handle(request)

    async def api_sendphoto(self, p: dict) -> dict:
        chat = self._chat(p.get("chat_id"))
        if not self._upload:
            raise ApiError(400, "Bad Request: there is no photo in the request")
        raw = p.get("caption") or ""
        caption, entities = parse_html(raw) if (p.get("parse_mode") or "").upper() == "HTML" else (raw, [])
        if utf16(caption) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        width, height = Image.open(io.BytesIO(self._upload)).size
        message_id = next(self._ids)
        msg = {"message_id": message_id, "date": DATE0 + message_id, "chat": chat, "from": BOT_USER,
               "caption": caption, "photo": [{"file_id": f"photo{message_id}", "file_unique_id": f"u{message_id}",
                                              "width": width, "height": height, "file_size": len(self._upload)}]}
        self.messages[(chat["id"], message_id)] = msg
        self.photos[(chat["id"], message_id)] = self._upload
        self.rang[(chat["id"], message_id)] = not p.get("disable_notification", False)
        return msg

    def texts(self, chat_id: int) -> list[str]:
        return [m["text"] for m in self.sent(chat_id) if "text" in m]

    def pictures(self, chat_id: int) -> list[bytes]:
        return [self.photos[(chat_id, m["message_id"])] for m in self.sent(chat_id) if "photo" in m]


class _BodyRead:
    """The request as the base handler expects it, its (already parsed) body still readable."""

    can_read_body = True

    def __init__(self, request):
        self._request = request

    def __getattr__(self, name):
        return getattr(self._request, name)


def with_digest(cfg, **options):
    """The config with a [digest] section (works before and after Config gains the field)."""
    digest = DigestConfig(**options)
    names = {f.name for f in dataclasses.fields(cfg)}
    if "digest" in names:
        return dataclasses.replace(cfg, digest=digest)
    return SimpleNamespace(**{n: getattr(cfg, n) for n in names}, digest=digest)


class World:
    def __init__(self, fake, pipeline, clock, handle, cfg):
        self.fake, self.pipeline, self.clock, self.handle, self.cfg = fake, pipeline, clock, handle, cfg
        self.store = pipeline.store

    async def start_digests(self):
        """What `webcare run` does at start: schedule the jobs (sending a missed digest)."""
        self.scheduler = AsyncIOScheduler(timezone=timezone.utc)  # never started: no timers run
        return await schedule_digests(self.scheduler, self.cfg, self.pipeline, self.handle, self.clock.now)


def scenario(tmp_path, body, *, start=NOW, **digest_options) -> None:
    async def main() -> None:
        fake = await PhotoBotApi().start()
        for chat in (ALICE, LEAD, TEAM):
            fake.add_chat(chat)
        cfg = config.from_dict({"brand": {"timezone": "Europe/Amsterdam"}, "telegram": {
            "api_base_url": fake.base_url, "people": {"alice": ALICE, "lead": LEAD}, "chats": {"team": TEAM}}})
        cfg = with_digest(cfg, **digest_options)
        store = Store(tmp_path / "w.db")
        fill_store(store)
        clock = SimClock(start)
        pipeline = Pipeline(store, Engine(load_dir(None)), [], simulated=True)
        handle = await start_telegram(cfg, pipeline, clock.now, environ={"WEBCARE_TELEGRAM_TOKEN": fake.token},
                                      poll_timeout=5, release_every=3600)
        try:
            await asyncio.wait_for(handle.ready.wait(), 10)
            await asyncio.wait_for(body(World(fake, pipeline, clock, handle, cfg)), 60)
        finally:
            await handle.stop()
            store.close()
            await fake.stop()

    asyncio.run(main())


def test_the_digest_goes_out_at_eight_with_its_chart_and_only_once(tmp_path):
    async def body(w: World):
        sender = await w.start_digests()  # 08:00 sharp: due now
        (text,) = w.fake.texts(LEAD)
        assert text.startswith("📊 Zuiderloop — Dagoverzicht wo 14 okt 2026")
        assert "16 van klanten" in text and "medaille: 6 klachten" in text and "Later verstuurd" not in text
        (png,) = w.fake.pictures(LEAD)
        Image.open(io.BytesIO(png)).load()
        (photo,) = [m for m in w.fake.sent(LEAD) if "photo" in m]
        assert photo["caption"].startswith("📈 Berichten per uur naar sentiment, wo 14 okt 2026")
        assert w.store.digest_run("lead", "2026-10-14")["sent_at"] == NOW.timestamp()
        w.clock.set(NOW + timedelta(minutes=5))
        assert await sender.send_due() == 0  # the retry job, the cron job, a restart: nothing new
        await w.start_digests()
        assert len(w.fake.sent(LEAD)) == 2
        assert w.fake.sent(TEAM) == []
    scenario(tmp_path, body)


def test_the_jobs_fire_at_eight_local_time_across_the_clock_change(tmp_path):
    async def body(w: World):
        w.clock.set(datetime(2026, 10, 24, 7, 0, tzinfo=AMS))
        await w.start_digests()
        jobs = {job.id: job for job in w.scheduler.get_jobs()}
        assert set(jobs) == {"digest-day", "digest-week", "digest-retry"}
        after = datetime(2026, 10, 24, 9, 0, tzinfo=AMS)
        day = jobs["digest-day"].trigger.get_next_fire_time(None, after)
        assert day.astimezone(timezone.utc) == datetime(2026, 10, 25, 7, 0, tzinfo=timezone.utc)
        week = jobs["digest-week"].trigger.get_next_fire_time(None, after)
        assert week.astimezone(timezone.utc) == datetime(2026, 10, 26, 7, 0, tzinfo=timezone.utc)
    scenario(tmp_path, body)


def test_telegram_down_at_eight_sends_late_once(tmp_path, caplog):
    async def body(w: World):
        w.fake.down = True
        with caplog.at_level(logging.WARNING, logger="webcare.digest.send"):
            sender = await w.start_digests()
            w.clock.set(NOW + timedelta(minutes=5))
            assert await sender.send_due() == 0
        assert len([r for r in caplog.records if "due but not sent" in r.getMessage()]) == 1  # said once
        assert w.store.digest_run("lead", "2026-10-14")["sent_at"] is None
        w.fake.down = False
        w.clock.set(at(DAY + timedelta(days=1), 9, 40))
        assert await sender.send_due() == 1
        (text,) = w.fake.texts(LEAD)
        assert "⏰ Later verstuurd dan gepland (08:00)" in text
        assert len(w.fake.pictures(LEAD)) == 1
        w.clock.set(at(DAY + timedelta(days=1), 9, 45))
        assert await sender.send_due() == 0
        await w.start_digests()  # webcare restarts: still once
        assert len(w.fake.sent(LEAD)) == 2
    scenario(tmp_path, body)


def test_webcare_down_at_eight_sends_the_missed_digest_at_start_once(tmp_path):
    async def body(w: World):
        await w.start_digests()
        assert len(w.fake.texts(LEAD)) == 1 and "Later verstuurd dan gepland (08:00)" in w.fake.texts(LEAD)[0]
        w.clock.set(at(DAY + timedelta(days=1), 11, 0))
        await w.start_digests()
        assert len(w.fake.texts(LEAD)) == 1
        w.clock.set(at(DAY + timedelta(days=2), 7, 59))  # next morning: nothing until eight
        sender = await w.start_digests()
        assert len(w.fake.texts(LEAD)) == 1
        w.clock.set(at(DAY + timedelta(days=2), 8, 0))
        assert await sender.send_due() == 1
        assert "do 15 okt 2026" in w.fake.texts(LEAD)[-1]
    scenario(tmp_path, body, start=at(DAY + timedelta(days=1), 10, 15))


def test_flood_control_between_text_and_chart_resumes_with_the_chart(tmp_path):
    async def body(w: World):
        w.fake.fail_next("sendPhoto", 429, retry_after=30)
        sender = await w.start_digests()
        assert len(w.fake.texts(LEAD)) == 1 and w.fake.pictures(LEAD) == []
        w.clock.set(NOW + timedelta(minutes=5))
        assert await sender.send_due() == 1
        assert len(w.fake.texts(LEAD)) == 1 and len(w.fake.pictures(LEAD)) == 1
    scenario(tmp_path, body)


def test_each_recipient_gets_its_language_and_a_blocked_chat_holds_nobody_up(tmp_path):
    async def body(w: World):
        w.fake.blocked.add(TEAM)
        await w.start_digests()
        assert w.fake.texts(LEAD)[0].startswith("📊 Zuiderloop — Daily digest Wed 14 Oct 2026")
        assert w.fake.sent(TEAM) == []
        run = w.store.digest_run("team", "2026-10-14")
        assert run["sent_at"] is not None and run["chats"] == {str(TEAM): {"refused": True}}
        calls = len(w.fake.calls)
        w.clock.set(NOW + timedelta(minutes=5))
        await w.start_digests()
        assert len(w.fake.calls) == calls  # nothing retried
    scenario(tmp_path, body, recipients=["lead", "team"], languages={"lead": "en"})


def test_no_telegram_no_digest_jobs(tmp_path):
    async def main():
        scheduler = AsyncIOScheduler(timezone=timezone.utc)
        store = Store(tmp_path / "x.db")
        pipeline = Pipeline(store, Engine(load_dir(None)), [], simulated=True)
        assert await schedule_digests(scheduler, with_digest(config.default()), pipeline, None, lambda: NOW) is None
        assert scheduler.get_jobs() == []
        store.close()
    asyncio.run(main())
