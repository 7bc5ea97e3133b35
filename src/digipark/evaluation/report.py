"""The evaluation as people read it: labels of columns, gaps and states (gettext msgids), a language-specific
presentation shared by the web pages and the reports, and the report files — HTML (printable, ECharts),
PDF (reportlab, the embedded CJK font of core.pdf_font for Chinese, reportlab graphics bars) and Excel (openpyxl,
with a bar chart)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from digipark.core import pdf_font
from digipark.evaluation.schemas import Evaluation, GapRead, IndicatorResult
from digipark.web import i18n
from digipark.web.i18n import N_

Translate = Callable[[str], str]

COLUMN_LABELS = {
    "industry": N_("Industry"),
    "enterprises": N_("Industrial enterprises"),
    "users": N_("Using industrial internet"),
    "user_names": N_("Examples"),
    "ok": N_("Meets"),
    "enterprise": N_("Enterprise"),
    "uscc": N_("USCC"),
    "basis": N_("Renovated by"),
    "lacks": N_("What it lacks"),
    "services": N_("Digital production services"),
    "asset": N_("Asset"),
    "name": N_("Name"),
    "missing": N_("Missing in the record"),
    "last_period": N_("Last month reported"),
    "reminders": N_("Reminders"),
    "device": N_("Device"),
    "points": N_("Points"),
    "online": N_("Points online"),
    "building": N_("Building"),
    "gigabit_fibre": N_("Gigabit fibre"),
    "coverage_5g": N_("5G"),
    "unit": N_("Risk point or hazard source"),
    "sensors": N_("Linked sensors"),
    "domain": N_("Service domain"),
    "graded": N_("Security graded"),
    "data_filed": N_("Important data filed"),
    "product": N_("Data product"),
    "provider": N_("Provider"),
    "contracts": N_("Contracts agreed"),
}
ASSET_LABELS = {"building": N_("Building"), "parcel": N_("Land parcel"), "equipment": N_("Equipment")}
FIELD_LABELS = {
    "parcel_id": N_("land parcel"),
    "gross_floor_area_m2": N_("floor area"),
    "year_built": N_("year built"),
    "footprint": N_("footprint"),
    "land_use": N_("land use"),
    "owner": N_("owner"),
    "in_service_on": N_("in-service day"),
    "purchase_value": N_("purchase value"),
    "location": N_("location"),
    "maintenance_plan": N_("maintenance plan"),
    "condition_monitoring": N_("condition monitoring"),
}
PART_LABELS = {
    "buildings_complete": N_("Buildings with complete records"),
    "parcels_complete": N_("Land parcels with complete records"),
    "points_online": N_("Monitoring points online"),
    "equipment_complete": N_("Equipment in service with complete lifecycle records"),
    "key_equipment_monitored": N_("Rotating machines with condition monitoring online"),
    "units_monitored": N_("Risk points and major hazard sources with a sensor online"),
    "drilled": N_("Emergency drill in the last 12 months"),
    "products_under_contract": N_("Data products with an agreed contract"),
    "identifiers_resolved": N_("Identifiers resolved at least once"),
}
ACTION_LABELS = {
    "industrial_internet": N_("Bring an industrial-internet application to this industry (%(count)s enterprises)"),
    "renovate": N_("Complete the digital renovation (lacks: %(lacks)s)"),
    "assess": N_("Assess the enterprise's digital level: no assessment or certified level on record"),
    "production_service": N_("Connect the enterprise to at least one digital production service"),
    "complete_building": N_("Complete the building record: %(fields)s"),
    "complete_parcel": N_("Complete the land parcel record: %(fields)s"),
    "complete_equipment": N_("Complete the equipment record: %(fields)s"),
    "monitor_equipment": N_("Link an online vibration or temperature point to the machine"),
    "bring_online": N_("Bring %(offline)s of %(points)s points back online"),
    "report_statistics": N_("Submit the statistics of %(period)s"),
    "gigabit_and_5g": N_("Provide gigabit fibre and 5G coverage"),
    "gigabit_fibre": N_("Provide gigabit fibre"),
    "coverage_5g": N_("Provide 5G coverage"),
    "link_sensor": N_("Link a monitoring sensor to it"),
    "sensor_offline": N_("Bring its sensors back online"),
    "hold_drill": N_("Hold an emergency drill (none in the last 12 months)"),
    "public_service": N_("No service of this domain was used online in the last 90 days"),
    "security_grading": N_("Record the enterprise's industrial-internet security classification and grading"),
    "file_important_data": N_("File the enterprise's important and core data catalogue"),
    "declare": N_("No data source on the platform yet: build the system or declare the value with evidence"),
    "improve_declared": N_("The declared value is below the target: improve it and declare again"),
}
KIND_LABELS = {
    "enterprise": N_("Enterprise"),
    "building": N_("Building"),
    "parcel": N_("Land parcel"),
    "equipment": N_("Equipment"),
    "division": N_("Industry"),
    "device": N_("Device"),
    "system": N_("System"),
    "risk_point": N_("Risk point"),
    "hazard_source": N_("Major hazard source"),
}
SOURCE_LABELS = {"computed": N_("Computed live"), "declared": N_("Declared"), "none": N_("No data")}
UNIT_LABELS = {"领域": N_("domains"), "家企业": N_("enterprises"), "个数据产品": N_("data products")}
MET, NOT_MET = N_("Met"), N_("Not met")


def translator(lang: str) -> Translate:
    translations = i18n.translations(lang)
    return lambda message: str(translations.gettext(message))


def _unit(unit: str, t: Translate) -> str:
    return t(UNIT_LABELS[unit]) if unit in UNIT_LABELS else unit


def value_text(value: float | None, unit: str, t: Translate) -> str:
    if value is None:
        return "—"
    if unit == "%":
        return f"{value:.1f}%"
    return f"{value:g} {_unit(unit, t)}"


def target_text(result: IndicatorResult, t: Translate) -> str:
    op = {">=": "≥", ">": ">", "==": "="}.get(result.target.op, result.target.op)
    if result.target.unit == "%":
        return f"{op} {result.target.value:g}%"
    return f"{op} {result.target.value:g} {_unit(result.target.unit, t)}"


def gap_text(gap: GapRead, t: Translate) -> str:
    message = ACTION_LABELS.get(gap.action)
    if message is None:
        return gap.action
    params = dict(gap.params)
    if "fields" in params and isinstance(params["fields"], list):
        params["fields"] = ", ".join(t(FIELD_LABELS.get(str(f), str(f))) for f in params["fields"])
    lacks = params.get("lacks")
    params["lacks"] = "; ".join(t(str(item)) for item in lacks) if isinstance(lacks, list) and lacks else lacks or "—"
    try:
        return t(message) % params
    except (KeyError, TypeError, ValueError):
        return t(message)


def gap_subject(gap: GapRead, lang: str) -> str:
    if lang == "en":
        if gap.kind == "division" and gap.params.get("industry_en"):
            return str(gap.params["industry_en"])
        if gap.params.get("name_en"):  # an enterprise's, a system's, a building's, a device's
            return str(gap.params["name_en"])
    return gap.subject


def cell_text(column: str, value: Any, row: dict[str, Any], lang: str, t: Translate) -> str:
    if column == "ok" or isinstance(value, bool):
        return t(N_("Yes")) if value else t(N_("No"))
    if lang == "en" and row.get(f"{column}_en"):
        return str(row[f"{column}_en"])
    if column == "asset":
        return t(ASSET_LABELS.get(str(value), str(value)))
    if isinstance(value, list):
        return "; ".join(t(str(item)) for item in value) if value else "—"
    if column == "missing" and value:
        return ", ".join(t(FIELD_LABELS.get(f.strip(), f.strip())) for f in str(value).split(","))
    if value is None or value == "":
        return "—"
    return str(value)


def present(found: Evaluation, lang: str) -> dict[str, Any]:
    """Everything a page or a report shows, translated into `lang`."""
    t = translator(lang)
    standards = []
    indicators = []
    for s in found.standards:
        items = []
        for r in s.indicators:
            item = {
                "key": r.key,
                "code": r.code,
                "name": r.name_en if lang == "en" else r.name,
                "value": value_text(r.value, r.target.unit, t),
                "raw_value": r.value,
                "target": target_text(r, t),
                "met": r.met,
                "status": t(MET if r.met else NOT_MET),
                "source": r.value_source,
                "source_label": t(SOURCE_LABELS[r.value_source]),
                "declared": r.value_source == "declared",
                "no_source": r.no_source,
                "progress": round(100 * r.progress, 1),
                "numerator": r.numerator,
                "denominator": r.denominator,
                "parts": [
                    {
                        "label": t(PART_LABELS.get(p.key, p.key)),
                        "numerator": p.numerator,
                        "denominator": p.denominator,
                        "share": value_text(p.share, "%", t),
                    }
                    for p in r.parts
                ],
                "note": r.note,
                "gaps": len(r.gaps),
                "declaration": r.declaration,
            }
            items.append(item)
            indicators.append(item)
        standards.append(
            {
                "code": s.code,
                "name": s.name_en if lang == "en" else s.name,
                "source": s.source_en if lang == "en" and s.source_en else s.source,
                "met": s.met,
                "status": t(MET if s.met else NOT_MET),
                "progress": round(100 * s.progress, 1),
                "indicators": items,
            }
        )
    gaps = [
        {
            "indicator": g.indicator,
            "standard": g.standard,
            "kind": t(KIND_LABELS.get(g.kind, g.kind)),
            "subject": gap_subject(g, lang),
            "action": gap_text(g, t),
            "ref_id": g.ref_id,
            "link": _gap_link(g),
        }
        for g in found.gaps
    ]
    return {
        "park_name": (found.park_name_en or found.park_name) if lang == "en" else found.park_name,
        "standards": standards,
        "indicators": indicators,
        "gaps": gaps,
        "met_standards": found.met_standards,
        "met_indicators": found.met_indicators,
        "total_indicators": found.indicators,
        "declared_indicators": found.declared_indicators,
    }


def _gap_link(gap: GapRead) -> str | None:
    if gap.ref_id is None:
        return None
    return {
        "enterprise": f"/enterprises/{gap.ref_id}",
        "building": f"/buildings/{gap.ref_id}",
        "parcel": f"/land-parcels/{gap.ref_id}",
        "device": f"/devices/{gap.ref_id}",
    }.get(gap.kind)


def drilldown(result: IndicatorResult, lang: str) -> dict[str, Any]:
    """The drill-down table of one indicator, translated."""
    t = translator(lang)
    return {
        "headers": [t(COLUMN_LABELS.get(c, c)) for c in result.columns],
        "rows": [
            {
                "cells": [cell_text(c, row.get(c), row, lang, t) for c in result.columns],
                "ok": bool(row.get("ok")),
                "link": row.get("link"),
            }
            for row in result.rows
        ],
    }


def _local(value: dt.datetime | None) -> str:
    return i18n.local_time(value)


def heading(found: Evaluation, lang: str) -> dict[str, str]:
    t = translator(lang)
    name = (found.park_name_en or found.park_name) if lang == "en" else found.park_name
    signed = ""
    if found.snapshot_id is not None:
        signed = t(N_("Signed by %(name)s (%(user)s) on %(at)s")) % {
            "name": found.signer_name,
            "user": found.signed_by,
            "at": _local(found.signed_at),
        }
    return {
        "title": t(N_("Evaluation against the construction standards of high-standard digital parks")),
        "park": name,
        "year": t(N_("Year %(year)s")) % {"year": found.year},
        "as_of": t(N_("As of %(date)s")) % {"date": found.as_of.isoformat()},
        "kind": t(N_("Signed annual assessment")) if found.snapshot_id is not None else t(N_("Live evaluation")),
        "signed": signed,
        "computed_at": _local(found.computed_at),
    }


# -- HTML ----------------------------------------------------------------------------------------------------------
def to_html(found: Evaluation, lang: str) -> str:
    from digipark.web.overview import json_script
    from digipark.web.shell import templates
    from digipark.web.vendor import available

    shown = present(found, lang)
    t = translator(lang)
    chart = json_script(
        {
            "labels": [f"{i['code']} {i['name']}" for i in shown["indicators"]],
            "values": [i["progress"] for i in shown["indicators"]],
            "met": [i["met"] for i in shown["indicators"]],
            "label": t(N_("Progress towards the target (per cent)")),
        }
    )
    return templates.get_template("evaluation/report.html").render(
        {
            "lang": lang,
            "translations": i18n.translations(lang),
            "e": found,
            "v": shown,
            "head": heading(found, lang),
            "chart": chart,
            "has_echarts": available("echarts.min.js"),
            "drilldowns": [
                {"code": r.code, "name": r.name_en if lang == "en" else r.name, **drilldown(r, lang)}
                for s in found.standards
                for r in s.indicators
                if r.columns
            ],
        }
    )


# -- PDF -----------------------------------------------------------------------------------------------------------
PDF_FONT = pdf_font.FONT
GAPS_IN_PDF = 200


def to_pdf(found: Evaluation, lang: str) -> bytes:
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdf_font.register()
    t = translator(lang)
    shown = present(found, lang)
    head = heading(found, lang)
    body = ParagraphStyle("body", fontName=PDF_FONT, fontSize=9, leading=12, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=10)
    h1 = ParagraphStyle("h1", parent=body, fontSize=15, leading=20, spaceAfter=4)
    h2 = ParagraphStyle("h2", parent=body, fontSize=11.5, leading=16, spaceBefore=8, spaceAfter=4)
    green, red = colors.HexColor("#1a7f37"), colors.HexColor("#c62828")

    def p(text: Any, style: ParagraphStyle = body) -> Paragraph:
        escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped, style)

    def table(rows: list[list[Any]], widths: list[float], status_column: int | None = None) -> Table:
        found_table = Table(rows, colWidths=widths, repeatRows=1)
        style = [
            ("FONT", (0, 0), (-1, -1), PDF_FONT, 8),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b8c4")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
        found_table.setStyle(TableStyle(style))
        return found_table

    story: list[Any] = [
        p(head["title"], h1),
        p(f"{head['park']} · {head['year']} · {head['as_of']}", h2),
        p(f"{head['kind']}{' · ' + head['signed'] if head['signed'] else ''}"),
        p(
            t(N_("%(met)s of 4 standards met, %(indicators)s of %(total)s indicators met, %(declared)s declared"))
            % {
                "met": shown["met_standards"],
                "indicators": shown["met_indicators"],
                "total": shown["total_indicators"],
                "declared": shown["declared_indicators"],
            }
        ),
    ]
    if found.digest:
        story.append(p(f"SHA-256 {found.digest}", small))
    story.append(Spacer(1, 4 * mm))

    # the chart: progress of every indicator towards its target
    labels = [i["code"] for i in shown["indicators"]]
    values = [i["progress"] for i in shown["indicators"]]
    drawing = Drawing(170 * mm, 8 * mm + 6 * mm * len(values))
    drawing.initialFontName = PDF_FONT  # a drawing starts in Helvetica otherwise, a font the PDF does not carry
    chart = HorizontalBarChart()
    chart.x, chart.y = 18 * mm, 4 * mm
    chart.width, chart.height = 140 * mm, 6 * mm * len(values)
    chart.data = [list(reversed(values))]
    chart.categoryAxis.categoryNames = list(reversed(labels))
    chart.categoryAxis.labels.fontName = PDF_FONT
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontName = PDF_FONT
    chart.bars[0].fillColor = colors.HexColor("#2f6fde")
    for index, item in enumerate(reversed(shown["indicators"])):
        chart.bars[(0, index)].fillColor = green if item["met"] else red
    drawing.add(chart)
    drawing.add(String(18 * mm, 0, t(N_("Progress towards the target (per cent)")), fontName=PDF_FONT, fontSize=7))
    story += [p(t(N_("Progress by indicator")), h2), drawing]

    story.append(p(t(N_("Standards and indicators")), h2))
    rows: list[list[Any]] = [
        [
            p(t(h), small)
            for h in (N_("Code"), N_("Indicator"), N_("Value"), N_("Target"), N_("Status"), N_("Value source"))
        ]
    ]
    for s in shown["standards"]:
        rows.append([p(s["code"], small), p(f"{s['name']} — {s['status']}", small), "", "", "", ""])
        for i in s["indicators"]:
            rows.append(
                [
                    p(i["code"], small),
                    p(i["name"], small),
                    p(i["value"], small),
                    p(i["target"], small),
                    p(i["status"], small),
                    p(i["source_label"], small),
                ]
            )
    story.append(table(rows, [14 * mm, 62 * mm, 22 * mm, 22 * mm, 18 * mm, 28 * mm]))

    declared = [(r, r.declaration) for s in found.standards for r in s.indicators if r.declaration is not None]
    if declared:
        story.append(p(t(N_("Declared values and their evidence")), h2))
        rows = [[p(t(h), small) for h in (N_("Indicator"), N_("Value"), N_("Evidence"), N_("Declared by"))]]
        for r, d in declared:
            rows.append(
                [
                    p(f"{r.code} {r.name_en if lang == 'en' else r.name}", small),
                    p(value_text(d.value, r.target.unit, t), small),
                    p(f"{d.evidence_name or '—'}: {d.note}", small),
                    p(f"{d.declared_by} · {_local(d.declared_at)}", small),
                ]
            )
        story.append(table(rows, [45 * mm, 20 * mm, 72 * mm, 33 * mm]))

    story.append(p(t(N_("Gap list")) + f" ({len(shown['gaps'])})", h2))
    rows = [[p(t(h), small) for h in (N_("Indicator"), N_("For"), N_("What to do"))]]
    for g in shown["gaps"][:GAPS_IN_PDF]:
        code = next((i["code"] for i in shown["indicators"] if i["key"] == g["indicator"]), g["indicator"])
        rows.append([p(code, small), p(f"{g['kind']}: {g['subject']}", small), p(g["action"], small)])
    story.append(table(rows, [16 * mm, 62 * mm, 92 * mm]))
    if len(shown["gaps"]) > GAPS_IN_PDF:
        story.append(p(t(N_("%(n)s more gaps in the Excel report.")) % {"n": len(shown["gaps"]) - GAPS_IN_PDF}))

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"{head['park']} {head['year']}",
        author="digipark",
        subject=head["title"],
    )
    doc.build(story, canvasmaker=pdf_font.canvas_maker())
    return buffer.getvalue()


# -- Excel ---------------------------------------------------------------------------------------------------------
def to_xlsx(found: Evaluation, lang: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font, PatternFill

    t = translator(lang)
    shown = present(found, lang)
    head = heading(found, lang)
    bold = Font(bold=True)
    red = PatternFill("solid", fgColor="FDE2E1")
    green = PatternFill("solid", fgColor="DFF3E4")
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = t(N_("Summary"))[:31]
    for label, value in (
        (t(N_("Park")), head["park"]),
        (t(N_("Year")), found.year),
        (t(N_("As of")), found.as_of.isoformat()),
        (t(N_("Kind")), head["kind"]),
        (t(N_("Signature")), head["signed"] or "—"),
        (t(N_("Standards met")), f"{found.met_standards} / {len(found.standards)}"),
        (t(N_("Indicators met")), f"{found.met_indicators} / {found.indicators}"),
        (t(N_("Declared indicators")), found.declared_indicators),
        ("SHA-256", found.digest or "—"),
    ):
        summary.append([label, value])
    summary.append([])
    summary.append([t(N_("Standard")), t(N_("Name")), t(N_("Status")), t(N_("Progress (per cent)"))])
    for cell in summary[summary.max_row]:
        cell.font = bold
    for s in shown["standards"]:
        summary.append([s["code"], s["name"], s["status"], s["progress"]])
        summary.cell(summary.max_row, 3).fill = green if s["met"] else red
    summary.column_dimensions["A"].width = 22
    summary.column_dimensions["B"].width = 40

    sheet = book.create_sheet(t(N_("Indicators"))[:31])
    sheet.append(
        [
            t(N_("Code")),
            t(N_("Indicator")),
            t(N_("Value")),
            t(N_("Target")),
            t(N_("Status")),
            t(N_("Value source")),
            t(N_("Progress (per cent)")),
            t(N_("Numerator")),
            t(N_("Denominator")),
            t(N_("Gaps")),
        ]
    )
    for cell in sheet[1]:
        cell.font = bold
    for i in shown["indicators"]:
        sheet.append(
            [
                i["code"],
                i["name"],
                i["raw_value"],
                i["target"],
                i["status"],
                i["source_label"],
                i["progress"],
                i["numerator"],
                i["denominator"],
                i["gaps"],
            ]
        )
        sheet.cell(sheet.max_row, 5).fill = green if i["met"] else red
    sheet.column_dimensions["B"].width = 40
    chart = BarChart()
    chart.type = "bar"
    chart.title = t(N_("Progress towards the target (per cent)"))
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 100
    count = len(shown["indicators"])
    chart.add_data(Reference(sheet, min_col=7, min_row=1, max_row=count + 1), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=count + 1))
    chart.height, chart.width = 9, 18
    sheet.add_chart(chart, "L2")

    gaps = book.create_sheet(t(N_("Gap list"))[:31])
    gaps.append([t(N_("Standard")), t(N_("Indicator")), t(N_("Kind")), t(N_("For")), t(N_("What to do"))])
    for cell in gaps[1]:
        cell.font = bold
    for g in shown["gaps"]:
        gaps.append([g["standard"], g["indicator"], g["kind"], g["subject"], g["action"]])
    gaps.column_dimensions["D"].width = 36
    gaps.column_dimensions["E"].width = 70

    details = book.create_sheet(t(N_("Drill-down"))[:31])
    for s in found.standards:
        for r in s.indicators:
            if not r.columns:
                continue
            table = drilldown(r, lang)
            details.append([f"{r.code} {r.name_en if lang == 'en' else r.name}"])
            details.cell(details.max_row, 1).font = bold
            details.append(table["headers"])
            for row in table["rows"]:
                details.append(row["cells"])
            details.append([])

    declarations = book.create_sheet(t(N_("Declared values"))[:31])
    declarations.append(
        [
            t(N_("Indicator")),
            t(N_("Value")),
            t(N_("Note")),
            t(N_("Evidence")),
            "SHA-256",
            t(N_("Declared by")),
            t(N_("Declared at")),
        ]
    )
    for cell in declarations[1]:
        cell.font = bold
    for s in found.standards:
        for r in s.indicators:
            d = r.declaration
            if d is None:
                continue
            declarations.append(
                [r.code, d.value, d.note, d.evidence_name, d.evidence_sha256, d.declared_by, _local(d.declared_at)]
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def render(found: Evaluation, fmt: str, lang: str) -> tuple[bytes, str, str]:
    """(content, media type, file name) of the report in `fmt` (html, pdf, xlsx)."""
    if fmt == "html":
        content = to_html(found, lang).encode("utf-8")
    elif fmt == "pdf":
        content = to_pdf(found, lang)
    elif fmt == "xlsx":
        content = to_xlsx(found, lang)
    else:
        raise ValueError(fmt)
    kind = "assessment" if found.snapshot_id is not None else "evaluation"
    return content, MEDIA_TYPES[fmt], f"{kind}-{found.park_code}-{found.year}.{fmt}"
