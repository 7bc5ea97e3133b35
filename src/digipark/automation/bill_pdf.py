"""The month's bills as a PDF an enterprise receives (reportlab, the embedded CJK font of core.pdf_font): per
enterprise a page with each meter line (its start and end readings, a replacement, kWh and amount per band), the
shared areas' share and the total — the same figures as the Excel workbook (automation/exports.py)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from digipark.automation.exports import BANDS
from digipark.automation.schemas import BillRead
from digipark.core import pdf_font
from digipark.energy.provides import tariff_name
from digipark.web import i18n
from digipark.web.i18n import N_

TITLE = N_("Electricity bill")
TOP_MARGIN_MM = 16


def bills_pdf(bills: Sequence[BillRead], lang: str, *, balance: dict[int, float] | None = None) -> bytes:
    """One page per bill; `balance`: an enterprise's prepaid balance after the bill, when it has an account."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _ = i18n.translations(lang).gettext
    font = pdf_font.register()
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    h1 = ParagraphStyle("h1", parent=body, fontSize=16, leading=22, spaceAfter=6)

    def p(text: Any, style: ParagraphStyle = body) -> Paragraph:
        escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped, style)

    story: list[Any] = []
    for index, bill in enumerate(bills):
        if index:
            story.append(PageBreak())
        bands = [b for b in BANDS if b in bill.prices] + [b for b in bill.prices if b not in BANDS]
        story += [
            p(f"{_(TITLE)} {bill.month:%Y-%m}", h1),
            p(f"{_('Enterprise')}: {i18n.localized_name(bill, lang, 'enterprise_name')}"),
            p(
                f"{_('Tariff')}: {tariff_name(bill.tariff, lang)} · "
                + " · ".join(f"{_(BANDS.get(b, b))} {bill.prices[b]:.4f}" for b in bands)
            ),
            Spacer(1, 3 * mm),
        ]
        rows: list[list[Any]] = [
            [p(_("Meter")), p(_("Start reading")), p(_("End reading"))]
            + [p(f"{_(BANDS.get(b, b))} kWh") for b in bands]
            + [p(_("Amount (yuan)"))]
        ]
        for line in bill.lines:
            name = i18n.localized_name(line, lang)
            if line.replaced_at is not None:
                name += (
                    f" ({_('Replaced')} {line.replaced_at:%Y-%m-%d %H:%M} UTC {line.old_final} → {line.new_initial})"
                )
            rows.append(
                [p(name), p(_num(line.start_reading)), p(_num(line.end_reading))]
                + [p(f"{line.kwh.get(b, 0.0):,.2f}") for b in bands]
                + [p(f"{line.total_amount:,.2f}")]
            )
        rows.append(
            [p(f"{_('Shared areas')} {bill.shared_share * 100:.2f} %"), p(""), p("")]
            + [p("") for _b in bands[:-1]]
            + [p(f"{bill.shared_kwh:,.2f}"), p(f"{bill.shared_amount:,.2f}")]
        )
        rows.append([p(_("Total")), p(""), p("")] + [p("") for _b in bands] + [p(f"{bill.total_amount:,.2f}")])
        width = 180 - 40 - 2 * 24 - 24
        table = Table(
            rows,
            colWidths=[40 * mm, 24 * mm, 24 * mm] + [width / max(len(bands), 1) * mm for _b in bands] + [24 * mm],
            repeatRows=1,
        )
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), font, 9),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b8c4")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
        if balance is not None and bill.enterprise_id in balance:
            story += [Spacer(1, 3 * mm), p(f"{_('Prepaid balance')}: {balance[bill.enterprise_id]:,.2f}")]
    if not story:
        story.append(p(_(TITLE), h1))
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, topMargin=TOP_MARGIN_MM * mm, leftMargin=15 * mm, rightMargin=15 * mm, title=_(TITLE)
    )
    doc.build(story, canvasmaker=pdf_font.canvas_maker())
    return out.getvalue()


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:,.2f}"
