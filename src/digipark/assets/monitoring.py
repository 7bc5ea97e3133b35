"""Condition monitoring and prediction of assets: daily features computed from vibration bursts, prediction
models per asset class (versioned; `train_model` makes a new version), predictions stored per asset and day, a
recommended work order when the predicted failure falls inside the planning horizon, and the evaluation of
predictions and models when the truth (a recorded failure) arrives."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.assets import anomaly, prediction
from digipark.assets.condition import features
from digipark.assets.models import Asset, AssetClass, ConditionDay, Failure, Prediction, PredictionModel
from digipark.assets.schemas import FailureCreate
from digipark.assets.service import ASSETS, WRITE, failure_threshold, open_asset_order, order_is_open
from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, NotFound, field_error
from digipark.workorders.provides import Category, OriginKind, Priority, read_order

HISTORY_DAYS = 365


def record_burst(
    session: Session,
    *,
    asset: Asset,
    day: dt.date,
    burst: Sequence[float],
    temperature_c: float | None = None,
    run_hours: float | None = None,
) -> ConditionDay:
    """Compute the features of one vibration burst (velocity, mm/s) and store them as the asset's day."""
    f = features(burst)
    row = session.scalar(select(ConditionDay).where(ConditionDay.asset_id == asset.id, ConditionDay.day == day))
    if row is None:
        row = ConditionDay(park_id=asset.park_id, asset_id=asset.id, day=day)
        session.add(row)
    row.vib_rms, row.vib_peak, row.crest_factor, row.kurtosis = f.rms, f.peak, f.crest_factor, f.kurtosis
    row.temperature_c, row.run_hours = temperature_c, run_hours
    return row


def condition_days(
    session: Session, *, scope: Scope, asset: Asset, until: dt.date, days: int = HISTORY_DAYS
) -> builtins.list[ConditionDay]:
    stmt = scope.readable(ConditionDay).where(
        ConditionDay.asset_id == asset.id,
        ConditionDay.day > until - dt.timedelta(days=days),
        ConditionDay.day <= until,
    )
    return list(session.scalars(stmt.order_by(ConditionDay.day)))


def _series(rows: Sequence[ConditionDay]) -> tuple[builtins.list[float], builtins.list[float]]:
    pairs = [(float(r.day.toordinal()), r.vib_rms) for r in rows if r.vib_rms is not None and r.vib_rms > 0]
    return [d for d, _ in pairs], [v for _, v in pairs]


# -- anomaly detection against the asset's own healthy baseline --------------------------------------------------
PATTERN_DAYS = 3  # the detector must flag this many last days in a row to recommend an order
_detectors: dict[tuple[int, dt.date, int], anomaly.Detector] = {}


def _feature_rows(rows: Sequence[ConditionDay]) -> builtins.list[tuple[ConditionDay, builtins.list[float]]]:
    with_temperature = all(r.temperature_c is not None for r in rows)
    found = []
    for r in rows:
        values = [r.vib_rms, r.vib_peak, r.crest_factor, r.kurtosis]
        if with_temperature:
            values.append(r.temperature_c)
        if all(v is not None for v in values):
            found.append((r, [float(v) for v in values if v is not None]))
    return found


def anomalies(
    asset: Asset, rows: Sequence[ConditionDay], *, baseline_days: int, last: int = PATTERN_DAYS
) -> builtins.list[tuple[float, bool]]:
    """(isolation-forest score, anomalous) of the asset's last `last` days against its first `baseline_days`
    (`anomaly.Detector`); empty when the baseline is too short. The detector is kept per asset and baseline."""
    featured = _feature_rows(rows)
    if not featured:
        return []
    first = featured[0][0].day
    base = [v for r, v in featured if (r.day - first).days < baseline_days]
    if len(base) < anomaly.MIN_BASELINE or len(featured) <= len(base):
        return []
    key = (asset.id, first, len(base))
    detector = _detectors.get(key)
    if detector is None:
        if len(_detectors) > 1000:
            _detectors.clear()
        detector = _detectors[key] = anomaly.fit(base, seed=asset.id)
    recent = [v for _, v in featured[len(base) :][-last:]]
    return list(zip(detector.scores(recent), detector.flags(recent), strict=True))


# -- models --------------------------------------------------------------------------------------------------------
def latest_model(session: Session, *, scope: Scope, class_id: int) -> PredictionModel | None:
    stmt = scope.readable(PredictionModel).where(PredictionModel.class_id == class_id)
    found: PredictionModel | None = session.scalar(stmt.order_by(PredictionModel.version.desc()).limit(1))
    return found


