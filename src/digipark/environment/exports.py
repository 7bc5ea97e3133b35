"""Excel / CSV downloads of the waste ledger and the transfer manifests of a year: only rows the caller may read
(an enterprise user gets its own)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.spreadsheet import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, Column, write_csv, write_xlsx
from digipark.environment import waste
from digipark.environment.models import HazardousBatch, TransferManifest, WasteEntry
from digipark.registry.models import Enterprise

WASTE_COLUMNS = (
    Column("enterprise", "企业"),
    Column("uscc", "统一社会信用代码"),
    Column("month", "月份", "date"),
    Column("category", "类别代码"),
    Column("category_name", "类别名称"),
    Column("opening_t", "期初贮存量(t)", "float"),
    Column("generated_t", "产生量(t)", "float"),
    Column("utilised_t", "综合利用量(t)", "float"),
    Column("disposed_t", "处置量(t)", "float"),
    Column("stored_t", "期末贮存量(t)", "float"),
    Column("unaccounted_t", "未计量差额(t)", "float"),
    Column("notes", "备注"),
)
MANIFEST_COLUMNS = (
    Column("number", "联单编号"),
    Column("enterprise", "产生单位"),
    Column("batch", "批次"),
    Column("category", "废物类别"),
    Column("waste_code", "废物代码"),
    Column("waste", "废物名称"),
    Column("quantity_t", "转移量(t)", "float"),
    Column("carrier", "运输单位"),
    Column("carrier_licence", "运输许可证号"),
    Column("receiver", "接收单位"),
    Column("receiver_licence", "危险废物经营许可证编号"),
    Column("shipped_on", "转移日期", "date"),
    Column("received_on", "接收日期", "date"),
    Column("status", "状态"),
)
MANIFEST_STATUS_ZH = {"created": "已填写", "in_transit": "运输中", "received": "已接收", "cancelled": "已作废"}


def _names(session: Session, scope: Scope, ids: set[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    rows = session.execute(
        select(Enterprise.id, Enterprise.name, Enterprise.uscc).where(
            Enterprise.id.in_(sorted(ids)), scope.condition(Enterprise)
        )
    )
    return {ident: (name, uscc or "") for ident, name, uscc in rows}


def _file(
    title: str, columns: tuple[Column, ...], records: list[list[Any]], fmt: str, name: str, notes: list[str]
) -> tuple[bytes, str, str]:
    if fmt == "csv":
        return write_csv([c.header for c in columns], records), CSV_MEDIA_TYPE, f"{name}.csv"
    return write_xlsx(title, columns, records, notes=notes), XLSX_MEDIA_TYPE, f"{name}.xlsx"


def waste_ledger(session: Session, *, scope: Scope, year: int, fmt: str) -> tuple[bytes, str, str]:
    rows = [
        *session.scalars(
            scope.readable(WasteEntry)
            .where(WasteEntry.month >= dt.date(year, 1, 1), WasteEntry.month <= dt.date(year, 12, 1))
            .order_by(WasteEntry.enterprise_id, WasteEntry.category, WasteEntry.month)
        )
    ]
    names = _names(session, scope, {r.enterprise_id for r in rows})
    categories = waste.data().general
    records = [
        [
            names.get(r.enterprise_id, ("", ""))[0],
            names.get(r.enterprise_id, ("", ""))[1],
            r.month,
            r.category,
            categories[r.category].name_zh if r.category in categories else r.category,
            round(r.opening_t, 6),
            round(r.generated_t, 6),
            round(r.utilised_t, 6),
            round(r.disposed_t, 6),
            round(r.stored_t, 6),
            round(waste.unaccounted(r.opening_t, r.generated_t, r.utilised_t, r.disposed_t, r.stored_t), 6),
            r.notes,
        ]
        for r in rows
    ]
    notes = [
        f"一般工业固体废物台账 {year} 年（单位：t）。期初贮存量为上月期末贮存量；",
        "产生量 + 期初贮存量 ≥ 综合利用量 + 处置量 + 期末贮存量，差额列为未计量差额。",
        f"类别代码：{waste.data().general_source}（状态：{waste.data().general_status}）",
    ]
    return _file("一般工业固体废物台账", WASTE_COLUMNS, records, fmt, f"solid-waste-ledger-{year}", notes)


def manifests(session: Session, *, scope: Scope, year: int, fmt: str) -> tuple[bytes, str, str]:
    rows = session.execute(
        select(TransferManifest, HazardousBatch)
        .where(scope.condition(TransferManifest))
        .join(HazardousBatch, HazardousBatch.id == TransferManifest.batch_id)
        .where(TransferManifest.shipped_on >= dt.date(year, 1, 1), TransferManifest.shipped_on <= dt.date(year, 12, 31))
        .order_by(TransferManifest.shipped_on, TransferManifest.id)
    ).all()
    names = _names(session, scope, {m.enterprise_id for m, _ in rows})
    categories = waste.data().hazardous
    records = [
        [
            m.number,
            names.get(m.enterprise_id, ("", ""))[0],
            b.code,
            f"{b.category} {categories[b.category].name_zh}" if b.category in categories else b.category,
            b.waste_code,
            b.name,
            round(m.quantity_t, 6),
            m.carrier,
            m.carrier_licence,
            m.receiver,
            m.receiver_licence,
            m.shipped_on,
            m.received_on,
            MANIFEST_STATUS_ZH.get(m.status, m.status),
        ]
        for m, b in rows
    ]
    notes = [f"危险废物转移联单 {year} 年（单位：t）。", f"废物类别：{waste.data().hazardous_source}"]
    return _file("危险废物转移联单", MANIFEST_COLUMNS, records, fmt, f"hazardous-waste-manifests-{year}", notes)
