"""Application forms as JSON Schema: the fields the platform already holds (`x-platform`) are filled in from it and
never asked; the rest the applicant enters, checked with `jsonschema`. Field titles in both languages (`title` in
Chinese, `x-title-en`)."""

from __future__ import annotations

import dataclasses
from typing import Any

import jsonschema
from jsonschema.validators import Draft202012Validator

from digipark.core.errors import ValidationFailed, field_error


@dataclasses.dataclass(frozen=True)
class Field:
    name: str
    title: str
    kind: str  # string | number | integer | boolean
    widget: str  # input | textarea | select | checkbox
    required: bool
    platform: str | None
    choices: tuple[str, ...]
    schema: dict[str, Any]


def check_schema(schema: dict[str, Any]) -> None:
    try:
        Draft202012Validator.check_schema(schema)
    except (jsonschema.SchemaError, TypeError, ValueError) as exc:
        raise field_error("form_schema", f"not a JSON Schema: {getattr(exc, 'message', exc)}") from exc
    properties = schema.get("properties")
    if schema.get("type") != "object" or not isinstance(properties, dict) or not properties:
        raise field_error("form_schema", "a form is an object schema with properties")
    for name, prop in properties.items():
        if not isinstance(prop, dict) or prop.get("type", "string") not in ("string", "number", "integer", "boolean"):
            raise field_error("form_schema", f"property {name!r}: a string, number, integer or boolean field")
        if "x-platform" in prop and not isinstance(prop["x-platform"], str):
            raise field_error("form_schema", f"property {name!r}: x-platform names a platform fact")


def fields(schema: dict[str, Any], lang: str = "zh") -> list[Field]:
    required = set(schema.get("required", []))
    found = []
    for name, prop in schema["properties"].items():
        kind = prop.get("type", "string")
        widget = "checkbox" if kind == "boolean" else "select" if "enum" in prop else prop.get("x-widget", "input")
        title = prop.get("x-title-en", prop.get("title", name)) if lang == "en" else prop.get("title", name)
        found.append(
            Field(
                name,
                title,
                kind,
                widget,
                name in required,
                prop.get("x-platform"),
                tuple(prop.get("enum", ())),
                prop,
            )
        )
    return found


def platform_fields(schema: dict[str, Any]) -> dict[str, str]:
    """Form field -> the platform fact it is filled from."""
    return {f.name: f.platform for f in fields(schema) if f.platform}


def coerce(schema: dict[str, Any], raw: dict[str, str]) -> dict[str, Any]:
    """A web form's strings as the schema's types (the platform's fields are dropped: they are never asked);
    422 naming the field when a number is not a number."""
    values: dict[str, Any] = {}
    for field in fields(schema):
        if field.platform:
            continue
        text = raw.get(field.name, "")
        if field.kind == "boolean":
            values[field.name] = text in ("1", "true", "on")
            continue
        text = text.strip()
        if text == "":
            continue
        if field.kind in ("number", "integer"):
            try:
                values[field.name] = int(text) if field.kind == "integer" else float(text)
            except ValueError:
                raise field_error(field.name, "not a number") from None
        else:
            values[field.name] = text
    return values


def validate(schema: dict[str, Any], entered: dict[str, Any], platform: dict[str, Any]) -> dict[str, Any]:
    """The applicant's input (without the platform's fields) checked against the schema together with the platform
    data; 422 with every failing field. Returns the applicant's input only."""
    asked = {k: v for k, v in entered.items() if k not in platform_fields(schema)}
    unknown = sorted(set(asked) - set(schema["properties"]))
    errors = [{"field": name, "reason": "not a field of this form"} for name in unknown]
    merged = {**{k: v for k, v in platform.items() if v is not None}, **asked}
    relaxed = {**schema, "required": [r for r in schema.get("required", []) if r not in platform_fields(schema)]}
    for error in Draft202012Validator(relaxed).iter_errors(merged):
        path = list(error.path)
        name = str(path[0]) if path else _missing(error)
        errors.append({"field": name, "reason": error.message})
    if errors:
        raise ValidationFailed("the form has errors", errors=errors)
    return asked


def _missing(error: jsonschema.ValidationError) -> str:
    if error.validator == "required" and isinstance(error.instance, dict):
        for name in error.validator_value:
            if name not in error.instance:
                return str(name)
    return ""
