"""Asset classes' attributes as data: a class declares its attributes (name, label in zh and en, type number, text
or choice, unit, range or choices) and an asset's values are checked against its class's declaration. A new class
or attribute is a new row or YAML entry, no code."""

from __future__ import annotations

from typing import Any

from digipark.core.errors import ValidationFailed, field_error

TYPES = ("number", "text", "choice")


def check_declaration(declared: list[dict[str, Any]]) -> None:
    """A class's attribute declaration is well formed (raises ValueError naming the attribute)."""
    for spec in declared:
        name = spec.get("name")
        if not name or spec.get("type") not in TYPES:
            raise ValueError(f"attribute {name!r}: needs a name and a type of {TYPES}")
        if not spec.get("label_zh") or not spec.get("label_en"):
            raise ValueError(f"attribute {name!r}: needs label_zh and label_en")
        if spec["type"] == "choice" and not spec.get("choices"):
            raise ValueError(f"attribute {name!r}: a choice needs its choices")


def _error(name: str, reason: str, code: str, **params: Any) -> ValidationFailed:
    """`code` (undeclared, number, range, choice) and its `params` let a page say the reason in its language."""
    return field_error("attributes", f"attribute {name}: {reason}", attribute=name, code=code, **params)


def check_values(declared: list[dict[str, Any]], values: dict[str, Any] | None) -> dict[str, Any] | None:
    """The asset's attribute values, checked against its class's declaration: every name declared, numbers in
    range, choices among the declared ones. Raises a validation error that names the attribute."""
    if not values:
        return values
    specs = {spec["name"]: spec for spec in declared}
    checked: dict[str, Any] = {}
    for name, value in values.items():
        spec = specs.get(name)
        if spec is None:
            raise _error(name, "not declared by the asset's class", "undeclared")
        if spec["type"] == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                try:
                    value = float(str(value))
                except ValueError:
                    raise _error(name, "must be a number", "number") from None
            if value != value or value in (float("inf"), float("-inf")):
                raise _error(name, "must be a number", "number")
            low, high = (spec.get("range") or [None, None])[:2]
            if (low is not None and value < low) or (high is not None and value > high):
                raise _error(name, f"must be between {low} and {high}", "range", low=low, high=high)
            checked[name] = float(value)
        elif spec["type"] == "choice":
            if str(value) not in [str(c) for c in spec["choices"]]:
                raise _error(name, f"must be one of {', '.join(str(c) for c in spec['choices'])}", "choice")
            checked[name] = str(value)
        else:
            checked[name] = str(value)
    return checked


def rows(declared: list[dict[str, Any]], values: dict[str, Any] | None, lang: str) -> list[tuple[str, str]]:
    """(label, value with unit) of each declared attribute that has a value, in the page's language."""
    values = values or {}
    out: list[tuple[str, str]] = []
    for spec in declared:
        if spec["name"] not in values:
            continue
        label = spec["label_zh"] if lang.startswith("zh") else spec["label_en"]
        value = values[spec["name"]]
        if spec["type"] == "choice" and isinstance(spec.get("choice_labels"), dict):
            names = spec["choice_labels"].get(str(value)) or {}
            value = names.get("zh" if lang.startswith("zh") else "en", value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        unit = spec.get("unit") or ""
        out.append((label, f"{value} {unit}".strip()))
    return out


def indicators(declared: list[dict[str, Any]], lang: str) -> list[tuple[str, str, str]]:
    """(label, unit, limits) of each condition indicator a class declares, in the page's language."""
    zh = lang.startswith("zh")
    out: list[tuple[str, str, str]] = []
    for spec in declared:
        label = spec.get("label_zh" if zh else "label_en") or spec.get("quantity") or spec.get("feature") or ""
        low, high = spec.get("low"), spec.get("high")
        limits = "–".join(str(v) if v is not None else "" for v in (low, high)) if low is not None else f"≤ {high}"
        out.append((label, spec.get("unit") or "", limits if (low, high) != (None, None) else "—"))
    return out


def form_fields(declared: list[dict[str, Any]], values: dict[str, Any] | None, lang: str) -> list[dict[str, Any]]:
    """The page form's fields of the class's declared attributes: name, label, type, unit, the current value and,
    for a choice, (value, label) options, in the page's language."""
    zh = lang.startswith("zh")
    values = values or {}
    out: list[dict[str, Any]] = []
    for spec in declared:
        value = values.get(spec["name"])
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        options = []
        for choice in spec.get("choices") or []:
            names = (spec.get("choice_labels") or {}).get(str(choice)) or {}
            options.append((str(choice), names.get("zh" if zh else "en", str(choice))))
        low, high = (spec.get("range") or [None, None])[:2]
        out.append(
            {
                "name": spec["name"],
                "label": spec["label_zh"] if zh else spec["label_en"],
                "type": spec["type"],
                "unit": spec.get("unit") or "",
                "value": "" if value is None else str(value),
                "options": options,
                "range": f"{low}–{high}" if low is not None or high is not None else "",
            }
        )
    return out
