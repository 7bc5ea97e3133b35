"""The ICS self-assessment against MIIT's 《工业控制系统网络安全防护指南》 (data/ics_guide.yaml): an enterprise answers
each requirement item (met, partly met, not met, not applicable) with its evidence; scores per area and overall, the
gaps, and rectification tasks (what, owner, due date) for them. An enterprise keeps its own; park staff every
enterprise's; reviewers read. Rectification tasks are the domain's own records: they belong to the enterprise and
its people, not to the park's maintenance work orders."""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import field_error
from digipark.core.listing import ListSpec
from digipark.crud import RecordType
from digipark.cybersec import reference
from digipark.cybersec.common import enterprise_owner, own_or_staff
from digipark.cybersec.models import CheckStatus, IcsAssessment, IcsTask, TaskStatus

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ItemKey = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
Evidence = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
_OWNED = "the enterprise it belongs to; an enterprise user's own by default"


# -- the guide as data ---------------------------------------------------------------------------------------------
@cache
def guide() -> dict[str, Any]:
    return reference.load("ics_guide")


def items() -> dict[str, dict[str, Any]]:
    """Item key -> the item, with its area's key."""
    return {str(i["key"]): {**i, "area": a["key"]} for a in guide()["areas"] for i in a["items"]}


# -- input and output ----------------------------------------------------------------------------------------------
class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Answer(_In):
    status: CheckStatus
    evidence: Evidence = ""


class AssessmentCreate(_In):
    title: Title
    assessed_on: dt.date
    assessor: Short
    answers: dict[ItemKey, Answer] = Field(default_factory=dict, description="item key -> answer; others: to do")
    enterprise_id: Id | None = Field(None, description=_OWNED)
    park_id: Id | None = None


class AssessmentUpdate(_In):
    title: Title | None = None
    assessed_on: dt.date | None = None
    assessor: Short | None = None
    answers: dict[ItemKey, Answer] | None = Field(None, description="the items given replace their answers")


class AssessmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    park_id: int
    enterprise_id: int | None
    title: str
    assessed_on: dt.date
    assessor: str
    answers: dict[str, Any]


class TaskCreate(_In):
    assessment_id: Id
    item: ItemKey
    title: Title
    owner: Short
    due_on: dt.date
    enterprise_id: Id | None = Field(None, description="taken from the assessment")
    park_id: Id | None = None


class TaskUpdate(_In):
    title: Title | None = None
    owner: Short | None = None
    due_on: dt.date | None = None
    status: TaskStatus | None = None
    done_on: dt.date | None = None


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    park_id: int
    enterprise_id: int | None
    assessment_id: int
    item: str
    title: str
    owner: str
    due_on: dt.date
    status: str
    done_on: dt.date | None


class AreaScore(BaseModel):
    area: str
    part: str
    name: str
    name_en: str
    score: float | None  # percent of the applicable items; None when none applies
    applicable: int
    met: int


class Gap(BaseModel):
    item: str
    area: str
    name: str
    name_en: str
    status: str
    evidence: str


class Report(BaseModel):
    assessment_id: int
    enterprise_id: int | None
    overall: float | None
    areas: builtins.list[AreaScore]
    gaps: builtins.list[Gap]
    open_tasks: int
    overdue_tasks: int
    source: str
    status: str


# -- validation ----------------------------------------------------------------------------------------------------
def _answers(given: dict[str, Any] | None, before: dict[str, Any] | None) -> dict[str, Any]:
    known = items()
    unknown = sorted(k for k in (given or {}) if k not in known)
    if unknown:
        raise field_error("answers", f"not an item of the guide: {', '.join(unknown)}")
    found = dict(before or {})
    for key, answer in (given or {}).items():
        value = answer.model_dump(mode="json") if isinstance(answer, BaseModel) else dict(answer)
        value = {"status": str(value["status"]), "evidence": str(value.get("evidence") or "")}
        if value["status"] in (CheckStatus.PARTIAL.value, CheckStatus.NOT_APPLICABLE.value) and not value.get(
            "evidence"
        ):
            raise field_error("answers", f"item {key}: say why (evidence) when partly met or not applicable")
        found[key] = value
    return found


def _assessment_values(
    session: Session, scope: Scope, values: dict[str, Any], row: IcsAssessment | None
) -> dict[str, Any]:
    if "answers" in values or row is None:
        values["answers"] = _answers(values.get("answers"), row.answers if row is not None else None)
    return values


def _task_owner(session: Session, scope: Scope, data: BaseModel) -> tuple[int, int | None]:
    """A task belongs to its assessment's enterprise (which the caller may write)."""
    assert isinstance(data, TaskCreate)
    assessment = ASSESSMENTS.get(session, scope=scope, ident=data.assessment_id)
    return assessment.park_id, assessment.enterprise_id


