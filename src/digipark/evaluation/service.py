"""The evaluation of a park against the guide's four construction standards: live from the platform's records,
declared values with evidence where the platform has no source yet, signed annual snapshots that never
change, year-on-year and park-by-park comparisons.

Who: park staff (park_admin, operator) and reviewers of the park read (`evaluation.read`); park staff declare
values (`evaluation.declare`); the park admin signs the annual snapshot (`evaluation.sign`). Enterprise users
and residents see nothing of the evaluation: it names other enterprises' gaps (decision documented in the
issue note and tested in tests/evaluation/test_evaluation_api.py).
"""

from __future__ import annotations

import builtins
import datetime as dt
import hashlib
import json
import zoneinfo
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.models import User
from digipark.auth.scope import Scope
from digipark.core.config import get_settings
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, NotFound, PermissionDenied, field_error
from digipark.evaluation import indicators as ind
from digipark.evaluation.models import EvaluationSnapshot, IndicatorDeclaration
from digipark.evaluation.schemas import (
    Comparison,
    DeclarationRead,
    Evaluation,
    GapRead,
    IndicatorDefRead,
    IndicatorResult,
    IndicatorSystemRead,
    ParkColumn,
    PartRead,
    StandardDefRead,
    StandardResult,
    TargetRead,
    YearOnYear,
    YearRow,
)
from digipark.registry.models import Park
from digipark.registry.service import english_enterprise_names

READ = "evaluation.read"
DECLARE = "evaluation.declare"
SIGN = "evaluation.sign"
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MIN_YEAR = 2020


# -- the indicator system --------------------------------------------------------------------------------------
def _target(target: ind.Target) -> TargetRead:
    return TargetRead(op=target.op, value=target.value, unit=target.unit, text=target.text)


def indicator_system() -> IndicatorSystemRead:
    system = ind.system()
    return IndicatorSystemRead(
        title=str(system.meta["title"]),
        issuer=str(system.meta["issuer"]),
        target_year=int(system.meta["target_year"]),
        source=str(system.meta["source"]),
        status=str(system.meta["status"]),
        standards=[
            StandardDefRead(
                code=s.code,
                name=s.name,
                name_en=s.name_en,
                source=s.source,
                source_en=s.source_en,
                indicators=[
                    IndicatorDefRead(
                        key=i.key,
                        code=i.code,
                        standard=i.standard,
                        name=i.name,
                        name_en=i.name_en,
                        definition=i.definition,
                        definition_en=i.definition_en,
                        formula=i.formula,
                        declared_only=i.declared_only,
                        target=_target(i.target),
                        source=i.source,
                        source_en=i.source_en,
                    )
                    for i in s.indicators
                ],
            )
            for s in system.standards
        ],
    )


def indicator_or_404(key: str) -> ind.IndicatorDef:
    found = ind.system().indicator(key)
    if found is None:
        raise NotFound(f"no indicator {key!r}")
    return found


# -- parks and years -------------------------------------------------------------------------------------------
def today() -> dt.date:
    return dt.datetime.now(zoneinfo.ZoneInfo(get_settings().timezone)).date()


def readable_park(session: Session, scope: Scope, park_id: int | None) -> Park:
    """The park to evaluate (the scope's acting park): `park_id` or the caller's own; 403 without the permission,
    404 outside the scope, 422 when a scope reading several parks does not say which."""
    scope.require(READ)
    park = scope.acting_park(park_id)
    found = session.get(Park, park)
    if found is None:
        raise NotFound(f"park {park_id} not found")
    return found


def as_of_year(year: int, *, now: dt.date | None = None) -> dt.date:
    """The day a year's evaluation is computed as of: today during the year, 1 January after it (so last
    month's statistics are December's)."""
    current = now or today()
    if year > current.year:
        raise field_error("year", f"{year} has not begun")
    if year < MIN_YEAR:
        raise field_error("year", f"years before {MIN_YEAR} are not evaluated")
    return current if year == current.year else dt.date(year + 1, 1, 1)


# -- declarations ----------------------------------------------------------------------------------------------
def latest_declarations(session: Session, *, park_id: int) -> dict[str, IndicatorDeclaration]:
    rows = session.scalars(
        select(IndicatorDeclaration)
        .where(IndicatorDeclaration.park_id == park_id)
        .order_by(IndicatorDeclaration.declared_at, IndicatorDeclaration.id)
    )
    return {row.indicator: row for row in rows}


def list_declarations(
    session: Session, *, scope: Scope, park_id: int | None = None, indicator: str | None = None
) -> builtins.list[IndicatorDeclaration]:
    park = readable_park(session, scope, park_id)
    stmt = scope.readable(IndicatorDeclaration).where(IndicatorDeclaration.park_id == park.id)
    if indicator is not None:
        stmt = stmt.where(IndicatorDeclaration.indicator == indicator)
    return [*session.scalars(stmt.order_by(IndicatorDeclaration.declared_at.desc(), IndicatorDeclaration.id.desc()))]


