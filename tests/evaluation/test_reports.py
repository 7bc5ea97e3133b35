"""The report as HTML, PDF and Excel: charts, gap list, declared values marked, the park's name in the text."""

from __future__ import annotations

import io
from collections.abc import Iterator

import openpyxl
import pytest
import time_machine
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.evaluation import report, service
from digipark.evaluation.schemas import Evaluation
from tests import pdf_rendering
from tests.evaluation.helpers import NOW, build


def pdf_text(content: bytes) -> str:
    """The text shown on the pages, as poppler extracts it (the embedded font maps its glyphs back to Unicode)."""
    return pdf_rendering.text(content)


@pytest.fixture
def found(db: Session) -> Iterator[Evaluation]:
    with time_machine.travel(NOW, tick=False):
        park = build(db)
        service.declare(
            db,
            scope=park.scope,
            indicator="compute_in_use",
            value=80,
            note="算力使用企业清单",
            evidence_name="compute.xlsx",
            evidence_type="application/octet-stream",
            evidence_content=b"PK",
        )
        admin = Scope.for_user(role=Role.PARK_ADMIN, username="admin-x", user_id=None, park_id=park.park_id)
        snapshot = service.sign(db, scope=admin, year=2025)
        yield service.snapshot_evaluation(snapshot)


def test_pdf_is_a_pdf_with_the_park_name_chart_and_gaps(found: Evaluation) -> None:
    content = report.to_pdf(found, "zh")
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert "评价测试园区EV" in text
    assert "差距清单" in text and "已申报" in text  # the gap list, the declared value marked
    assert "未达标" in text
    assert "admin-x" in text  # who signed it
    english = pdf_text(report.to_pdf(found, "en"))
    assert "Evaluation park EV" in english and "Gap list" in english


def test_excel_has_the_sheets_values_gaps_and_a_chart(found: Evaluation) -> None:
    book = openpyxl.load_workbook(io.BytesIO(report.to_xlsx(found, "zh")))
    assert book.sheetnames == ["概要", "指标", "差距清单", "明细", "申报值"]
    summary = {row[0]: row[1] for row in book["概要"].iter_rows(values_only=True) if row and row[0]}
    assert summary["园区"] == "评价测试园区EV" and summary["年度"] == 2025
    rows = {row[0]: row for row in book["指标"].iter_rows(min_row=2, values_only=True)}
    assert rows["S4.1"][2] == pytest.approx(100 / 3)
    assert rows["S4.2"][2] == 80 and rows["S4.2"][5] == "已申报"
    assert rows["S3.4"][5] != "已申报"  # computed from the safety module's records
    assert rows["S2.1"][2] == 1 and rows["S2.1"][5] == "平台实时计算"  # production services only, from the records
    assert rows["S4.3"][2] is None and rows["S4.3"][5] == "无数据"
    assert len(book["指标"]._charts) == 1
    gaps = list(book["差距清单"].iter_rows(min_row=2, values_only=True))
    assert len(gaps) == len(found.gaps)
    assert any(g[1] == "renovation_coverage" and "企业E2" in str(g[3]) for g in gaps)
    declared = list(book["申报值"].iter_rows(min_row=2, values_only=True))
    assert declared[0][0] == "S4.2" and declared[0][3] == "compute.xlsx"


def test_html_report_is_printable_and_marks_declared_values(found: Evaluation) -> None:
    html = report.to_html(found, "zh")
    assert "评价测试园区EV" in html and "已申报" in html and "@page" in html
    assert 'id="chart-report-data"' in html
    assert "规上工业企业数字化改造覆盖率" in html and "差距清单" in html
