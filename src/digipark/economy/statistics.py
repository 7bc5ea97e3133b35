"""Monthly statistics: online submission, corrections with history, Excel import and export, missing
submissions and reminders.

A submission is one row per enterprise and month (`period`, the first day of the month) in canonical units.
A correction keeps the values it replaces as a `MonthlyStatisticRevision` with the reason; the figures used
everywhere are the current ones. The Excel import writes every row or none (a per-row report otherwise);
rows naming a month already submitted are applied as corrections ("corrected by import").

Who must report (the expected set for missing submissions): the park's active industrial enterprises
established before the end of the month.
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import logging
import zoneinfo
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

import digipark.audit.service  # registers the audit hook for every write below
from digipark.auth.scope import Scope
from digipark.core import spreadsheet
from digipark.core.config import get_settings
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.core.spreadsheet import Column, ImportFailed, ImportReport, RowError
from digipark.economy.models import (
    FIGURES,
    MonthlyStatistic,
    MonthlyStatisticRevision,
    StatisticReminder,
    StatisticSource,
)
from digipark.economy.schemas import (
    MissingReport,
    MissingSubmission,
    MonthlyStatisticCorrect,
    MonthlyStatisticCreate,
    parse_period,
)
from digipark.registry.models import Enterprise

log = logging.getLogger(__name__)

LIST_SPEC = ListSpec(
    filters={
        "park_id": MonthlyStatistic.park_id,
        "enterprise_id": MonthlyStatistic.enterprise_id,
        "period": MonthlyStatistic.period,
        "source": MonthlyStatistic.source,
        "revision": MonthlyStatistic.revision,
    },
    sort={
        "id": MonthlyStatistic.id,
        "period": MonthlyStatistic.period,
        "enterprise_id": MonthlyStatistic.enterprise_id,
        **{figure: getattr(MonthlyStatistic, figure) for figure in FIGURES},
        "submitted_at": MonthlyStatistic.submitted_at,
    },
    default_sort="-period,enterprise_id",
)
REVISION_SPEC_SORT = "-revision"


# -- months ----------------------------------------------------------------------------------------------------
def today() -> dt.date:
    """Today in the platform's time zone (Asia/Shanghai by default)."""
    return dt.datetime.now(zoneinfo.ZoneInfo(get_settings().timezone)).date()


def current_month(on: dt.date | None = None) -> dt.date:
    """The first day of the current month (of `on`, if given) in the platform's time zone."""
    return (on if on is not None else today()).replace(day=1)


def add_months(period: dt.date, months: int) -> dt.date:
    index = period.year * 12 + period.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(period: dt.date) -> dt.date:
    return add_months(period, 1) - dt.timedelta(days=1)


def _check_not_future(period: dt.date, field: str = "period") -> None:
    if period > current_month():
        raise field_error(field, f"{period:%Y-%m} has not begun; statistics are submitted for past months")


# -- reads -----------------------------------------------------------------------------------------------------
def list(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[MonthlyStatistic], int]:
    return LIST_SPEC.apply(session, scope.readable(MonthlyStatistic), query)


def all_rows(session: Session, *, scope: Scope, query: ListQuery) -> builtins.list[MonthlyStatistic]:
    return LIST_SPEC.all_rows(session, scope.readable(MonthlyStatistic), query)


def get(session: Session, *, scope: Scope, ident: int) -> MonthlyStatistic:
    return scope.get_or_404(session, MonthlyStatistic, ident)


def revisions(session: Session, *, scope: Scope, ident: int) -> builtins.list[MonthlyStatisticRevision]:
    statistic = get(session, scope=scope, ident=ident)
    stmt = scope.readable(MonthlyStatisticRevision).where(MonthlyStatisticRevision.statistic_id == statistic.id)
    return [*session.scalars(stmt.order_by(MonthlyStatisticRevision.revision.desc()))]