def models_of(session: Session, *, scope: Scope, class_id: int) -> builtins.list[PredictionModel]:
    stmt = scope.readable(PredictionModel).where(PredictionModel.class_id == class_id)
    return list(session.scalars(stmt.order_by(PredictionModel.version.desc())))


def train_model(session: Session, *, scope: Scope, class_id: int, on: dt.date) -> PredictionModel:
    """A new version of the class's model, trained on the failures recorded for its assets so far."""
    klass = scope.get_or_404(session, AssetClass, class_id)
    scope.authorize_write_row(WRITE, klass)
    threshold = failure_threshold(klass)
    if threshold is None:
        raise field_error("class_id", "the class has no vibration limit to predict against")
    histories = []
    failures = session.scalars(
        select(Failure)
        .join(Asset, Asset.id == Failure.asset_id)
        .where(Asset.class_id == klass.id, Failure.failed_on <= on)
        .order_by(Failure.id)
    )
    for failure in failures:
        asset = session.get(Asset, failure.asset_id)
        if asset is None:
            continue
        days, rms = _series(condition_days(session, scope=scope, asset=asset, until=failure.failed_on))
        if len(days) >= 30:
            histories.append((days, rms, float(failure.failed_on.toordinal())))
    params = prediction.train(histories, threshold=threshold)
    params["threshold_rms"] = threshold
    version = (
        session.scalar(select(func.max(PredictionModel.version)).where(PredictionModel.class_id == klass.id)) or 0
    ) + 1
    model = PredictionModel(
        park_id=klass.park_id,
        class_id=klass.id,
        version=version,
        method=prediction.METHOD,
        params=params,
        trained_on=on,
    )
    session.add(model)
    session.flush()
    return model


# -- predictions ---------------------------------------------------------------------------------------------------
def predict(session: Session, *, scope: Scope, asset: Asset, on: dt.date) -> Prediction | None:
    """Predict the asset's outlook on `on` with its class's newest model (trained first when there is none); None
    when the asset has too little condition data or its class no vibration limit."""
    klass = session.get(AssetClass, asset.class_id)
    if klass is None or failure_threshold(klass) is None:
        return None
    model = latest_model(session, scope=scope, class_id=klass.id) or train_model(
        session, scope=scope, class_id=klass.id, on=on
    )
    history = condition_days(session, scope=scope, asset=asset, until=on)
    days, rms = _series(history)
    if len(days) < 10:
        return None
    threshold = float(model.params["threshold_rms"])
    seen = prediction.outlook(days, rms, threshold=threshold, params=model.params)
    baseline_days = int({**prediction.DEFAULTS, **model.params}["baseline_days"])
    found = anomalies(asset, history, baseline_days=baseline_days)
    recommend, reason = seen.recommend, seen.reason
    if not recommend and len(found) == PATTERN_DAYS and all(flag for _, flag in found):
        recommend, reason = True, "pattern"
    failure_on = (
        on + dt.timedelta(days=round(seen.rul_days)) if seen.rul_days is not None and seen.rul_days < 730 else None
    )
    row = Prediction(
        park_id=asset.park_id,
        asset_id=asset.id,
        model_id=model.id,
        made_on=on,
        health=round(seen.health, 1),
        anomaly_z=None if seen.anomaly_z is None else round(seen.anomaly_z, 2),
        anomaly_score=round(found[-1][0], 4) if found else None,
        current_rms=round(seen.current_rms, 3),
        threshold_rms=threshold,
        slope_per_day=seen.slope_per_day,
        rul_days=None if seen.rul_days is None else round(seen.rul_days, 1),
        rul_low_days=None if seen.rul_low_days is None else round(seen.rul_low_days, 1),
        rul_high_days=None if seen.rul_high_days is None else round(seen.rul_high_days, 1),
        failure_on=failure_on,
        recommend=recommend,
        reason=reason,
    )
    session.add(row)
    session.flush()
    return row


def latest_prediction(session: Session, *, scope: Scope, asset_id: int) -> Prediction | None:
    stmt = scope.readable(Prediction).where(Prediction.asset_id == asset_id)
    found: Prediction | None = session.scalar(stmt.order_by(Prediction.made_on.desc(), Prediction.id.desc()).limit(1))
    return found


def latest_predictions(session: Session, *, scope: Scope, park_id: int) -> dict[int, Prediction]:
    """The newest prediction of each asset of the park, by asset."""
    newest = (
        select(Prediction.asset_id, func.max(Prediction.id).label("last"))
        .where(scope.condition(Prediction), Prediction.park_id == park_id)
        .group_by(Prediction.asset_id)
        .subquery()
    )
    rows = session.scalars(select(Prediction).join(newest, Prediction.id == newest.c.last))
    return {p.asset_id: p for p in rows}


