"""Input and output of the approvals API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,59}$")]
Department = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,39}$")]


class DefinitionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bpmn_xml: Annotated[str, StringConstraints(min_length=20, max_length=2_000_000)]
    dmn_xml: Annotated[list[Annotated[str, StringConstraints(max_length=1_000_000)]], Field(max_length=10)] = []
    called_bpmn_xml: Annotated[
        list[Annotated[str, StringConstraints(max_length=2_000_000)]],
        Field(max_length=10, description="the BPMN processes its call activities call"),
    ] = []
    form_schema: dict[str, Any] | None = Field(None, description="JSON Schema of the form; default: the previous one's")
    park_id: Id | None = None


class DefinitionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    key: str
    version: int
    name: str
    name_en: str | None = None
    active: bool
    bpmn_sha256: str
    published_by: str
    created_at: dt.datetime


class DefinitionDetail(DefinitionRead):
    bpmn_xml: str
    form_schema: dict[str, Any]


class DepartmentAssign(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: Id
    department: Department


class DepartmentMemberRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    user_id: int
    department: str


class ApplicationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    process: Key
    form: dict[str, Any] = Field(description="the form's fields the applicant fills in (the platform's are filled)")
    enterprise_id: Id | None = Field(None, description="staff applying for an enterprise name it")
    park_id: Id | None = None


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    instance_id: int
    step: str
    title: str
    title_en: str | None = None
    department: str
    state: str
    claimed_by: str | None
    decision: str | None
    reason: str | None
    completed_by: str | None
    opened_at: dt.datetime
    completed_at: dt.datetime | None
    due_at: dt.datetime
    reminded_at: dt.datetime | None
    escalated_at: dt.datetime | None


class ApplicationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    enterprise_id: int | None
    definition_id: int
    process_key: str
    title: str
    title_en: str | None = None
    applicant: str
    state: str
    form_data: dict[str, Any]
    platform_data: dict[str, Any]
    submitted_at: dt.datetime
    completed_at: dt.datetime | None
    amount_wan_yuan: float | None
    decision_sha256: str | None


class ApplicationDetail(ApplicationRead):
    steps: list[TaskRead]
    position: list[str] = Field(description="the BPMN ids where the application stands")


class DecisionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject", "return"]
    reason: Annotated[str, StringConstraints(max_length=2000)] | None = None


class CorrectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    form: dict[str, Any] = {}
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class SubmissionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    year: int
    package_sha256: str
    signature: str
    submitted_by: str
    submitted_at: dt.datetime
