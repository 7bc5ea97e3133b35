"""Precise investment attraction (精准招商): a register of candidate companies outside the park, their ranking by
how well they fill the park's chains, and the lead pipeline contacted → visited → negotiating → signed → settled.

Candidates and leads are the park's investment team's: reading needs `lead.read`, changing `lead.write` (park
administrators and operators; never reviewers, enterprises or residents). The ranking's rules and weights are
data (`economy/data/lead_scoring.yaml`); every score comes with its components, points and reasons.

Pipeline rules: a lead moves forward only, and may skip stages (a company may sign without a formal visit; the
skipped stages keep no date); it may become `lost` from any stage before `settled`; `settled` and `lost` are
final. Every change is audited (ORM writes) and written to the lead's history (`LeadEvent`).
"""

from __future__ import annotations

import builtins
import csv
import dataclasses
import datetime as dt
import io
import re
import zipfile
import zoneinfo
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from digipark.audit import service as audit
from digipark.auth.models import Role, User
from digipark.auth.scope import Scope
from digipark.core import spreadsheet
from digipark.core.config import get_settings
from digipark.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.core.spreadsheet import Column, ImportFailed, ImportReport, RowError
from digipark.economy import chains, schemas
from digipark.economy.models import (
    ChainSegment,
    CompanySize,
    IndustryChain,
    InvestmentCandidate,
    Lead,
    LeadEvent,
    LeadStage,
    SegmentStatus,
)
from digipark.registry import service as registry

PIPELINE = (LeadStage.CONTACTED, LeadStage.VISITED, LeadStage.NEGOTIATING, LeadStage.SIGNED, LeadStage.SETTLED)
FINAL = frozenset({LeadStage.SETTLED, LeadStage.LOST})
STAGE_DATE = {stage: f"{stage.value}_on" for stage in LeadStage}


def today() -> dt.date:
    return dt.datetime.now(zoneinfo.ZoneInfo(get_settings().timezone)).date()


def _write_park(scope: Scope) -> int:
    if scope.park_id is None:
        raise PermissionDenied("your account belongs to no park")
    scope.authorize_write("lead.write", park_id=scope.park_id)
    return scope.park_id


