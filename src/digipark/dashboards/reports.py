"""The reports a subscription can ask for: each is made by the domain that owns it, reached through its `provides`
(evaluation's report, energy's enterprise carbon report, economy's monthly monitoring workbook, environment's
solid-waste ledger); where a domain offers only a workbook or only figures, the PDF (and the workbook) is a table
of its figures written here in the platform's embedded Chinese font."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from digipark.alarms import provides as alarms
from digipark.auth.scope import Scope
from digipark.core import pdf_font
from digipark.core.errors import field_error
from digipark.core.modules import N_
from digipark.core.spreadsheet import XLSX_MEDIA_TYPE, Column, write_xlsx
from digipark.economy import provides as economy
from digipark.energy import provides as energy
from digipark.environment import provides as environment
from digipark.evaluation import provides as evaluation
from digipark.web import i18n

PDF = "application/pdf"
FileOut = tuple[bytes, str, str]  # content, media type, file name
SEVERITIES = {"info": N_("Info"), "minor": N_("Minor"), "major": N_("Major"), "critical": N_("Critical")}
ECONOMY_FIGURES = {  # the monthly statistics' figures, as the economy pages name them
    "output_value_wan_yuan": N_("Industrial output (10k yuan)"),
    "sales_revenue_wan_yuan": N_("Sales revenue (10k yuan)"),
    "tax_paid_wan_yuan": N_("Tax paid (10k yuan)"),
    "total_profit_wan_yuan": N_("Total profit (10k yuan)"),
    "employees": N_("Employees"),
    "rnd_spending_wan_yuan": N_("R&D spending (10k yuan)"),
    "electricity_kwh": N_("Electricity used (kWh)"),
    "export_value_wan_yuan": N_("Export delivery value (10k yuan)"),
}
Producer = Callable[[Session, Scope, int, dict[str, Any], str, str], FileOut]


@dataclasses.dataclass(frozen=True)
class ReportKind:
    key: str
    label: str  # msgid
    formats: tuple[str, ...]
    produce: Producer
    needs_enterprise: bool = False


def translator(lang: str) -> Callable[[str], str]:
    translations = i18n.translations(lang)
    return lambda message: str(translations.gettext(message))


def table_pdf(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], notes: Sequence[str] = ()) -> bytes:
    """A one-table PDF in the embedded font (so any viewer shows its Chinese text)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = pdf_font.register()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=title, leftMargin=40, rightMargin=40, topMargin=40)
    heading = ParagraphStyle("h", fontName=font, fontSize=16, leading=22)
    small = ParagraphStyle("s", fontName=font, fontSize=9, leading=12)
    data = [list(headers), *[["" if c is None else str(c) for c in row] for row in rows]]
    table = Table(data, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
            ]
        )
    )
    story: list[Any] = [Paragraph(title, heading), Spacer(1, 8), table]
    story += [Paragraph(n, small) for n in notes]
    doc.build(story, canvasmaker=pdf_font.canvas_maker())
    return buffer.getvalue()


def _table_file(
    fmt: str, name: str, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], notes: Sequence[str] = ()
) -> FileOut:
    if fmt == "pdf":
        return table_pdf(title, headers, rows, notes), PDF, f"{name}.pdf"
    columns = [Column(f"c{i}", h) for i, h in enumerate(headers)]
    return write_xlsx(title[:31], columns, rows, notes=notes), XLSX_MEDIA_TYPE, f"{name}.xlsx"


def _year(params: dict[str, Any]) -> int | None:
    year = params.get("year")
    return int(year) if isinstance(year, int) else None


def _evaluation(session: Session, scope: Scope, park_id: int, params: dict[str, Any], fmt: str, lang: str) -> FileOut:
    found = evaluation.evaluation_for_year(session, scope=scope, park_id=park_id, year=_year(params))
    return evaluation.render_report(found, fmt, lang)


def _carbon_enterprise(
    session: Session, scope: Scope, park_id: int, params: dict[str, Any], fmt: str, lang: str
) -> FileOut:
    enterprise_id = params.get("enterprise_id")
    if not isinstance(enterprise_id, int):
        raise field_error("params.enterprise_id", "this report needs an enterprise")
    account = energy.enterprise_account(session, scope=scope, enterprise_id=enterprise_id, year=_year(params))
    return energy.render_enterprise_report(account, fmt, lang)


