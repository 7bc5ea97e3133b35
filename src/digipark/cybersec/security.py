"""Enterprises' security records: the industrial-internet classification and grading with the checklist of its
protection level's requirement areas (data/security.yaml), the data catalogue classified by GB/T 43697-2024 with
important-data filings, ICS assets, and vulnerability advisories matched to them by vendor, model and firmware range.
Indicator S4.4 (industrial enterprises graded and with their important data filed) is computed here."""

from __future__ import annotations

import builtins
import csv
import fnmatch
import io
import re
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import field_error
from digipark.core.listing import ListSpec
from digipark.crud import RecordType
from digipark.cybersec import reference
from digipark.cybersec.common import VIEW, WRITE, enterprise_owner, own_or_staff
from digipark.cybersec.models import (
    Advisory,
    CheckStatus,
    DataItem,
    FilingStatus,
    IcsAsset,
    SecurityGrading,
)
from digipark.cybersec.schemas import (
    AdvisoryCreate,
    AdvisoryImport,
    AdvisoryMatch,
    AdvisoryRead,
    AdvisoryUpdate,
    DataItemCreate,
    DataItemRead,
    DataItemUpdate,
    GradingCreate,
    GradingRead,
    GradingUpdate,
    IcsAssetCreate,
    IcsAssetRead,
    IcsAssetUpdate,
    ImportResult,
)
from digipark.evaluation.provides import Computed, Gap, IndicatorContext, NoSource, enterprise_row, share
from digipark.registry.models import Building


# -- grading -------------------------------------------------------------------------------------------------------
def checklist_for(level: int, given: dict[str, Any] | None, before: dict[str, Any] | None = None) -> dict[str, str]:
    """The checklist of protection `level`: every requirement area of the level, with the status given (or kept
    from before, or "todo"); an area the level does not have is refused."""
    areas = [a["key"] for a in reference.requirement_areas(level)]
    given = dict(given or {})
    unknown = sorted(set(given) - set(areas))
    if unknown:
        raise field_error("checklist", f"not a requirement area of protection level {level}: {', '.join(unknown)}")
    kept = before or {}
    return {
        area: str(getattr(given.get(area), "value", given.get(area)) or kept.get(area) or CheckStatus.TODO.value)
        for area in areas
    }


def _grading_values(session: Session, scope: Scope, values: dict[str, Any], row: SecurityGrading | None) -> Any:
    level = values.get("protection_level", row.protection_level if row is not None else None)
    if level is None:
        return values
    if "checklist" in values or "protection_level" in values or row is None:
        values["checklist"] = checklist_for(
            int(level), values.get("checklist"), row.checklist if row is not None else None
        )
    return values


def checklist_progress(grading: SecurityGrading) -> tuple[int, int]:
    """(areas met or not applicable, areas) of a grading's checklist."""
    done = sum(1 for s in grading.checklist.values() if s in (CheckStatus.MET.value, CheckStatus.NOT_APPLICABLE.value))
    return done, len(grading.checklist)


def _owner_spec(model: Any, *extra: str) -> dict[str, Any]:
    return {"park_id": model.park_id, "enterprise_id": model.enterprise_id, **{e: getattr(model, e) for e in extra}}


GRADINGS: RecordType[SecurityGrading] = RecordType(
    name="security grading",
    model=SecurityGrading,
    create_schema=GradingCreate,
    update_schema=GradingUpdate,
    read_schema=GradingRead,
    list_spec=ListSpec(
        filters=_owner_spec(SecurityGrading, "category", "grade", "protection_level"),
        search=[SecurityGrading.system_name],
        sort={"id": SecurityGrading.id, "graded_on": SecurityGrading.graded_on},
        default_sort="-graded_on,id",
    ),
    write_permission=own_or_staff,
    owner=enterprise_owner,
    validate=_grading_values,
)


# -- data catalogue (GB/T 43697-2024) -----------------------------------------------------------------------------
def _data_values(session: Session, scope: Scope, values: dict[str, Any], row: DataItem | None) -> Any:
    """Core and important data are filed (to_file until filed); general data needs no filing."""
    level = str(getattr(values.get("level"), "value", values.get("level") or (row.level if row else "")))
    filing = values.get("filing_status", row.filing_status if row is not None else None)
    filing = str(getattr(filing, "value", filing)) if filing is not None else None
    needs_filing = bool(reference.data_levels()[level]["filing"])
    if not needs_filing:
        if filing not in (None, FilingStatus.NOT_REQUIRED.value):
            raise field_error("filing_status", "general data is not filed")
        values["filing_status"] = FilingStatus.NOT_REQUIRED.value
    elif filing in (None, FilingStatus.NOT_REQUIRED.value):
        if filing == FilingStatus.NOT_REQUIRED.value and "filing_status" in values:
            raise field_error("filing_status", "core and important data must be filed")
        values["filing_status"] = FilingStatus.TO_FILE.value
    filed_on = values.get("filed_on", row.filed_on if row is not None else None)
    filed = values.get("filing_status", filing) in (FilingStatus.FILED.value, FilingStatus.ACCEPTED.value)
    if filed and filed_on is None:
        raise field_error("filed_on", "required once filed")
    if needs_filing and values.get("export_allowed"):
        raise field_error("export_allowed", "core and important data leave the country only after an assessment")
    return values


