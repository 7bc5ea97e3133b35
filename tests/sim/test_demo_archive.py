"""The demo park as a newcomer sees it through the module records: an enterprise's archive has its digital
maturity and safety sections filled in by their modules, and the guide's S3.4 is computed from the safety module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from digipark.auth.models import Role
from digipark.auth.scope import Scope, system_scope
from digipark.core import migrate
from digipark.core.db import make_engine
from digipark.economy.archive import enterprise_archive
from digipark.evaluation import service as evaluation
from digipark.safety.models import RiskPoint
from digipark.sim.demo import build_demo
from digipark.transformation.models import Assessment


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[sessionmaker[Session], int]]:
    path: Path = tmp_path_factory.mktemp("demo-archive") / "demo.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as db, db.begin():
        park_id = build_demo(db).park_id
    yield factory, park_id
    engine.dispose()


def test_a_demo_enterprise_archive_shows_digital_maturity_and_safety(
    demo: tuple[sessionmaker[Session], int],
) -> None:
    factory, park_id = demo
    with factory() as db:
        with_risk = set(db.scalars(select(RiskPoint.enterprise_id).where(RiskPoint.park_id == park_id)))
        assessed = set(db.scalars(select(Assessment.enterprise_id).where(Assessment.park_id == park_id)))
        enterprise_id = min((with_risk & assessed) - {None})
        own = Scope.for_user(
            role=Role.ENTERPRISE, username="t", user_id=None, park_id=park_id, enterprise_id=enterprise_id
        )
        found = enterprise_archive(db, scope=own, enterprise_id=enterprise_id)
        sections = {s.key: s for s in found.sections}
        safety = sections["safety"]
        assert safety.available and safety.data is not None and safety.data["risk_points"] >= 1
        maturity = sections["digital_maturity"]
        assert maturity.available and maturity.data is not None and maturity.data["assessment_year"] is not None


def test_s3_4_is_computed_from_the_safety_module(demo: tuple[sessionmaker[Session], int]) -> None:
    factory, park_id = demo
    with factory() as db:
        found = evaluation.evaluate(db, scope=system_scope(park_id), park_id=park_id)
        result = found.indicator("safety_risk_sensors")
        assert result is not None and result.value_source == "computed" and result.no_source is None
        assert result.value is not None and 0 <= result.value <= 100
        assert {p.key for p in result.parts} == {"units_monitored", "drilled"}
