"""Build typed dataclasses from TOML tables, collecting every problem with its key path.

Shared by the config loader, the connector options and the playbook loader, so each of them
explains a bad value the same way: `connectors[0].poll_seconds: expected a number, got "x"`.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# A field's metadata may carry `check`: a callable returning a problem text or None.
CHECK = "check"
HELP = "help"


class SettingsError(ValueError):
    """One or more problems, each naming the key path and what was expected."""

    def __init__(self, problems: list[str], source: str | None = None):
        self.problems = problems
        self.source = source
        head = f"{source}: " if source else ""
        super().__init__(head + "; ".join(problems))


def setting(default: Any = dataclasses.MISSING, *, check=None, help: str = "", factory=None):
    """A dataclass field with a validation hook and a line of help text."""
    meta = {CHECK: check, HELP: help}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def build(cls: type, data: Any, path: str, problems: list[str], *, ignore: tuple[str, ...] = ()):
    """Instantiate dataclass `cls` from `data`; append problems instead of raising."""
    if not isinstance(data, dict):
        problems.append(f"{path or '(top level)'}: expected a table, got {_describe(data)}")
        return None
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    for key in data:
        if key not in fields and key not in ignore:
            known = ", ".join(sorted({*fields, *ignore})) or "none"
            problems.append(f"{_join(path, key)}: unknown key (known keys: {known})")
    values: dict[str, Any] = {}
    for name, f in fields.items():
        key_path = _join(path, name)
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                problems.append(f"{key_path}: missing required key ({describe_type(hints[name])})")
            continue
        before = len(problems)
        value = convert(hints[name], data[name], key_path, problems)
        if len(problems) > before:
            continue
        check = f.metadata.get(CHECK)
        if check is not None:
            problem = check(value)
            if problem:
                problems.append(f"{key_path}: {problem}")
                continue
        values[name] = value
    try:
        return cls(**values)
    except TypeError:
        return None  # a required value was missing; already reported


def convert(hint: Any, value: Any, path: str, problems: list[str]) -> Any:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        if value is None and len(options) < len(get_args(hint)):
            return None
        if len(options) == 1:
            return convert(options[0], value, path, problems)
    if origin is Literal:
        allowed = get_args(hint)
        if value not in allowed:
            problems.append(f"{path}: expected one of {', '.join(map(repr, allowed))}, got {_describe(value)}")
        return value
    if origin in (list, tuple):
        (item,) = get_args(hint)[:1]
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list of {describe_type(item)}, got {_describe(value)}")
            return value
        return [convert(item, v, f"{path}[{i}]", problems) for i, v in enumerate(value)]
    if origin is dict:
        _, item = get_args(hint)
        if not isinstance(value, dict):
            problems.append(f"{path}: expected a table, got {_describe(value)}")
            return value
        return {k: convert(item, v, _join(path, k), problems) for k, v in value.items()}
    if dataclasses.is_dataclass(hint):
        return build(hint, value, path, problems)
    if hint is Any:
        return value
    if hint is bool:
        if not isinstance(value, bool):
            problems.append(f"{path}: expected true or false, got {_describe(value)}")
        return value
    if hint is int:
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{path}: expected a whole number, got {_describe(value)}")
        return value
    if hint is float:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            problems.append(f"{path}: expected a number, got {_describe(value)}")
            return value
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            problems.append(f"{path}: expected a string, got {_describe(value)}")
        return value
    raise TypeError(f"unsupported setting type {hint!r} at {path}")  # a programming error


def describe_type(hint: Any) -> str:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return " or ".join(describe_type(a) for a in get_args(hint) if a is not type(None))
    if origin is Literal:
        return "one of " + ", ".join(map(repr, get_args(hint)))
    if origin in (list, tuple):
        return f"a list of {describe_type(get_args(hint)[0])}"
    if origin is dict or dataclasses.is_dataclass(hint):
        return "a table"
    return {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}.get(hint, str(hint))


def option_paths(cls: type, prefix: str = "") -> list[str]:
    """Every key path a dataclass accepts (nested tables included): for docs and tests."""
    out = []
    hints = get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        path = _join(prefix, f.name)
        hint = hints[f.name]
        inner = _dataclass_in(hint)
        if inner is not None:
            out.extend(option_paths(inner, path))
        else:
            out.append(path)
    return out


def _dataclass_in(hint: Any):
    if dataclasses.is_dataclass(hint):
        return hint
    if get_origin(hint) in (list, tuple, Union, types.UnionType):
        for arg in get_args(hint):
            if dataclasses.is_dataclass(arg):
                return arg
    return None


# --- checks used by field metadata --------------------------------------------------------

def positive(value: float) -> str | None:
    return None if value > 0 else f"expected a number above 0, got {value!r}"


def at_least(minimum: float):
    def check(value: float) -> str | None:
        return None if value >= minimum else f"expected at least {minimum}, got {value!r}"
    return check


def env_name(value: str) -> str | None:
    if value == "" or ENV_NAME.match(value):
        return None
    return f"expected the NAME of an environment variable (letters, digits, _), got {value!r}"


def api_address(value: str) -> str | None:
    """Where a connector sends its token: https, or http only to this machine (a test server,
    a local proxy); over http anywhere else the token crosses the network readable."""
    from ipaddress import ip_address
    from urllib.parse import urlsplit

    try:
        url = urlsplit(value)
        host = url.hostname or ""
    except ValueError:
        url, host = None, ""
    if url is not None and host and url.scheme == "https":
        return None
    if url is not None and url.scheme == "http" and host:
        try:
            local = host == "localhost" or ip_address(host).is_loopback
        except ValueError:
            local = False
        if local:
            return None
        return (f"expected an https:// address (over http:// the access token would cross the "
                f"network readable; http:// is only accepted for this machine), got {value!r}")
    return f"expected an address such as https://example.org, got {value!r}"


def timezone_name(value: str) -> str | None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"expected an IANA time zone such as 'Europe/Amsterdam', got {value!r}"
    return None


def iso_time(value: str) -> str | None:
    from webcare.models import MessageFormatError, parse_time

    try:
        parse_time(value)
    except MessageFormatError as exc:
        return exc.problem
    return None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, (int, float)):
        return f"number {value!r}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return typing.cast(str, type(value).__name__)