def _task_values(session: Session, scope: Scope, values: dict[str, Any], row: IcsTask | None) -> dict[str, Any]:
    if "item" in values and str(values["item"]) not in items():
        raise field_error("item", f"not an item of the guide: {values['item']}")
    status = values.get("status", row.status if row is not None else TaskStatus.OPEN.value)
    status = str(getattr(status, "value", status))
    if status == TaskStatus.DONE.value and values.get("done_on", row.done_on if row is not None else None) is None:
        values["done_on"] = dt.date.today()
    if status == TaskStatus.OPEN.value and "status" in values:
        values["done_on"] = None
    return values


def _spec(model: Any, *extra: str) -> dict[str, Any]:
    return {"park_id": model.park_id, "enterprise_id": model.enterprise_id, **{e: getattr(model, e) for e in extra}}


ASSESSMENTS: RecordType[IcsAssessment] = RecordType(
    name="ics_assessment",
    model=IcsAssessment,
    create_schema=AssessmentCreate,
    update_schema=AssessmentUpdate,
    read_schema=AssessmentRead,
    list_spec=ListSpec(
        filters=_spec(IcsAssessment),
        search=[IcsAssessment.title],
        sort={"id": IcsAssessment.id, "assessed_on": IcsAssessment.assessed_on},
        default_sort="-assessed_on,-id",
    ),
    write_permission=own_or_staff,
    owner=enterprise_owner,
    validate=_assessment_values,
)

TASKS: RecordType[IcsTask] = RecordType(
    name="ics_task",
    model=IcsTask,
    create_schema=TaskCreate,
    update_schema=TaskUpdate,
    read_schema=TaskRead,
    list_spec=ListSpec(
        filters=_spec(IcsTask, "assessment_id", "status", "item"),
        search=[IcsTask.title, IcsTask.owner],
        sort={"id": IcsTask.id, "due_on": IcsTask.due_on},
        default_sort="due_on,id",
    ),
    write_permission=own_or_staff,
    owner=_task_owner,
    validate=_task_values,
)


# -- scores, gaps --------------------------------------------------------------------------------------------------
@dataclasses.dataclass
class _Tally:
    points: float = 0.0
    applicable: int = 0
    met: int = 0


def score(answers: dict[str, Any]) -> tuple[float | None, builtins.list[AreaScore], builtins.list[Gap]]:
    """(overall percent, per area, gaps) of a set of answers: each applicable item scores as data/ics_guide.yaml's
    `scores` say (an unanswered item as not met); not applicable items are left out."""
    weights = {k: float(v) for k, v in guide()["scores"].items()}
    total = _Tally()
    areas: builtins.list[AreaScore] = []
    gaps: builtins.list[Gap] = []
    for area in guide()["areas"]:
        tally = _Tally()
        for item in area["items"]:
            answer = answers.get(str(item["key"])) or {"status": CheckStatus.TODO.value, "evidence": ""}
            status = str(answer["status"])
            if status == CheckStatus.NOT_APPLICABLE.value:
                continue
            tally.applicable += 1
            tally.points += weights[status]
            if status == CheckStatus.MET.value:
                tally.met += 1
            else:
                gaps.append(
                    Gap(
                        item=str(item["key"]),
                        area=area["key"],
                        name=item["name"],
                        name_en=item["name_en"],
                        status=status,
                        evidence=str(answer.get("evidence") or ""),
                    )
                )
        total.points += tally.points
        total.applicable += tally.applicable
        areas.append(
            AreaScore(
                area=area["key"],
                part=area["part"],
                name=area["name"],
                name_en=area["name_en"],
                score=round(100 * tally.points / tally.applicable, 1) if tally.applicable else None,
                applicable=tally.applicable,
                met=tally.met,
            )
        )
    overall = round(100 * total.points / total.applicable, 1) if total.applicable else None
    return overall, areas, gaps


def report(session: Session, *, scope: Scope, ident: int, today: dt.date | None = None) -> Report:
    """An assessment's scores per area and overall, its gaps and how many of its tasks are open or overdue."""
    assessment = ASSESSMENTS.get(session, scope=scope, ident=ident)
    overall, areas, gaps = score(assessment.answers)
    tasks = tasks_of(session, scope=scope, assessment_id=assessment.id)
    today = today or dt.date.today()
    open_tasks = [t for t in tasks if t.status == TaskStatus.OPEN.value]
    return Report(
        assessment_id=assessment.id,
        enterprise_id=assessment.enterprise_id,
        overall=overall,
        areas=areas,
        gaps=gaps,
        open_tasks=len(open_tasks),
        overdue_tasks=sum(1 for t in open_tasks if t.due_on < today),
        source=guide()["source"],
        status=guide()["status"],
    )


def tasks_of(session: Session, *, scope: Scope, assessment_id: int) -> builtins.list[IcsTask]:
    stmt = TASKS.readable(scope).where(IcsTask.assessment_id == assessment_id).order_by(IcsTask.due_on, IcsTask.id)
    return list(session.scalars(stmt))
