"""Web pages (placeholder until the web shell lands)."""

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    return None
