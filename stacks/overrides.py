"""Reading configuration overrides from the cdktf context, and checking their JSON types.

The context comes from ``CDKTF_CONTEXT_JSON`` (set by the cdktf CLI) or, when a user runs
``python main.py`` directly, from the ``context`` of ``cdktf.json``: both give the same result.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from stacks.errors import ConfigError

CONTEXT_ENV = "CDKTF_CONTEXT_JSON"


def read_context(project_dir: Path) -> dict[str, Any]:
    """The cdktf context: CDKTF_CONTEXT_JSON if set, else cdktf.json's ``context``."""
    raw = os.environ.get(CONTEXT_ENV)
    if raw is not None:
        context = _parse(CONTEXT_ENV, raw)
    else:
        path = project_dir / "cdktf.json"
        try:
            document = _parse(path.name, path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        if not isinstance(document, dict):
            raise ConfigError(f"{path.name}: expected a JSON object, got {type(document).__name__}")
        context = document.get("context", {})
    if not isinstance(context, dict):
        raise ConfigError(f"context: {context!r} is not valid; expected a JSON object of stack name -> overrides")
    return context


def ignored_file_context(project_dir: Path) -> list[str]:
    """The settings of cdktf.json's context that a CDKTF_CONTEXT_JSON leaves out, as ``<key>.<field>`` (or ``<key>``
    for a whole object), in cdktf.json's order; [] without the variable. The variable replaces the file's context as a
    whole, as the cdktf CLI means it to (the CLI sets it to the file's context with its own additions); set by hand, it
    silently drops everything else. Keys whose value is not an object (cdktf's own flags) are not settings."""
    raw = os.environ.get(CONTEXT_ENV)
    path = project_dir / "cdktf.json"
    if raw is None or not path.is_file():
        return []
    document = _parse(path.name, path.read_text(encoding="utf-8"))
    file_context = document.get("context", {}) if isinstance(document, dict) else {}
    given = read_context(project_dir)
    ignored = []
    for key, settings in file_context.items() if isinstance(file_context, dict) else ():
        if not isinstance(settings, dict):
            continue
        if not isinstance(given.get(key), dict):
            ignored.append(key)
            continue
        ignored += [f"{key}.{name}" for name in settings if name not in given[key]]
    return ignored


def _parse(source: str, raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{source}: malformed JSON: {error.msg} at line {error.lineno} column {error.colno}") from None


def suggest(name: str, choices: typing.Iterable[str]) -> str:
    """``; did you mean 'x'?`` for the closest of ``choices``, or "" when none is close."""
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


# The top-level context keys that are cdktf's own, not ours. cdktf 0.21 reads cdktfJsonPath (terraform-asset.ts),
# cdktfRelativeModules and cdktfStaticModuleAssetHash (terraform-module-asset.ts), cdktfVersion (terraform-stack.ts) and
# @cdktf/disable_stack_trace_in_metadata (annotations.ts; app.ts sets the last two); its CLI adds cdktfRelativeModules to
# CDKTF_CONTEXT_JSON when it runs the app (@cdktf/cli-core, synth-stack.ts). The feature flags `cdktf init` wrote into
# cdktf.json before 0.15 (features.ts, FUTURE_FLAGS: excludeStackIdFromLogicalIds, allowSepCharsInLogicalIds) are no
# longer read (0.21's FUTURE_FLAGS is empty) but stay in older projects' cdktf.json, harmless.
CDKTF_KEYS = frozenset(
    {
        "cdktfJsonPath",
        "cdktfRelativeModules",
        "cdktfStaticModuleAssetHash",
        "cdktfVersion",
        "@cdktf/disable_stack_trace_in_metadata",
        "excludeStackIdFromLogicalIds",
        "allowSepCharsInLogicalIds",
    }
)


def select(context: Mapping[str, Any], allowed_keys: tuple[str, ...], unknown: Callable[[str, Any], str]) -> dict[str, dict[str, Any]]:
    """The override objects of the context, keyed by stack name.

    Each key of ``allowed_keys`` holds an object; cdktf's own keys (CDKTF_KEYS) are left alone; any other key is a
    mistake (nothing would read it): a ConfigError with ``unknown(key, value)``.
    """
    selected = {}
    for key, value in context.items():
        if key in CDKTF_KEYS:
            continue
        if key not in allowed_keys:
            raise ConfigError(unknown(key, value))
        if not isinstance(value, dict):
            raise ConfigError(f'{key}: {value!r} is not valid; expected an object of field -> value, such as {{"max_capacity": 4}}')
        selected[key] = value
    return selected


def coerce(values: Mapping[str, Any], field_types: Mapping[str, Any]) -> dict[str, Any]:
    """Check each JSON value against the dataclass field's type; lists become tuples."""
    result = {}
    for name, value in values.items():
        if name not in field_types:
            raise ConfigError(f"unknown field {name!r}{suggest(name, field_types)}")
        result[name] = _coerce_value(name, value, field_types[name])
    return result


_SCALARS = {bool: "true or false", int: "a whole number", float: "a number", str: "a string", type(None): "null"}


def _describe(annotation: Any) -> str:
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_describe(arg) for arg in typing.get_args(annotation))
    if origin is tuple:
        item = typing.get_args(annotation)[0]
        return "a list of objects" if dataclasses.is_dataclass(item) else f"a list of {_describe(item).removeprefix('a ')}s"
    if origin is dict:
        return "an object of string values"
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(arg) for arg in typing.get_args(annotation))
    return str(annotation)