def get_by_period(session: Session, *, scope: Scope, enterprise_id: int, period: dt.date) -> MonthlyStatistic | None:
    stmt = scope.readable(MonthlyStatistic).where(
        MonthlyStatistic.enterprise_id == enterprise_id, MonthlyStatistic.period == period
    )
    found: MonthlyStatistic | None = session.scalar(stmt)
    return found


def output_value_by_enterprise_month(
    session: Session,
    *,
    scope: Scope,
    park_id: int,
    start: dt.date,
    end: dt.date,
    enterprise_id: int | None = None,
) -> dict[tuple[int, dt.date], float]:
    """Output value (万元) per (enterprise, month) of the park's months `start`..`end` (inclusive, months named
    by any day in them) that the caller may read: one aggregate query, no ORM rows (other domains' bulk read,
    e.g. energy intensity of a park-year). A month without a submission is absent."""
    first, last = start.replace(day=1), end.replace(day=1)
    model = MonthlyStatistic
    aggregate: Select[Any] = select(  # type: ignore[assignment]
        model.enterprise_id, model.period, func.sum(model.output_value_wan_yuan)
    ).group_by(model.enterprise_id, model.period)
    stmt = scope.readable(model, aggregate).where(model.park_id == park_id, model.period >= first, model.period <= last)
    if enterprise_id is not None:
        stmt = stmt.where(model.enterprise_id == enterprise_id)
    return {(int(e), period): float(v) for e, period, v in session.execute(stmt)}


# -- writes ----------------------------------------------------------------------------------------------------
def reporting_enterprise(session: Session, scope: Scope, enterprise_id: int | None) -> Enterprise:
    """The enterprise a submission is for: the caller's own when not given; it must be visible."""
    if enterprise_id is None:
        enterprise_id = scope.acting_enterprise()
        if enterprise_id is None:
            raise field_error("enterprise_id", "required: the enterprise the figures are for")
    enterprise: Enterprise | None = session.scalar(scope.readable(Enterprise).where(Enterprise.id == enterprise_id))
    if enterprise is None:
        raise field_error("enterprise_id", f"no enterprise {enterprise_id} visible to you")
    return enterprise


def _authorize(scope: Scope, enterprise: Enterprise) -> None:
    scope.authorize_write("statistics.submit", park_id=enterprise.park_id, enterprise_id=enterprise.id)


def submit(
    session: Session,
    *,
    scope: Scope,
    data: MonthlyStatisticCreate,
    source: StatisticSource = StatisticSource.ONLINE,
) -> MonthlyStatistic:
    """Record one month of an enterprise's figures; a month already submitted is corrected, not resubmitted."""
    enterprise = reporting_enterprise(session, scope, data.enterprise_id)
    _authorize(scope, enterprise)
    _check_not_future(data.period)
    existing = session.scalar(
        select(MonthlyStatistic.id).where(
            MonthlyStatistic.enterprise_id == enterprise.id, MonthlyStatistic.period == data.period
        )
    )
    if existing is not None:
        raise Conflict(
            f"{enterprise.name} has already submitted {data.period:%Y-%m} (statistic {existing}); correct it instead",
            errors=[{"field": "period", "reason": "already submitted", "statistic_id": existing}],
        )
    statistic = _new(scope, enterprise, data, source)
    session.add(statistic)
    session.flush()
    return statistic


def _new(
    scope: Scope, enterprise: Enterprise, data: MonthlyStatisticCreate, source: StatisticSource
) -> MonthlyStatistic:
    return MonthlyStatistic(
        park_id=enterprise.park_id,
        enterprise_id=enterprise.id,
        period=data.period,
        **{figure: getattr(data, figure) for figure in FIGURES},
        source=source.value,
        revision=0,
        submitted_by=scope.username,
        submitted_at=utcnow(),
    )


def figures_of(statistic: MonthlyStatistic) -> dict[str, Any]:
    return {figure: getattr(statistic, figure) for figure in FIGURES}


