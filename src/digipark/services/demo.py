"""Demo."""

from typing import Any


def build_services_demo(ctx: Any) -> None:
    return None
