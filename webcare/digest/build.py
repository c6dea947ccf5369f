"""Read what a digest needs from the store and hand it to the pure `content.compose`.

This is an edge: it runs the store's digest queries (each bounded by the `ts` index and
aggregated in SQL, so a store with a million messages costs what the period holds) and
passes values on. `digest_provider` plugs the digest into the Telegram `/digest` command.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Awaitable, Callable, NamedTuple
from zoneinfo import ZoneInfo

from webcare.digest.config import DigestConfig
from webcare.digest.content import (
    Digest,
    DigestInputs,
    baseline_start,
    compose,
    facebook_label,
    response_since,
    waiting_rows,
)
from webcare.digest.schedule import Period, today_so_far
from webcare.digest.topics import complaint_topics
from webcare.metrics import MetricsConfig, first_responses_from_columns
from webcare.responsiveness import ResponsivenessRules
from webcare.store import Store, beside, in_worker

log = logging.getLogger(__name__)

FACEBOOK_WINDOW = timedelta(days=32)  # the 30-day label window and the 24 h silences before it
FACEBOOK_LOOKBACK = timedelta(days=90)  # when that window holds fewer than 10 counted messages
WAITING_SHOWN = 10

# Words that say nothing about what a complaint is about (beyond the stopword lists and the
# sentiment lexicons): generic customer-service and event vocabulary.
GENERIC_WORDS = frozenset("""
    organisatie georganiseerd organiseren klacht klachten reactie reacties bericht berichten vraag
    vragen info informatie jullie iedereen mensen keer uur minuten min paar ooit helemaal
    gewoon zelfs eerst zeggen zegt gezegd vind vinden hoe wat waarom weer staat stonden
    door enkele enkel kant gehad groet groeten hallo hoi beste geachte kwamen kwam hoeveel eerste
    laatste man vrouw hele heel half halve andere ander elkaar iets ieder wel waren gaat
    moest moesten konden kon zouden hadden had alsof omdat terwijl totdat vanaf via
    organisation organised organized complaint complaints reply message question info anyone
    everyone people hour hours minutes minute nobody whatsoever absolutely completely
    https http www com
""".split())


def digest_config(config) -> DigestConfig:
    """The `[digest]` section (its defaults while the config has none)."""
    return getattr(config, "digest", None) or DigestConfig()


def digest_tz(config) -> tzinfo:
    return ZoneInfo(digest_config(config).timezone_or(config.brand.timezone))


def metrics_config(config) -> MetricsConfig:
    metrics = getattr(config, "metrics", None)
    return metrics if isinstance(metrics, MetricsConfig) else MetricsConfig()


@lru_cache(maxsize=8)
def ignore_words(brand: str) -> frozenset[str]:
    """Stopwords (Dutch, English), opinion words from the sentiment lexicons, generic words
    and the brand's own name and its parts: what is left of a complaint names its subject."""
    from webcare.classify.language import STOPWORDS
    from webcare.classify.lexicon_nl import DATA, load_tsv

    words = set(STOPWORDS["nl"]) | set(STOPWORDS["en"]) | GENERIC_WORDS
    words |= set(load_tsv(DATA / "lexicon_nl_pattern.tsv")) | set(load_tsv(DATA / "vocab_nl.tsv"))
    words |= _vader_words()
    for part in brand.lower().split():  # "Zuiderloop": not 'zuiderloop', nor 'loop' or 'zuider'
        words |= {part[i:j] for i in range(len(part)) for j in range(i + 4, len(part) + 1)}
    return frozenset(w for w in words if " " not in w)


def _vader_words() -> set[str]:
    import vaderSentiment

    path = Path(vaderSentiment.__file__).with_name("vader_lexicon.txt")
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return set()
    return {line.split("\t", 1)[0].lower() for line in lines if "\t" in line}