def _energy_park(session: Session, scope: Scope, park_id: int, params: dict[str, Any], fmt: str, lang: str) -> FileOut:
    found = energy.park_summary(session, scope=scope, park_id=park_id, year=_year(params))
    t = translator(lang)
    rows: list[list[Any]] = [
        [t(N_("Enterprises")), found.enterprises, ""],
        [t(N_("Energy (equivalent value)")), round(found.tce_equivalent, 2), "tce"],
        [t(N_("Energy (equal value)")), round(found.tce_equal, 2), "tce"],
        [t(N_("Carbon emissions")), round(found.tco2, 2), "tCO2"],
        [t(N_("Energy year on year")), found.yoy_tce_pct, "%"],
        [t(N_("Carbon year on year")), found.yoy_tco2_pct, "%"],
        [t(N_("Energy intensity")), found.tce_per_wan_yuan, t(N_("tce per 10k yuan"))],
    ]
    for m in found.months:
        rows.append([m.month.isoformat() if isinstance(m.month, dt.date) else str(m.month), "", ""])
    title = f"{t(N_('Energy and carbon of the park'))} {found.year}"
    headers = [t(N_("Figure")), t(N_("Value")), t(N_("Unit"))]
    return _table_file(fmt, f"energy-carbon-{found.year}", title, headers, rows[:7])


def _economy_monthly(
    session: Session, scope: Scope, park_id: int, params: dict[str, Any], fmt: str, lang: str
) -> FileOut:
    found = economy.dashboard(session, scope=scope, period=None, park_id=park_id)
    name = f"economy-{found.period:%Y-%m}"
    if fmt == "xlsx":
        return economy.dashboard_xlsx(found), XLSX_MEDIA_TYPE, f"{name}.xlsx"
    t = translator(lang)
    rows = [
        [
            t(ECONOMY_FIGURES.get(f.figure, f.figure)),
            f.unit,
            round(f.month_total, 2),
            round(f.ytd_total, 2),
            f.reporting,
        ]
        for f in found.figures
    ]
    headers = [t(N_("Figure")), t(N_("Unit")), t(N_("Month")), t(N_("Year to date")), t(N_("Reporting enterprises"))]
    title = f"{t(N_('Economic monitoring'))} {found.period:%Y-%m}"
    notes = [f"{t(N_('Enterprises reporting'))}: {found.reporting} / {found.expected}"]
    return _table_file(fmt, name, title, headers, rows, notes)


def _environment(session: Session, scope: Scope, park_id: int, params: dict[str, Any], fmt: str, lang: str) -> FileOut:
    year = _year(params) or dt.date.today().year
    return environment.waste_ledger(session, scope=scope, year=year, fmt="xlsx")


def _safety(session: Session, scope: Scope, park_id: int, params: dict[str, Any], fmt: str, lang: str) -> FileOut:
    counts: Counter[str] = Counter()
    for row in alarms.active_counts(session, scope=scope, park_id=park_id):
        counts[row.severity] += row.count
    t = translator(lang)
    rows = [[t(SEVERITIES.get(severity, severity)), count] for severity, count in sorted(counts.items())]
    headers = [t(N_("Severity")), t(N_("Active alarms"))]
    title = f"{t(N_('Safety situation'))} {dt.date.today():%Y-%m-%d}"
    return _table_file(fmt, f"safety-{dt.date.today():%Y%m%d}", title, headers, rows)


REPORTS: dict[str, ReportKind] = {
    k.key: k
    for k in (
        ReportKind("economy_monthly", N_("Economic monitoring (monthly)"), ("pdf", "xlsx"), _economy_monthly),
        ReportKind("energy_carbon", N_("Energy and carbon of the park"), ("pdf", "xlsx"), _energy_park),
        ReportKind("carbon_enterprise", N_("Enterprise carbon report"), ("pdf", "xlsx"), _carbon_enterprise, True),
        ReportKind("environment_waste", N_("Solid-waste ledger"), ("xlsx",), _environment),
        ReportKind("safety", N_("Safety situation"), ("pdf", "xlsx"), _safety),
        ReportKind("evaluation", N_("Evaluation of the four standards"), ("pdf", "xlsx"), _evaluation),
    )
}


def produce(
    session: Session,
    *,
    scope: Scope,
    park_id: int,
    report: str,
    params: dict[str, Any],
    formats: Sequence[str],
    lang: str,
) -> list[FileOut]:
    """The files of one run of a report, in the formats asked that the report offers."""
    kind = REPORTS[report]
    return [kind.produce(session, scope, park_id, params, fmt, lang) for fmt in formats if fmt in kind.formats]
