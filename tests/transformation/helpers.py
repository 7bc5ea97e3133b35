"""Shared helpers of the transformation tests: scopes of a park's roles and worked answer sets."""

from __future__ import annotations

from typing import Any

from digipark.auth.models import Role
from digipark.auth.scope import Scope
from tests.conftest import ParkWorld

# Worked example A (scores from data/sme_digital_level_2024.yaml, added by hand):
#   D1: Q01 B+C 2+2=4, Q02 C 3, Q03 B 1.5, Q04 B+C+O 0.7+0.7+0.9=2.3, Q05 C 5, Q06 B+C 1.25+1.25=2.5, Q07 A 0
#       = 18.3
#   D2: Q08 D 4.5, Q09 B+C 1.875+1.875=3.75, Q10 B 1.5, Q11 B 1.875 = 11.625
#   D3: Q12 B 3.5, Q13 C 7, Q14 B 1.5, Q15 A 0 = 12
#   base = 18.3 + 11.625 + 12 = 41.925
#   scenes >= 2: S01 S03 S06 S08 S10 S13 (constraint) + S14 = 7, six of them constraint scenes
#   -> 二级 holds (base >= 40, >= 6 scenes at level 2, >= 3 constraint); 三级 fails (base < 60) -> level 2
EXAMPLE_A: dict[str, Any] = {
    "Q01": ["B", "C"],
    "Q02": "C",
    "Q03": "B",
    "Q04": ["B", "C", "O"],
    "Q05": "C",
    "Q06": ["B", "C"],
    "Q07": ["A"],
    "Q08": "D",
    "Q09": ["B", "C"],
    "Q10": ["B"],
    "Q11": "B",
    "Q12": "B",
    "Q13": "C",
    "Q14": "B",
    "Q15": "A",
    "S01": 2,
    "S02": 0,
    "S03": 2,
    "S04": 0,
    "S05": 1,
    "S06": 2,
    "S07": 1,
    "S08": 2,
    "S09": 0,
    "S10": 2,
    "S11": 0,
    "S12": 1,
    "S13": 2,
    "S14": 2,
    "S15": 0,
    "S16": 0,
}


def scope_of(park: ParkWorld, role: Role, enterprise: int | None = None) -> Scope:
    return Scope.for_user(
        role=role, username=f"tf-test-{role.value}", user_id=None, park_id=park.park_id, enterprise_id=enterprise
    )


def admin(park: ParkWorld) -> Scope:
    return scope_of(park, Role.PARK_ADMIN)


def own(park: ParkWorld, index: int = 0) -> Scope:
    return scope_of(park, Role.ENTERPRISE, park.enterprise_ids[index])