def _apply_correction(
    session: Session,
    scope: Scope,
    statistic: MonthlyStatistic,
    changes: dict[str, Any],
    reason: str,
    source: StatisticSource,
) -> MonthlyStatistic:
    session.add(
        MonthlyStatisticRevision(
            park_id=statistic.park_id,
            enterprise_id=statistic.enterprise_id,
            statistic_id=statistic.id,
            period=statistic.period,
            revision=statistic.revision,
            previous=figures_of(statistic),
            source=statistic.source,
            corrected_by=scope.username,
            reason=reason,
            at=utcnow(),
        )
    )
    for figure, value in changes.items():
        setattr(statistic, figure, value)
    statistic.revision += 1
    statistic.source = source.value
    statistic.submitted_by = scope.username
    statistic.submitted_at = utcnow()
    session.flush()
    return statistic


def correct(
    session: Session,
    *,
    scope: Scope,
    ident: int,
    data: MonthlyStatisticCorrect,
    source: StatisticSource = StatisticSource.ONLINE,
) -> MonthlyStatistic:
    """Change figures of a submitted month; the values replaced are kept with the reason."""
    statistic = get(session, scope=scope, ident=ident)
    scope.authorize_write_row("statistics.submit", statistic)
    given = data.model_dump(exclude_unset=True, exclude={"reason"})
    for figure, value in given.items():
        if value is None:
            raise field_error(figure, "required: a figure cannot be cleared, only corrected")
    changes = {figure: value for figure, value in given.items() if value != getattr(statistic, figure)}
    if not changes:
        raise ValidationFailed(
            "the correction changes no figure", errors=[{"field": None, "reason": "no figure differs"}]
        )
    return _apply_correction(session, scope, statistic, changes, data.reason, source)


# -- missing submissions and reminders -------------------------------------------------------------------------
def expected_condition(period: dt.date) -> ColumnElement[bool]:
    """The enterprises that owe statistics for `period`: active, industrial, established by its end."""
    return and_(
        Enterprise.status == "active",
        Enterprise.industrial.is_(True),
        or_(Enterprise.established_on.is_(None), Enterprise.established_on <= month_end(period)),
    )


def missing_submissions(
    session: Session, *, scope: Scope, period: dt.date, park_id: int | None = None
) -> MissingReport:
    """The enterprises that owe statistics for `period` and have not submitted, with their reminders."""
    if not scope.can("economy.read"):
        raise PermissionDenied("only park staff see who has not submitted")
    park = scope.acting_park(park_id)
    expected = [
        *session.scalars(
            scope.readable(Enterprise)
            .where(Enterprise.park_id == park, expected_condition(period))
            .order_by(Enterprise.name)
        )
    ]
    submitted = set(
        session.scalars(
            select(MonthlyStatistic.enterprise_id).where(
                MonthlyStatistic.park_id == park, MonthlyStatistic.period == period
            )
        )
    )
    missing = [e for e in expected if e.id not in submitted]
    ids = [e.id for e in missing]
    last_periods: dict[int, dt.date] = {}
    reminder_counts: dict[int, tuple[int, dt.datetime | None]] = {}
    if ids:
        last_periods = {
            ident: last
            for ident, last in session.execute(
                select(MonthlyStatistic.enterprise_id, func.max(MonthlyStatistic.period))
                .where(MonthlyStatistic.park_id == park, MonthlyStatistic.enterprise_id.in_(ids))
                .group_by(MonthlyStatistic.enterprise_id)
            )
        }
        reminder_counts = {
            ident: (count, last)
            for ident, count, last in session.execute(
                select(StatisticReminder.enterprise_id, func.count(), func.max(StatisticReminder.sent_at))
                .where(
                    StatisticReminder.park_id == park,
                    StatisticReminder.period == period,
                    StatisticReminder.enterprise_id.in_(ids),
                )
                .group_by(StatisticReminder.enterprise_id)
            )
        }
    return MissingReport(
        park_id=park,
        period=period,
        expected=len(expected),
        submitted=len(expected) - len(missing),
        missing=[
            MissingSubmission(
                enterprise_id=e.id,
                name=e.name,
                uscc=e.uscc,
                above_scale=e.above_scale,
                last_period=last_periods.get(e.id),
                reminders=reminder_counts.get(e.id, (0, None))[0],
                last_reminded_at=reminder_counts.get(e.id, (0, None))[1],
            )
            for e in missing
        ],
    )


