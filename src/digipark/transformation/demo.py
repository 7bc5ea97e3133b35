"""The demo park's digital transformation: SME digital-level assessments of most enterprises over the last
years (a mix of levels, some waiting for review, some returned, drafts, and enterprises without any), a few
GB/T 39116 and smart-factory certificates, adoption records (industrial internet platforms, cloud, robots, AI,
digital production services), a catalogue of demo 小快轻准 products (transformation/data/demo.yaml, every
entry marked demo) and provider requests in every state. A realistic, partly failing picture: several 规上
industrial enterprises are not digitally renovated. Written through the transformation service, so every row
is validated and audited; deterministic for a seed."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.models import Role, User
from digipark.auth.scope import system_scope
from digipark.registry.models import Enterprise
from digipark.transformation import service
from digipark.transformation.assessment import Questionnaire, questionnaire
from digipark.transformation.models import Assessment, AssessmentRevision
from digipark.transformation.schemas import (
    AdoptionCreate,
    AssessmentCreate,
    AssessmentUpdate,
    CatalogueCreate,
    CertificateCreate,
    ProviderRequestCreate,
    ProviderRequestStatusChange,
    ReviewDecision,
)

Progress = Callable[[str, int, int], None]
STAGE = "transformation"


@cache
def _data() -> dict[str, Any]:
    text = resources.files("digipark.transformation").joinpath("data", "demo.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict):
        raise RuntimeError("malformed transformation/data/demo.yaml")
    return raw


def demo_answers(q: Questionnaire, maturity: float, rng: random.Random) -> dict[str, Any]:
    """Answers of an enterprise of a given maturity (0–1): better options and scenes as maturity grows."""
    answers: dict[str, Any] = {}
    for code, question in q.questions.items():
        options = [o for o in question.options if not o.exclusive]
        if question.multiple:
            share = min(1.0, max(0.0, maturity + rng.uniform(-0.2, 0.2)))
            chosen = [o.code for o in options if rng.random() < share]
            exclusive = next((o.code for o in question.options if o.exclusive), None)
            answers[code] = chosen or ([exclusive] if exclusive else [options[0].code])
        else:
            index = round(min(1.0, max(0.0, maturity + rng.uniform(-0.25, 0.25))) * (len(question.options) - 1))
            answers[code] = question.options[index].code
    for scene in q.scenes:
        answers[scene.code] = max(0, min(4, round(maturity * 4 + rng.uniform(-1.2, 0.8))))
    return answers


def _confirm(session: Session, ident: int, day: dt.date) -> None:
    """The park's confirmation as of the demo's day (the service dates it today)."""
    row = session.get(Assessment, ident)
    assert row is not None
    row.confirmed_on = day
    session.flush()


def build_transformation_demo(
    session: Session, *, park_id: int, as_of: dt.date, seed: int, progress: Progress | None = None
) -> dict[str, int]:
    """Write the demo park's transformation data; returns counts."""
    data = _data()
    rng = random.Random(f"{seed}:transformation")
    scope = system_scope(park_id)
    q = questionnaire()
    as_of = min(as_of, service.today())
    counts = dict.fromkeys(("catalogue", "assessments", "certificates", "adoption_records", "provider_requests"), 0)

    entries = []
    for item in data["catalogue"]:
        entries.append(
            service.create_catalogue_entry(
                session,
                scope=scope,
                data=CatalogueCreate(
                    kind=item["kind"],
                    name=item["name"],
                    name_en=item.get("name_en"),
                    provider=item["provider"],
                    provider_en=item.get("provider_en"),
                    description=item.get("description"),
                    description_en=item.get("description_en"),
                    scenes=list(item.get("scenes", [])),
                    indicators=list(item.get("indicators", [])),
                    price_note=item.get("price"),
                    price_note_en=item.get("price_en"),
                    demo=True,
                ),
            )
        )
    counts["catalogue"] = len(entries)

    enterprises = [
        *session.scalars(
            select(Enterprise)
            .where(Enterprise.park_id == park_id, Enterprise.status == "active")
            .order_by(Enterprise.id)
        )
    ]
    demo_user_enterprise = session.scalar(
        select(User.enterprise_id).where(User.park_id == park_id, User.role == Role.ENTERPRISE.value)
    )
    total = len(enterprises)
    platforms = data["platforms"]
    requesters: list[int] = []
    for done, enterprise in enumerate(enterprises, start=1):
        # maturity: larger (规上) enterprises tend to be further along; a long tail stays behind
        maturity = min(0.95, max(0.05, rng.betavariate(2.2, 2.6) + (0.12 if enterprise.above_scale else -0.05)))
        assessed = enterprise.industrial and rng.random() < (0.85 if enterprise.above_scale else 0.6)
        if enterprise.id == demo_user_enterprise:
            assessed, maturity = True, 0.45
        if assessed:
            _assessments(session, scope, q, enterprise, maturity, as_of, rng, counts, demo_user_enterprise)
        _adoption(session, scope, enterprise, maturity, as_of, rng, platforms, counts)
        if enterprise.above_scale and enterprise.industrial and maturity > 0.6 and rng.random() < 0.35:
            scale = "SMART_FACTORY" if rng.random() < 0.3 else "GBT39116"
            level = 1 if scale == "SMART_FACTORY" else rng.choice([2, 2, 3])
            prefix = "ZF" if scale == "SMART_FACTORY" else "CMMM"
            certificate = service.create_certificate(
                session,
                scope=scope,
                data=CertificateCreate(
                    enterprise_id=enterprise.id,
                    scale=scale,
                    level=level,
                    certificate_no=f"{prefix}-{as_of.year - 1}-{enterprise.id:05d}",
                    issuer=rng.choice(data["issuers"][scale]),
                    issued_on=as_of - dt.timedelta(days=rng.randrange(60, 700)),
                    valid_to=as_of + dt.timedelta(days=rng.randrange(200, 900)),
                ),
            )
            if rng.random() < 0.25:  # entered by the enterprise, not verified yet
                service.verify_certificate(session, scope=scope, ident=certificate.id, verified=False)
            counts["certificates"] += 1
        if maturity < 0.55 and enterprise.industrial:
            requesters.append(enterprise.id)
        if progress is not None:
            progress(STAGE, done, total)

    # provider requests in every state, for enterprises with room to improve
    statuses = [[], ["contacted"], ["contacted", "in_progress"], ["contacted", "in_progress", "done"], ["declined"]]
    rng.shuffle(requesters)
    for n, enterprise_id in enumerate(requesters[:8]):
        found = service.recommendations(session, scope=scope, enterprise_id=enterprise_id, limit=3)
        if not found.items:
            continue
        request = service.create_request(
            session,
            scope=scope,
            data=ProviderRequestCreate(
                enterprise_id=enterprise_id, entry_id=found.items[0].entry.id, message="希望了解方案与报价"
            ),
        )
        for status in statuses[n % len(statuses)]:
            service.change_request_status(
                session,
                scope=scope,
                ident=request.id,
                data=ProviderRequestStatusChange(status=status, note=None),
            )
        counts["provider_requests"] += 1
    return counts


