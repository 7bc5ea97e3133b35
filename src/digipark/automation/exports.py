"""The month's bills as an Excel workbook a property manager sends or archives: one row per meter line (its start
and end readings, a replacement, kWh and amount per band), the shared areas' share and each enterprise's total."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook

from digipark.automation.schemas import BillRead
from digipark.web import i18n
from digipark.web.i18n import N_

BANDS = {"sharp": N_("Sharp peak"), "peak": N_("Peak"), "flat": N_("Flat"), "valley": N_("Valley")}


def bills_xlsx(bills: Sequence[BillRead], lang: str) -> bytes:
    _ = i18n.translations(lang).gettext
    bands = sorted(
        {band for bill in bills for band in bill.prices}, key=lambda b: list(BANDS).index(b) if b in BANDS else 9
    )
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = bills[0].month.strftime("%Y-%m") if bills else "bills"
    sheet.append(
        [_("Enterprise"), _("Meter"), _("Start reading"), _("End reading"), _("Replaced")]
        + [f"{_(BANDS.get(b, b))} (kWh)" for b in bands]
        + [_("Amount (yuan)")]
    )
    for bill in bills:
        enterprise = i18n.localized_name(bill, lang, "enterprise_name")
        for line in bill.lines:
            replaced = (
                f"{line.replaced_at:%Y-%m-%d %H:%M} UTC {line.old_final} → {line.new_initial}"
                if line.replaced_at
                else ""
            )
            sheet.append(
                [enterprise, i18n.localized_name(line, lang), line.start_reading, line.end_reading, replaced]
                + [round(line.kwh.get(b, 0.0), 3) for b in bands]
                + [line.total_amount]
            )
        sheet.append(
            [enterprise, f"{_('Shared areas')} {bill.shared_share * 100:.2f} %", None, None, ""]
            + [None for _b in bands[:-1]]
            + [round(bill.shared_kwh, 3), bill.shared_amount]
        )
        sheet.append([enterprise, _("Total"), None, None, ""] + [None for _b in bands] + [bill.total_amount])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
