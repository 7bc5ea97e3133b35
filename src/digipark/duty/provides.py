"""What the duty module offers other modules (declared in duty.module):

- `on_duty(session, park_id=, at=) -> list[OnDuty]`: the shifts being worked in the park at a moment (UTC, now by
  default), each with its users in roster order and its team's lead — automation and dashboards;
- `on_duty_user_ids(session, park_id=, at=) -> set[int]`: the users on duty — the duty app's Web Push;
- `escalation_roster(session, park_id=, at=) -> list[int]`: the order in which an unacknowledged alarm walks the
  people on duty (heads of shifts, then the next members, then the leads) — alarms' escalation;
- `member_phone(session, park_id=, user_id=) -> str | None`: a roster member's mobile number — SMS notifications;
- `team_names(session, park_id=, lang=) -> dict[int, str]`: the park's duty teams, named in `lang` — automation's
  `notify` of one team.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.duty.models import DutyTeam
from digipark.duty.service import OnDuty, escalation_roster, member_phone, on_duty, on_duty_user_ids

__all__ = ["OnDuty", "escalation_roster", "member_phone", "on_duty", "on_duty_user_ids", "team_names"]


def team_names(session: Session, *, park_id: int, lang: str = "zh") -> dict[int, str]:
    """The park's duty teams: id → name (the English name for `lang` "en" where the team has one)."""
    rows = session.execute(
        select(DutyTeam.id, DutyTeam.name, DutyTeam.name_en).where(DutyTeam.park_id == park_id).order_by(DutyTeam.id)
    )
    return {int(i): str(en if lang == "en" and en else name) for i, name, en in rows}
