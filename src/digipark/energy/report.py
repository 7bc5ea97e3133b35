"""An enterprise's greenhouse-gas report in the layout of the national reporting template (企业温室气体排放报告,
after GB/T 32150-2015 and the sector guides' 报告格式模板): 1 reporting entity, 2 emissions summary by source,
3 activity data and factors (every line's calculation), 4 energy consumption in standard coal (both electricity
bases), 5 intensity — as PDF (reportlab, the embedded CJK font of core.pdf_font) and Excel (openpyxl)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from digipark.core import pdf_font
from digipark.energy.factors import carriers, factor_set, grid_region_name
from digipark.energy.schemas import EnterpriseAccount
from digipark.web import i18n
from digipark.web.i18n import N_

Translate = Callable[[str], str]
PDF_FONT = pdf_font.FONT
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

CATEGORY_LABELS = {
    "combustion": N_("Fuel combustion"),
    "process": N_("Process emissions"),
    "electricity": N_("Purchased electricity"),
    "heat": N_("Purchased heat"),
    "exported_electricity": N_("Exported electricity"),
    "exported_heat": N_("Exported heat"),
}
FLOW_LABELS = {"purchased": N_("Purchased"), "exported": N_("Exported"), "generated": N_("Own generation")}
STATUS_LABELS = {"verified": N_("verified"), "secondary": N_("secondary source"), "unverified": N_("unverified")}
# the factor files' `source` texts, shown translated (the files keep them as written, with the source's words)
SOURCE_LABELS = {
    "sector guides, appendix table 2.1": N_("sector guides, appendix table 2.1"),
    "sector guides' default for purchased heat": N_("sector guides' default for purchased heat"),
    "molar masses CO2/C (GB/T 32150-2015)": N_("molar masses CO2/C (GB/T 32150-2015)"),
    "stoichiometry": N_("stoichiometry"),
    "published by the Ministry of Ecology and Environment and the National Bureau of Statistics "
    "(全国/区域电网平均排放因子)": N_(
        "published by the Ministry of Ecology and Environment and the National Bureau of Statistics"
    ),
}


def translator(lang: str) -> Translate:
    translations = i18n.translations(lang)
    return lambda message: str(translations.gettext(message))


def source_text(source: str, status: str, t: Translate) -> str:
    """A factor's source and how far it is verified, in the reader's language."""
    return f"{t(SOURCE_LABELS.get(source, source))} ({t(STATUS_LABELS.get(status, status))})"


def formula_text(formula: str, factor_year: int | None, year: int, t: Translate, lang: str = "zh") -> str:
    """A line's calculation (a grid named in `lang`); a factor of an earlier year than the account's says so."""
    if lang == "en":
        for region, english in factor_set().grid_regions_en.items():
            formula = formula.replace(f"EF {region} ", f"EF {english} ")
    if factor_year is None or factor_year >= year:
        return formula
    note = t("no factor of %(year)s published: the latest earlier year's") % {"year": year}
    return f"{formula} ({note})"


def carrier_name(code: str, lang: str) -> str:
    found = carriers().get(code)
    if found is None:
        return code
    return found.name_en if lang == "en" else found.name


def _n(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def sections(account: EnterpriseAccount, lang: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """The report's tables: (title, headers, rows), shared by the PDF and the Excel file."""
    t = translator(lang)
    entity = [
        [t("Enterprise"), i18n.localized_name(account, lang)],
        [t("USCC"), account.uscc],
        [t("Industry (GB/T 4754-2017)"), account.industry_code],
        [t("Reporting year"), str(account.year)],
        [t("Method"), "GB/T 32150-2015; GB/T 2589-2020"],
        [t("Factor set"), account.factor_version],
        [t("Grid emission factor"), grid_region_name(account.grid_region, lang)],
    ]
    summary = [[t(CATEGORY_LABELS[k]), _n(v)] for k, v in account.by_category.items()]
    summary.append([t("Total emissions"), _n(account.tco2)])
    lines = [
        [
            t(CATEGORY_LABELS.get(line.category, line.category)),
            carrier_name(line.carrier, lang),
            f"{_n(line.activity, 3)} {line.activity_unit}",
            f"{line.factor:.6g} {line.factor_unit}",
            formula_text(line.formula, line.year, account.year, t, lang),
            source_text(line.source, line.status, t),
            _n(line.tco2),
        ]
        for line in account.lines
    ]
    energy = [
        [
            carrier_name(c.carrier, lang),
            t(FLOW_LABELS.get(c.flow, c.flow)),
            f"{_n(c.quantity, 2)} {c.unit}",
            _n(c.tce_equivalent, 3),
            _n(c.tce_equal, 3),
            f"{i18n.localized_name(c, lang, 'factor_note')} ({t(STATUS_LABELS.get(c.status, c.status))})",
        ]
        for c in account.carriers
    ]
    energy.append(
        [
            t("Comprehensive energy consumption"),
            "",
            "",
            _n(account.comprehensive_tce_equivalent, 3),
            _n(account.comprehensive_tce_equal, 3),
            "",
        ]
    )
    intensity = [
        [t("Output value (10,000 yuan)"), _n(account.output_value_wan_yuan)],
        [t("tce per 10,000 yuan (equivalent value)"), _n(account.tce_per_wan_yuan, 4)],
        [t("tce per 10,000 yuan (equal value)"), _n(account.tce_equal_per_wan_yuan, 4)],
        [t("tCO2 per 10,000 yuan"), _n(account.tco2_per_wan_yuan, 4)],
        [t("Product output (t)"), _n(account.product_output_t)],
        [t("tCO2 per tonne of product"), _n(account.tco2_per_t_product, 4)],
    ]
    return [
        (t("1 Reporting entity"), [t("Item"), t("Value")], entity),
        (t("2 Emissions by source (tCO2)"), [t("Source"), "tCO2"], summary),
        (
            t("3 Activity data and emission factors"),
            [
                t("Source"),
                t("Fuel or energy"),
                t("Activity data"),
                t("Emission factor"),
                t("Calculation"),
                t("Source of the factor"),
                "tCO2",
            ],
            lines,
        ),
        (
            t("4 Energy consumption in standard coal"),
            [
                t("Fuel or energy"),
                t("Flow"),
                t("Quantity"),
                t("tce (equivalent value 当量值)"),
                t("tce (equal value 等价值)"),
                t("Coefficient"),
            ],
            energy,
        ),
        (t("5 Intensity"), [t("Indicator"), t("Value")], intensity),
    ]