def send_reminders(
    session: Session,
    *,
    scope: Scope,
    period: dt.date,
    enterprise_ids: builtins.list[int] | None = None,
    note: str | None = None,
    park_id: int | None = None,
) -> builtins.list[StatisticReminder]:
    """Chase the enterprises missing `period` (all of them, or those of `enterprise_ids` that are missing).

    Delivery is an in-app notice for now: the reminder rows are shown on the enterprise's statistics page.
    Naming an enterprise that is not missing is a 422, so a reminder is never sent for a month submitted.
    """
    scope.require("statistics.remind")
    park = scope.acting_write_park(park_id)
    report = missing_submissions(session, scope=scope, period=period, park_id=park)
    missing = {m.enterprise_id for m in report.missing}
    targets = sorted(missing)
    if enterprise_ids is not None:
        wrong = sorted(set(enterprise_ids) - missing)
        if wrong:
            raise field_error(
                "enterprise_ids", f"not missing {period:%Y-%m} in this park: {', '.join(str(i) for i in wrong)}"
            )
        targets = sorted(set(enterprise_ids))
    reminders = [
        StatisticReminder(
            park_id=park,
            enterprise_id=ident,
            period=period,
            channel="in_app",
            sent_by=scope.username,
            sent_at=utcnow(),
            note=note,
        )
        for ident in targets
    ]
    session.add_all(reminders)
    session.flush()
    return reminders


def reminders(
    session: Session, *, scope: Scope, period: dt.date | None = None, limit: int = 100
) -> builtins.list[StatisticReminder]:
    """Reminders the caller may read (an enterprise: its own), newest first."""
    stmt = scope.readable(StatisticReminder)
    if period is not None:
        stmt = stmt.where(StatisticReminder.period == period)
    return [*session.scalars(stmt.order_by(StatisticReminder.sent_at.desc(), StatisticReminder.id.desc()).limit(limit))]


def open_reminders(session: Session, *, scope: Scope, enterprise_id: int) -> builtins.list[StatisticReminder]:
    """An enterprise's reminders for months it still has not submitted."""
    submitted = select(MonthlyStatistic.period).where(MonthlyStatistic.enterprise_id == enterprise_id)
    stmt = (
        scope.readable(StatisticReminder)
        .where(StatisticReminder.enterprise_id == enterprise_id, StatisticReminder.period.not_in(submitted))
        .order_by(StatisticReminder.period.desc(), StatisticReminder.sent_at.desc())
    )
    latest: dict[dt.date, StatisticReminder] = {}
    for reminder in session.scalars(stmt):
        latest.setdefault(reminder.period, reminder)
    return [*latest.values()]