def read_inputs(store: Store, config, period: Period, now: datetime) -> DigestInputs:
    """Everything the digest of `period` (cut at `now`) needs, read from the store."""
    period = period.cut(now)
    # the largest single read (a month of the inbox, a third of the time), beside the others
    facebook = beside(store, lambda reader: read_facebook_label(reader, now))
    cfg = digest_config(config)
    metrics = metrics_config(config)
    origin = baseline_start(period)
    volume = store.digest_volume(origin, origin, max(period.end, period.start),
                                 detail_from=period.previous().start)
    columns = store.digest_response_columns(response_since(period, now), metrics.gap, until=now)
    pairs = first_responses_from_columns(columns, metrics.gap) if len(columns) else None
    waiting = waiting_rows(columns.store_rows, pairs, now) if pairs is not None else []
    counts, examples = store.digest_waiting([rowid for rowid, _, _ in waiting], WAITING_SHOWN)
    inputs = DigestInputs(
        brand=config.brand.name, period=period, now=now, origin=origin, volume=volume, pairs=pairs,
        complaints=(), waiting=waiting, waiting_counts=counts, waiting_examples=examples,
        incidents=store.incidents(), connectors=store.connector_status(), facebook=facebook(),
        metrics=metrics, ignore_words=ignore_words(config.brand.name), gap_hours=cfg.gap_hours,
        waiting_shown=WAITING_SHOWN)
    return read_topics(store, inputs)


class _Said(NamedTuple):
    """What the topics read of a complaint (`topics.complaint_topics` wants `.text`, `.url`)."""

    text: str
    url: str | None


def read_topics(store: Store, inputs: DigestInputs) -> DigestInputs:
    """`inputs` with the period's complaint topics: found in the complaints' texts alone,
    then only their examples are built as messages (a busy day has thousands of complaints)."""
    said = [(_Said(text, url), rowid) for rowid, text, url in
            store.digest_complaint_texts(inputs.period.start, inputs.period.end)]
    topics = complaint_topics(said, inputs.ignore_words, inputs.top_topics, inputs.examples_per_topic)
    built = store.digest_examples([rowid for topic in topics for _, rowid in topic.examples])
    topics = tuple(replace(topic, examples=tuple(built[rowid] for _, rowid in topic.examples))
                   for topic in topics)
    return replace(inputs, topics=topics, complaint_count=len(said))


def read_facebook_label(store: Store, now: datetime, rules: ResponsivenessRules | None = None):
    """Facebook's inbox label at `now`: from the DMs of the last 32 days (the 30-day window
    and the 24 h silences before it), or of 90 days when those hold under 10 counted ones."""
    rules = rules or ResponsivenessRules()

    def label_since(since: datetime):
        return facebook_label(store.digest_inbox_columns(rules.platforms, since, now), now, rules)

    label = label_since(now - FACEBOOK_WINDOW)
    if label is None or label.counted < rules.min_messages:
        label = label_since(now - FACEBOOK_LOOKBACK)
    return label


def build_digest(store: Store, config, period: Period, now: datetime) -> Digest:
    return compose(read_inputs(store, config, period, now))


def digest_provider(config, store: Store) -> Callable[[datetime], Awaitable[str]]:
    """`/digest` on Telegram: today so far against yesterday up to the same time, as plain
    text in the configured language (the bot escapes it). Built off the event loop."""
    from webcare.digest.render import render_text

    cfg = digest_config(config)
    tz = digest_tz(config)
    _warm_up(config, store, tz)

    async def provider(now: datetime) -> str:
        digest = await in_worker(store, lambda s: build_digest(s, config, today_so_far(now, tz), now))
        return render_text(digest, cfg.language)

    return provider


def _warm_up(config, store: Store, tz: tzinfo) -> None:
    """As the bot starts, in the background: read the topics' word lists (stopwords and three
    lexicons, about half a second), load the business calendars' public holidays (their
    country's module takes 0.2 s to import) and today's week of pairing columns, which the store
    then keeps (`Store.digest_response_columns`), so that the first `/digest` does none of it.
    Only a head start: a failure here is logged and the digest reads everything itself."""
    def run() -> None:
        try:
            ignore_words(config.brand.name)
            metrics = metrics_config(config)
            for hours in {id(h): h for h in (metrics.default_hours, *metrics.hours.values())}.values():
                copy.copy(hours).is_open_ts(time.time())  # a copy: the digest's own may be in use
            if store.path == ":memory:":
                return
            now = datetime.now(tz)
            reader = Store(store.path)
            try:
                reader.digest_response_columns(response_since(today_so_far(now, tz).cut(now), now),
                                               metrics.gap, until=now)
            finally:
                reader.close()
        except Exception:  # noqa: BLE001 - a head start only
            log.warning("digest: reading ahead at start failed", exc_info=True)

    threading.Thread(target=run, name="digest-warm-up", daemon=True).start()