REASON_TEXT = {
    "rul": "振动趋势外推预计将在计划期内超过ISO 10816-3 C/D限值",
    "limit": "振动已超过ISO 10816-3 C/D限值",
    "anomaly": "振动明显偏离设备自身健康基线",
    "pattern": "近三天的振动与温度特征组合偏离设备自身健康模式（孤立森林）",
}


def open_recommended_order(session: Session, *, scope: Scope, prediction_id: int) -> int:
    """Open the work order a prediction recommends (409 when it recommends none or its order is still open)."""
    row = scope.get_or_404(session, Prediction, prediction_id)
    if not row.recommend:
        raise Conflict("this prediction recommends no work order")
    if order_is_open(session, scope=scope, order_id=row.order_id):
        raise Conflict("the recommended work order is open already")
    asset = ASSETS.get(session, scope=scope, ident=row.asset_id)
    scope.authorize_write_row(WRITE, asset)
    due = f"，预计{row.failure_on}前后达到限值" if row.failure_on else ""
    row.order_id = open_asset_order(
        session,
        scope=scope,
        asset=asset,
        title=f"{asset.name}：预测性维护（轴承/振动检查）",
        title_en=f"{asset.name_en or asset.name}: predictive maintenance (bearing and vibration check)",
        description=f"{REASON_TEXT.get(row.reason or '', '')}；当前振动{row.current_rms} mm/s，限值"
        f"{row.threshold_rms} mm/s{due}。",
        origin=OriginKind.ASSET,
        origin_ref=f"prediction:{row.id}",
        category=Category.MAINTENANCE,
        priority=Priority.URGENT if row.reason == "limit" else Priority.NORMAL,
    )
    session.flush()
    return row.order_id


# -- truth ---------------------------------------------------------------------------------------------------------
def record_failure(session: Session, *, scope: Scope, asset_id: int, data: FailureCreate) -> Failure:
    """Record a failure and evaluate the asset's predictions made before it (predicted minus actual day) and the
    model versions that made them."""
    asset = ASSETS.get(session, scope=scope, ident=asset_id)
    scope.authorize_write_row(WRITE, asset)
    if data.repair_order_id is not None:
        try:
            order = read_order(session, scope=scope, ident=data.repair_order_id)
        except NotFound:
            raise field_error("repair_order_id", f"no work order {data.repair_order_id}") from None
        if order.park_id != asset.park_id:
            raise field_error("repair_order_id", f"no work order {data.repair_order_id} in the asset's park")
    failure = Failure(
        park_id=asset.park_id,
        asset_id=asset.id,
        failed_on=data.failed_on,
        description=data.description,
        repair_order_id=data.repair_order_id,
    )
    session.add(failure)
    previous = session.scalar(
        select(func.max(Failure.failed_on)).where(Failure.asset_id == asset.id, Failure.failed_on < data.failed_on)
    )
    stmt = select(Prediction).where(
        Prediction.asset_id == asset.id,
        Prediction.made_on <= data.failed_on,
        Prediction.actual_failure_on.is_(None),
    )
    if previous is not None:
        stmt = stmt.where(Prediction.made_on > previous)
    touched: set[int] = set()
    for row in session.scalars(stmt):
        row.actual_failure_on = data.failed_on
        if row.failure_on is not None:
            row.error_days = float((row.failure_on - data.failed_on).days)
        touched.add(row.model_id)
    session.flush()
    for model_id in touched:
        evaluate_model(session, model_id=model_id)
    return failure


def evaluate_model(session: Session, *, model_id: int) -> PredictionModel:
    model = session.get(PredictionModel, model_id)
    if model is None:
        raise NotFound(f"model {model_id} not found")
    rows = list(
        session.scalars(
            select(Prediction).where(Prediction.model_id == model_id, Prediction.actual_failure_on.is_not(None))
        )
    )
    errors = [abs(r.error_days) for r in rows if r.error_days is not None]
    model.evaluated = len(rows)
    model.mae_days = round(sum(errors) / len(errors), 2) if errors else None
    model.flagged_before_failure = len(
        {
            (r.asset_id, r.actual_failure_on)
            for r in rows
            if r.recommend and r.made_on < (r.actual_failure_on or r.made_on)
        }
    )
    session.flush()
    return model


def failures_of(session: Session, *, scope: Scope, asset: Asset) -> builtins.list[Failure]:
    stmt = scope.readable(Failure).where(Failure.asset_id == asset.id)
    return list(session.scalars(stmt.order_by(Failure.failed_on.desc())))