# -- Excel -----------------------------------------------------------------------------------------------------
SHEET_TITLE = "月度统计 monthly statistics"
FIGURE_COLUMNS: tuple[Column, ...] = (
    Column(
        "output_value_wan_yuan",
        "工业总产值（当年价格，万元）",
        "float",
        "industrial output at current prices, 10k yuan",
        aliases=("工业总产值", "工业总产值（万元）", "工业总产值(当年价格)"),
    ),
    Column(
        "sales_revenue_wan_yuan",
        "营业收入（万元）",
        "float",
        "sales revenue, 10k yuan",
        aliases=("营业收入", "销售收入", "销售收入（万元）", "主营业务收入"),
    ),
    Column(
        "tax_paid_wan_yuan",
        "实缴税金（万元）",
        "float",
        "tax paid, 10k yuan",
        aliases=("实缴税金", "税金", "纳税额", "税收（万元）"),
    ),
    Column(
        "total_profit_wan_yuan",
        "利润总额（万元）",
        "float",
        "total profit, 10k yuan; negative for a loss",
        aliases=("利润总额", "利润"),
    ),
    Column(
        "employees",
        "从业人员（人）",
        "int",
        "employees at the end of the month",
        aliases=("从业人员", "从业人数", "从业人员期末人数", "职工人数"),
    ),
    Column(
        "rnd_spending_wan_yuan",
        "研发费用（万元）",
        "float",
        "R&D spending, 10k yuan; empty: 0",
        aliases=("研发费用", "研发投入", "R&D经费"),
    ),
    Column(
        "electricity_kwh",
        "用电量（千瓦时）",
        "float",
        "electricity used, kWh",
        aliases=("用电量", "用电量（kWh）", "用电量(kWh)"),
    ),
    Column(
        "export_value_wan_yuan",
        "出口交货值（万元）",
        "float",
        "export delivery value, 10k yuan; empty: 0",
        aliases=("出口交货值", "出口额", "出口额（万元）"),
    ),
)
IMPORT_COLUMNS: tuple[Column, ...] = (
    Column(
        "enterprise_uscc",
        "统一社会信用代码",
        help="USCC of an enterprise of the park; with period, matches submitted months",
        aliases=("信用代码", "企业统一社会信用代码"),
    ),
    Column("enterprise_name", "企业名称", help="for reading only; ignored on import", aliases=("名称",)),
    Column("period", "统计月份", help="YYYY-MM (or the month's first day)", aliases=("月份", "期别", "报告期")),
    *FIGURE_COLUMNS,
)
EXPORT_ONLY_COLUMNS: tuple[Column, ...] = (
    Column("source", "来源", help="online or import; ignored on import"),
    Column("revision", "修订次数", "int", "corrections so far; ignored on import"),
)
COLUMNS = (*IMPORT_COLUMNS, *EXPORT_ONLY_COLUMNS)
IGNORED_ON_IMPORT = frozenset({"enterprise_name", "source", "revision"})
NATURAL_KEY = ("enterprise_uscc", "period")
REQUIRED_COLUMNS = (
    *NATURAL_KEY,
    "output_value_wan_yuan",
    "sales_revenue_wan_yuan",
    "tax_paid_wan_yuan",
    "total_profit_wan_yuan",
    "employees",
    "electricity_kwh",
)
IMPORT_REASON = "Excel 导入更正 / corrected by an Excel import"


@dataclasses.dataclass
class _Planned:
    row: int
    enterprise: Enterprise
    data: MonthlyStatisticCreate
    existing: MonthlyStatistic | None
    changes: dict[str, Any]
    given: frozenset[str]  # the figures the row has a value for; the others of a submitted month are kept


def _notes() -> tuple[str, ...]:
    return (
        *spreadsheet.import_notes(NATURAL_KEY),
        "统计月份写作 2026-09；金额单位万元，用电量单位千瓦时。已报送月份的不同数值作为更正保存，原值留存于修订记录。",
        "Months are written 2026-09; money in 10k yuan (万元), electricity in kWh. A different value for a month "
        "already submitted is saved as a correction; the replaced values are kept in its history.",
    )


def _import_error(report_rows: int, errors: builtins.list[RowError], dry_run: bool, detail: str) -> ImportFailed:
    return ImportFailed(kind="monthly_statistic", rows=report_rows, errors=errors, dry_run=dry_run, detail=detail)


