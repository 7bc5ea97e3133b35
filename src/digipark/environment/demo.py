"""The demo park's environment data: an online-monitored wastewater outlet on every wastewater monitor of an
enterprise (COD, NH3-N, pH and flow linked to the monitor's points, with alarm rules at the standard's limits),
an air outlet on every flue gas monitor (SO2, NOx, PM, O2 and flow of a natural-gas boiler stack, GB 13271-2014
表2 燃气锅炉), permitted annual COD, NH3-N, SO2 and NOx quantities, a year of monthly general industrial solid
waste ledger entries for the industrial enterprises, hazardous waste batches with transfer manifests — one batch
close to its storage limit — and an exceedance scan of the telemetry history window (`scheduler.scan_due`; the demo
passes the days of history its telemetry simulator writes as `history_days`; in the served demo the telemetry
history arrives later and the scanner of the ingest runtime catches up with it).

Synthetic: magnitudes are plausible for a park near Suzhou, not measurements. Deterministic from the seed (the
near-limit batch is dated back from today so that it is near its limit whenever the demo is built)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import system_scope
from digipark.environment import scheduler, service
from digipark.environment.models import HazardousBatch, TransferManifest, WasteEntry
from digipark.environment.schemas import FactorLink, OutletCreate, PermitQuotaCreate
from digipark.registry.models import Device, Enterprise, Point

MONTHS = 12
FACTOR_BY_POINT = {"cod_mgl": "cod", "nh3n_mgl": "nh3n", "ph": "ph", "flow_m3h": "water_flow"}
AIR_FACTOR_BY_POINT = {"so2_mgm3": "so2", "nox_mgm3": "nox", "pm_mgm3": "pm", "o2_pct": "o2", "flow_m3h": "gas_flow"}
# the demo's stacks are natural-gas boilers (their enterprises have gas meters); the limits are in
# environment/data/pollution.yaml with their status
AIR_STANDARD = "GB13271-2014-T2-gas"
# permitted annual SO2 and NOx: the typical measured concentration (the demo telemetry's flue gas model)
# at 0.7 of a peak flow of 25 m³/h per employee, with 30 % headroom
AIR_PERMITS = (("so2", 12.0), ("nox", 110.0))
FLUE_M3H_PER_EMPLOYEE = 25.0
# GB/T 4754 division -> (emission standard key, general waste categories, hazardous wastes (category, code, name))
PROFILES: dict[str, tuple[str, tuple[str, ...], tuple[tuple[str, str, str], ...]]] = {
    "33": ("GB8978-1996-1", ("SW17", "SW59"), (("HW17", "336-064-17", "电镀污泥"), ("HW08", "900-249-08", "废矿物油"))),
    "26": ("GB8978-1996-3", ("SW16", "SW07"), (("HW11", "900-013-11", "蒸馏残渣"), ("HW49", "900-041-49", "废包装物"))),
    "27": ("GB8978-1996-3", ("SW07", "SW13"), (("HW02", "271-001-02", "发酵废渣"), ("HW49", "900-041-49", "废包装物"))),
    "46": ("GB8978-1996-1", ("SW07",), (("HW49", "900-047-49", "实验室废液"),)),
}
DEFAULT_PROFILE = ("GB8978-1996-1", ("SW59",), (("HW08", "900-249-08", "废矿物油"),))
RECEIVERS = (
    ("苏州市星湖固废处置有限公司（演示）", "JSSZ0506OOD001-5"),
    ("江苏绿源资源再生有限公司（演示）", "JS0581OOD012-2"),
)
CARRIER = ("苏州安运危险品物流有限公司（演示）", "苏交运管许可苏字320500000001号")


def _months(as_of: dt.date) -> list[dt.date]:
    last = as_of.year * 12 + as_of.month - 1
    return [dt.date(i // 12, i % 12 + 1, 1) for i in range(last - MONTHS + 1, last + 1)]


def _monitors(session: Session, park_id: int, kind: str) -> tuple[list[Device], dict[int, dict[str, int]]]:
    """The enterprises' monitors of this kind, and their point ids by device and key."""
    devices = list(
        session.scalars(
            select(Device)
            .where(Device.park_id == park_id, Device.kind == kind, Device.enterprise_id.is_not(None))
            .order_by(Device.id)
        )
    )
    points: dict[int, dict[str, int]] = defaultdict(dict)
    for device_id, key, ident in session.execute(
        select(Point.device_id, Point.key, Point.id).where(Point.device_id.in_([d.id for d in devices]))
    ):
        points[device_id][key] = ident
    return devices, points


