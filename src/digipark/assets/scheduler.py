"""The maintenance day that runs by itself: every EVERY_S seconds, in a write transaction of its own per park, it
opens the work orders of the plans that fell due (`service.due_plans`), re-trains a class's model whose newest
version is older than RETRAIN_DAYS (`monitoring.train_model`), and predicts today's outlook of every machine with
condition data that has no prediction of today yet (`monitoring.predict`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.assets import monitoring, service, watch
from digipark.assets.models import Asset, AssetClass, ConditionDay, LifecycleState, MaintenancePlan, Prediction
from digipark.audit.service import Actor, set_actor
from digipark.auth.scope import system_scope
from digipark.core.background import Handle, SharedService
from digipark.core.periodic import PeriodicThread

log = logging.getLogger("digipark.assets.scheduler")

ACTOR = Actor("assets-maintenance", role="system")
FIRST_RUN_AFTER_S = 120.0
EVERY_S = 3600.0
RETRAIN_DAYS = 30


def maintenance_day(session: Session, *, park_id: int, on: dt.date) -> dict[str, int]:
    """One park's maintenance day: plan orders, re-trained models, today's predictions (counts)."""
    scope = dataclasses.replace(system_scope(park_id), username=ACTOR.name)
    orders = service.due_plans(session, scope=scope, park_id=park_id, on=on)
    watch.sync_park(session, park_id=park_id, username=ACTOR.name)  # a class's indicators changed: rules follow
    alarmed = 0
    for asset in session.scalars(
        select(Asset)
        .where(Asset.park_id == park_id, Asset.state.in_(watch.IN_USE))
        .where(select(ConditionDay.id).where(ConditionDay.asset_id == Asset.id).exists())
        .order_by(Asset.id)
    ):
        alarmed += len(watch.check_features(session, scope=scope, asset=asset))
    retrained = predicted = 0
    classes = session.scalars(
        select(AssetClass).where(AssetClass.park_id == park_id, AssetClass.vibration_group.is_not(None))
    )
    for klass in classes:
        watched = list(
            session.scalars(
                select(Asset)
                .where(
                    Asset.class_id == klass.id,
                    Asset.state.in_([LifecycleState.IN_SERVICE.value, LifecycleState.UNDER_MAINTENANCE.value]),
                    select(ConditionDay.id).where(ConditionDay.asset_id == Asset.id).exists(),
                )
                .order_by(Asset.id)
            )
        )
        if not watched:
            continue
        model = monitoring.latest_model(session, scope=scope, class_id=klass.id)
        if model is None or (on - model.trained_on).days >= RETRAIN_DAYS:
            monitoring.train_model(session, scope=scope, class_id=klass.id, on=on)
            retrained += 1
        for asset in watched:
            last = session.scalar(select(func.max(Prediction.made_on)).where(Prediction.asset_id == asset.id))
            if last is not None and last >= on:
                continue
            if monitoring.predict(session, scope=scope, asset=asset, on=on) is not None:
                predicted += 1
    return {"orders": len(orders), "alarm_orders": alarmed, "retrained": retrained, "predicted": predicted}


class MaintenanceDay(PeriodicThread):
    thread_name, failure, logger = "digipark-assets-maintenance", "assets: maintenance day failed", log

    def __init__(self, *, first_after_s: float = FIRST_RUN_AFTER_S, every_s: float = EVERY_S) -> None:
        super().__init__(first_after_s=first_after_s, every_s=every_s)

    def run_once(self) -> int:
        from digipark.core.db import transaction

        with transaction() as session:
            parks = sorted(
                set(session.scalars(select(MaintenancePlan.park_id).where(MaintenancePlan.active.is_(True))))
                | set(session.scalars(select(AssetClass.park_id).distinct()))
            )
        done = 0
        for park_id in parks:
            with transaction(write=True) as session:
                set_actor(session, ACTOR)
                counts = maintenance_day(session, park_id=park_id, on=service.today())
                done += sum(counts.values())
        return done


_timer: SharedService[MaintenanceDay] = SharedService(MaintenanceDay)


def start_maintenance_day() -> Handle[MaintenanceDay]:
    """Start the process's maintenance day (or join the running one)."""
    return _timer.acquire()