def _coerce_value(name: str, value: Any, annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is tuple and dataclasses.is_dataclass(typing.get_args(annotation)[0]):
        if not isinstance(value, list):
            raise ConfigError(f"{name}: {value!r} has the wrong type; expected a list of objects")
        return tuple(_coerce_object(f"{name}[{index}]", item, typing.get_args(annotation)[0]) for index, item in enumerate(value))
    if origin in (types.UnionType, typing.Union):
        for arg in typing.get_args(annotation):
            if (arg is type(None) and value is None) or (arg is not type(None) and _matches(value, arg)):
                return tuple(value) if isinstance(value, list) else value
    elif _matches(value, annotation):
        if origin is tuple:
            return tuple(value)
        if origin is dict:
            return dict(value)
        return value
    problem = "is not valid" if origin is typing.Literal and isinstance(value, str) else "has the wrong type"
    raise ConfigError(f"{name}: {value!r} {problem}; expected {_describe(annotation)}")


def _coerce_object(name: str, value: Any, cls: Any) -> Any:
    """A JSON object as the dataclass ``cls``: its fields' types checked as above, then the class's own rules; every
    error names ``name`` (e.g. sidecars[0]) and the field."""
    if not isinstance(value, dict):
        raise ConfigError(f"{name}: {value!r} has the wrong type; expected an object")
    hints = typing.get_type_hints(cls)
    fields = {item.name: hints[item.name] for item in dataclasses.fields(cls)}
    missing = [item.name for item in dataclasses.fields(cls) if item.name not in value and item.default is dataclasses.MISSING
               and item.default_factory is dataclasses.MISSING]  # fmt: skip
    if missing:
        raise ConfigError(f"{name}: {', '.join(missing)} missing; expected an object with {', '.join(fields)}")
    try:
        return cls(**coerce(value, fields))
    except ConfigError as error:
        message = str(error)
        raise ConfigError(f"{name}: {message}" if message.startswith("unknown field") else f"{name}.{message}") from None


def _matches(value: Any, annotation: Any) -> bool:
    if annotation is float:
        return type(value) in (int, float)
    if annotation in _SCALARS:
        # bool is a subclass of int in Python, not in JSON: true is no whole number.
        return type(value) is annotation
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is tuple:
        return isinstance(value, list) and all(_matches(item, args[0]) for item in value)
    if origin is dict:
        return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    return origin is typing.Literal and isinstance(value, str) and value in args