def import_or_raise(
    session: Session, *, scope: Scope, content: bytes, dry_run: bool = False, park_id: int | None = None
) -> ImportReport:
    """Import monthly statistics from the first sheet of an .xlsx workbook: every row or none.

    New months are created (source "import"); months already submitted with different figures are corrected
    with the reason IMPORT_REASON and their old values kept (empty cells and absent columns keep the submitted
    value); identical rows are left alone. Raises ImportFailed
    (422) listing every (row, column, reason), UnsupportedFile (415) / FileTooLarge (413), PermissionDenied.
    """
    scope.require("statistics.import")
    park = scope.acting_write_park(park_id)
    columns, header_row, data_rows = spreadsheet.header_and_data(
        spreadsheet.load_rows(content),
        kind="monthly_statistic",
        dry_run=dry_run,
        read=lambda n, values: spreadsheet.read_header(
            COLUMNS, n, values, required=REQUIRED_COLUMNS, missing_reason="missing column"
        ),
    )

    enterprises = {
        e.uscc.upper(): e for e in session.scalars(scope.readable(Enterprise).where(Enterprise.park_id == park))
    }
    errors: builtins.list[RowError] = []
    planned: builtins.list[_Planned] = []
    seen: dict[tuple[int, dt.date], int] = {}
    for number, values in data_rows:
        before = len(errors)
        raw: dict[str, Any] = {}
        for position, value in enumerate(values):
            column = columns[position] if position < len(columns) else None
            if column is None:
                if not spreadsheet.blank(value):
                    errors.append(
                        RowError(
                            row=number,
                            column=spreadsheet.column_letter(position),
                            reason="a value in a column without a valid title",
                        )
                    )
                continue
            if column.key in IGNORED_ON_IMPORT:
                continue
            try:
                raw[column.key] = spreadsheet.convert(column, value)
            except ValueError as exc:
                errors.append(RowError(row=number, column=column.key, reason=str(exc)))
        enterprise = None
        uscc = raw.pop("enterprise_uscc", None)
        if uscc is None:
            errors.append(RowError(row=number, column="enterprise_uscc", reason="required"))
        else:
            enterprise = enterprises.get(uscc.upper())
            if enterprise is None:
                errors.append(
                    RowError(
                        row=number, column="enterprise_uscc", reason=f"no enterprise with USCC {uscc!r} in this park"
                    )
                )
        period: dt.date | None = None
        raw_period = raw.pop("period", None)
        if raw_period is None:
            errors.append(RowError(row=number, column="period", reason="required"))
        else:
            try:
                period = parse_period(raw_period)
                if period > current_month():
                    raise ValueError(f"{period:%Y-%m} has not begun")
            except ValueError as exc:
                errors.append(RowError(row=number, column="period", reason=str(exc)))
                period = None
        if enterprise is not None and period is not None:
            key = (enterprise.id, period)
            if key in seen:
                errors.append(
                    RowError(
                        row=number,
                        column="period",
                        reason=f"{period:%Y-%m} of this enterprise is also in row {seen[key]}",
                    )
                )
            else:
                seen[key] = number
        figures = {k: v for k, v in raw.items() if v is not None}
        try:
            data = MonthlyStatisticCreate.model_validate(
                {**figures, "enterprise_id": enterprise.id if enterprise else None, "period": period or "2000-01"}
            )
        except ValidationError as exc:
            for err in exc.errors():
                loc = err.get("loc", ())
                field = str(loc[0]) if loc else None
                message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
                errors.append(
                    RowError(row=number, column=field, reason="required" if err.get("type") == "missing" else message)
                )
            continue
        if len(errors) != before or enterprise is None or period is None:
            continue
        try:
            scope.authorize_write("statistics.submit", park_id=enterprise.park_id, enterprise_id=enterprise.id)
        except PermissionDenied as exc:
            errors.append(RowError(row=number, column="enterprise_uscc", reason=exc.detail))
            continue
        planned.append(_Planned(number, enterprise, data, None, {}, frozenset(figures)))

    column_order = {column.key: i for i, column in enumerate(COLUMNS)}

    def ordered() -> builtins.list[RowError]:
        return sorted(errors, key=lambda e: (e.row, column_order.get(e.column or "", len(column_order))))

    if errors:
        raise ImportFailed(kind="monthly_statistic", rows=len(data_rows), errors=ordered(), dry_run=dry_run)

    existing = {
        (s.enterprise_id, s.period): s
        for s in session.scalars(
            select(MonthlyStatistic).where(
                MonthlyStatistic.park_id == park,
                MonthlyStatistic.period.in_(sorted({p.data.period for p in planned})),
            )
        )
    }
    for item in planned:
        item.existing = existing.get((item.enterprise.id, item.data.period))
        if item.existing is not None:
            item.changes = {
                figure: getattr(item.data, figure)
                for figure in FIGURES
                if figure in item.given and getattr(item.data, figure) != getattr(item.existing, figure)
            }

    created = updated = 0
    savepoint = session.begin_nested()
    current = planned[0].row if planned else header_row
    try:
        for item in planned:
            current = item.row
            if item.existing is None:
                session.add(_new(scope, item.enterprise, item.data, StatisticSource.IMPORT))
                created += 1
            elif item.changes:
                _apply_correction(session, scope, item.existing, item.changes, IMPORT_REASON, StatisticSource.IMPORT)
                updated += 1
        session.flush()
    except (SQLAlchemyError, DomainError) as exc:
        log.warning("statistics import rolled back at row %d: %r", current, exc)
        savepoint.rollback()
        if isinstance(exc, DomainError):
            reason = exc.detail
        elif isinstance(exc, IntegrityError):
            reason = "the database rejected this row (duplicate or conflicting data)"
        else:
            reason = "a database error stopped the import at this row"
        errors.append(RowError(row=current, column=None, reason=reason))
        raise ImportFailed(kind="monthly_statistic", rows=len(data_rows), errors=ordered(), dry_run=dry_run) from None
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
        digipark.audit.service.record(
            session,
            action="import",
            entity_type="monthly_statistic",
            park_id=park,
            after={"created": created, "updated": updated, "file_rows": len(data_rows)},
        )
    return ImportReport(
        kind="monthly_statistic", rows=len(data_rows), created=created, updated=updated, dry_run=dry_run
    )


