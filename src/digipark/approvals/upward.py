"""Reporting upward (to MIIT's 制造业数字化转型综合信息服务平台 and the local authority): one package per park and
year — the park's approvals figures and its economic statistics — as documented JSON and as an Excel workbook, and a
submission record signed with HMAC-SHA256 (a key derived from the platform's secret key, per park).

Package (JSON, `format` = "digipark.upward/1"):
  park_id, year, generated_at            which park, which calendar year (Asia/Shanghai), when made (UTC)
  approvals.volumes                      process key -> {state -> count, total}
  approvals.processes                    process key -> {count, average_h, longest_h, on_time_rate} of finished ones
  approvals.steps                        [{process, step, count, average_h, longest_h, on_time_rate}]
  approvals.on_time_rate                 share of steps done within their working-day deadline
  approvals.subsidies                    政策兑现: total_wan_yuan, by_policy, by_enterprise
  economy                                the economic dashboard's headline figures of the latest month, or null
The signature is HMAC-SHA256 over the canonical JSON (sorted keys, no spaces, UTF-8) of the package."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import zoneinfo
from typing import Any

from sqlalchemy.orm import Session

from digipark.approvals import statistics
from digipark.approvals.models import UpwardSubmission
from digipark.auth.scope import Scope
from digipark.core.config import get_settings
from digipark.core.db import utcnow
from digipark.core.errors import DomainError
from digipark.economy import provides as economy

REPORT = "approvals.report"
FORMAT = "digipark.upward/1"


def year_start(year: int) -> dt.datetime:
    zone = zoneinfo.ZoneInfo(get_settings().timezone)
    return dt.datetime(year, 1, 1, tzinfo=zone).astimezone(dt.UTC)


def package(session: Session, *, scope: Scope, year: int) -> dict[str, Any]:
    scope.require(REPORT)
    park = scope.acting_park()
    figures = statistics.summary(session, scope=scope, since=year_start(year), until=year_start(year + 1))
    economic: dict[str, Any] | None
    try:
        board = economy.dashboard(session, scope=scope, park_id=park)
        economic = {
            "period": board.period.isoformat(),
            "expected": board.expected,
            "reporting": board.reporting,
            "figures": [f.model_dump(mode="json") for f in board.figures],
        }
    except DomainError:
        economic = None
    return {
        "format": FORMAT,
        "park_id": park,
        "year": year,
        "generated_at": utcnow().isoformat(),
        "approvals": {k: v for k, v in figures.items() if k != "park_id"},
        "economy": economic,
    }


def canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def signing_key(park_id: int) -> bytes:
    secret = get_settings().secret_key.encode("utf-8")
    return hmac.new(secret, f"digipark.approvals.upward:{park_id}".encode(), hashlib.sha256).digest()


def sign(park_id: int, data: dict[str, Any]) -> str:
    return hmac.new(signing_key(park_id), canonical(data), hashlib.sha256).hexdigest()


def verify(park_id: int, data: dict[str, Any], signature: str) -> bool:
    return hmac.compare_digest(sign(park_id, data), signature)


def submit(session: Session, *, scope: Scope, year: int) -> tuple[UpwardSubmission, dict[str, Any]]:
    """Make the package, sign it and record the submission (park admins)."""
    park = scope.acting_write_park()
    scope.authorize_write(REPORT, park_id=park)
    data = package(session, scope=scope, year=year)
    row = UpwardSubmission(
        park_id=park,
        year=year,
        package_sha256=hashlib.sha256(canonical(data)).hexdigest(),
        signature=sign(park, data),
        submitted_by=scope.username,
        submitted_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row, data


def to_xlsx(data: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    bold = Font(bold=True)
    sheet = book.active
    assert sheet is not None
    sheet.title = "summary"
    for row in (
        ("format", data["format"]),
        ("park_id", data["park_id"]),
        ("year", data["year"]),
        ("generated_at", data["generated_at"]),
        ("on_time_rate", data["approvals"]["on_time_rate"]),
        ("subsidies_total_wan_yuan", data["approvals"]["subsidies"]["total_wan_yuan"]),
    ):
        sheet.append(list(row))
    volumes = book.create_sheet("volumes")
    volumes.append(["process", "state", "count"])
    for process, states in data["approvals"]["volumes"].items():
        for state, count in states.items():
            volumes.append([process, state, count])
    steps = book.create_sheet("steps")
    steps.append(["process", "step", "count", "average_h", "longest_h", "on_time_rate"])
    for step in data["approvals"]["steps"]:
        steps.append([step[k] for k in ("process", "step", "count", "average_h", "longest_h", "on_time_rate")])
    subsidies = book.create_sheet("subsidies")
    subsidies.append(["enterprise_id", "name", "granted_wan_yuan"])
    for row in data["approvals"]["subsidies"]["by_enterprise"]:
        subsidies.append([row["enterprise_id"], row["name"], row["granted_wan_yuan"]])
    for ws in book.worksheets:
        for cell in ws[1]:
            cell.font = bold
    raw = book.create_sheet("package.json")
    raw.append([json.dumps(data, ensure_ascii=False, default=str)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
