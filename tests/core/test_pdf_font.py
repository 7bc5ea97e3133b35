"""Every PDF the platform makes carries its font embedded and shows its Chinese text in any viewer: each builder
renders a report of a small fixture park; poppler lists the fonts (all embedded), extracts the text and draws the
first page without any system font, whose title band must carry ink (a PDF naming a font the viewer lacks draws
its text blank)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from digipark.core import pdf_font
from tests import pdf_rendering
from tests.conftest import World, bearer

PACKAGE = Path(pdf_font.__file__).resolve().parent.parent
MM = 72 / 25.4


def _evaluation_pdf(client: TestClient, world: World) -> tuple[bytes, str]:
    headers = bearer(world.a.tokens["park_admin"])
    response = client.get("/api/v1/evaluation/report.pdf", params={"year": 2025, "lang": "zh"}, headers=headers)
    assert response.status_code == 200, response.text
    return response.content, "测试园区"


def _energy_pdf(client: TestClient, world: World) -> tuple[bytes, str]:
    headers = bearer(world.a.tokens["park_admin"])
    enterprise = world.a.enterprise_ids[0]
    entry = {"enterprise_id": enterprise, "period": "2025-01", "carrier": "bituminous", "quantity": 100}
    assert client.post("/api/v1/energy/entries", json=entry, headers=headers).status_code == 201
    response = client.get(
        f"/api/v1/energy/enterprises/{enterprise}/report", params={"year": 2025, "format": "pdf"}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.content, "温室气体排放报告"


def _approval_decision_pdf(client: TestClient, world: World) -> tuple[bytes, str]:
    import datetime as dt

    from digipark.approvals.documents import decision_pdf
    from digipark.approvals.models import ApprovalInstance, ApprovalTask

    when = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    instance = ApprovalInstance(
        id=7, title="惠企政策申报", applicant="测试企业", state="approved", submitted_at=when, completed_at=when
    )
    task = ApprovalTask(
        title="初审",
        department="经发局",
        completed_by="reviewer",
        decision="approve",
        reason="材料齐全",
        completed_at=when,
    )
    return decision_pdf(instance, [task]), "办理决定书"


def _credit_profile_pdf(client: TestClient, world: World) -> tuple[bytes, str]:
    from digipark.services.finance import profile_pdf

    profile = {
        "enterprise": {"name": "测试企业", "uscc": "91320500MA1X000001"},
        "statistics": {"营业收入": "1,200 万元"},
    }
    return profile_pdf(profile), "信用画像"


def _report_table_pdf(client: TestClient, world: World) -> tuple[bytes, str]:
    from digipark.dashboards.reports import table_pdf

    return table_pdf("安全告警周报", ["级别", "数量"], [["严重", 2], ["一般", 5]]), "安全告警周报"


def _bill_pdf(client: TestClient, world: World) -> tuple[bytes, str]:
    import datetime as dt

    from digipark.automation.bill_pdf import bills_pdf
    from digipark.automation.schemas import BillLineRead, BillRead

    line = BillLineRead(
        meter_id=1,
        name="一层配电箱",
        start_reading=100.0,
        end_reading=220.0,
        replaced_at=None,
        old_final=None,
        new_initial=None,
        kwh={"peak": 70.0, "valley": 50.0},
        amount={"peak": 70.0, "valley": 15.0},
        total_kwh=120.0,
        total_amount=85.0,
    )
    bill = BillRead(
        enterprise_id=1,
        enterprise_name="测试企业",
        month=dt.date(2026, 9, 1),
        tariff="工商业分时电价",
        prices={"peak": 1.0, "valley": 0.3},
        method="area",
        lines=[line],
        metered_kwh=120.0,
        metered_amount=85.0,
        shared_share=0.5,
        shared_kwh=10.0,
        shared_amount=6.0,
        total_amount=91.0,
    )
    return bills_pdf([bill], "zh", balance={1: 1200.0}), "电费账单"


# module of the builder -> (how the test gets its PDF, the top margin of its first page in points)
BUILDERS: dict[str, tuple[Callable[[TestClient, World], tuple[bytes, str]], float]] = {
    "digipark.evaluation.report": (_evaluation_pdf, 16 * MM),
    "digipark.energy.report": (_energy_pdf, 14 * MM),
    "digipark.approvals.documents": (_approval_decision_pdf, 16 * MM),
    "digipark.services.finance": (_credit_profile_pdf, 42.0),
    "digipark.dashboards.reports": (_report_table_pdf, 40.0),
    "digipark.automation.bill_pdf": (_bill_pdf, 16 * MM),
}


def _modules_importing_reportlab() -> set[str]:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if any(name.startswith("reportlab") for name in names):
                relative = path.relative_to(PACKAGE.parent).with_suffix("")
                found.add(".".join(relative.parts))
    return found


def test_every_module_that_writes_pdf_is_checked_here() -> None:
    assert _modules_importing_reportlab() - {"digipark.core.pdf_font"} == set(BUILDERS)


@pytest.mark.parametrize("builder", sorted(BUILDERS))
def test_pdf_embeds_its_font_and_draws_its_chinese_text(client: TestClient, world: World, builder: str) -> None:
    pdf_rendering.require_poppler()
    make, top = BUILDERS[builder]
    content, expected_text = make(client, world)

    fonts = pdf_rendering.fonts(content)
    assert fonts, "the PDF uses no font"
    assert all(font.embedded for font in fonts), fonts
    assert {font.name.split("+")[-1] for font in fonts} == {"DigiparkSansSC-Regular"}

    assert expected_text in pdf_rendering.text(content)

    page = pdf_rendering.first_page(content)
    title_band = page.ink(0, round(top), page.width, round(top + 22))
    # Drawn with no system font to fall back on, a 15-pt title of five to a dozen hanzi leaves 380 to 1,200 dark
    # pixels at 72 dpi; the same report naming STSong-Light (not embedded) leaves none.
    assert title_band > 200, title_band


def test_the_font_draws_every_character_the_platform_prints() -> None:
    """Every character of the catalogues, data files and templates, and GB 2312, has a glyph; a
    character added later without rebuilding the font (tools/make_pdf_font.py) fails here, not as a blank."""
    from reportlab.pdfbase import pdfmetrics

    pdf_font.register()
    mapped = set(pdfmetrics.getFont(pdf_font.FONT).face.charToGlyph)
    texts = [
        path.read_text(encoding="utf-8")
        for suffix in ("po", "yaml", "json", "html")
        for path in PACKAGE.rglob(f"*.{suffix}")
    ]
    printed = {ord(c) for text in texts for c in text if c.isprintable() and not c.isspace()}
    assert not sorted(chr(c) for c in printed - mapped)
    gb2312 = {
        ord(character)
        for high in range(0xA1, 0xF8)
        for low in range(0xA1, 0xFF)
        for character in bytes((high, low)).decode("gb2312", errors="ignore")
    }
    assert len(gb2312) > 7400 and not sorted(chr(c) for c in gb2312 - mapped)
