"""Input and output of work orders, teams and dispatch rules."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from digipark.workorders.models import Category, OriginKind, PhotoStage, Priority, State

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class WorkOrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Category = Category.REPAIR
    priority: Priority = Priority.NORMAL
    title: Title
    title_en: Title | None = Field(None, description="the title on English pages")
    description: Text | None = None
    building_id: Id | None = None
    floor_id: Id | None = None
    room_id: Id | None = None
    location: Short | None = Field(None, description="where, in words (e.g. 'east stair, 3rd floor')")
    enterprise_id: Id | None = Field(None, description="the enterprise it is for (staff); an enterprise: its own")
    origin_kind: OriginKind = OriginKind.PERSON
    origin_ref: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] | None = None
    park_id: Id | None = Field(None, description="the park it is for; default: your own")


class AssignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    team_id: Id | None = Field(None, description="the team; none: by the park's dispatch rules")


class CompleteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Text | None = None


class RateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: Annotated[int, Field(ge=1, le=5)]
    comment: Short | None = None


class WorkOrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    code: str
    category: Category
    priority: Priority
    title: str
    title_en: str | None
    description: str | None
    origin_kind: OriginKind
    origin_ref: str | None
    reporter_user_id: int | None
    reporter_name: str | None
    enterprise_id: int | None
    building_id: int | None
    floor_id: int | None
    room_id: int | None
    location: str | None
    team_id: int | None
    state: State
    reported_at: dt.datetime
    due_at: dt.datetime
    escalation_level: int
    escalated_at: dt.datetime | None
    assigned_at: dt.datetime | None
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    completion_note: str | None
    rating: int | None
    rating_comment: str | None


class PhotoRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: int
    stage: PhotoStage
    filename: str
    content_type: str
    size: int
    uploaded_by: str
    uploaded_at: dt.datetime


class TeamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    lead: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] | None = None
    park_id: Id | None = None


class TeamUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    lead: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] | None = None


class TeamRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    name: str
    phone: str | None
    lead: str | None


class RuleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Category
    building_id: Id | None = None
    team_id: Id
    rank: Annotated[int, Field(ge=0, le=10000)] = 100
    park_id: Id | None = None


class RuleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Category | None = None
    building_id: Id | None = None
    team_id: Id | None = None
    rank: Annotated[int, Field(ge=0, le=10000)] | None = None


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    category: Category
    building_id: int | None
    team_id: int
    rank: int