def get_declaration(session: Session, *, scope: Scope, ident: int) -> IndicatorDeclaration:
    scope.require(READ)
    return scope.get_or_404(session, IndicatorDeclaration, ident)


def evidence(session: Session, *, scope: Scope, ident: int) -> tuple[bytes, str, str]:
    """(content, media type, file name) of a declaration's evidence file."""
    row = get_declaration(session, scope=scope, ident=ident)
    if row.evidence is None or row.evidence_name is None:
        raise NotFound(f"declaration {ident} has no evidence file")
    return row.evidence, row.evidence_type or "application/octet-stream", row.evidence_name


def declarable(session: Session, scope: Scope, park_id: int, definition: ind.IndicatorDef) -> bool:
    """Whether the indicator takes a declared value: its formula is `declared` or its source is missing."""
    if definition.declared_only:
        return True
    ctx = ind.IndicatorContext(session=session, scope=scope, park_id=park_id, as_of=today())
    try:
        ind.formula(definition)(ctx)
    except ind.NoSource:
        return True
    return False


def declare(
    session: Session,
    *,
    scope: Scope,
    indicator: str,
    value: float,
    note: str,
    evidence_name: str | None,
    evidence_type: str | None,
    evidence_content: bytes | None,
    park_id: int | None = None,
) -> IndicatorDeclaration:
    """Declare a value for an indicator the platform cannot compute, with the evidence it rests on."""
    scope.require(DECLARE)
    park = readable_park(session, scope, scope.acting_write_park(park_id))
    scope.authorize_write(DECLARE, park_id=park.id)
    definition = ind.system().indicator(indicator)
    if definition is None:
        raise field_error("indicator", f"no indicator {indicator!r}")
    if value != value or value in (float("inf"), float("-inf")) or value < 0:
        raise field_error("value", "must be a finite number, 0 or more")
    if definition.target.unit == ind.PERCENT and value > 100:
        raise field_error("value", "a share is at most 100 (%)")
    note = (note or "").strip()
    if not note:
        raise field_error("note", "required: what the value rests on")
    if len(note) > 4000:
        raise field_error("note", "at most 4000 characters")
    if not evidence_content or not evidence_name:
        raise field_error("evidence", "required: a file that documents the value")
    if len(evidence_content) > MAX_EVIDENCE_BYTES:
        raise field_error("evidence", f"at most {MAX_EVIDENCE_BYTES // (1024 * 1024)} MB")
    if not declarable(session, scope, park.id, definition):
        raise field_error("indicator", f"{indicator} is computed from the platform's records; it takes no declaration")
    row = IndicatorDeclaration(
        park_id=park.id,
        indicator=indicator,
        value=float(value),
        note=note,
        evidence_name=evidence_name[:200],
        evidence_type=(evidence_type or "application/octet-stream")[:100],
        evidence_size=len(evidence_content),
        evidence_sha256=hashlib.sha256(evidence_content).hexdigest(),
        evidence=evidence_content,
        declared_by=scope.username,
        declared_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


# -- the evaluation ----------------------------------------------------------------------------------------------
def _gap(definition: ind.IndicatorDef, gap: ind.Gap, english: dict[int, str] | None = None) -> GapRead:
    """A gap as read; an enterprise's gap carries the enterprise's English name (`english`: id → name_en)."""
    params = gap.params
    if gap.kind == "enterprise" and english and gap.ref_id in english:
        params = {**params, "name_en": english[gap.ref_id]}
    return GapRead(
        indicator=definition.key,
        standard=definition.standard,
        kind=gap.kind,
        subject=gap.subject,
        action=gap.action,
        ref_id=gap.ref_id,
        params=params,
    )


def _indicator(
    ctx: ind.IndicatorContext, definition: ind.IndicatorDef, declarations: dict[str, IndicatorDeclaration]
) -> IndicatorResult:
    computed: ind.Computed | None = None
    no_source: str | None = None
    if definition.declared_only:
        no_source = "no data source yet"
    else:
        try:
            computed = ind.formula(definition)(ctx)
        except ind.NoSource as exc:
            no_source = str(exc)
    target = definition.target
    if computed is not None:
        value = computed.value
        return IndicatorResult(
            key=definition.key,
            code=definition.code,
            standard=definition.standard,
            name=definition.name,
            name_en=definition.name_en,
            target=_target(target),
            value_source="computed",
            value=value,
            numerator=computed.numerator,
            denominator=computed.denominator,
            parts=[
                PartRead(key=p.key, numerator=p.numerator, denominator=p.denominator, share=p.share)
                for p in computed.parts
            ],
            met=target.met(value),
            progress=target.progress(value),
            note=computed.note,
            columns=computed.columns,
            rows=computed.rows,
            gaps=[
                _gap(definition, g, ctx.cached("enterprise_names_en", lambda: english_enterprise_names(ctx.session)))
                for g in computed.gaps
            ],
        )
    declaration = declarations.get(definition.key)
    value = declaration.value if declaration is not None else None
    met = target.met(value)
    gaps: list[GapRead] = []
    if declaration is None:
        gaps.append(
            _gap(definition, ind.Gap("system", definition.name, "declare", params={"name_en": definition.name_en}))
        )
    elif not met:
        gaps.append(
            _gap(
                definition,
                ind.Gap("system", definition.name, "improve_declared", params={"name_en": definition.name_en}),
            )
        )
    return IndicatorResult(
        key=definition.key,
        code=definition.code,
        standard=definition.standard,
        name=definition.name,
        name_en=definition.name_en,
        target=_target(target),
        value_source="declared" if declaration is not None else "none",
        value=value,
        met=met,
        progress=target.progress(value),
        no_source=no_source,
        declaration=DeclarationRead.model_validate(declaration) if declaration is not None else None,
        gaps=gaps,
    )


def compute(
    session: Session,
    *,
    scope: Scope,
    park: Park,
    year: int | None = None,
    as_of: dt.date | None = None,
    now_ms: int | None = None,
) -> Evaluation:
    """The live evaluation of `park` (the caller has checked the scope)."""
    if as_of is None:
        as_of = as_of_year(year) if year is not None else today()
    year = year if year is not None else as_of.year
    ctx = ind.IndicatorContext(session=session, scope=scope, park_id=park.id, as_of=as_of, now_ms=now_ms)
    declarations = latest_declarations(session, park_id=park.id)
    standards = []
    for s in ind.system().standards:
        results = [_indicator(ctx, i, declarations) for i in s.indicators]
        standards.append(
            StandardResult(
                code=s.code,
                name=s.name,
                name_en=s.name_en,
                source=s.source,
                source_en=s.source_en,
                met=all(r.met for r in results),
                progress=sum(r.progress for r in results) / len(results),
                indicators=results,
            )
        )
    every = [i for s in standards for i in s.indicators]
    return Evaluation(
        park_id=park.id,
        park_code=park.code,
        park_name=park.name,
        park_name_en=park.name_en,
        year=year,
        as_of=as_of,
        computed_at=utcnow(),
        standards=standards,
        met_standards=sum(1 for s in standards if s.met),
        met_indicators=sum(1 for i in every if i.met),
        indicators=len(every),
        declared_indicators=sum(1 for i in every if i.value_source == "declared"),
        gaps=[g for i in every for g in i.gaps],
    )


def evaluate(
    session: Session,
    *,
    scope: Scope,
    park_id: int | None = None,
    year: int | None = None,
    as_of: dt.date | None = None,
    now_ms: int | None = None,
) -> Evaluation:
    """The live evaluation of a park the caller may read."""
    park = readable_park(session, scope, park_id)
    return compute(session, scope=scope, park=park, year=year, as_of=as_of, now_ms=now_ms)


def for_year(session: Session, *, scope: Scope, park_id: int | None = None, year: int | None = None) -> Evaluation:
    """A year's evaluation: its signed snapshot when there is one, else computed live."""
    park = readable_park(session, scope, park_id)
    if year is not None:
        snapshot = session.scalar(
            scope.readable(EvaluationSnapshot).where(
                EvaluationSnapshot.park_id == park.id, EvaluationSnapshot.year == year
            )
        )
        if snapshot is not None:
            return snapshot_evaluation(snapshot)
    return compute(session, scope=scope, park=park, year=year)


# -- snapshots ---------------------------------------------------------------------------------------------------
def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def digest_of(data: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(data).encode("utf-8")).hexdigest()


def snapshot_evaluation(snapshot: EvaluationSnapshot) -> Evaluation:
    found = Evaluation.model_validate(snapshot.data)
    return found.model_copy(
        update={
            "snapshot_id": snapshot.id,
            "signed_by": snapshot.signed_by,
            "signer_name": snapshot.signer_name,
            "signed_at": snapshot.signed_at,
            "digest": snapshot.digest,
            "note": snapshot.note,
        }
    )


def _display_name(session: Session, scope: Scope) -> str:
    if scope.user_id is not None:
        user = session.get(User, scope.user_id)
        if user is not None:
            return user.display_name
    return scope.username


def sign(
    session: Session, *, scope: Scope, year: int, park_id: int | None = None, note: str | None = None
) -> EvaluationSnapshot:
    """Freeze the evaluation of `year` as it stands now, signed by the caller; one per park and year."""
    scope.require(SIGN)
    park = readable_park(session, scope, scope.acting_write_park(park_id))
    scope.authorize_write(SIGN, park_id=park.id)
    as_of = as_of_year(year)
    existing = session.scalar(
        select(EvaluationSnapshot.id).where(EvaluationSnapshot.park_id == park.id, EvaluationSnapshot.year == year)
    )
    if existing is not None:
        raise Conflict(f"the {year} assessment of this park was signed already (snapshot {existing})")
    found = compute(session, scope=scope, park=park, year=year, as_of=as_of)
    data = found.model_dump(mode="json")
    snapshot = EvaluationSnapshot(
        park_id=park.id,
        year=year,
        data=data,
        digest=digest_of(data),
        met_standards=found.met_standards,
        met_indicators=found.met_indicators,
        indicators=found.indicators,
        note=(note or "").strip() or None,
        signed_by=scope.username,
        signer_name=_display_name(session, scope),
        signed_at=utcnow(),
    )
    session.add(snapshot)
    session.flush()
    return snapshot


def list_snapshots(session: Session, *, scope: Scope, park_id: int | None = None) -> builtins.list[EvaluationSnapshot]:
    park = readable_park(session, scope, park_id)
    stmt = scope.readable(EvaluationSnapshot).where(EvaluationSnapshot.park_id == park.id)
    return [*session.scalars(stmt.order_by(EvaluationSnapshot.year.desc()))]


def get_snapshot(session: Session, *, scope: Scope, ident: int) -> EvaluationSnapshot:
    scope.require(READ)
    return scope.get_or_404(session, EvaluationSnapshot, ident)


def verify_snapshot(snapshot: EvaluationSnapshot) -> bool:
    """Whether the stored data still has the digest it was signed with."""
    return digest_of(snapshot.data) == snapshot.digest


# -- comparisons -------------------------------------------------------------------------------------------------
def _values(found: Evaluation) -> tuple[dict[str, float | None], dict[str, bool], dict[str, str]]:
    every = [i for s in found.standards for i in s.indicators]
    return (
        {i.key: i.value for i in every},
        {i.key: i.met for i in every},
        {i.key: i.value_source for i in every},
    )


def year_on_year(session: Session, *, scope: Scope, park_id: int | None = None) -> YearOnYear:
    """Every signed year of a park, and the live evaluation of the current year unless it is signed."""
    park = readable_park(session, scope, park_id)
    rows: list[YearRow] = []
    snapshots = sorted(list_snapshots(session, scope=scope, park_id=park.id), key=lambda s: s.year)
    for snapshot in snapshots:
        values, met, _ = _values(snapshot_evaluation(snapshot))
        rows.append(
            YearRow(
                year=snapshot.year,
                live=False,
                snapshot_id=snapshot.id,
                met_standards=snapshot.met_standards,
                met_indicators=snapshot.met_indicators,
                indicators=snapshot.indicators,
                values=values,
                met=met,
            )
        )
    current = today().year
    if all(s.year != current for s in snapshots):
        live = compute(session, scope=scope, park=park)
        values, met, _ = _values(live)
        rows.append(
            YearRow(
                year=live.year,
                live=True,
                snapshot_id=None,
                met_standards=live.met_standards,
                met_indicators=live.met_indicators,
                indicators=live.indicators,
                values=values,
                met=met,
            )
        )
    changes: dict[str, float | None] = {}
    if len(rows) >= 2:
        last, previous = rows[-1], rows[-2]
        for key, value in last.values.items():
            before = previous.values.get(key)
            changes[key] = None if value is None or before is None else value - before
    return YearOnYear(park_id=park.id, years=rows, changes=changes)


def compare(
    session: Session, *, scope: Scope, park_ids: Sequence[int] | None = None, year: int | None = None
) -> Comparison:
    """Several parks side by side for one year (signed snapshot where there is one, else live)."""
    scope.require(READ)
    year = year if year is not None else today().year
    as_of_year(year)  # validates the year
    wanted = sorted(set(park_ids)) if park_ids else sorted(scope.read_parks)
    if not wanted:
        raise PermissionDenied("you may read no park")
    columns = []
    for park_id in wanted:
        found = for_year(session, scope=scope, park_id=park_id, year=year)
        values, met, sources = _values(found)
        columns.append(
            ParkColumn(
                park_id=found.park_id,
                park_code=found.park_code,
                park_name=found.park_name,
                park_name_en=found.park_name_en,
                year=found.year,
                live=found.snapshot_id is None,
                snapshot_id=found.snapshot_id,
                met_standards=found.met_standards,
                met_indicators=found.met_indicators,
                values=values,
                met=met,
                value_sources=sources,
                standards_met={s.code: s.met for s in found.standards},
            )
        )
    return Comparison(year=year, parks=columns)