def _assessments(
    session: Session,
    scope: Any,
    q: Questionnaire,
    enterprise: Enterprise,
    maturity: float,
    as_of: dt.date,
    rng: random.Random,
    counts: dict[str, int],
    demo_user_enterprise: int | None,
) -> None:
    years = [as_of.year - 1, as_of.year] if rng.random() < 0.5 else [as_of.year]
    if enterprise.id == demo_user_enterprise:
        years = [as_of.year - 1, as_of.year]
    for year in years:
        current = year == as_of.year
        level_maturity = maturity if current else max(0.05, maturity - 0.12)
        row = service.create_assessment(
            session, scope=scope, data=AssessmentCreate(enterprise_id=enterprise.id, year=year)
        )
        answers = demo_answers(q, level_maturity, rng)
        counts["assessments"] += 1
        if enterprise.id == demo_user_enterprise and current:
            # the demo enterprise account has this year's questionnaire half filled in
            partial = {k: v for k, v in answers.items() if k.startswith("Q") and k < "Q09"}
            service.save_draft(session, scope=scope, ident=row.id, data=AssessmentUpdate(answers=partial))
            continue
        roll = rng.random() if current else 0.0
        if roll > 0.92:  # a draft, never submitted
            partial = {k: v for k, v in answers.items() if rng.random() < 0.6}
            service.save_draft(session, scope=scope, ident=row.id, data=AssessmentUpdate(answers=partial))
            continue
        service.save_draft(session, scope=scope, ident=row.id, data=AssessmentUpdate(answers=answers))
        service.submit_assessment(session, scope=scope, ident=row.id)
        if roll > 0.78:  # waiting for the park's review
            continue
        if roll > 0.72:  # returned with a comment
            service.review_assessment(
                session,
                scope=scope,
                ident=row.id,
                data=ReviewDecision(decision="return", comment="请补充设备联网率的证明材料（设备台账）"),
            )
            continue
        service.review_assessment(session, scope=scope, ident=row.id, data=ReviewDecision(decision="confirm"))
        day = dt.date(year, 6, 30) if not current else as_of - dt.timedelta(days=rng.randrange(5, 90))
        _confirm(session, row.id, day)
        revision = session.scalar(select(AssessmentRevision).where(AssessmentRevision.assessment_id == row.id))
        if revision is not None and revision.reviewed_at is not None:
            revision.reviewed_at = dt.datetime.combine(day, dt.time(2, 0), tzinfo=dt.UTC)
            session.flush()


def _adoption(
    session: Session,
    scope: Any,
    enterprise: Enterprise,
    maturity: float,
    as_of: dt.date,
    rng: random.Random,
    platforms: dict[str, list[str]],
    counts: dict[str, int],
) -> None:
    if not enterprise.industrial:
        return
    chances = {
        "industrial_internet": 0.15 + 0.75 * maturity,
        "cloud": 0.25 + 0.7 * maturity,
        "robot": 0.05 + 0.6 * maturity if enterprise.above_scale else 0.05,
        "ai": max(0.0, 1.2 * maturity - 0.35),
        "digital_production_service": 0.05 + 0.7 * maturity if enterprise.above_scale else 0.1 + 0.3 * maturity,
    }
    scenes = {
        "industrial_internet": ["S06", "S08", "S10"],
        "cloud": ["S03", "S11", "S13"],
        "robot": ["S06"],
        "ai": ["S07", "S05"],
        "digital_production_service": ["S06", "S08"],
    }
    for kind, chance in chances.items():
        if rng.random() >= chance:
            continue
        started = as_of - dt.timedelta(days=rng.randrange(30, 1500))
        service.create_adoption(
            session,
            scope=scope,
            data=AdoptionCreate(
                enterprise_id=enterprise.id,
                kind=kind,
                name=rng.choice(platforms[kind]),
                provider=None,
                scenarios=rng.sample(scenes[kind], k=min(2, len(scenes[kind]))),
                count=rng.randrange(2, 40) if kind == "robot" else None,
                started_on=started,
            ),
        )
        counts["adoption_records"] += 1
