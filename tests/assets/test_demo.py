"""The demo's equipment: a year of condition history, a failure the predictions flagged before it happened, and
machines degrading now that today's predictions flag with a recommended work order."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.assets import costs, demo, geo, monitoring, parts, reliability, service
from digipark.assets.models import Asset, ConditionDay, Failure, Prediction, PredictionModel
from digipark.workorders.models import DispatchRule, WorkTeam
from digipark.workorders.provides import read_order
from tests.conftest import World
from tests.workorders.helpers import scope_of


def test_the_demo_flags_the_degrading_machines_before_they_fail(db: Session, world: World) -> None:
    team = WorkTeam(park_id=world.a.park_id, name="机电维修班")  # repairs go to a team (as the demo park's rules)
    db.add(team)
    db.flush()
    db.add(DispatchRule(park_id=world.a.park_id, category="repair", team_id=team.id, rank=100))
    db.flush()
    counts = demo.build_assets_demo(db, park_id=world.a.park_id, as_of=dt.date(2026, 10, 31), seed=11)
    assert counts["assets"] == len(demo.SPECS)
    assert counts["assets_from_registry"] == 2  # park A's parcel and building
    first, last = db.execute(
        select(func.min(ConditionDay.day), func.max(ConditionDay.day)).where(ConditionDay.park_id == world.a.park_id)
    ).one()
    assert last == service.today() and (last - first).days == demo.HISTORY_DAYS - 1
    admin = scope_of(db, "TA", "park_admin")
    newest = monitoring.latest_predictions(db, scope=admin, park_id=world.a.park_id)
    by_code = {db.get(Asset, asset_id).code: p for asset_id, p in newest.items()}  # type: ignore[union-attr]
    degrading = {s.code for s in demo.SPECS if s.degrade is not None}
    flagged = {code for code, p in by_code.items() if p.recommend}
    assert flagged == degrading
    for code in degrading:  # each predicted to fail soon, not failed yet
        p = by_code[code]
        assert p.rul_days is not None and 0 < p.rul_days <= 40 and p.failure_on is not None
    assert sum(1 for code in degrading if by_code[code].order_id is not None) == 1
    opened = next(p.order_id for p in by_code.values() if p.order_id is not None)
    assert read_order(db, scope=admin, ident=opened).origin_kind == "asset"
    # the store: the filters are to be reordered, two bearings went to the predictive order
    assert [p.code for p in parts.to_reorder(db, scope=admin)] == ["FLT-G4-595"]
    used = [m for m in parts.movements(db, scope=admin) if m.kind == "consumption"]
    assert [(m.order_id, m.quantity) for m in used] == [(opened, 2)]
    # every machine has its isolation-forest score of today
    assert all(p.anomaly_score is not None for p in by_code.values() if p.made_on == service.today())
    # the spring failure: flagged by a prediction made before it, evaluated, and a model re-trained on it
    failure = db.scalar(select(Failure).where(Failure.park_id == world.a.park_id))
    assert failure is not None
    before = db.scalars(
        select(Prediction).where(Prediction.asset_id == failure.asset_id, Prediction.made_on < failure.failed_on)
    ).all()
    assert any(p.recommend for p in before) and all(p.actual_failure_on == failure.failed_on for p in before)
    # ...repaired by an urgent order reported 08:40, completed 15:10: MTTR 6.5 h, its labour in the asset's cost
    admin_asset = db.get(Asset, failure.asset_id)
    assert admin_asset is not None and failure.repair_order_id is not None
    assert reliability.of_asset(db, scope=admin, asset=admin_asset, until=service.today()).mttr_hours == 6.5
    labour = costs.of_asset(db, scope=admin, asset=admin_asset).labour
    assert [(line.order.id, line.hours, line.cost) for line in labour] == [(failure.repair_order_id, 5.67, 623.7)]
    # roads and the five pipe networks: lines round the park's buildings
    lines = db.scalars(select(Asset).where(Asset.park_id == world.a.park_id, Asset.geometry.is_not(None))).all()
    assert sorted(str(a.network) for a in lines) == ["drainage", "gas", "heat", "power", "road", "water"]
    for line in lines:
        assert geo.check_line_geometry(line.geometry) == line.geometry and line.material and line.install_year
    models = db.scalars(select(PredictionModel).where(PredictionModel.park_id == world.a.park_id)).all()
    assert any(m.flagged_before_failure == 1 and m.mae_days is not None for m in models)
    assert any(m.version == 2 and m.params["backtest_failures"] == 1 for m in models)
    assert demo.build_assets_demo(db, park_id=world.a.park_id, as_of=dt.date(2026, 10, 31), seed=11) == {"assets": 0}