DATA_ITEMS: RecordType[DataItem] = RecordType(
    name="data item",
    model=DataItem,
    create_schema=DataItemCreate,
    update_schema=DataItemUpdate,
    read_schema=DataItemRead,
    list_spec=ListSpec(
        filters=_owner_spec(DataItem, "level", "filing_status"),
        search=[DataItem.name, DataItem.domain],
        sort={"id": DataItem.id, "name": DataItem.name, "level": DataItem.level},
        default_sort="level,name,id",
    ),
    write_permission=own_or_staff,
    owner=enterprise_owner,
    validate=_data_values,
)


def sharing_check(session: Session, *, scope: Scope, ident: int, export: bool) -> tuple[bool, str]:
    """May a data item be shared (inside the country) or exported? (ok, reason) — what the data platform asks
    before publishing a data product."""
    row = DATA_ITEMS.get(session, scope=scope, ident=ident)
    if row.level == "core":
        return False, "core data is not shared"
    if row.level == "important" and row.filing_status not in (FilingStatus.FILED.value, FilingStatus.ACCEPTED.value):
        return False, "important data is shared only once filed"
    if export and row.level != "general":
        return False, "important data leaves the country only after a data-export assessment"
    if export and not row.export_allowed:
        return False, "no export assessment recorded"
    return True, "ok"


# -- ICS assets and advisories --------------------------------------------------------------------------------------
ICS_ASSETS: RecordType[IcsAsset] = RecordType(
    name="ICS asset",
    model=IcsAsset,
    create_schema=IcsAssetCreate,
    update_schema=IcsAssetUpdate,
    read_schema=IcsAssetRead,
    list_spec=ListSpec(
        filters=_owner_spec(IcsAsset, "kind", "vendor"),
        search=[IcsAsset.name, IcsAsset.model, IcsAsset.vendor],
        sort={"id": IcsAsset.id, "name": IcsAsset.name},
        default_sort="name,id",
    ),
    write_permission=own_or_staff,
    owner=enterprise_owner,
    refs={"building_id": Building},
)


def _check_affected(session: Session, scope: Scope, values: dict[str, Any], row: Advisory | None) -> Any:
    if "affected" in values:
        specifiers(values["affected"])
    return values


ADVISORIES: RecordType[Advisory] = RecordType(
    name="advisory",
    model=Advisory,
    create_schema=AdvisoryCreate,
    update_schema=AdvisoryUpdate,
    read_schema=AdvisoryRead,
    list_spec=ListSpec(
        filters={"park_id": Advisory.park_id, "vendor": Advisory.vendor, "severity": Advisory.severity},
        search=[Advisory.ident, Advisory.title, Advisory.model_pattern],
        sort={"id": Advisory.id, "published_on": Advisory.published_on},
        default_sort="-published_on,id",
    ),
    write_permission=WRITE,
    validate=_check_affected,
    unique=("ident",),
)

_VERSION = re.compile(r"(\d+(?:\.\d+)*)")


def firmware_version(text: str) -> Version | None:
    """A firmware string as a version: "V4.2.1", "4.2.1 build 7", "FW 2.8" -> 4.2.1, 4.2.1, 2.8; None without
    digits."""
    try:
        return Version(text.strip().lstrip("vV"))
    except InvalidVersion:
        found = _VERSION.search(text)
        return Version(found.group(1)) if found else None


def specifiers(text: str) -> SpecifierSet:
    """An advisory's affected range ("<4.5.2", ">=2.0,<2.8.3", "==3.1.*", "*" for every version)."""
    text = text.strip()
    if text in ("*", "all"):
        return SpecifierSet("")
    try:
        return SpecifierSet(text.replace(" ", ""))
    except InvalidSpecifier:
        raise field_error("affected", "version specifiers such as >=2.0,<2.8.3") from None


