"""The commands each device kind accepts, loaded from `data/commands.yaml`, and the check of a command's parameters."""

from __future__ import annotations

import math
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel

from digipark.core.errors import field_error


class CommandParam(BaseModel):
    key: str
    label: str
    type: Literal["number", "integer", "boolean"]
    min: float | None = None
    max: float | None = None
    unit: str | None = None


class CommandSpec(BaseModel):
    name: str
    label: str
    safety: bool = False
    timeout_s: int
    max_attempts: int = 3
    params: list[CommandParam] = []


@cache
def command_catalogue() -> dict[str, dict[str, CommandSpec]]:
    """device kind -> command name -> its description."""
    text = resources.files("digipark.devices").joinpath("data/commands.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)["kinds"]
    return {kind: {c["name"]: CommandSpec(**c) for c in commands} for kind, commands in raw.items()}


def commands_of(kind: str) -> list[CommandSpec]:
    return list(command_catalogue().get(kind, {}).values())


def command_spec(kind: str, name: str) -> CommandSpec | None:
    return command_catalogue().get(kind, {}).get(name)


def checked_params(spec: CommandSpec, raw: dict[str, Any]) -> dict[str, Any]:
    """The parameters of a command checked against its description (422 naming the parameter otherwise); text from
    a form ("12.5", "on") is read as its type."""
    known = {p.key for p in spec.params}
    extra = sorted(set(raw) - known)
    if extra:
        raise field_error(f"params.{extra[0]}", "this command has no such parameter")
    out: dict[str, Any] = {}
    for param in spec.params:
        field = f"params.{param.key}"
        if param.key not in raw or raw[param.key] in (None, ""):
            raise field_error(field, "required")
        value = raw[param.key]
        if param.type == "boolean":
            if isinstance(value, str) and value.lower() in ("true", "on", "1", "false", "off", "0"):
                value = value.lower() in ("true", "on", "1")
            if not isinstance(value, bool):
                raise field_error(field, "not a boolean")
            out[param.key] = value
            continue
        if isinstance(value, bool):
            raise field_error(field, "not a number")
        try:
            number = float(value) if not isinstance(value, int) else value
        except (TypeError, ValueError):
            raise field_error(field, "not a number") from None
        if isinstance(number, float) and not math.isfinite(number):
            raise field_error(field, "not a number")
        if param.type == "integer":
            if float(number) != int(number):
                raise field_error(field, "not a whole number")
            number = int(number)
        if (param.min is not None and number < param.min) or (param.max is not None and number > param.max):
            raise field_error(field, f"out of range [{param.min}, {param.max}]")
        out[param.key] = number
    return out
