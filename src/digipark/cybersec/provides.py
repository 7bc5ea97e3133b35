"""What the cybersec module offers other modules (the data platform, the operations screen):

- `coverage(session, park_id=) -> (source, [BuildingCoverage])`: 双千兆 coverage per building;
- `sharing_check(session, scope=, ident=, export=) -> (ok, reason)`: may a catalogued data item be shared or
  exported (GB/T 43697 level and filing);
- `ingest(session, park_id=, events=)` with `Event`: hand normalised security events to the correlation.
"""

from digipark.cybersec.correlate import Event
from digipark.cybersec.events import ingest
from digipark.cybersec.inventory import coverage
from digipark.cybersec.security import sharing_check

__all__ = ["Event", "coverage", "ingest", "sharing_check"]
