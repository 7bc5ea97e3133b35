"""Precise investment attraction (精准招商): a register of candidate companies outside the park, their ranking by
how well they fill the park's chains, and the lead pipeline contacted → visited → negotiating → signed → settled.

Candidates and leads are the park's investment team's: reading needs `lead.read`, changing `lead.write` (park
administrators and operators; never reviewers, enterprises or residents). The ranking's rules and weights are
data (`economy/data/lead_scoring.yaml`); every score comes with its components, points and reasons.

Pipeline rules: a lead moves forward only, and may skip stages (a company may sign without a formal visit; the
skipped stages keep no date); it may become `lost` from any stage before `settled`; `settled` and `lost` are
final. Every change is audited (ORM writes) and written to the lead's history (`LeadEvent`).
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.models import User
from digipark.auth.permissions import ROLE_PERMISSIONS
from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, NotFound, PermissionDenied, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.economy import schemas
from digipark.economy.lead_scoring import CandidateScore, Ranking, lead_ids
from digipark.economy.models import ChainSegment, CompanySize, InvestmentCandidate, Lead, LeadEvent, LeadStage
from digipark.economy.statistics import today as today
from digipark.registry import service as registry

PIPELINE = (LeadStage.CONTACTED, LeadStage.VISITED, LeadStage.NEGOTIATING, LeadStage.SIGNED, LeadStage.SETTLED)
FINAL = frozenset({LeadStage.SETTLED, LeadStage.LOST})
STAGE_DATE = {stage: f"{stage.value}_on" for stage in LeadStage}


# -- candidates --------------------------------------------------------------------------------------------------
CANDIDATE_LIST = ListSpec(
    filters={
        "park_id": InvestmentCandidate.park_id,
        "segment_id": InvestmentCandidate.segment_id,
        "size": InvestmentCandidate.size,
        "region_code": InvestmentCandidate.region_code,
        "uscc": InvestmentCandidate.uscc,
    },
    search=[InvestmentCandidate.name, InvestmentCandidate.uscc, InvestmentCandidate.products],
    sort={
        "id": InvestmentCandidate.id,
        "name": InvestmentCandidate.name,
        "revenue_wan_yuan": InvestmentCandidate.revenue_wan_yuan,
        "employees": InvestmentCandidate.employees,
        "created_at": InvestmentCandidate.created_at,
    },
)


def list_candidates(
    session: Session, *, scope: Scope, query: ListQuery
) -> tuple[builtins.list[InvestmentCandidate], int]:
    scope.require("lead.read")
    return CANDIDATE_LIST.apply(session, scope.readable(InvestmentCandidate), query)


def get_candidate(session: Session, *, scope: Scope, ident: int) -> InvestmentCandidate:
    scope.require("lead.read")
    return scope.get_or_404(session, InvestmentCandidate, ident)


def explain(session: Session, *, scope: Scope, candidate_id: int) -> CandidateScore:
    candidate = get_candidate(session, scope=scope, ident=candidate_id)
    return Ranking(session, scope).score(candidate, lead_ids(session, scope, [candidate.id]).get(candidate.id))


def normal_name(name: str) -> str:
    return re.sub(r"\s+", "", name).replace("（", "(").replace("）", ")")


def _check_candidate(session: Session, scope: Scope, park_id: int, values: dict[str, Any], ident: int | None) -> None:
    if values.get("segment_id") is not None:
        segment = session.scalar(scope.readable(ChainSegment).where(ChainSegment.id == values["segment_id"]))
        if segment is None or segment.park_id != park_id:
            raise field_error("segment_id", "no such chain segment in this park")
    if values.get("uscc"):
        found = session.scalar(
            select(InvestmentCandidate.id).where(
                InvestmentCandidate.park_id == park_id, InvestmentCandidate.uscc == values["uscc"]
            )
        )
        if found is not None and found != ident:
            raise Conflict(
                f"candidate {found} already has this USCC", errors=[{"field": "uscc", "reason": "already registered"}]
            )
    if values.get("name"):
        wanted = normal_name(values["name"])
        stmt = select(InvestmentCandidate.id, InvestmentCandidate.name).where(InvestmentCandidate.park_id == park_id)
        for found, name in session.execute(stmt):
            if found != ident and normal_name(name) == wanted:
                raise Conflict(
                    f"candidate {found} already has this name",
                    errors=[{"field": "name", "reason": "already registered"}],
                )


def _stored(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.value if isinstance(v, CompanySize) else v for k, v in values.items()}


def create_candidate(session: Session, *, scope: Scope, data: schemas.InvestmentCandidateCreate) -> InvestmentCandidate:
    scope.require("lead.write")
    park_id = scope.acting_write_park()
    values = _stored(data.model_dump())
    _check_candidate(session, scope, park_id, values, None)
    candidate = InvestmentCandidate(park_id=park_id, **values)
    session.add(candidate)
    session.flush()
    return candidate


def update_candidate(
    session: Session, *, scope: Scope, ident: int, data: schemas.InvestmentCandidateUpdate
) -> InvestmentCandidate:
    candidate = get_candidate(session, scope=scope, ident=ident)
    scope.authorize_write_row("lead.write", candidate)
    values = _stored(data.model_dump(exclude_unset=True))
    for field in ("name", "segment_id"):
        if field in values and values[field] is None:
            raise field_error(field, "required: may not be set to null")
    _check_candidate(session, scope, candidate.park_id, values, candidate.id)
    for field, value in values.items():
        setattr(candidate, field, value)
    session.flush()
    return candidate


def delete_candidate(session: Session, *, scope: Scope, ident: int) -> None:
    """Delete a candidate; refused while it has a lead (mark the lead lost instead)."""
    candidate = get_candidate(session, scope=scope, ident=ident)
    scope.authorize_write_row("lead.write", candidate)
    lead = session.scalar(select(Lead.id).where(Lead.candidate_id == candidate.id))
    if lead is not None:
        raise Conflict(
            f"candidate {candidate.id} has lead {lead}; mark the lead lost instead",
            errors=[{"field": "id", "reason": f"in use by investment_lead {lead}"}],
        )
    session.delete(candidate)
    session.flush()


# -- leads -----------------------------------------------------------------------------------------------------
LEAD_LIST = ListSpec(
    filters={
        "park_id": Lead.park_id,
        "stage": Lead.stage,
        "owner_user_id": Lead.owner_user_id,
        "candidate_id": Lead.candidate_id,
    },
    sort={
        "id": Lead.id,
        "stage": Lead.stage,
        "next_action_on": Lead.next_action_on,
        "updated_at": Lead.updated_at,
    },
)


def list_leads(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[Lead], int]:
    scope.require("lead.read")
    return LEAD_LIST.apply(session, scope.readable(Lead), query)


def get_lead(session: Session, *, scope: Scope, ident: int) -> Lead:
    scope.require("lead.read")
    return scope.get_or_404(session, Lead, ident)


def lead_events(session: Session, *, scope: Scope, lead_id: int) -> builtins.list[LeadEvent]:
    stmt = scope.readable(LeadEvent).where(LeadEvent.lead_id == lead_id).order_by(LeadEvent.id)
    return builtins.list(session.scalars(stmt))


def staff_users(session: Session, *, park_id: int) -> builtins.list[User]:
    """The accounts that may own a lead: active park administrators and operators of the park."""
    stmt = (
        select(User)
        .where(
            User.park_id == park_id,
            User.role.in_(sorted(role.value for role, granted in ROLE_PERMISSIONS.items() if "lead.write" in granted)),
            User.is_active.is_(True),
        )
        .order_by(User.display_name, User.id)
    )
    return builtins.list(session.scalars(stmt))


def user_names(session: Session, user_ids: builtins.list[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in user_ids if i is not None})
    if not wanted:
        return {}
    return {
        ident: name for ident, name in session.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
    }


def _check_owner(session: Session, park_id: int, user_id: int) -> None:
    if user_id not in {u.id for u in staff_users(session, park_id=park_id)}:
        raise field_error("owner_user_id", "not an active park administrator or operator of this park")


def _event(
    session: Session,
    scope: Scope,
    lead: Lead,
    *,
    action: str,
    on: dt.date,
    from_stage: str | None = None,
    to_stage: str | None = None,
    note: str | None = None,
) -> LeadEvent:
    event = LeadEvent(
        park_id=lead.park_id,
        lead_id=lead.id,
        happened_on=on,
        actor=scope.username,
        actor_user_id=scope.user_id,
        action=action,
        from_stage=from_stage,
        to_stage=to_stage,
        note=note,
    )
    session.add(event)
    return event


def _not_future(on: dt.date | None, field: str) -> dt.date:
    day = on or today()
    if day > today():
        raise field_error(field, "may not be in the future")
    return day


def create_lead(session: Session, *, scope: Scope, data: schemas.LeadCreate) -> Lead:
    scope.require("lead.write")
    try:
        candidate = get_candidate(session, scope=scope, ident=data.candidate_id)
    except NotFound:
        raise field_error("candidate_id", "no such candidate") from None
    scope.authorize_write_row("lead.write", candidate)
    existing = session.scalar(select(Lead.id).where(Lead.candidate_id == candidate.id))
    if existing is not None:
        raise Conflict(
            f"candidate {candidate.id} already has lead {existing}",
            errors=[{"field": "candidate_id", "reason": f"already has lead {existing}"}],
        )
    if data.owner_user_id is not None:
        _check_owner(session, candidate.park_id, data.owner_user_id)
    on = _not_future(data.contacted_on, "contacted_on")
    lead = Lead(
        park_id=candidate.park_id,
        candidate_id=candidate.id,
        stage=LeadStage.CONTACTED.value,
        owner_user_id=data.owner_user_id,
        next_action=data.next_action,
        next_action_on=data.next_action_on,
        contacted_on=on,
    )
    session.add(lead)
    session.flush()
    _event(session, scope, lead, action="created", on=on, to_stage=LeadStage.CONTACTED.value, note=data.note)
    session.flush()
    return lead


def update_lead(session: Session, *, scope: Scope, ident: int, data: schemas.LeadUpdate) -> Lead:
    lead = get_lead(session, scope=scope, ident=ident)
    scope.authorize_write_row("lead.write", lead)
    values = data.model_dump(exclude_unset=True)
    if values.get("owner_user_id") is not None:
        _check_owner(session, lead.park_id, values["owner_user_id"])
    if "owner_user_id" in values and values["owner_user_id"] != lead.owner_user_id:
        names = user_names(session, [lead.owner_user_id, values["owner_user_id"]])
        before = names.get(lead.owner_user_id, "—") if lead.owner_user_id else "—"
        after = names.get(values["owner_user_id"], "—") if values["owner_user_id"] else "—"
        _event(session, scope, lead, action="owner", on=today(), note=f"{before} → {after}")
    for field, value in values.items():
        setattr(lead, field, value)
    session.flush()
    return lead


def check_transition(current: LeadStage, target: LeadStage) -> None:
    """Raise Conflict unless a lead in `current` may move to `target` (see the module's pipeline rules)."""
    if current in FINAL:
        raise Conflict(
            f"the lead is {current.value}; it cannot change any more",
            errors=[{"field": "stage", "reason": f"{current.value} is final"}],
        )
    if target == current:
        raise Conflict(f"the lead is already {current.value}", errors=[{"field": "stage", "reason": "unchanged"}])
    if target == LeadStage.LOST:
        return
    if PIPELINE.index(target) < PIPELINE.index(current):
        raise Conflict(
            f"a lead does not go back from {current.value} to {target.value}; only forward, or to lost",
            errors=[{"field": "stage", "reason": f"backwards from {current.value}"}],
        )


def change_stage(session: Session, *, scope: Scope, ident: int, data: schemas.LeadStageChange) -> Lead:
    lead = get_lead(session, scope=scope, ident=ident)
    scope.authorize_write_row("lead.write", lead)
    current = LeadStage(lead.stage)
    check_transition(current, data.stage)
    on = _not_future(data.on, "on")
    reached = [d for d in (getattr(lead, STAGE_DATE[s]) for s in PIPELINE) if d is not None]
    if reached and on < max(reached):
        raise field_error("on", f"may not be before the lead's last step ({max(reached).isoformat()})")
    setattr(lead, STAGE_DATE[data.stage], on)
    lead.stage = data.stage.value
    if data.stage == LeadStage.LOST:
        lead.lost_reason = data.lost_reason or data.note
    if data.stage in FINAL:
        lead.next_action, lead.next_action_on = None, None
    _event(
        session, scope, lead, action="stage", on=on, from_stage=current.value, to_stage=data.stage.value, note=data.note
    )
    session.flush()
    return lead


@dataclasses.dataclass
class LeadCard:
    lead: Lead
    candidate: InvestmentCandidate
    score: CandidateScore
    owner: str | None


def board(session: Session, *, scope: Scope) -> dict[LeadStage, builtins.list[LeadCard]]:
    """Every lead the scope may read, by stage (pipeline order, then lost), best score first in each column."""
    scope.require("lead.read")
    leads = builtins.list(session.scalars(scope.readable(Lead).order_by(Lead.id)))
    candidates = {
        c.id: c
        for c in session.scalars(
            scope.readable(InvestmentCandidate).where(InvestmentCandidate.id.in_([lead.candidate_id for lead in leads]))
        )
    }
    owners = user_names(session, [lead.owner_user_id for lead in leads])
    ranking = Ranking(session, scope)
    columns: dict[LeadStage, builtins.list[LeadCard]] = {stage: [] for stage in (*PIPELINE, LeadStage.LOST)}
    for lead in leads:
        candidate = candidates[lead.candidate_id]
        card = LeadCard(lead, candidate, ranking.score(candidate, lead.id), owners.get(lead.owner_user_id or 0))
        columns[LeadStage(lead.stage)].append(card)
    for cards in columns.values():
        cards.sort(key=lambda c: (-c.score.score, c.candidate.name))
    return columns


def lead_counts(session: Session, *, scope: Scope) -> dict[str, int]:
    scope.require("lead.read")
    rows = session.execute(select(Lead.stage, func.count()).where(scope.condition(Lead)).group_by(Lead.stage))
    return {stage: n for stage, n in rows}


# -- free space -------------------------------------------------------------------------------------------------
def free_space(session: Session, *, scope: Scope, park_id: int | None = None) -> registry.FreeSpace:
    """The park's vacant floor space and unbuilt land: registry data, for staff (reviewers included, who read the
    rooms and parcels anyway)."""
    if not scope.can("economy.read"):
        raise PermissionDenied("the park's free space is shown to park staff only")
    return registry.free_space(session, scope=scope, park_id=scope.acting_park(park_id), as_of=today())
