"""Wiring: turn a Config into a store, pipeline, sinks and connectors. No logic of its own."""

from __future__ import annotations

from pathlib import Path

from connectors import CONNECTORS, Connector, ConnectorContext
from webcare import playbooks
from webcare.config import Config
from webcare.engine import Engine
from webcare.pipeline import Pipeline
from webcare.sinks import AlertSink
from webcare.sinks.console import ConsoleSink
from webcare.sinks.jsonl import JsonlSink
from webcare.store import Store


def load_engine(config: Config) -> Engine:
    folder = config.resolve(config.engine.playbooks_dir) if config.engine.playbooks_dir else None
    return Engine(playbooks.load_dir(folder), sensitivity=config.engine.sensitivity)


def build_sinks(config: Config, *, console: bool | None = None, jsonl: Path | None = None) -> list[AlertSink]:
    sinks: list[AlertSink] = []
    if config.alerts.console if console is None else console:
        sinks.append(ConsoleSink())
    path = jsonl or (config.resolve(config.alerts.jsonl_path) if config.alerts.jsonl_path else None)
    if path is not None:
        sinks.append(JsonlSink(path))
    return sinks


def build_pipeline(config: Config, sinks: list[AlertSink], *, db: Path | str | None = None,
                   simulated: bool = False) -> Pipeline:
    store = Store(db if db is not None else config.resolve(config.store.path))
    return Pipeline(store, load_engine(config), sinks, brand_handles=config.brand.handles,
                    tick_seconds=config.runner.tick_seconds, simulated=simulated)


def build_connectors(config: Config, ctx: ConnectorContext) -> list[tuple[Connector, float]]:
    """Enabled connectors with their poll interval in seconds."""
    return [(CONNECTORS[c.type].create(c.name, c.options, ctx), c.poll_seconds)
            for c in config.connectors if c.enabled]