def title(account: EnterpriseAccount, lang: str) -> str:
    return translator(lang)("Greenhouse gas emissions report %(year)s") % {"year": account.year}


def to_pdf(account: EnterpriseAccount, lang: str) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdf_font.register()
    body = ParagraphStyle("body", fontName=PDF_FONT, fontSize=8, leading=10.5, wordWrap="CJK")
    h1 = ParagraphStyle("h1", parent=body, fontSize=15, leading=20, spaceAfter=4)
    h2 = ParagraphStyle("h2", parent=body, fontSize=11, leading=15, spaceBefore=8, spaceAfter=4)

    def p(text: Any, style: ParagraphStyle = body) -> Paragraph:
        escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped, style)

    story: list[Any] = [
        p(title(account, lang), h1),
        p(f"{i18n.localized_name(account, lang)} · {account.uscc}"),
        Spacer(1, 3 * mm),
    ]
    width = 260 * mm
    for heading, headers, rows in sections(account, lang):
        story.append(p(heading, h2))
        columns = len(headers)
        widths = [width * 0.3, width * 0.7] if columns == 2 else [width / columns] * columns
        if columns == 7:
            widths = [w * mm for w in (26, 24, 34, 34, 62, 56, 24)]
        table = Table([[p(h) for h in headers], *[[p(c) for c in r] for r in rows]], colWidths=widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), PDF_FONT, 8),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b8c4")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=title(account, lang),
        author="digipark",
        subject=i18n.localized_name(account, lang),
    )
    doc.build(story, canvasmaker=pdf_font.canvas_maker())
    return buffer.getvalue()


def to_xlsx(account: EnterpriseAccount, lang: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    t = translator(lang)
    bold = Font(bold=True)
    workbook = Workbook()
    sheet = workbook.create_sheet(index=0)
    workbook.remove(workbook.worksheets[1])
    sheet.title = t("Report")[:31]
    sheet.append([title(account, lang)])
    sheet["A1"].font = Font(bold=True, size=13)
    for heading, headers, rows in sections(account, lang):
        sheet.append([])
        sheet.append([heading])
        sheet.cell(row=sheet.max_row, column=1).font = bold
        sheet.append(headers)
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        for row in rows:
            sheet.append([("'" + c) if c.startswith(("=", "+", "-", "@")) and not _numeric(c) else c for c in row])
    for letter, size in zip("ABCDEFG", (30, 22, 22, 22, 50, 40, 14), strict=True):
        sheet.column_dimensions[letter].width = size
    months = workbook.create_sheet(t("Months")[:31])
    months.append([t("Month"), "tce (当量值)", "tce (等价值)", "tCO2", "kWh"])
    for m in account.months:
        months.append(
            [m.month, round(m.tce_equivalent, 4), round(m.tce_equal, 4), round(m.tco2, 4), round(m.electricity_kwh, 1)]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _numeric(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def render(account: EnterpriseAccount, fmt: str, lang: str) -> tuple[bytes, str, str]:
    """(content, media type, file name) of the enterprise's report in `fmt` (pdf or xlsx)."""
    if fmt == "pdf":
        content, media = to_pdf(account, lang), "application/pdf"
    elif fmt == "xlsx":
        content, media = to_xlsx(account, lang), XLSX
    else:
        raise ValueError(fmt)
    return content, media, f"carbon-report-{account.uscc}-{account.year}.{fmt}"
