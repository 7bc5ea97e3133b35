"""What the alarms module offers other modules (declared in alarms.module), keyword-only after the session and
through the caller's scope:

- `get(session, scope=, ident=) -> Alarm`: one alarm (NotFound outside the scope) — safety links incidents to it;
- `active_counts(session, scope=, park_id=) -> list[AlarmCount]`: raised or acknowledged alarms by zone, building,
  enterprise and severity — safety's situation picture;
- `ensure_threshold_rule(session, scope=, park_id=, point_id=, key=, name=, above=, below=, severity=) -> int`:
  create or update the threshold rule identified by `key` — environment's outlet limits;
- `raise_external(session, park_id=, source_kind=, source_ref=, severity=, title_key=, detail=, building_id=,
  enterprise_id=, at=) -> Alarm`: an alarm from an event another module received (living's security events);
- `AlarmRaised`: the event published after an alarm is raised — safety's automatic incidents subscribe to it.
"""

from digipark.alarms.events import AlarmRaised
from digipark.alarms.external import raise_external
from digipark.alarms.service import active_counts, ensure_threshold_rule, get

__all__ = ["AlarmRaised", "active_counts", "ensure_threshold_rule", "get", "raise_external"]
