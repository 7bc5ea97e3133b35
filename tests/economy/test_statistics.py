"""Monthly statistics: submission, corrections with history, all-or-nothing Excel import, export, missing
submissions and reminders, and who may do what."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.auth.models import Role
from digipark.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipark.core.listing import ListQuery
from digipark.core.spreadsheet import ImportFailed, UnsupportedFile
from digipark.economy import statistics
from digipark.economy.models import MonthlyStatistic, MonthlyStatisticRevision, StatisticReminder
from digipark.economy.schemas import MonthlyStatisticCorrect, MonthlyStatisticCreate, parse_period
from digipark.registry.models import Enterprise
from tests.conftest import World
from tests.economy.helpers import admin, figures, month, scope_of, submit

HEADER = ["统一社会信用代码", "统计月份", "工业总产值", "营业收入", "实缴税金", "利润总额", "从业人员", "用电量"]


def workbook(header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def uscc_of(db: Session, enterprise_id: int) -> str:
    return db.scalar(select(Enterprise.uscc).where(Enterprise.id == enterprise_id)) or ""


def count(db: Session, park_id: int) -> int:
    return db.scalar(select(func.count()).select_from(MonthlyStatistic).where(MonthlyStatistic.park_id == park_id)) or 0


# -- periods ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [("2025-03", "2025-03-01"), ("2025-3", "2025-03-01"), ("2025-03-01", "2025-03-01"), ("2025年3月", "2025-03-01")],
)
def test_period_forms(text: str, expected: str) -> None:
    assert parse_period(text).isoformat() == expected


@pytest.mark.parametrize("text", ["2025-03-15", "2025-13", "March", "", "1890-01"])
def test_bad_periods(text: str) -> None:
    with pytest.raises(ValueError):
        parse_period(text)


# -- submission and correction ---------------------------------------------------------------------------------
def test_enterprise_submits_its_own_month(db: Session, world: World) -> None:
    a = world.a
    own = scope_of(a, Role.ENTERPRISE, a.enterprise_ids[0])
    data = MonthlyStatisticCreate(period=month("2025-04"), **figures(120))
    row = statistics.submit(db, scope=own, data=data)
    assert (row.enterprise_id, row.period, row.revision, row.source) == (
        a.enterprise_ids[0],
        month("2025-04"),
        0,
        "online",
    )
    assert row.submitted_by == own.username
    # not for another enterprise: it is not even visible
    other = MonthlyStatisticCreate(enterprise_id=a.enterprise_ids[1], period=month("2025-04"), **figures(1))
    with pytest.raises(ValidationFailed):
        statistics.submit(db, scope=own, data=other)
    # the same month again is a conflict: corrections go through correct()
    with pytest.raises(Conflict):
        statistics.submit(db, scope=own, data=data)
    entries = db.scalars(select(AuditEntry).where(AuditEntry.entity_type == "monthly_statistic")).all()
    assert any(e.action == "create" and e.entity_id == str(row.id) for e in entries)


def test_reviewer_and_resident_cannot_submit_and_future_months_are_refused(db: Session, world: World) -> None:
    a = world.a
    data = MonthlyStatisticCreate(enterprise_id=a.enterprise_ids[0], period=month("2025-04"), **figures(1))
    with pytest.raises(PermissionDenied):
        statistics.submit(db, scope=scope_of(a, Role.REVIEWER), data=data)
    with pytest.raises(ValidationFailed):
        statistics.submit(db, scope=scope_of(a, Role.RESIDENT), data=data)  # enterprise not visible
    future = statistics.add_months(statistics.current_month(), 1)
    with pytest.raises(ValidationFailed, match="has not begun"):
        statistics.submit(
            db,
            scope=admin(a),
            data=MonthlyStatisticCreate(enterprise_id=a.enterprise_ids[0], period=future, **figures(1)),
        )
    with pytest.raises(ValidationFailed):
        statistics.submit(db, scope=admin(world.b), data=data)  # park B's admin: park A's enterprise is invisible


def test_correction_keeps_the_previous_values(db: Session, world: World) -> None:
    a = world.a
    row = submit(db, a, a.enterprise_ids[0], "2025-02", 120)
    corrected = statistics.correct(
        db,
        scope=admin(a),
        ident=row.id,
        data=MonthlyStatisticCorrect(output_value_wan_yuan=132, tax_paid_wan_yuan=7, reason="漏报一笔订单"),
    )
    assert corrected.output_value_wan_yuan == 132 and corrected.tax_paid_wan_yuan == 7 and corrected.revision == 1
    history = statistics.revisions(db, scope=admin(a), ident=row.id)
    assert len(history) == 1
    assert history[0].previous["output_value_wan_yuan"] == 120
    assert history[0].previous["tax_paid_wan_yuan"] == pytest.approx(6)
    assert (history[0].revision, history[0].reason) == (0, "漏报一笔订单")
    # a second correction adds a second revision
    statistics.correct(
        db, scope=admin(a), ident=row.id, data=MonthlyStatisticCorrect(output_value_wan_yuan=130, reason="复核")
    )
    assert [h.revision for h in statistics.revisions(db, scope=admin(a), ident=row.id)] == [1, 0]
    # a correction that changes nothing, or clears a figure, is refused
    with pytest.raises(ValidationFailed):
        statistics.correct(
            db, scope=admin(a), ident=row.id, data=MonthlyStatisticCorrect(output_value_wan_yuan=130, reason="无变化")
        )
    with pytest.raises(ValidationFailed):
        statistics.correct(
            db, scope=admin(a), ident=row.id, data=MonthlyStatisticCorrect(output_value_wan_yuan=None, reason="清空")
        )
    audit = db.scalars(select(AuditEntry).where(AuditEntry.entity_type == "monthly_statistic_revision")).all()
    assert len(audit) == 2


def test_who_may_correct(db: Session, world: World) -> None:
    a = world.a
    row = submit(db, a, a.enterprise_ids[0], "2025-02", 120)
    change = MonthlyStatisticCorrect(output_value_wan_yuan=99, reason="test")
    with pytest.raises(NotFound):
        statistics.correct(db, scope=scope_of(a, Role.ENTERPRISE, a.enterprise_ids[1]), ident=row.id, data=change)
    with pytest.raises(PermissionDenied):
        statistics.correct(db, scope=scope_of(a, Role.REVIEWER), ident=row.id, data=change)
    with pytest.raises(NotFound):
        statistics.correct(db, scope=admin(world.b), ident=row.id, data=change)
    own = statistics.correct(db, scope=scope_of(a, Role.ENTERPRISE, a.enterprise_ids[0]), ident=row.id, data=change)
    assert own.output_value_wan_yuan == 99


def test_lists_are_scoped(db: Session, world: World) -> None:
    a = world.a
    submit(db, a, a.enterprise_ids[0], "2025-02", 120)
    submit(db, a, a.enterprise_ids[1], "2025-02", 60)
    submit(db, world.b, world.b.enterprise_ids[0], "2025-02", 10)
    rows, total = statistics.list(db, scope=admin(a), query=ListQuery())
    assert total == 2 and {r.enterprise_id for r in rows} == set(a.enterprise_ids)
    rows, total = statistics.list(db, scope=scope_of(a, Role.ENTERPRISE, a.enterprise_ids[1]), query=ListQuery())
    assert total == 1 and rows[0].enterprise_id == a.enterprise_ids[1]
    assert statistics.list(db, scope=scope_of(a, Role.REVIEWER), query=ListQuery())[1] == 2
    assert statistics.list(db, scope=scope_of(a, Role.RESIDENT), query=ListQuery())[1] == 0


def test_output_value_by_enterprise_month_is_one_scoped_read(db: Session, world: World) -> None:
    a = world.a
    first, second = a.enterprise_ids[0], a.enterprise_ids[1]
    submit(db, a, first, "2025-01", 120)
    submit(db, a, first, "2025-03", 80.5)
    submit(db, a, second, "2025-03", 60)
    submit(db, a, second, "2025-05", 999)  # after the range
    submit(db, a, first, "2024-12", 999)  # before the range
    submit(db, world.b, world.b.enterprise_ids[0], "2025-03", 10)  # another park
    read = statistics.output_value_by_enterprise_month
    # months named by any day in them; the end month is included
    got = read(db, scope=admin(a), park_id=a.park_id, start=dt.date(2025, 1, 15), end=dt.date(2025, 4, 30))
    assert got == {(first, month("2025-01")): 120.0, (first, month("2025-03")): 80.5, (second, month("2025-03")): 60.0}
    one = read(
        db, scope=admin(a), park_id=a.park_id, start=month("2025-01"), end=month("2025-12"), enterprise_id=second
    )
    assert one == {(second, month("2025-03")): 60.0, (second, month("2025-05")): 999.0}
    # an enterprise reads only its own months, a resident none, another park's admin none of park A's
    own = read(
        db, scope=scope_of(a, Role.ENTERPRISE, second), park_id=a.park_id, start=month("2025-01"), end=month("2025-04")
    )
    assert own == {(second, month("2025-03")): 60.0}
    assert (
        read(db, scope=scope_of(a, Role.RESIDENT), park_id=a.park_id, start=month("2025-01"), end=month("2025-12"))
        == {}
    )
    assert read(db, scope=admin(world.b), park_id=a.park_id, start=month("2025-01"), end=month("2025-12")) == {}


# -- import ----------------------------------------------------------------------------------------------------
def test_import_creates_every_row(db: Session, world: World) -> None:
    a = world.a
    u0, u1 = uscc_of(db, a.enterprise_ids[0]), uscc_of(db, a.enterprise_ids[1])
    content = workbook(
        HEADER,
        [
            [u0, "2025-01", 100, 95, 5, 8, 120, 40000],
            [u0, "2025-02", "110.5", 100, 5, 8, 120, 41000],
            [u1.lower(), "2025年1月", 50, 48, 2, -3, 30, 12000],
        ],
    )
    before = count(db, a.park_id)
    dry = statistics.import_or_raise(db, scope=admin(a), content=content, dry_run=True)
    assert (dry.rows, dry.created, dry.dry_run) == (3, 3, True)
    assert count(db, a.park_id) == before
    report = statistics.import_or_raise(db, scope=admin(a), content=content)
    assert (report.rows, report.created, report.updated) == (3, 3, 0)
    assert count(db, a.park_id) == before + 3
    row = statistics.get_by_period(db, scope=admin(a), enterprise_id=a.enterprise_ids[1], period=month("2025-01"))
    assert row is not None and row.total_profit_wan_yuan == -3 and row.source == "import"
    assert row.rnd_spending_wan_yuan == 0 and row.export_value_wan_yuan == 0
    assert (
        db.scalar(
            select(AuditEntry).where(AuditEntry.action == "import", AuditEntry.entity_type == "monthly_statistic")
        )
        is not None
    )


def test_import_with_bad_rows_writes_nothing(db: Session, world: World) -> None:
    a = world.a
    u0 = uscc_of(db, a.enterprise_ids[0])
    b_uscc = uscc_of(db, world.b.enterprise_ids[0])
    future = f"{statistics.add_months(statistics.current_month(), 2):%Y-%m}"
    content = workbook(
        HEADER,
        [
            [u0, "2025-01", 100, 95, 5, 8, 120, 40000],  # good
            [u0, "2025-13", 100, 95, 5, 8, 120, 40000],  # bad month
            [b_uscc, "2025-01", 100, 95, 5, 8, 120, 40000],  # another park's enterprise
            [u0, "2025-02", -1, 95, 5, 8, 120, 40000],  # negative output
            [u0, "2025-03", 100, 95, 5, 8, "many", 40000],  # not a number
            [u0, "2025-01", 100, 95, 5, 8, 120, 40000],  # the first row's month again
            [u0, future, 100, 95, 5, 8, 120, 40000],  # a month that has not begun
            [u0, "2025-04", 100, 95, None, 8, 120, 40000],  # tax missing
        ],
    )
    before = count(db, a.park_id)
    with pytest.raises(ImportFailed) as caught:
        statistics.import_or_raise(db, scope=admin(a), content=content)
    assert count(db, a.park_id) == before
    errors = {(e["row"], e["column"]) for e in caught.value.errors}
    assert {
        (3, "period"),
        (4, "enterprise_uscc"),
        (5, "output_value_wan_yuan"),
        (6, "employees"),
        (7, "period"),
        (8, "period"),
        (9, "tax_paid_wan_yuan"),
    } <= errors
    assert 2 not in {e["row"] for e in caught.value.errors}
    assert caught.value.failed_rows == 7 and caught.value.rows == 8
    assert caught.value.status == 422


def test_import_header_problems_and_unreadable_files(db: Session, world: World) -> None:
    a = world.a
    with pytest.raises(ImportFailed) as caught:
        statistics.import_or_raise(
            db, scope=admin(a), content=workbook(["统一社会信用代码", "统计月份", "奇怪的列"], [])
        )
    columns = {e["column"] for e in caught.value.errors}
    assert "奇怪的列" in columns and "output_value_wan_yuan" in columns and "electricity_kwh" in columns
    with pytest.raises(UnsupportedFile):
        statistics.import_or_raise(db, scope=admin(a), content=b"uscc,period\n")
    with pytest.raises(PermissionDenied):
        statistics.import_or_raise(db, scope=scope_of(a, Role.ENTERPRISE, a.enterprise_ids[0]), content=b"x")
    with pytest.raises(PermissionDenied):
        statistics.import_or_raise(db, scope=scope_of(a, Role.REVIEWER), content=b"x")


def test_import_of_a_submitted_month_is_a_correction(db: Session, world: World) -> None:
    a = world.a
    row = submit(db, a, a.enterprise_ids[0], "2025-01", 100)
    u0 = uscc_of(db, a.enterprise_ids[0])
    same = [
        u0,
        "2025-01",
        row.output_value_wan_yuan,
        row.sales_revenue_wan_yuan,
        row.tax_paid_wan_yuan,
        row.total_profit_wan_yuan,
        row.employees,
        row.electricity_kwh,
    ]
    report = statistics.import_or_raise(db, scope=admin(a), content=workbook(HEADER, [same]))
    assert (report.created, report.updated) == (0, 0)
    changed = [*same[:2], 105, *same[3:]]
    report = statistics.import_or_raise(db, scope=admin(a), content=workbook(HEADER, [changed]))
    assert (report.created, report.updated) == (0, 1)
    db.refresh(row)
    assert row.output_value_wan_yuan == 105 and row.revision == 1 and row.source == "import"
    history = db.scalars(select(MonthlyStatisticRevision).where(MonthlyStatisticRevision.statistic_id == row.id)).all()
    assert [h.previous["output_value_wan_yuan"] for h in history] == [100]
    assert history[0].reason == statistics.IMPORT_REASON


def test_export_round_trips_and_is_scoped(db: Session, world: World) -> None:
    a = world.a
    submit(db, a, a.enterprise_ids[0], "2025-01", 100)
    submit(db, a, a.enterprise_ids[1], "2025-01", 50)
    content, media = statistics.export(db, scope=admin(a), query=ListQuery(), fmt="xlsx")
    assert media.startswith("application/vnd.openxmlformats")
    report = statistics.import_or_raise(db, scope=admin(a), content=content, dry_run=True)
    assert (report.rows, report.created, report.updated) == (2, 0, 0)
    own = scope_of(a, Role.ENTERPRISE, a.enterprise_ids[1])
    text, _ = statistics.export(db, scope=own, query=ListQuery(), fmt="csv")
    rows = list(csv.DictReader(io.StringIO(text.decode("utf-8-sig"))))
    assert [r["统一社会信用代码 (enterprise_uscc)"] for r in rows] == [uscc_of(db, a.enterprise_ids[1])]


# -- missing submissions and reminders -------------------------------------------------------------------------
def test_missing_submissions_and_reminders(db: Session, world: World) -> None:
    a = world.a
    e0, e1 = a.enterprise_ids
    submit(db, a, e0, "2025-06", 100)
    report = statistics.missing_submissions(db, scope=admin(a), period=month("2025-06"))
    assert (report.expected, report.submitted) == (2, 1)
    assert [m.enterprise_id for m in report.missing] == [e1]
    # naming an enterprise that has submitted is refused; nothing is sent
    with pytest.raises(ValidationFailed):
        statistics.send_reminders(db, scope=admin(a), period=month("2025-06"), enterprise_ids=[e0])
    sent = statistics.send_reminders(db, scope=admin(a), period=month("2025-06"), note="请于本月15日前报送")
    assert [(r.enterprise_id, r.channel) for r in sent] == [(e1, "in_app")]
    report = statistics.missing_submissions(db, scope=admin(a), period=month("2025-06"))
    assert report.missing[0].reminders == 1 and report.missing[0].last_reminded_at is not None
    # the enterprise sees its open reminder until it submits; the other enterprise sees none
    e1_scope = scope_of(a, Role.ENTERPRISE, e1)
    assert [r.period for r in statistics.open_reminders(db, scope=e1_scope, enterprise_id=e1)] == [month("2025-06")]
    assert statistics.reminders(db, scope=scope_of(a, Role.ENTERPRISE, e0)) == []
    submit(db, a, e1, "2025-06", 50)
    assert statistics.open_reminders(db, scope=e1_scope, enterprise_id=e1) == []
    # who may chase
    with pytest.raises(PermissionDenied):
        statistics.send_reminders(db, scope=scope_of(a, Role.REVIEWER), period=month("2025-06"))
    with pytest.raises(PermissionDenied):
        statistics.missing_submissions(db, scope=e1_scope, period=month("2025-06"))
    assert db.scalar(select(func.count()).select_from(StatisticReminder)) == 1


def test_enterprises_that_did_not_exist_or_left_are_not_expected(db: Session, world: World) -> None:
    a = world.a
    e0, e1 = (db.get(Enterprise, i) for i in a.enterprise_ids)
    assert e0 is not None and e1 is not None
    e0.established_on = month("2025-07")  # established after June
    e1.status = "moved_out"
    db.flush()
    report = statistics.missing_submissions(db, scope=admin(a), period=month("2025-06"))
    assert (report.expected, report.missing) == (0, [])
