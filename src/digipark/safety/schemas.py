"""Input and output shapes of the safety API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from digipark.safety import major_hazard
from digipark.safety.models import DangerGrade, RiskMethod, TaskStatus

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]
Text2000 = Annotated[str, Field(max_length=2000)]
Code = Annotated[str, Field(min_length=1, max_length=40)]
Lon = Annotated[float, Field(ge=-180, le=180)]
Lat = Annotated[float, Field(ge=-90, le=90)]
Items = Annotated[list[Annotated[str, Field(min_length=1, max_length=500)]], Field(max_length=50)]
PointIds = Annotated[list[Id], Field(max_length=100)]
Level = Literal["I", "II", "III", "IV"]
IncidentKind = Literal["fire", "leak", "explosion", "poisoning", "injury", "other"]
ResourceKindName = Literal["team", "supply", "shelter"]
Severity = Literal["info", "minor", "major", "critical"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Location(Strict):
    zone_id: Id | None = None
    building_id: Id | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    location: Annotated[str, Field(max_length=300)] | None = None


class LocationRead(Read):
    zone_id: int | None
    building_id: int | None
    lon: float | None
    lat: float | None
    location: str | None


# -- risk points ---------------------------------------------------------------------------------------------------
class RiskPointCreate(Location):
    enterprise_id: Id | None = None
    code: Code
    name: Text200
    category: Annotated[str, Field(max_length=60)] | None = None
    responsible_person: Annotated[str, Field(min_length=1, max_length=100)]
    responsible_phone: Annotated[str, Field(max_length=40)] | None = None
    hazards: Items = []
    controls: Items = []
    method: RiskMethod
    l_value: float = Field(description="L: likelihood (LEC or LS scale)")
    e_value: float | None = Field(default=None, description="E: exposure (LEC)")
    c_value: float | None = Field(default=None, description="C: consequence (LEC)")
    s_value: float | None = Field(default=None, description="S: severity (LS)")
    point_ids: PointIds = []
    active: bool = True


class RiskPointUpdate(Strict):
    code: Code | None = None
    name: Text200 | None = None
    category: Annotated[str, Field(max_length=60)] | None = None
    responsible_person: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    responsible_phone: Annotated[str, Field(max_length=40)] | None = None
    hazards: Items | None = None
    controls: Items | None = None
    method: RiskMethod | None = None
    l_value: float | None = None
    e_value: float | None = None
    c_value: float | None = None
    s_value: float | None = None
    point_ids: PointIds | None = None
    active: bool | None = None
    zone_id: Id | None = None
    building_id: Id | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    location: Annotated[str, Field(max_length=300)] | None = None


class RiskPointRead(LocationRead):
    id: int
    park_id: int
    enterprise_id: int | None
    code: str
    name: str
    category: str | None
    responsible_person: str
    responsible_phone: str | None
    hazards: list[str]
    controls: list[str]
    method: str
    l_value: float
    e_value: float | None
    c_value: float | None
    s_value: float | None
    score: float
    level: str
    point_ids: list[int]
    active: bool


# -- major hazard sources ------------------------------------------------------------------------------------------
class SubstanceIn(Strict):
    name: Text200
    cas: Annotated[str, Field(max_length=20, pattern=r"^\d{2,7}-\d{2}-\d$")] | None = None
    quantity_t: float = Field(ge=0, le=1e7, description="q: the actual (design maximum) quantity in tonnes")
    categories: Annotated[list[Annotated[str, Field(max_length=6)]], Field(max_length=10)] = []


class SubstanceRead(Read):
    name: str
    cas: str | None
    quantity_t: float
    categories: list[str] = []
    table1_seq: int | None
    category: str | None
    critical_t: float
    beta: float | None  # None: not in table 3, no category given, and the unit is not major (β is only for R)
    beta_source: str | None
    ratio: float


class HazardSourceCreate(Location):
    enterprise_id: Id | None = None
    code: Code
    name: Text200
    unit_kind: Literal["production", "storage"]
    exposed_people: int = Field(ge=0, le=10_000_000, description="常住人口 within 500 m outside the boundary")
    substances: Annotated[list[SubstanceIn], Field(min_length=1, max_length=100)]
    responsible_person: Annotated[str, Field(max_length=100)] | None = None
    point_ids: PointIds = []


class HazardSourceUpdate(Strict):
    code: Code | None = None
    name: Text200 | None = None
    unit_kind: Literal["production", "storage"] | None = None
    exposed_people: int | None = Field(default=None, ge=0, le=10_000_000)
    substances: Annotated[list[SubstanceIn], Field(min_length=1, max_length=100)] | None = None
    responsible_person: Annotated[str, Field(max_length=100)] | None = None
    point_ids: PointIds | None = None
    zone_id: Id | None = None
    building_id: Id | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    location: Annotated[str, Field(max_length=300)] | None = None


class HazardSourceRead(LocationRead):
    id: int
    park_id: int
    enterprise_id: int | None
    code: str
    name: str
    unit_kind: str
    exposed_people: int
    substances: list[SubstanceRead]
    s_value: float
    is_major: bool
    alpha: float
    r_value: float | None
    grade: int | None
    grade_name: str | None = None
    responsible_person: str | None
    point_ids: list[int]

    @model_validator(mode="after")
    def _name_grade(self) -> HazardSourceRead:
        self.grade_name = major_hazard.GRADE_NAMES.get(self.grade) if self.grade else None
        return self


class Evaluate(Strict):
    exposed_people: int = Field(ge=0, le=10_000_000)
    substances: Annotated[list[SubstanceIn], Field(min_length=1, max_length=100)]


class EvaluationRead(BaseModel):
    substances: list[SubstanceRead]
    s_value: float
    is_major: bool
    alpha: float
    weighted_sum: float | None
    r_value: float | None
    grade: int | None
    grade_name: str | None


# -- hidden dangers ------------------------------------------------------------------------------------------------
class HiddenDangerCreate(Location):
    enterprise_id: Id | None = None
    title: Text200
    description: Text2000 | None = None
    grade: DangerGrade = DangerGrade.GENERAL
    risk_point_id: Id | None = None
    found_on: dt.date | None = None
    deadline: dt.date | None = None


class HiddenDangerUpdate(Strict):
    title: Text200 | None = None
    description: Text2000 | None = None
    grade: DangerGrade | None = None
    risk_point_id: Id | None = None
    zone_id: Id | None = None
    building_id: Id | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    location: Annotated[str, Field(max_length=300)] | None = None


class Assign(Strict):
    assignee: Annotated[str, Field(min_length=1, max_length=120)]
    deadline: dt.date
    measures: Text2000 | None = None


class Rectify(Strict):
    rectification: Annotated[str, Field(min_length=1, max_length=2000)]


class Verify(Strict):
    passed: bool
    note: Text2000 | None = None


class HiddenDangerRead(LocationRead):
    id: int
    park_id: int
    enterprise_id: int | None
    title: str
    description: str | None
    grade: str
    status: str
    risk_point_id: int | None
    found_by: str
    found_on: dt.date
    deadline: dt.date | None
    assignee: str | None
    measures: str | None
    rectified_by: str | None
    rectified_at: dt.datetime | None
    rectification: str | None
    verified_by: str | None
    verified_at: dt.datetime | None
    history: list[dict[str, Any]]
    overdue: bool = False


# -- plans and resources -------------------------------------------------------------------------------------------
class PlanLevel(Strict):
    level: Level
    criteria: Annotated[str, Field(min_length=1, max_length=500)]


class PlanRole(Strict):
    role: Annotated[str, Field(min_length=1, max_length=100)]
    duty: Annotated[str, Field(max_length=500)] = ""
    resource_id: Id | None = None


class PlanStep(Strict):
    title: Annotated[str, Field(min_length=1, max_length=200)]
    role: Annotated[str, Field(max_length=100)] | None = None
    within_minutes: int | None = Field(default=None, ge=0, le=100_000)


class PlanCreate(Strict):
    enterprise_id: Id | None = None
    code: Code
    title: Text200
    plan_type: Literal["comprehensive", "special", "onsite"]
    incident_kinds: Annotated[list[IncidentKind], Field(max_length=6)] = []
    levels: Annotated[list[PlanLevel], Field(max_length=4)] = []
    roles: Annotated[list[PlanRole], Field(max_length=50)] = []
    steps: Annotated[list[PlanStep], Field(max_length=100)] = []
    auto_open_severity: Severity | None = None
    version: Annotated[str, Field(max_length=20)] | None = None
    approved_on: dt.date | None = None
    active: bool = True


class PlanUpdate(Strict):
    code: Code | None = None
    title: Text200 | None = None
    plan_type: Literal["comprehensive", "special", "onsite"] | None = None
    incident_kinds: Annotated[list[IncidentKind], Field(max_length=6)] | None = None
    levels: Annotated[list[PlanLevel], Field(max_length=4)] | None = None
    roles: Annotated[list[PlanRole], Field(max_length=50)] | None = None
    steps: Annotated[list[PlanStep], Field(max_length=100)] | None = None
    auto_open_severity: Severity | None = None
    version: Annotated[str, Field(max_length=20)] | None = None
    approved_on: dt.date | None = None
    active: bool | None = None


class PlanRead(Read):
    id: int
    park_id: int
    enterprise_id: int | None
    code: str
    title: str
    plan_type: str
    incident_kinds: list[str]
    levels: list[dict[str, Any]]
    roles: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    auto_open_severity: str | None
    version: str | None
    approved_on: dt.date | None
    active: bool


class ResourceCreate(Location):
    kind: ResourceKindName
    name: Text200
    category: Annotated[str, Field(max_length=60)] | None = None
    quantity: float | None = Field(default=None, ge=0, le=1e9)
    unit: Annotated[str, Field(max_length=20)] | None = None
    contact: Annotated[str, Field(max_length=100)] | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None
    owner_enterprise_id: Id | None = None
    available: bool = True


class ResourceUpdate(Strict):
    name: Text200 | None = None
    category: Annotated[str, Field(max_length=60)] | None = None
    quantity: float | None = Field(default=None, ge=0, le=1e9)
    unit: Annotated[str, Field(max_length=20)] | None = None
    contact: Annotated[str, Field(max_length=100)] | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None
    available: bool | None = None
    zone_id: Id | None = None
    building_id: Id | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    location: Annotated[str, Field(max_length=300)] | None = None


class ResourceRead(LocationRead):
    id: int
    park_id: int
    kind: str
    name: str
    category: str | None
    quantity: float | None
    unit: str | None
    contact: str | None
    phone: str | None
    owner_enterprise_id: int | None
    available: bool


class NearestResource(BaseModel):
    resource: ResourceRead
    distance_m: float


# -- incidents -----------------------------------------------------------------------------------------------------
class IncidentCreate(Location):
    enterprise_id: Id | None = None
    title: Text200
    title_en: Text200 | None = Field(None, description="the title on English pages")
    kind: IncidentKind
    level: Level = "IV"
    description: Text2000 | None = None
    occurred_at: dt.datetime | None = None
    plan_id: Id | None = None
    drill: bool = False


class IncidentFromAlarm(Strict):
    alarm_id: Id
    kind: IncidentKind = "other"
    level: Level | None = None
    plan_id: Id | None = None
    title: Text200 | None = None
    title_en: Text200 | None = None


class TaskCreate(Strict):
    title: Text200
    detail: Text2000 | None = None
    team_id: Id | None = None
    assignee: Annotated[str, Field(max_length=120)] | None = None
    deadline: dt.datetime


class TaskStatusChange(Strict):
    status: Literal[TaskStatus.DONE, TaskStatus.CANCELLED]
    note: Text2000 | None = None


class Note(Strict):
    text: Annotated[str, Field(min_length=1, max_length=2000)]


class Close(Strict):
    summary: Annotated[str, Field(min_length=1, max_length=2000)]
    deaths: int = Field(default=0, ge=0, le=100_000)
    injuries: int = Field(default=0, ge=0, le=100_000)


class TaskRead(Read):
    id: int
    incident_id: int
    team_id: int | None
    assignee: str | None
    title: str
    detail: str | None
    deadline: dt.datetime
    status: str
    assigned_by: str
    done_at: dt.datetime | None
    note: str | None


class EventRead(Read):
    id: int
    incident_id: int
    at: dt.datetime
    actor: str
    kind: str
    text: str
    data: dict[str, Any]


class PhotoRead(Read):
    id: int
    incident_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: dt.datetime


class PushRead(Read):
    id: int
    incident_id: int
    url: str
    attempt: int
    at: dt.datetime
    status_code: int | None
    ok: bool
    error: str | None


class IncidentRead(LocationRead):
    id: int
    park_id: int
    enterprise_id: int | None
    code: str
    title: str
    title_en: str | None
    kind: str
    level: str
    status: str
    source: str
    drill: bool
    alarm_id: int | None
    plan_id: int | None
    description: str | None
    reported_by: str
    occurred_at: dt.datetime
    closed_at: dt.datetime | None
    closed_by: str | None
    summary: str | None
    deaths: int
    injuries: int
    report_pushed_at: dt.datetime | None


class IncidentDetail(IncidentRead):
    tasks: list[TaskRead]
    photos: list[PhotoRead]
    pushes: list[PushRead]


# -- early warning -------------------------------------------------------------------------------------------------
class Reason(BaseModel):
    kind: (
        str  # alarms | hidden_dangers_open | hidden_dangers_overdue | hazard_sources | risk_points | trend | incidents
    )
    detail: str  # e.g. a severity, a grade, a colour
    count: int
    points: float


class AreaRisk(BaseModel):
    key: int | None
    name: str
    index: float
    level: str
    reasons: list[Reason]


class RiskPicture(BaseModel):
    park_id: int
    as_of: dt.datetime
    zones: list[AreaRisk]
    buildings: list[AreaRisk]
    enterprises: list[AreaRisk]
    park: AreaRisk
    alarms_available: bool
