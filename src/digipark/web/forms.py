"""HTML forms derived from Pydantic schemas: the fields to show, and parsing what comes back.

A form posts strings; here they become the values the schema validates (empty = not given, a checkbox is
present or absent, JSON fields are parsed, lists are comma-separated). Errors come back per field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import re
import types
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from digipark.core.errors import DomainError
from digipark.web.i18n import N_

Translate = Callable[[str], str]
GENERAL = "__all__"  # errors not tied to one field


@dataclasses.dataclass
class Choice:
    value: str
    label: str


@dataclasses.dataclass
class FormField:
    name: str
    label: str
    widget: str  # text | number | date | checkbox | select | json | list
    required: bool = False
    value: str = ""
    checked: bool = False
    step: str | None = None
    choices: list[Choice] = dataclasses.field(default_factory=list)
    suggestions: list[Choice] = dataclasses.field(default_factory=list)
    error: str | None = None


def base_type(annotation: Any) -> tuple[Any, bool]:
    """The annotation without Annotated[...] and Optional: (type, optional)."""
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(get_args(annotation))
            annotation = args[0] if len(args) == 1 else str
        else:
            return annotation, optional


def widget_of(annotation: Any) -> str:
    kind, _ = base_type(annotation)
    origin = get_origin(kind) or kind
    if kind is bool:
        return "checkbox"
    if kind in (int, float):
        return "number"
    if kind is dt.date:
        return "date"
    if origin is dict:
        return "json"
    if origin is list:
        return "list"
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return "select"
    return "text"


def display(value: Any, widget: str) -> str:
    """A stored value as the text an input shows."""
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return str(value.value)
    if widget == "json":
        return json.dumps(value, ensure_ascii=False)
    if widget == "list" and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def fields_of(
    schema: type[BaseModel], names: list[str], labels: Mapping[str, str], values: Mapping[str, Any]
) -> list[FormField]:
    """Form fields for `names` of `schema`, filled with `values` (stored values or defaults)."""
    result: list[FormField] = []
    for name in names:
        info = schema.model_fields[name]
        kind, _ = base_type(info.annotation)
        widget = widget_of(info.annotation)
        form_field = FormField(name=name, label=labels.get(name, name), widget=widget, required=info.is_required())
        value = values.get(name, None if info.is_required() else info.default)
        if widget == "checkbox":
            form_field.checked = bool(value)
        else:
            form_field.value = display(value, widget)
        if kind is int:
            form_field.step = "1"
        elif kind is float:
            form_field.step = "any"
        if widget == "select" and isinstance(kind, type) and issubclass(kind, enum.Enum):
            form_field.choices = [Choice(str(member.value), str(member.value)) for member in kind]
        result.append(form_field)
    return result


def parse_value(form_field: FormField, raw: Mapping[str, str]) -> tuple[Any, str | None]:
    """(value, error) of one field from the posted strings; None means empty."""
    if form_field.widget == "checkbox":
        return form_field.name in raw, None
    text = raw.get(form_field.name, "").strip()
    if not text:
        return None, None
    if form_field.widget == "json":
        try:
            return json.loads(text), None
        except ValueError:
            return None, "json_invalid"
    if form_field.widget == "list":
        return [part for part in re.split(r"[,;\s]+", text) if part], None
    return text, None


def refill(fields: list[FormField], raw: Mapping[str, str]) -> None:
    """Show what the user typed (after an error)."""
    for form_field in fields:
        if form_field.widget == "checkbox":
            form_field.checked = form_field.name in raw
        else:
            form_field.value = raw.get(form_field.name, "")


MAX_ROW_ID = 2**63 - 1  # the largest identifier both databases store; beyond it nothing is found
FIELD_REQUIRED = N_("This field is required.")
CHOOSE_AN_OPTION = N_("Choose one of the options.")
WHOLE_NUMBER = N_("Enter a whole number.")

_MESSAGES: dict[str, str] = {
    "missing": FIELD_REQUIRED,
    "json_invalid": N_("Not valid JSON."),
    "int_parsing": WHOLE_NUMBER,
    "int_from_float": WHOLE_NUMBER,
    "float_parsing": N_("Enter a number."),
    "bool_parsing": N_("Choose yes or no."),
    "date_parsing": N_("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": N_("Enter a date as YYYY-MM-DD."),
    "string_too_short": FIELD_REQUIRED,
    "string_too_long": N_("Too long: at most %(max_length)s characters."),
    "string_pattern_mismatch": N_("The format is not valid."),
    "greater_than": N_("Must be greater than %(gt)s."),
    "greater_than_equal": N_("Must be at least %(ge)s."),
    "less_than": N_("Must be less than %(lt)s."),
    "less_than_equal": N_("Must be at most %(le)s."),
    "enum": CHOOSE_AN_OPTION,
    "extra_forbidden": N_("This field may not be changed here."),
    "finite_number": N_("Enter a finite number."),
    "list_type": N_("Enter a list separated by commas."),
    "dict_type": N_("Enter a JSON object."),
}


def message(error_type: str, context: Mapping[str, Any] | None, fallback: str, translate: Translate) -> str:
    template = _MESSAGES.get(error_type)
    if template is None:
        return fallback.removeprefix("Value error, ")
    try:
        return translate(template) % dict(context or {})
    except (KeyError, TypeError, ValueError):
        return translate(template)


def validation_errors(exc: ValidationError, translate: Translate) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = err.get("loc", ())
        name = str(loc[0]) if loc else GENERAL
        text = message(err["type"], err.get("ctx"), err.get("msg", ""), translate)
        if name == GENERAL and name in errors:
            errors[name] += " " + text
        else:
            errors.setdefault(name, text)
    return errors


def domain_errors(exc: DomainError, field_names: set[str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors:
        name = str(err.get("field", ""))
        if name in field_names:
            errors.setdefault(name, str(err.get("reason", exc.detail)))
    if not errors:
        errors[GENERAL] = exc.detail
    return errors


MAX_YAML_CHARS = 100_000


class YamlInputError(ValueError):
    """A form's YAML text refused: `reason` says why (too long, anchors and aliases, not valid), `line` where."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.line = reason, line


def yaml_input(text: str, *, max_chars: int = MAX_YAML_CHARS) -> Any:
    """A form field's YAML (None when empty), without anchors and aliases (a few lines of them can stand for millions
    of entries); a value YAML reads as something impossible (2026-13-45 as a date) is refused like bad syntax."""
    import yaml

    if len(text) > max_chars:
        raise YamlInputError("too long")
    if not text.strip():
        return None
    try:
        aliases = any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=yaml.SafeLoader))
        if aliases:
            raise YamlInputError("anchors and aliases are not allowed")
        return yaml.safe_load(text)
    except YamlInputError:
        raise
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise YamlInputError("not valid YAML", mark.line + 1 if mark is not None else None) from None
    except (ValueError, OverflowError):
        raise YamlInputError("not valid YAML") from None