# -- scoring rules ---------------------------------------------------------------------------------------------
@cache
def scoring() -> dict[str, Any]:
    text = resources.files("digipark.economy").joinpath("data", "lead_scoring.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict) or "components" not in raw:
        raise RuntimeError("malformed economy/data/lead_scoring.yaml")
    components: dict[str, Any] = raw["components"]
    return components


@dataclasses.dataclass
class ScoreComponent:
    key: str
    label_zh: str
    label_en: str
    points: float
    max_points: float
    fraction: float
    reason_zh: str
    reason_en: str


@dataclasses.dataclass
class CandidateScore:
    candidate: InvestmentCandidate
    chain_id: int
    segment: ChainSegment
    segment_status: SegmentStatus
    score: float
    components: builtins.list[ScoreComponent]
    lead_id: int | None = None

    @property
    def segment_code(self) -> str:
        return self.segment.code

    @property
    def segment_name(self) -> str:
        return self.segment.name


def _m2(value: float) -> str:
    return f"{value:,.0f}"


def _component(key: str, fraction: float, reason_zh: str, reason_en: str) -> ScoreComponent:
    rules = scoring()[key]
    weight = float(rules["weight"])
    return ScoreComponent(
        key=key,
        label_zh=str(rules["label"]["zh"]),
        label_en=str(rules["label"]["en"]),
        points=round(weight * fraction, 1),
        max_points=weight,
        fraction=fraction,
        reason_zh=reason_zh,
        reason_en=reason_en,
    )


def _reason(key: str, case: str, **fields: Any) -> tuple[str, str]:
    texts = scoring()[key]["reasons"][case]
    zh_fields = {k: v[0] if isinstance(v, tuple) else v for k, v in fields.items()}
    en_fields = {k: v[1] if isinstance(v, tuple) else v for k, v in fields.items()}
    return str(texts["zh"]).format(**zh_fields), " ".join(str(texts["en"]).split()).format(**en_fields)


def _names(segment: ChainSegment) -> tuple[str, str]:
    return segment.name, segment.name_en or segment.name


def gap_component(node: chains.SegmentNode) -> ScoreComponent:
    status = node.status
    fraction = float(scoring()["segment_gap"]["fractions"][status.value])
    zh, en = _reason(
        "segment_gap",
        status.value,
        segment=_names(node.segment),
        enterprises=node.enterprise_count,
        reason_zh=node.reason_zh,
        reason_en=node.reason_en,
    )
    return _component("segment_gap", fraction, zh, en)


def size_component(size: str | None, employees: int | None) -> ScoreComponent:
    rules = scoring()["size_fit"]
    if size is None:
        zh, en = _reason("size_fit", "unknown")
        return _component("size_fit", float(rules["fractions"]["unknown"]), zh, en)
    label = rules["size_labels"][size]
    zh, en = _reason("size_fit", "known", size=(label["zh"], label["en"]), employees=employees)
    if employees is not None:
        zh, en = f"{zh}（{employees} 人）", f"{en} ({employees} employees)"
    return _component("size_fit", float(rules["fractions"][size]), zh, en)


def proximity_component(graph: chains.ChainGraph, segment_id: int) -> ScoreComponent:
    rules = scoring()["supply_proximity"]
    upstream, downstream = graph.neighbours(segment_id)

    def side(nodes: builtins.list[chains.SegmentNode]) -> tuple[int, tuple[str, str]]:
        ids = {e.id for n in nodes for e in n.enterprises}
        parts = [(n, n.enterprise_count) for n in nodes if n.enterprise_count]
        zh = "、".join(f"{n.segment.name} {count}" for n, count in parts) or "无"
        en = ", ".join(f"{n.segment.name_en or n.segment.name} {count}" for n, count in parts) or "none"
        return len(ids), (zh, en)

    up, up_detail = side(upstream)
    down, down_detail = side(downstream)
    fraction = min(1.0, (up + down) / float(rules["saturate_at"]))
    if up + down == 0:
        zh, en = _reason("supply_proximity", "none")
    else:
        zh, en = _reason(
            "supply_proximity",
            "some",
            upstream=up,
            downstream=down,
            upstream_detail=up_detail,
            downstream_detail=down_detail,
        )
    return _component("supply_proximity", fraction, zh, en)


def space_component(
    space: registry.FreeSpace, land_need_m2: float | None, floor_need_m2: float | None
) -> ScoreComponent:
    rules = scoring()["space_fit"]
    fractions = rules["fractions"]
    if not land_need_m2 and not floor_need_m2:
        zh, en = _reason("space_fit", "no_need")
        return _component("space_fit", float(fractions["no_need"]), zh, en)
    parts: builtins.list[tuple[float, str, str]] = []
    if floor_need_m2:
        uses = set(rules["building_uses"])
        areas = [b.vacant_area_m2 for b in space.buildings if b.use in uses]
        largest, total = max(areas, default=0.0), sum(areas)
        case = "floor_fits" if largest >= floor_need_m2 else "floor_spread" if total >= floor_need_m2 else "floor_none"
        fraction = {"floor_fits": "fits", "floor_spread": "fits_spread", "floor_none": "no_fit"}[case]
        zh, en = _reason("space_fit", case, need=_m2(floor_need_m2), largest=_m2(largest), total=_m2(total))
        parts.append((float(fractions[fraction]), zh, en))
    if land_need_m2:
        land_uses = tuple(str(u) for u in rules["land_uses"])
        areas = [p.area_m2 for p in space.parcels if p.land_use.upper().startswith(land_uses)]
        largest, total = max(areas, default=0.0), sum(areas)
        case = "land_fits" if largest >= land_need_m2 else "land_spread" if total >= land_need_m2 else "land_none"
        fraction = {"land_fits": "fits", "land_spread": "fits_spread", "land_none": "no_fit"}[case]
        zh, en = _reason("space_fit", case, need=_m2(land_need_m2), largest=_m2(largest), total=_m2(total))
        parts.append((float(fractions[fraction]), zh, en))
    return _component(
        "space_fit", min(p[0] for p in parts), "；".join(p[1] for p in parts), "; ".join(p[2] for p in parts)
    )


class _Ranking:
    """What scoring many candidates shares: one chain graph per chain, one free-space inventory per park."""

    def __init__(self, session: Session, scope: Scope) -> None:
        self.session = session
        self.scope = scope
        self._graphs: dict[int, chains.ChainGraph] = {}
        self._space: dict[int, registry.FreeSpace] = {}
        self._segments: dict[int, ChainSegment] = {}

    def graph(self, chain_id: int) -> chains.ChainGraph:
        if chain_id not in self._graphs:
            self._graphs[chain_id] = chains.chain_graph(self.session, scope=self.scope, chain_id=chain_id)
        return self._graphs[chain_id]

    def space(self, park_id: int) -> registry.FreeSpace:
        if park_id not in self._space:
            self._space[park_id] = registry.free_space(self.session, scope=self.scope, park_id=park_id, as_of=today())
        return self._space[park_id]

    def segment(self, segment_id: int) -> ChainSegment:
        if segment_id not in self._segments:
            self._segments[segment_id] = self.scope.get_or_404(self.session, ChainSegment, segment_id)
        return self._segments[segment_id]

    def score(self, candidate: InvestmentCandidate, lead_id: int | None = None) -> CandidateScore:
        segment = self.segment(candidate.segment_id)
        graph = self.graph(segment.chain_id)
        node = graph.node(segment.id)
        components = [
            gap_component(node),
            size_component(candidate.size, candidate.employees),
            proximity_component(graph, segment.id),
            space_component(self.space(candidate.park_id), candidate.land_need_m2, candidate.floor_need_m2),
        ]
        return CandidateScore(
            candidate=candidate,
            chain_id=segment.chain_id,
            segment=segment,
            segment_status=node.status,
            score=round(sum(c.points for c in components), 1),
            components=components,
            lead_id=lead_id,
        )


def _lead_ids(session: Session, scope: Scope, candidate_ids: builtins.list[int]) -> dict[int, int]:
    if not candidate_ids:
        return {}
    stmt = select(Lead.candidate_id, Lead.id).where(Lead.candidate_id.in_(candidate_ids), scope.condition(Lead))
    return {candidate_id: lead_id for candidate_id, lead_id in session.execute(stmt)}


def ranked(
    session: Session,
    *,
    scope: Scope,
    chain_id: int | None = None,
    park_id: int | None = None,
    limit: int | None = None,
) -> builtins.list[CandidateScore]:
    """Every candidate the scope may read (of one chain, of one park, if given), best score first, each score
    explained."""
    scope.require("lead.read")
    stmt = scope.readable(InvestmentCandidate)
    if park_id is not None:
        registry.get(session, scope=scope, kind=registry.KINDS["park"], ident=park_id)  # 404 outside the scope
        stmt = stmt.where(InvestmentCandidate.park_id == park_id)
    if chain_id is not None:
        chain = chains.get_chain(session, scope=scope, ident=chain_id)
        stmt = stmt.join(ChainSegment, ChainSegment.id == InvestmentCandidate.segment_id).where(
            ChainSegment.chain_id == chain.id
        )
    candidates = builtins.list(session.scalars(stmt.order_by(InvestmentCandidate.id)))
    leads = _lead_ids(session, scope, [c.id for c in candidates])
    ranking = _Ranking(session, scope)
    scores = [ranking.score(c, leads.get(c.id)) for c in candidates]
    scores.sort(key=lambda s: (-s.score, s.candidate.name, s.candidate.id))
    return scores[:limit] if limit is not None else scores


def explain(session: Session, *, scope: Scope, candidate_id: int) -> CandidateScore:
    candidate = get_candidate(session, scope=scope, ident=candidate_id)
    return _Ranking(session, scope).score(candidate, _lead_ids(session, scope, [candidate.id]).get(candidate.id))


# -- candidates --------------------------------------------------------------------------------------------------
CANDIDATE_LIST = ListSpec(
    filters={
        "park_id": InvestmentCandidate.park_id,
        "segment_id": InvestmentCandidate.segment_id,
        "size": InvestmentCandidate.size,
        "region_code": InvestmentCandidate.region_code,
        "uscc": InvestmentCandidate.uscc,
    },
    search=[InvestmentCandidate.name, InvestmentCandidate.uscc, InvestmentCandidate.products],
    sort={
        "id": InvestmentCandidate.id,
        "name": InvestmentCandidate.name,
        "revenue_wan_yuan": InvestmentCandidate.revenue_wan_yuan,
        "employees": InvestmentCandidate.employees,
        "created_at": InvestmentCandidate.created_at,
    },
)


def list_candidates(
    session: Session, *, scope: Scope, query: ListQuery
) -> tuple[builtins.list[InvestmentCandidate], int]:
    scope.require("lead.read")
    return CANDIDATE_LIST.apply(session, scope.readable(InvestmentCandidate), query)


def get_candidate(session: Session, *, scope: Scope, ident: int) -> InvestmentCandidate:
    scope.require("lead.read")
    return scope.get_or_404(session, InvestmentCandidate, ident)


def _normal_name(name: str) -> str:
    return re.sub(r"\s+", "", name).replace("（", "(").replace("）", ")")


def _check_candidate(session: Session, scope: Scope, park_id: int, values: dict[str, Any], ident: int | None) -> None:
    if values.get("segment_id") is not None:
        segment = session.scalar(scope.readable(ChainSegment).where(ChainSegment.id == values["segment_id"]))
        if segment is None or segment.park_id != park_id:
            raise field_error("segment_id", "no such chain segment in this park")
    if values.get("uscc"):
        found = session.scalar(
            select(InvestmentCandidate.id).where(
                InvestmentCandidate.park_id == park_id, InvestmentCandidate.uscc == values["uscc"]
            )
        )
        if found is not None and found != ident:
            raise Conflict(
                f"candidate {found} already has this USCC", errors=[{"field": "uscc", "reason": "already registered"}]
            )
    if values.get("name"):
        wanted = _normal_name(values["name"])
        stmt = select(InvestmentCandidate.id, InvestmentCandidate.name).where(InvestmentCandidate.park_id == park_id)
        for found, name in session.execute(stmt):
            if found != ident and _normal_name(name) == wanted:
                raise Conflict(
                    f"candidate {found} already has this name",
                    errors=[{"field": "name", "reason": "already registered"}],
                )


def _stored(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.value if isinstance(v, CompanySize) else v for k, v in values.items()}


def create_candidate(session: Session, *, scope: Scope, data: schemas.InvestmentCandidateCreate) -> InvestmentCandidate:
    park_id = _write_park(scope)
    values = _stored(data.model_dump())
    _check_candidate(session, scope, park_id, values, None)
    candidate = InvestmentCandidate(park_id=park_id, **values)
    session.add(candidate)
    session.flush()
    return candidate


def update_candidate(
    session: Session, *, scope: Scope, ident: int, data: schemas.InvestmentCandidateUpdate
) -> InvestmentCandidate:
    candidate = get_candidate(session, scope=scope, ident=ident)
    scope.authorize_write_row("lead.write", candidate)
    values = _stored(data.model_dump(exclude_unset=True))
    for field in ("name", "segment_id"):
        if field in values and values[field] is None:
            raise field_error(field, "required: may not be set to null")
    _check_candidate(session, scope, candidate.park_id, values, candidate.id)
    for field, value in values.items():
        setattr(candidate, field, value)
    session.flush()
    return candidate


def delete_candidate(session: Session, *, scope: Scope, ident: int) -> None:
    """Delete a candidate; refused while it has a lead (mark the lead lost instead)."""
    candidate = get_candidate(session, scope=scope, ident=ident)
    scope.authorize_write_row("lead.write", candidate)
    lead = session.scalar(select(Lead.id).where(Lead.candidate_id == candidate.id))
    if lead is not None:
        raise Conflict(
            f"candidate {candidate.id} has lead {lead}; mark the lead lost instead",
            errors=[{"field": "id", "reason": f"in use by investment_lead {lead}"}],
        )
    session.delete(candidate)
    session.flush()


# -- candidate import and export -----------------------------------------------------------------------------------
CANDIDATE_SHEET = "招商对象 candidates"
CANDIDATE_COLUMNS: tuple[Column, ...] = (
    Column("name", "企业名称", help="registered name of the company", aliases=("名称", "公司名称")),
    Column("uscc", "统一社会信用代码", help="18 characters, GB 32100; optional", aliases=("信用代码",)),
    Column(
        "region_code",
        "所在地区代码",
        help="GB/T 2260 region code of its seat, e.g. 320505",
        aliases=("地区代码", "行政区划代码"),
    ),
    Column("chain_code", "产业链", help="code or name of a chain of the park, e.g. NEV", aliases=("产业链代码",)),
    Column(
        "segment_code",
        "产业链环节",
        help="code or name of a segment of that chain, e.g. cells",
        aliases=("环节", "环节代码"),
    ),
    Column(
        "size",
        "企业规模",
        help="company size",
        aliases=("规模",),
        choices=(("large", "大型"), ("medium", "中型"), ("small", "小型")),
    ),
    Column("employees", "从业人数", "int", "employees", aliases=("员工人数",)),
    Column(
        "revenue_wan_yuan",
        "营业收入（万元）",
        "float",
        "annual revenue, 10k yuan",
        aliases=("营业收入", "年营收（万元）"),
    ),
    Column("products", "主要产品", help="main products", aliases=("产品",)),
    Column("land_need_m2", "用地需求（m²）", "float", "land wanted, m²", aliases=("用地需求", "用地需求（平方米）")),
    Column(
        "floor_need_m2", "厂房需求（m²）", "float", "floor space wanted, m²", aliases=("厂房需求", "厂房需求（平方米）")
    ),
    Column("source", "信息来源", help="where the park heard of the company", aliases=("来源",)),
    Column("notes", "备注", help="notes"),
)
REQUIRED_COLUMNS = ("name", "chain_code", "segment_code")
IMPORT_NOTES = (
    "第一个工作表（或 CSV 文件）是数据：第1行为列标题，可写“中文 (key)”、key 或中文标题；第2行起每行一家企业。",
    "The first sheet (or the CSV file) holds the data: row 1 the column titles ('中文 (key)', the key or the Chinese "
    "title), one company per row below.",
    "导入只新增招商对象：与已登记的企业（同一信用代码或同名）重复的行会被拒绝。",
    "An import only adds candidates: rows repeating a registered company (same USCC or same name) are refused.",
    "导入全部成功或全部不写入；出错时返回每个出错的行、列和原因。",
    "An import writes every row or none; errors list each row, column and reason.",
)


def _csv_rows(content: bytes) -> builtins.list[tuple[int, tuple[Any, ...]]]:
    if len(content) > spreadsheet.MAX_IMPORT_BYTES:
        raise spreadsheet.FileTooLarge(f"the file is larger than {spreadsheet.MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    if not content:
        raise spreadsheet.UnsupportedFile("the file is empty")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            decoded = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise spreadsheet.UnsupportedFile("not an .xlsx workbook, nor a CSV file in UTF-8 or GB18030")
    rows: builtins.list[tuple[int, tuple[Any, ...]]] = []
    try:
        for number, values in enumerate(csv.reader(io.StringIO(decoded, newline="")), start=1):
            if any(not spreadsheet.blank(v) for v in values):
                rows.append((number, tuple(values)))
                if len(rows) > spreadsheet.MAX_IMPORT_ROWS + 1:
                    raise ValidationFailed(f"the file has more than {spreadsheet.MAX_IMPORT_ROWS} rows; split it")
    except csv.Error as exc:
        raise spreadsheet.UnsupportedFile(f"the CSV file could not be read: {exc}") from None
    return rows


def read_rows(content: bytes) -> builtins.list[tuple[int, tuple[Any, ...]]]:
    """The non-empty rows of an .xlsx workbook's first sheet or of a CSV file, with their row numbers."""
    if zipfile.is_zipfile(io.BytesIO(content)):
        return spreadsheet.load_rows(content)
    return _csv_rows(content)


class _CandidateImport:
    def __init__(self, session: Session, scope: Scope, park_id: int) -> None:
        self.errors: builtins.list[RowError] = []
        chain_rows = builtins.list(
            session.scalars(scope.readable(IndustryChain).where(IndustryChain.park_id == park_id))
        )
        self.chains: dict[str, IndustryChain] = {}
        for chain in chain_rows:
            for key in (chain.code, chain.name, chain.name_en):
                if key:
                    self.chains.setdefault(key.casefold(), chain)
        self.segments: dict[tuple[int, str], int] = {}
        for segment in session.scalars(scope.readable(ChainSegment).where(ChainSegment.park_id == park_id)):
            for key in (segment.code, segment.name, segment.name_en):
                if key:
                    self.segments.setdefault((segment.chain_id, key.casefold()), segment.id)
        existing = session.execute(
            select(InvestmentCandidate.uscc, InvestmentCandidate.name).where(InvestmentCandidate.park_id == park_id)
        ).all()
        self.known_uscc = {u for u, _ in existing if u}
        self.known_names = {_normal_name(n) for _, n in existing}
        self.seen_uscc: dict[str, int] = {}
        self.seen_names: dict[str, int] = {}

    def error(self, row: int, column: str | None, reason: str) -> None:
        self.errors.append(RowError(row=row, column=column, reason=reason))

    def plan(
        self, number: int, columns: builtins.list[Column | None], values: tuple[Any, ...]
    ) -> schemas.InvestmentCandidateCreate | None:
        before = len(self.errors)
        cells: dict[str, Any] = {}
        for position, value in enumerate(values):
            column = columns[position] if position < len(columns) else None
            if column is None:
                if not spreadsheet.blank(value):
                    self.error(number, spreadsheet.column_letter(position), "a value in a column without a valid title")
                continue
            try:
                cells[column.key] = spreadsheet.convert(column, value)
            except ValueError as exc:
                self.error(number, column.key, str(exc))
        chain_text, segment_text = cells.pop("chain_code", None), cells.pop("segment_code", None)
        if chain_text is None:
            self.error(number, "chain_code", "required")
        elif (chain := self.chains.get(str(chain_text).casefold())) is None:
            self.error(number, "chain_code", f"no chain {chain_text!r} in this park")
        elif segment_text is None:
            self.error(number, "segment_code", "required")
        elif (segment_id := self.segments.get((chain.id, str(segment_text).casefold()))) is None:
            self.error(number, "segment_code", f"no segment {segment_text!r} in chain {chain.code}")
        else:
            cells["segment_id"] = segment_id
        data = {k: v for k, v in cells.items() if v is not None}
        try:
            created = schemas.InvestmentCandidateCreate.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = err.get("loc", ())
                field = str(loc[0]) if loc else None
                chain_errors = any(e.row == number and e.column in ("chain_code", "segment_code") for e in self.errors)
                if field == "segment_id" and chain_errors:
                    continue
                target = "segment_code" if field == "segment_id" else field
                message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
                self.error(number, target, "required" if err.get("type") == "missing" else message)
            return None
        if created.uscc:
            if created.uscc in self.known_uscc:
                self.error(number, "uscc", "a candidate with this USCC is already registered")
            elif created.uscc in self.seen_uscc:
                self.error(number, "uscc", f"the same USCC is also in row {self.seen_uscc[created.uscc]}")
            else:
                self.seen_uscc[created.uscc] = number
        name = _normal_name(created.name)
        if name in self.known_names:
            self.error(number, "name", "a candidate with this name is already registered")
        elif name in self.seen_names:
            self.error(number, "name", f"the same name is also in row {self.seen_names[name]}")
        else:
            self.seen_names[name] = number
        return created if len(self.errors) == before else None


def import_candidates(session: Session, *, scope: Scope, content: bytes, dry_run: bool = False) -> ImportReport:
    """Add the candidates of an .xlsx workbook's first sheet or of a CSV file: every row or none.

    Raises ImportFailed (422) listing every (row, column, reason) — a bad USCC or region code, an unknown chain or
    segment, a company repeated in the file or already registered — and nothing is written. With `dry_run`
    everything is checked and nothing is kept.
    """
    park_id = _write_park(scope)
    kind = "investment_candidate"
    columns, _, data_rows = spreadsheet.header_and_data(
        read_rows(content),
        kind=kind,
        dry_run=dry_run,
        read=lambda n, values: spreadsheet.read_header(
            CANDIDATE_COLUMNS, n, values, required=REQUIRED_COLUMNS, missing_reason="missing required column"
        ),
    )

    importer = _CandidateImport(session, scope, park_id)
    planned = [(number, p) for number, values in data_rows if (p := importer.plan(number, columns, values))]
    if importer.errors:
        raise ImportFailed(kind=kind, rows=len(data_rows), dry_run=dry_run, errors=importer.errors)

    savepoint = session.begin_nested()
    current = planned[0][0]
    try:
        for current, data in planned:
            try:
                create_candidate(session, scope=scope, data=data)
            except DomainError as exc:
                importer.error(current, str(exc.errors[0]["field"]) if exc.errors else None, exc.detail)
        session.flush()
    except SQLAlchemyError as exc:
        savepoint.rollback()
        reason = "the database rejected this row (duplicate or conflicting data)"
        importer.error(
            current, None, reason if isinstance(exc, IntegrityError) else "a database error stopped the import"
        )
        raise ImportFailed(kind=kind, rows=len(data_rows), dry_run=dry_run, errors=importer.errors) from None
    except BaseException:
        savepoint.rollback()
        raise
    if importer.errors or dry_run:
        savepoint.rollback()
        if importer.errors:
            raise ImportFailed(kind=kind, rows=len(data_rows), dry_run=dry_run, errors=importer.errors)
    else:
        savepoint.commit()
        audit.record(
            session,
            action="import",
            entity_type=kind,
            park_id=park_id,
            after={"created": len(planned), "file_rows": len(data_rows)},
        )
    return ImportReport(kind=kind, rows=len(data_rows), created=len(planned), dry_run=dry_run)


def export_candidates(session: Session, *, scope: Scope, query: ListQuery, fmt: str) -> tuple[bytes, str]:
    """The candidates matching the list query as .xlsx (with a README sheet) or CSV, in the import's columns."""
    if fmt not in ("xlsx", "csv"):
        raise NotFound(f"no export format {fmt!r}; use xlsx or csv")
    scope.require("lead.read")
    rows = CANDIDATE_LIST.all_rows(session, scope.readable(InvestmentCandidate), query)
    segment_ids = sorted({c.segment_id for c in rows})
    segment_rows = session.execute(
        select(ChainSegment.id, ChainSegment.code, IndustryChain.code)
        .join(IndustryChain, IndustryChain.id == ChainSegment.chain_id)
        .where(ChainSegment.id.in_(segment_ids), scope.condition(ChainSegment))
    ).all()
    codes = {ident: (chain_code, segment_code) for ident, segment_code, chain_code in segment_rows}
    records = []
    for c in rows:
        chain_code, segment_code = codes.get(c.segment_id, (None, None))
        values = {**{col.key: getattr(c, col.key, None) for col in CANDIDATE_COLUMNS}}
        values.update(chain_code=chain_code, segment_code=segment_code)
        records.append([values[col.key] for col in CANDIDATE_COLUMNS])
    if fmt == "xlsx":
        content = spreadsheet.write_xlsx(
            CANDIDATE_SHEET, CANDIDATE_COLUMNS, records, notes=IMPORT_NOTES, required=REQUIRED_COLUMNS
        )
        media_type = spreadsheet.XLSX_MEDIA_TYPE
    else:
        content = spreadsheet.write_csv([col.header for col in CANDIDATE_COLUMNS], records)
        media_type = spreadsheet.CSV_MEDIA_TYPE
    audit.record(
        session,
        action="export",
        entity_type="investment_candidate",
        park_id=scope.park_id,
        after={"format": fmt, "rows": len(records), "q": query.q, "sort": query.sort},
    )
    return content, media_type


# -- leads -----------------------------------------------------------------------------------------------------
LEAD_LIST = ListSpec(
    filters={
        "park_id": Lead.park_id,
        "stage": Lead.stage,
        "owner_user_id": Lead.owner_user_id,
        "candidate_id": Lead.candidate_id,
    },
    sort={
        "id": Lead.id,
        "stage": Lead.stage,
        "next_action_on": Lead.next_action_on,
        "updated_at": Lead.updated_at,
    },
)


def list_leads(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[Lead], int]:
    scope.require("lead.read")
    return LEAD_LIST.apply(session, scope.readable(Lead), query)


def get_lead(session: Session, *, scope: Scope, ident: int) -> Lead:
    scope.require("lead.read")
    return scope.get_or_404(session, Lead, ident)


def lead_events(session: Session, *, scope: Scope, lead_id: int) -> builtins.list[LeadEvent]:
    stmt = scope.readable(LeadEvent).where(LeadEvent.lead_id == lead_id).order_by(LeadEvent.id)
    return builtins.list(session.scalars(stmt))


def staff_users(session: Session, *, park_id: int) -> builtins.list[User]:
    """The accounts that may own a lead: active park administrators and operators of the park."""
    stmt = (
        select(User)
        .where(
            User.park_id == park_id,
            User.role.in_([Role.PARK_ADMIN.value, Role.OPERATOR.value]),
            User.is_active.is_(True),
        )
        .order_by(User.display_name, User.id)
    )
    return builtins.list(session.scalars(stmt))


def user_names(session: Session, user_ids: builtins.list[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in user_ids if i is not None})
    if not wanted:
        return {}
    return {
        ident: name for ident, name in session.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
    }


def _check_owner(session: Session, park_id: int, user_id: int) -> None:
    if user_id not in {u.id for u in staff_users(session, park_id=park_id)}:
        raise field_error("owner_user_id", "not an active park administrator or operator of this park")


def _event(
    session: Session,
    scope: Scope,
    lead: Lead,
    *,
    action: str,
    on: dt.date,
    from_stage: str | None = None,
    to_stage: str | None = None,
    note: str | None = None,
) -> LeadEvent:
    event = LeadEvent(
        park_id=lead.park_id,
        lead_id=lead.id,
        happened_on=on,
        actor=scope.username,
        actor_user_id=scope.user_id,
        action=action,
        from_stage=from_stage,
        to_stage=to_stage,
        note=note,
    )
    session.add(event)
    return event


def _not_future(on: dt.date | None, field: str) -> dt.date:
    day = on or today()
    if day > today():
        raise field_error(field, "may not be in the future")
    return day


def create_lead(session: Session, *, scope: Scope, data: schemas.LeadCreate) -> Lead:
    scope.require("lead.write")
    try:
        candidate = get_candidate(session, scope=scope, ident=data.candidate_id)
    except NotFound:
        raise field_error("candidate_id", "no such candidate") from None
    scope.authorize_write_row("lead.write", candidate)
    existing = session.scalar(select(Lead.id).where(Lead.candidate_id == candidate.id))
    if existing is not None:
        raise Conflict(
            f"candidate {candidate.id} already has lead {existing}",
            errors=[{"field": "candidate_id", "reason": f"already has lead {existing}"}],
        )
    if data.owner_user_id is not None:
        _check_owner(session, candidate.park_id, data.owner_user_id)
    on = _not_future(data.contacted_on, "contacted_on")
    lead = Lead(
        park_id=candidate.park_id,
        candidate_id=candidate.id,
        stage=LeadStage.CONTACTED.value,
        owner_user_id=data.owner_user_id,
        next_action=data.next_action,
        next_action_on=data.next_action_on,
        contacted_on=on,
    )
    session.add(lead)
    session.flush()
    _event(session, scope, lead, action="created", on=on, to_stage=LeadStage.CONTACTED.value, note=data.note)
    session.flush()
    return lead


def update_lead(session: Session, *, scope: Scope, ident: int, data: schemas.LeadUpdate) -> Lead:
    lead = get_lead(session, scope=scope, ident=ident)
    scope.authorize_write_row("lead.write", lead)
    values = data.model_dump(exclude_unset=True)
    if values.get("owner_user_id") is not None:
        _check_owner(session, lead.park_id, values["owner_user_id"])
    if "owner_user_id" in values and values["owner_user_id"] != lead.owner_user_id:
        names = user_names(session, [lead.owner_user_id, values["owner_user_id"]])
        before = names.get(lead.owner_user_id, "—") if lead.owner_user_id else "—"
        after = names.get(values["owner_user_id"], "—") if values["owner_user_id"] else "—"
        _event(session, scope, lead, action="owner", on=today(), note=f"{before} → {after}")
    for field, value in values.items():
        setattr(lead, field, value)
    session.flush()
    return lead


def check_transition(current: LeadStage, target: LeadStage) -> None:
    """Raise Conflict unless a lead in `current` may move to `target` (see the module's pipeline rules)."""
    if current in FINAL:
        raise Conflict(
            f"the lead is {current.value}; it cannot change any more",
            errors=[{"field": "stage", "reason": f"{current.value} is final"}],
        )
    if target == current:
        raise Conflict(f"the lead is already {current.value}", errors=[{"field": "stage", "reason": "unchanged"}])
    if target == LeadStage.LOST:
        return
    if PIPELINE.index(target) < PIPELINE.index(current):
        raise Conflict(
            f"a lead does not go back from {current.value} to {target.value}; only forward, or to lost",
            errors=[{"field": "stage", "reason": f"backwards from {current.value}"}],
        )


def change_stage(session: Session, *, scope: Scope, ident: int, data: schemas.LeadStageChange) -> Lead:
    lead = get_lead(session, scope=scope, ident=ident)
    scope.authorize_write_row("lead.write", lead)
    current = LeadStage(lead.stage)
    check_transition(current, data.stage)
    on = _not_future(data.on, "on")
    reached = [d for d in (getattr(lead, STAGE_DATE[s]) for s in PIPELINE) if d is not None]
    if reached and on < max(reached):
        raise field_error("on", f"may not be before the lead's last step ({max(reached).isoformat()})")
    setattr(lead, STAGE_DATE[data.stage], on)
    lead.stage = data.stage.value
    if data.stage == LeadStage.LOST:
        lead.lost_reason = data.lost_reason or data.note
    if data.stage in FINAL:
        lead.next_action, lead.next_action_on = None, None
    _event(
        session, scope, lead, action="stage", on=on, from_stage=current.value, to_stage=data.stage.value, note=data.note
    )
    session.flush()
    return lead


@dataclasses.dataclass
class LeadCard:
    lead: Lead
    candidate: InvestmentCandidate
    score: CandidateScore
    owner: str | None


def board(session: Session, *, scope: Scope) -> dict[LeadStage, builtins.list[LeadCard]]:
    """Every lead the scope may read, by stage (pipeline order, then lost), best score first in each column."""
    scope.require("lead.read")
    leads = builtins.list(session.scalars(scope.readable(Lead).order_by(Lead.id)))
    candidates = {
        c.id: c
        for c in session.scalars(
            scope.readable(InvestmentCandidate).where(InvestmentCandidate.id.in_([lead.candidate_id for lead in leads]))
        )
    }
    owners = user_names(session, [lead.owner_user_id for lead in leads])
    ranking = _Ranking(session, scope)
    columns: dict[LeadStage, builtins.list[LeadCard]] = {stage: [] for stage in (*PIPELINE, LeadStage.LOST)}
    for lead in leads:
        candidate = candidates[lead.candidate_id]
        card = LeadCard(lead, candidate, ranking.score(candidate, lead.id), owners.get(lead.owner_user_id or 0))
        columns[LeadStage(lead.stage)].append(card)
    for cards in columns.values():
        cards.sort(key=lambda c: (-c.score.score, c.candidate.name))
    return columns


def lead_counts(session: Session, *, scope: Scope) -> dict[str, int]:
    scope.require("lead.read")
    rows = session.execute(select(Lead.stage, func.count()).where(scope.condition(Lead)).group_by(Lead.stage))
    return {stage: n for stage, n in rows}


# -- free space -------------------------------------------------------------------------------------------------
def free_space(session: Session, *, scope: Scope, park_id: int | None = None) -> registry.FreeSpace:
    """The park's vacant floor space and unbuilt land: registry data, for staff (reviewers included, who read the
    rooms and parcels anyway)."""
    if not scope.is_staff:
        raise PermissionDenied("the park's free space is shown to park staff only")
    park = park_id if park_id is not None else scope.park_id
    if park is None:
        if len(scope.read_parks) != 1:
            raise field_error("park_id", "name the park")
        park = next(iter(scope.read_parks))
    return registry.free_space(session, scope=scope, park_id=park, as_of=today())