def affects(advisory: Advisory, asset: IcsAsset) -> bool:
    if advisory.vendor.strip().casefold() != asset.vendor.strip().casefold():
        return False
    if not fnmatch.fnmatchcase(asset.model.strip().casefold(), advisory.model_pattern.strip().casefold()):
        return False
    version = firmware_version(asset.firmware)
    if version is None:
        return True  # an unreadable firmware is listed: someone must look at it
    return specifiers(advisory.affected).contains(version, prereleases=True)


def matches(session: Session, *, scope: Scope, park_id: int | None = None) -> builtins.list[AdvisoryMatch]:
    """Every (asset, advisory) of the park where the advisory covers the asset's firmware; an enterprise sees its
    own assets only."""
    scope.require(VIEW)
    park = scope.acting_park(park_id)
    advisories = list(session.scalars(select(Advisory).where(Advisory.park_id == park)))
    assets = session.scalars(
        scope.readable(IcsAsset).where(IcsAsset.park_id == park).order_by(IcsAsset.name, IcsAsset.id)
    )
    found = []
    for asset in assets:
        for advisory in advisories:
            if affects(advisory, asset):
                found.append(
                    AdvisoryMatch(
                        asset_id=asset.id,
                        asset=asset.name,
                        asset_en=asset.name_en,
                        enterprise_id=asset.enterprise_id,
                        vendor=asset.vendor,
                        model=asset.model,
                        firmware=asset.firmware,
                        advisory_id=advisory.id,
                        advisory=advisory.ident,
                        title=advisory.title,
                        title_en=advisory.title_en,
                        severity=advisory.severity,
                        fixed_version=advisory.fixed_version,
                    )
                )
    return found


CSV_COLUMNS = (
    "ident",
    "title",
    "title_en",
    "vendor",
    "model_pattern",
    "affected",
    "fixed_version",
    "severity",
    "published_on",
)


def parse_csv(content: bytes) -> builtins.list[dict[str, Any]]:
    """Rows of an advisory feed in CSV (the columns of CSV_COLUMNS; empty cells are none)."""
    text = content.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    missing = [
        c
        for c in ("ident", "title", "vendor", "model_pattern", "affected", "severity")
        if c not in (reader.fieldnames or [])
    ]
    if missing:
        raise field_error("file", f"missing columns: {', '.join(missing)}")
    return [{k: (v or None) for k, v in row.items() if k in CSV_COLUMNS} for row in reader]


def import_advisories(session: Session, *, scope: Scope, data: AdvisoryImport) -> ImportResult:
    """Create or update (by ident) the advisories of a feed, all or nothing."""
    scope.require(WRITE)
    park = scope.acting_write_park(data.park_id)
    scope.authorize_write(WRITE, park_id=park)
    created = updated = 0
    for item in data.advisories:
        specifiers(item.affected)
        row = session.scalar(select(Advisory).where(Advisory.park_id == park, Advisory.ident == item.ident))
        values = item.model_dump(exclude={"park_id"})
        if row is None:
            session.add(Advisory(park_id=park, **values))
            created += 1
        else:
            for key, value in values.items():
                setattr(row, key, value)
            updated += 1
    session.flush()
    return ImportResult(created=created, updated=updated)


# -- indicator S4.4 -------------------------------------------------------------------------------------------------
def security_grading(ctx: IndicatorContext) -> Computed:
    """S4.4: industrial enterprises with a grading record whose important and core data are all filed (an
    enterprise without important data needs none filed). NoSource while the park has no grading at all."""
    park = ctx.park_id
    graded = set(ctx.session.scalars(select(SecurityGrading.enterprise_id).where(SecurityGrading.park_id == park)))
    if not graded:
        raise NoSource("no data source yet")  # no grading recorded: the park declares the value
    unfiled = set(
        ctx.session.scalars(
            select(DataItem.enterprise_id).where(
                DataItem.park_id == park,
                DataItem.level.in_(["core", "important"]),
                DataItem.filing_status.not_in([FilingStatus.FILED.value, FilingStatus.ACCEPTED.value]),
            )
        )
    )
    rows, gaps = [], []
    for e in ctx.industrial():
        ok = e.id in graded and e.id not in unfiled
        rows.append({**enterprise_row(e), "graded": e.id in graded, "data_filed": e.id not in unfiled, "ok": ok})
        if e.id not in graded:
            gaps.append(Gap("enterprise", e.name, "security_grading", e.id))
        elif e.id in unfiled:
            gaps.append(Gap("enterprise", e.name, "file_important_data", e.id))
    done = sum(1 for r in rows if r["ok"])
    return Computed(
        share(done, len(rows)),
        done,
        len(rows),
        columns=["enterprise", "industry", "graded", "data_filed", "ok"],
        rows=rows,
        gaps=gaps,
    )
