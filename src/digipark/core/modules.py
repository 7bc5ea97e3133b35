"""Module records: what each domain declares once, and the installed list that app, CLI, workers, menu, archive and
evaluation loop over.

A domain's record lives in `<domain>/module.py` as `MODULE = Module(...)`; `digipark.modules.MODULES` lists every
record and installs them. Routers, pages, handlers and providers are named by reference (`"package.module:attr"`),
so that a record can be read (for the menu, the permissions, the archive's section titles) without importing the
domain's web code, and so that a lower layer (the archive, the evaluation, telemetry) reaches what another domain
offers only through the installed records, never by importing it.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Iterator, Mapping
from typing import Any

Ref = str
"""`"package.module:attribute"` (or `"package.module"` for a module)."""


def resolve(ref: Ref) -> Any:
    """The object a reference names (imported on first use)."""
    module_name, _, attribute = ref.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


def N_(message: str) -> str:
    """Mark a msgid for extraction (translated where it is shown, in the web catalogue `messages`)."""
    return message


@dataclasses.dataclass(frozen=True)
class MenuSection:
    """A group of the navigation (label: untranslated msgid; sections are shown by `order`). A domain picks one of
    the sections below for each of its entries, or declares its own."""

    key: str
    label: str
    order: int


HOME = MenuSection("home", "", 0)
"""Entries shown above every section, without a heading (the overview)."""
FOUNDATION = MenuSection("foundation", N_("Park foundation"), 100)
OPERATIONS = MenuSection("operations", N_("Operations monitoring"), 200)
SAFETY = MenuSection("safety", N_("Safety and emergency"), 300)
ENERGY_ENVIRONMENT = MenuSection("energy", N_("Energy and environment"), 400)
ECONOMY = MenuSection("economy", N_("Industry and economy"), 500)
SERVICES = MenuSection("services", N_("Enterprise services"), 600)
COMMUNITY = MenuSection("community", N_("Park life"), 650)
EVALUATION = MenuSection("evaluation", N_("Evaluation"), 700)
SYSTEM = MenuSection("system", N_("System"), 800)
MORE = MenuSection("more", N_("More"), 900)
"""Where an entry that names no section is shown."""


@dataclasses.dataclass(frozen=True)
class MenuEntry:
    """A top-level navigation item: shown to a scope that has `permission` (label: untranslated msgid), under
    `section` (a group of the navigation; entries naming none are shown under "More").

    `permission` may name several permissions separated by `|`: any of them shows the entry; `"*"` shows it to
    every logged-in user with a park."""

    href: str
    label: str
    permission: str
    order: int = 100
    section: MenuSection = MORE


@dataclasses.dataclass(frozen=True)
class ArchiveSection:
    """A section of every enterprise's archive: `provider(session, scope, enterprise)` returns its data (a dict,
    or the archive's `SectionResult`)."""

    key: str
    title: str
    provider: Ref
    order: int = 100


@dataclasses.dataclass(frozen=True)
class SectionResult:
    """What an archive section provider may return instead of a plain dict."""

    data: dict[str, Any] | None = None
    available: bool = True
    note: str | None = None


@dataclasses.dataclass(frozen=True)
class Module:
    """Everything a domain declares once.

    - `models`: modules with its mapped classes (the metadata for Alembic and tests).
    - `routers` / `pages`: FastAPI routers of its REST API and of its web pages, mounted in order.
    - `menu`: its top-level navigation entries.
    - `permissions`: role value -> the permissions this domain grants to that role.
    - `catalog`: the name of its message catalogue under `web/locales/<lang>/LC_MESSAGES/` (without `.po`).
    - `background`: functions starting a shared background service where readings are stored (ingest processes,
      the demo); each returns a handle with `astop()`; a service subscribes to the domain events it consumes
      (e.g. safety's automatic incidents to `AlarmRaised`) when it starts. Started and stopped in list order.
    - `on_receive`: functions given each batch of telemetry messages as they arrive, before they are stored.
    - `archive`: sections it adds to every enterprise's archive.
    - `indicators`: evaluation formula key -> function computing that indicator from this domain's records.
    - `provides`: the module of read functions other domains may call (its only door for them).
    - `demo`: functions building its part of the demo park, called in order with the demo's context.
    """

    name: str
    title: str
    models: tuple[Ref, ...] = ()
    routers: tuple[Ref, ...] = ()
    pages: tuple[Ref, ...] = ()
    menu: tuple[MenuEntry, ...] = ()
    permissions: Mapping[str, frozenset[str]] = dataclasses.field(default_factory=dict)
    catalog: str | None = None
    background: tuple[Ref, ...] = ()
    on_receive: tuple[Ref, ...] = ()
    archive: tuple[ArchiveSection, ...] = ()
    indicators: Mapping[str, Ref] = dataclasses.field(default_factory=dict)
    provides: Ref | None = None
    demo: tuple[Ref, ...] = ()


_installed: list[Module] = []


def install(modules: tuple[Module, ...] | list[Module]) -> None:
    """Make `modules` the installed records (done once, by `digipark.modules`)."""
    names = [m.name for m in modules]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"module names must be unique: {sorted(duplicates)}")
    _installed[:] = list(modules)


def installed() -> list[Module]:
    """The installed records, in their order. `digipark.modules` installs them on import (the app, the CLI,
    `digipark.models` and the demo import it); asking before that is a programming error, not an empty platform."""
    if not _installed:
        raise RuntimeError("no module records installed: import digipark.modules first")
    return list(_installed)


def find(name: str) -> Module | None:
    return next((m for m in installed() if m.name == name), None)


def archive_sections() -> Iterator[tuple[Module, ArchiveSection]]:
    for module in installed():
        for section in module.archive:
            yield module, section


def indicator_formulas() -> dict[str, tuple[Module, Ref]]:
    """Every declared evaluation formula key -> (the module providing it, its function)."""
    formulas: dict[str, tuple[Module, Ref]] = {}
    for module in installed():
        for key, ref in module.indicators.items():
            if key in formulas:
                raise ValueError(f"indicator formula {key!r} declared by {formulas[key][0].name} and {module.name}")
            formulas[key] = (module, ref)
    return formulas
