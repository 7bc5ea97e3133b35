"""Rows of park A's duty roster for the form tests (the roster has pages only, no API): a team and a shift made
through the duty service as park A's admin."""

from __future__ import annotations

import datetime as dt

from digipark.duty import service
from tests.notices.helpers import scope_of
from tests.tenancy.helpers import Ctx


def duty_team(ctx: Ctx) -> int:
    if "duty_team" not in ctx.cache:
        admin = scope_of(ctx.db, "TA", "park_admin")
        ctx.cache["duty_team"] = service.create_team(ctx.db, scope=admin, name="安全值班组").id
    return int(ctx.cache["duty_team"])


def duty_shift(ctx: Ctx) -> int:
    if "duty_shift" not in ctx.cache:
        admin = scope_of(ctx.db, "TA", "park_admin")
        shift = service.add_shift(
            ctx.db, scope=admin, team_id=duty_team(ctx), name="白班", starts=dt.time(8), ends=dt.time(20), weekdays=[0]
        )
        ctx.cache["duty_shift"] = shift.id
    return int(ctx.cache["duty_shift"])