def template_xlsx() -> bytes:
    """An empty import workbook: the header row and the README sheet."""
    return spreadsheet.write_xlsx(SHEET_TITLE, COLUMNS, [], notes=_notes(), required=REQUIRED_COLUMNS)


def export(session: Session, *, scope: Scope, query: ListQuery, fmt: str) -> tuple[bytes, str]:
    """Every statistic the scope may read that matches the query, as .xlsx (re-importable) or CSV."""
    if fmt not in ("xlsx", "csv"):
        raise NotFound(f"no export format {fmt!r}; use xlsx or csv")
    rows = all_rows(session, scope=scope, query=query)
    names = {
        ident: (uscc, name)
        for ident, uscc, name in session.execute(
            select(Enterprise.id, Enterprise.uscc, Enterprise.name).where(scope.condition(Enterprise))
        )
    }
    records = [
        (
            names.get(row.enterprise_id, ("", ""))[0],
            names.get(row.enterprise_id, ("", ""))[1],
            f"{row.period:%Y-%m}",
            *(getattr(row, figure) for figure in FIGURES),
            row.source,
            row.revision,
        )
        for row in rows
    ]
    if fmt == "xlsx":
        content = spreadsheet.write_xlsx(SHEET_TITLE, COLUMNS, records, notes=_notes(), required=REQUIRED_COLUMNS)
    else:
        content = spreadsheet.write_csv([column.header for column in COLUMNS], records)
    digipark.audit.service.record(
        session,
        action="export",
        entity_type="monthly_statistic",
        park_id=scope.park_id,
        enterprise_id=scope.enterprise_id,
        after={
            "format": fmt,
            "rows": len(records),
            "sort": query.sort,
            "filters": {name: spreadsheet.csv_value(value) for name, value in query.filters.items()},
        },
    )
    return content, (spreadsheet.XLSX_MEDIA_TYPE if fmt == "xlsx" else spreadsheet.CSV_MEDIA_TYPE)
