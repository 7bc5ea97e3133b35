"""The park's allow-list of networks inside the platform's own that webhooks and notification robots may reach
(core/network.py refuses every other inside address): kept by the park's admin only (`automation.admin`);
staff read it. `/api/v1/automation/allowed-networks` and the automation page's form."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.automation.models import AutomationNetworkAllow
from digipark.core.errors import field_error
from digipark.core.listing import ListSpec
from digipark.core.network import network_of
from digipark.crud import RecordType

ADMIN = "automation.admin"


class AllowCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    network: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)] = Field(
        description="an address or a network in CIDR notation, e.g. 10.20.0.0/16"
    )
    note: Annotated[str, StringConstraints(max_length=200)] | None = None
    park_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = Field(None, description="default: your own park")


class AllowUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, StringConstraints(max_length=200)] | None = None


class AllowRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    network: str
    note: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


def _validate(session: Session, scope: Scope, values: dict[str, Any], row: AutomationNetworkAllow | None) -> Any:
    if values.get("network") is not None:
        try:
            values["network"] = str(network_of(values["network"]))
        except ValueError:
            raise field_error("network", "an IP address or a network in CIDR notation (e.g. 10.20.0.0/16)") from None
    return values


ALLOWED: RecordType[AutomationNetworkAllow] = RecordType(
    name="automation_network_allow",
    model=AutomationNetworkAllow,
    create_schema=AllowCreate,
    update_schema=AllowUpdate,
    read_schema=AllowRead,
    list_spec=ListSpec(
        filters={"park_id": AutomationNetworkAllow.park_id},
        search=[AutomationNetworkAllow.network],
        sort={"id": AutomationNetworkAllow.id, "network": AutomationNetworkAllow.network},
        default_sort="network,id",
    ),
    write_permission=ADMIN,
    validate=_validate,
    unique=("network",),
)