def build_environment_demo(
    session: Session, *, park_id: int, as_of: dt.date, seed: int, history_days: int | None = None
) -> dict[str, int]:
    """Write the demo park's environment data (not committed); returns counts. `history_days`: the days of telemetry
    history to scan for exceedances (default: the scanner's own lookback)."""
    rng = random.Random(f"{seed}:environment")
    scope = system_scope(park_id)
    today = service.today()
    as_of = min(as_of, today)
    counts = dict.fromkeys(("outlets", "permits", "waste_entries", "hazardous_batches", "manifests"), 0)
    enterprises = {
        e.id: e
        for e in session.scalars(select(Enterprise).where(Enterprise.park_id == park_id).order_by(Enterprise.id))
    }

    # -- outlets on the enterprises' wastewater monitors, and their permits --------------------------------------
    monitors, points = _monitors(session, park_id, "wastewater_monitor")
    permitted: set[int] = set()
    for n, device in enumerate(monitors, start=1):
        enterprise = enterprises[device.enterprise_id or 0]
        profile = PROFILES.get((enterprise.industry_code or "")[:2], DEFAULT_PROFILE)
        links = [
            FactorLink(factor=factor, point_id=points[device.id][key])
            for key, factor in FACTOR_BY_POINT.items()
            if key in points[device.id]
        ]
        service.create_outlet(
            session,
            scope=scope,
            data=OutletCreate(
                enterprise_id=enterprise.id,
                code=f"DW{n:03d}",
                name=f"{device.name}排放口",
                name_en=f"{device.name_en or device.code} outlet",
                medium="water",
                standard=profile[0],
                factors=links,
            ),
        )
        counts["outlets"] += 1
        if enterprise.id in permitted:
            continue
        permitted.add(enterprise.id)
        # a year at about 0.7 of the monitor's peak flow and 80 mg/L COD, 7 mg/L NH3-N, with 30 % headroom; the
        # first enterprise's permit is tight, so that its use shows a warning once the history is in
        flow_m3h = max(0.5, float(enterprise.employees or 20) * 0.012) * 0.7
        for factor, mg_l in (("cod", 80.0), ("nh3n", 7.0)):
            annual_t = mg_l * flow_m3h * 8760 / 1e6 * (0.02 if len(permitted) == 1 else 1.3)
            service.create_permit(
                session,
                scope=scope,
                data=PermitQuotaCreate(
                    enterprise_id=enterprise.id,
                    permit_no=f"{enterprise.uscc}001P",
                    year=as_of.year,
                    factor=factor,
                    annual=round(annual_t, 4),
                    valid_to=dt.date(as_of.year + 4, 12, 31),
                ),
            )
            counts["permits"] += 1

    # -- air outlets on the enterprises' flue gas monitors, and their SO2 and NOx permits --------------------------
    stacks, stack_points = _monitors(session, park_id, "flue_gas_monitor")
    air_permitted: set[int] = set()
    for n, device in enumerate(stacks, start=1):
        enterprise = enterprises[device.enterprise_id or 0]
        service.create_outlet(
            session,
            scope=scope,
            data=OutletCreate(
                enterprise_id=enterprise.id,
                code=f"DA{n:03d}",
                name=f"{device.name}排放口",
                name_en=f"{device.name_en or device.code} stack",
                medium="air",
                standard=AIR_STANDARD,
                factors=[
                    FactorLink(factor=factor, point_id=stack_points[device.id][key])
                    for key, factor in AIR_FACTOR_BY_POINT.items()
                    if key in stack_points[device.id]
                ],
            ),
        )
        counts["outlets"] += 1
        if enterprise.id in air_permitted:
            continue
        air_permitted.add(enterprise.id)
        flow_m3h = max(3000.0, float(enterprise.employees or 20) * FLUE_M3H_PER_EMPLOYEE) * 0.7
        for factor, mg_m3 in AIR_PERMITS:
            service.create_permit(
                session,
                scope=scope,
                data=PermitQuotaCreate(
                    enterprise_id=enterprise.id,
                    permit_no=f"{enterprise.uscc}001P",
                    year=as_of.year,
                    factor=factor,
                    annual=round(mg_m3 * flow_m3h * 8760 / 1e9 * 1.3, 4),
                    valid_to=dt.date(as_of.year + 4, 12, 31),
                ),
            )
            counts["permits"] += 1

    # -- a year of the general solid waste ledger ----------------------------------------------------------------
    months = _months(as_of)
    industrial = [e for e in enterprises.values() if e.industrial and e.status == "active"]
    rows: list[WasteEntry] = []
    for enterprise in industrial:
        profile = PROFILES.get((enterprise.industry_code or "")[:2], DEFAULT_PROFILE)
        for category in profile[1]:
            stored = round(rng.uniform(0.5, 3.0), 3)
            scale = max(0.5, float(enterprise.employees or 20) * rng.uniform(0.01, 0.03))
            for month in months:
                opening = stored
                generated = round(scale * rng.uniform(0.8, 1.2), 3)
                available = opening + generated
                utilised = round(available * rng.uniform(0.45, 0.7), 3)
                disposed = round(available * rng.uniform(0.1, 0.25), 3)
                stored = round(max(0.0, available - utilised - disposed), 3)
                rows.append(
                    WasteEntry(
                        park_id=park_id,
                        enterprise_id=enterprise.id,
                        category=category,
                        month=month,
                        opening_t=opening,
                        generated_t=generated,
                        utilised_t=utilised,
                        disposed_t=min(disposed, available - utilised),
                        stored_t=stored,
                    )
                )
    session.add_all(rows)
    counts["waste_entries"] = len(rows)

    # -- hazardous waste: batches and manifests; the first batch is near its one-year storage limit ---------------
    batches: list[HazardousBatch] = []
    pending: list[tuple[HazardousBatch, dict[str, object]]] = []
    holders = [e for e in industrial if (e.industry_code or "")[:2] in PROFILES]
    number = 0
    for index, enterprise in enumerate(holders):
        profile = PROFILES[(enterprise.industry_code or "")[:2]]
        for k, (category, code, name) in enumerate(profile[2]):
            near_limit = index == 0 and k == 0
            days_ago = 345 if near_limit else rng.randint(40, 300)
            quantity = round(rng.uniform(0.3, 4.0), 3)
            batch = HazardousBatch(
                park_id=park_id,
                enterprise_id=enterprise.id,
                code=f"HW-{enterprise.id:03d}-{k + 1:02d}",
                category=category,
                waste_code=code,
                name=name,
                quantity_t=quantity,
                stored_on=today - dt.timedelta(days=days_ago),
            )
            batches.append(batch)
            if near_limit:
                continue
            receiver = RECEIVERS[rng.randrange(len(RECEIVERS))]
            for share in (0.4, 0.35) if rng.random() < 0.6 else (0.5,):
                number += 1
                shipped = batch.stored_on + dt.timedelta(days=rng.randint(10, max(11, days_ago - 5)))
                received = shipped + dt.timedelta(days=rng.randint(1, 3))
                pending.append(
                    (
                        batch,
                        {
                            "park_id": park_id,
                            "enterprise_id": enterprise.id,
                            "number": f"320500{shipped:%Y}{number:06d}",
                            "quantity_t": round(quantity * share, 3),
                            "carrier": CARRIER[0],
                            "carrier_licence": CARRIER[1],
                            "receiver": receiver[0],
                            "receiver_licence": receiver[1],
                            "shipped_on": shipped,
                            "received_on": received if received <= today else None,
                            "status": "received" if received <= today else "in_transit",
                        },
                    )
                )
    session.add_all(batches)
    session.flush()
    manifests = [TransferManifest(batch_id=batch.id, **values) for batch, values in pending]
    session.add_all(manifests)
    session.flush()
    counts["hazardous_batches"] = len(batches)
    counts["manifests"] = len(manifests)

    # -- exceedances of the telemetry history window (whatever hour rollups are there already) ------------------
    now = dt.datetime.now(dt.UTC)
    first = None if history_days is None else today - dt.timedelta(days=history_days)
    results = scheduler.scan_due(session, now=now, first=first)
    counts["exceedances"] = sum(r.created for r in results)
    return counts
