"""Documents of an application: uploads (type and size checked by `core.uploads`) and the decision document, a
PDF of the ended application made when it is first asked for (not in the deciding step's transaction), stored, its
SHA-256 kept on the application and written to the audit log. The PDF is invariant: made again from the same
application it is the same bytes, so its hash can be checked at any time."""

from __future__ import annotations

import hashlib
import io
import zoneinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.approvals.models import ApprovalDocument, ApprovalInstance, ApprovalTask, InstanceState, TaskState
from digipark.audit.service import record
from digipark.auth.scope import Scope
from digipark.core import pdf_font
from digipark.core.config import get_settings
from digipark.core.errors import Conflict, NotFound
from digipark.core.uploads import JPEG, PDF, PNG, ZIP_OFFICE, UploadRule, check_upload, safe_filename

PDF_FONT = pdf_font.FONT  # embedded, so every viewer draws the Chinese text
APPLY = "approvals.apply"
VIEW = "approvals.view"
UPLOADS = UploadRule(
    types={
        "application/pdf": PDF,
        "image/png": PNG,
        "image/jpeg": JPEG,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ZIP_OFFICE,
    },
    max_bytes=10 * 1024 * 1024,
    accepted_names="PDF, PNG, JPEG or Word (.docx)",
    what="document",
)
STATE_TEXT = {
    InstanceState.APPROVED.value: "准予办理",
    InstanceState.REJECTED.value: "不予办理",
    InstanceState.INELIGIBLE.value: "不符合申报条件",
}
DECISION_TEXT = {"approve": "通过", "reject": "不予受理", "return": "退回补正", "corrected": "已补正"}


def upload(
    session: Session, *, scope: Scope, instance: ApprovalInstance, filename: str, content_type: str, content: bytes
) -> ApprovalDocument:
    """Attach a document to a running application of the caller's enterprise (413 / 415 / 422 for a bad file)."""
    scope.authorize_write(APPLY, park_id=instance.park_id, enterprise_id=instance.enterprise_id)
    if instance.state != InstanceState.RUNNING.value:
        raise Conflict(f"application {instance.id} has ended")
    declared = check_upload(UPLOADS, filename=filename, content_type=content_type, content=content)
    row = ApprovalDocument(
        park_id=instance.park_id,
        enterprise_id=instance.enterprise_id,
        instance_id=instance.id,
        kind="upload",
        filename=safe_filename(filename),
        content_type=declared,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_by=scope.username,
    )
    session.add(row)
    session.flush()
    return row


def list_documents(session: Session, *, scope: Scope, instance: ApprovalInstance) -> list[ApprovalDocument]:
    stmt = scope.readable(ApprovalDocument).where(ApprovalDocument.instance_id == instance.id)
    return list(session.scalars(stmt.order_by(ApprovalDocument.id)))


def get(session: Session, *, scope: Scope, ident: int) -> ApprovalDocument:
    scope.require(VIEW)
    return scope.get_or_404(session, ApprovalDocument, ident)


def decision_document(session: Session, *, scope: Scope, instance: ApprovalInstance) -> ApprovalDocument:
    """The decision document of an ended application, issued on the first request (404 while it runs). The
    caller's unit of work writes."""
    if instance.state == InstanceState.RUNNING.value:
        raise NotFound(f"application {instance.id} has no decision document yet")
    row = _stored_decision(session, scope, instance)
    if row is None:
        session.execute(select(ApprovalInstance.id).where(ApprovalInstance.id == instance.id).with_for_update())
        row = _stored_decision(session, scope, instance) or issue_decision(session, instance)
    return row


def _stored_decision(session: Session, scope: Scope, instance: ApprovalInstance) -> ApprovalDocument | None:
    row: ApprovalDocument | None = session.scalar(
        scope.readable(ApprovalDocument).where(
            ApprovalDocument.instance_id == instance.id, ApprovalDocument.kind == "decision"
        )
    )
    return row


def decision_content(session: Session, instance: ApprovalInstance) -> bytes:
    """The decision PDF of an ended application, made from its stored steps."""
    tasks = session.scalars(
        select(ApprovalTask)
        .where(ApprovalTask.instance_id == instance.id, ApprovalTask.state == TaskState.DONE.value)
        .order_by(ApprovalTask.completed_at, ApprovalTask.id)
    ).all()
    return decision_pdf(instance, list(tasks))


def issue_decision(session: Session, instance: ApprovalInstance) -> ApprovalDocument:
    """Make the decision PDF of an ended application, store it, keep its hash on the application, and log it."""
    content = decision_content(session, instance)
    digest = hashlib.sha256(content).hexdigest()
    row = ApprovalDocument(
        park_id=instance.park_id,
        enterprise_id=instance.enterprise_id,
        instance_id=instance.id,
        kind="decision",
        filename=f"decision-{instance.id}.pdf",
        content_type="application/pdf",
        size_bytes=len(content),
        sha256=digest,
        content=content,
        uploaded_by="system",
    )
    session.add(row)
    instance.decision_sha256 = digest
    session.flush()
    record(
        session,
        action="approval.decision_issued",
        entity_type="approval_instance",
        entity_id=instance.id,
        park_id=instance.park_id,
        enterprise_id=instance.enterprise_id,
        after={"sha256": digest, "state": instance.state, "bytes": len(content)},
    )
    return row


def decision_pdf(instance: ApprovalInstance, tasks: list[ApprovalTask]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdf_font.register()
    body = ParagraphStyle("body", fontName=PDF_FONT, fontSize=10, leading=14, wordWrap="CJK")
    h1 = ParagraphStyle("h1", parent=body, fontSize=16, leading=22, spaceAfter=6)
    zone = zoneinfo.ZoneInfo(get_settings().timezone)

    def p(text: Any, style: ParagraphStyle = body) -> Paragraph:
        escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped, style)

    def when(value: Any) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value is not None else ""

    story: list[Any] = [
        p("办理决定书", h1),
        p(f"申请事项：{instance.title}"),
        p(f"申请编号：{instance.id}　申请人：{instance.applicant}"),
        p(f"提交时间：{when(instance.submitted_at)}　办结时间：{when(instance.completed_at)}"),
        p(f"办理结果：{STATE_TEXT.get(instance.state, instance.state)}"),
    ]
    if instance.amount_wan_yuan is not None:
        story.append(p(f"核定兑现金额：{instance.amount_wan_yuan:.2f} 万元"))
    story.append(Spacer(1, 4 * mm))
    rows = [[p("环节"), p("部门"), p("办理人"), p("结论"), p("意见"), p("办结时间")]]
    for t in tasks:
        rows.append(
            [
                p(t.title),
                p(t.department),
                p(t.completed_by or ""),
                p(DECISION_TEXT.get(t.decision or "", t.decision or "")),
                p(t.reason or ""),
                p(when(t.completed_at)),
            ]
        )
    table = Table(rows, colWidths=[w * mm for w in (32, 26, 28, 20, 46, 28)], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), PDF_FONT, 9),
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
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title="办理决定书",
        author="digipark",
        subject=instance.title,
        invariant=True,  # no creation time or random document id: the same application, the same bytes
    )
    doc.build(story, canvasmaker=pdf_font.canvas_maker())
    return buffer.getvalue()
