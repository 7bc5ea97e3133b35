"""Economy: monthly statistics and their corrections, reminders, and the archive facts an enterprise holds
(qualifications, intellectual property, products). Industry-chain and investment-lead models follow below."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digipark.core.db import Base, TimestampMixin, utcnow
from digipark.core.tenancy import Audited, EnterpriseScoped, ParkScoped, Visibility


class StatisticSource(enum.StrEnum):
    ONLINE = "online"
    IMPORT = "import"


class QualificationKind(enum.StrEnum):
    HIGH_TECH = "high_tech"  # 高新技术企业
    SPECIALIZED_SME = "specialized_sme"  # 专精特新中小企业
    LITTLE_GIANT = "little_giant"  # 专精特新"小巨人"企业
    TECH_SME = "tech_sme"  # 科技型中小企业
    MANUFACTURING_CHAMPION = "manufacturing_champion"  # 制造业单项冠军
    OTHER = "other"


class IPKind(enum.StrEnum):
    INVENTION_PATENT = "invention_patent"  # 发明专利
    UTILITY_MODEL = "utility_model"  # 实用新型专利
    DESIGN_PATENT = "design_patent"  # 外观设计专利
    SOFTWARE_COPYRIGHT = "software_copyright"  # 软件著作权
    STANDARD_NATIONAL = "standard_national"  # 国家标准 (drafted)
    STANDARD_INDUSTRY = "standard_industry"  # 行业标准
    STANDARD_GROUP = "standard_group"  # 团体标准


# the monthly figures, in canonical units (万元, persons, kWh); the order of the statistics form
FIGURES: tuple[str, ...] = (
    "output_value_wan_yuan",
    "sales_revenue_wan_yuan",
    "tax_paid_wan_yuan",
    "total_profit_wan_yuan",
    "employees",
    "rnd_spending_wan_yuan",
    "electricity_kwh",
    "export_value_wan_yuan",
)


class MonthlyStatistic(Audited, TimestampMixin, EnterpriseScoped, Base):
    """One enterprise's figures for one month (`period` is the first day of the month)."""

    __tablename__ = "monthly_statistic"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "period"),
        Index("ix_monthly_statistic_park_id_period", "park_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    period: Mapped[dt.date] = mapped_column(Date)
    output_value_wan_yuan: Mapped[float] = mapped_column(Float, doc="工业总产值 (当年价格), 万元")
    sales_revenue_wan_yuan: Mapped[float] = mapped_column(Float, doc="营业收入 / 销售收入, 万元")
    tax_paid_wan_yuan: Mapped[float] = mapped_column(Float, doc="实缴税金, 万元")
    total_profit_wan_yuan: Mapped[float] = mapped_column(Float, doc="利润总额, 万元 (may be negative)")
    employees: Mapped[int] = mapped_column(Integer, doc="从业人员期末人数")
    rnd_spending_wan_yuan: Mapped[float] = mapped_column(Float, default=0.0, doc="研发费用, 万元")
    electricity_kwh: Mapped[float] = mapped_column(Float, doc="用电量, kWh")
    export_value_wan_yuan: Mapped[float] = mapped_column(Float, default=0.0, doc="出口交货值, 万元")
    source: Mapped[str] = mapped_column(String(10), default=StatisticSource.ONLINE.value)
    revision: Mapped[int] = mapped_column(Integer, default=0, doc="0 as submitted, +1 per correction")
    submitted_by: Mapped[str] = mapped_column(String(120))
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MonthlyStatisticRevision(Audited, EnterpriseScoped, Base):
    """The values a correction replaced: one row per correction, never changed afterwards."""

    __tablename__ = "monthly_statistic_revision"
    __table_args__ = (UniqueConstraint("statistic_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statistic_id: Mapped[int] = mapped_column(ForeignKey("monthly_statistic.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    period: Mapped[dt.date] = mapped_column(Date)
    revision: Mapped[int] = mapped_column(Integer, doc="the revision these values were")
    previous: Mapped[dict[str, Any]] = mapped_column(JSON, doc="figure -> value before the correction")
    source: Mapped[str] = mapped_column(String(10))
    corrected_by: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(String(500))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class StatisticReminder(Audited, EnterpriseScoped, Base):
    """An enterprise chased for a missing month; delivered as an in-app notice on its statistics page."""

    __tablename__ = "statistic_reminder"
    __table_args__ = (Index("ix_statistic_reminder_park_id_period", "park_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    period: Mapped[dt.date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20), default="in_app")
    sent_by: Mapped[str] = mapped_column(String(120))
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(String(500))


class Qualification(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A recognition with a validity period: 高新技术企业, 专精特新, 小巨人, 科技型中小企业, 单项冠军 ..."""

    __tablename__ = "qualification"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str | None] = mapped_column(String(200))
    certificate_no: Mapped[str | None] = mapped_column(String(100))
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)


class IntellectualProperty(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A patent, software copyright or standard the enterprise holds or drafted."""

    __tablename__ = "intellectual_property"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(300))
    number: Mapped[str | None] = mapped_column(String(100))
    granted_on: Mapped[dt.date | None] = mapped_column(Date)


class Product(Audited, TimestampMixin, EnterpriseScoped, Base):
    """A key product of the enterprise."""

    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    annual_output: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(40))


# ==========================================================================================================
# Industry chains and investment leads (digipark.economy.chains, digipark.economy.leads)
# ==========================================================================================================


class ChainStage(enum.StrEnum):
    UPSTREAM = "upstream"
    MIDSTREAM = "midstream"
    DOWNSTREAM = "downstream"


class SegmentRole(enum.StrEnum):
    MAIN = "main"  # the enterprise's main business is in the segment
    SECONDARY = "secondary"


class CompanySize(enum.StrEnum):
    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"


class SegmentStatus(enum.StrEnum):
    """How well the park covers a chain segment (rules in economy/data/chains.yaml)."""

    STRONG = "strong"
    WEAK = "weak"
    EMPTY = "empty"


class LeadStage(enum.StrEnum):
    CONTACTED = "contacted"
    VISITED = "visited"
    NEGOTIATING = "negotiating"
    SIGNED = "signed"
    SETTLED = "settled"
    LOST = "lost"


class IndustryChain(Audited, TimestampMixin, ParkScoped, Base):
    """A leading industry chain of the park; its structure is visible to every member of the park."""

    __tablename__ = "industry_chain"
    __visibility__ = Visibility.PARK
    __table_args__ = (UniqueConstraint("park_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    template: Mapped[str | None] = mapped_column(String(40), doc="code of the chains.yaml template it came from")


class ChainSegment(Audited, TimestampMixin, ParkScoped, Base):
    """A segment (环节) of a chain: its stage, its place from left to right, the industry codes it covers."""

    __tablename__ = "chain_segment"
    __visibility__ = Visibility.PARK
    __table_args__ = (UniqueConstraint("chain_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_id: Mapped[int] = mapped_column(ForeignKey("industry_chain.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(20), doc="upstream | midstream | downstream")
    position: Mapped[int] = mapped_column(Integer, default=0)
    industry_codes: Mapped[list[str]] = mapped_column(JSON, default=list, doc="GB/T 4754-2017 code prefixes")


class ChainEdge(Audited, TimestampMixin, ParkScoped, Base):
    """`from_segment` supplies `to_segment`."""

    __tablename__ = "chain_edge"
    __visibility__ = Visibility.PARK
    __table_args__ = (UniqueConstraint("from_segment_id", "to_segment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_id: Mapped[int] = mapped_column(ForeignKey("industry_chain.id", ondelete="RESTRICT"), index=True)
    from_segment_id: Mapped[int] = mapped_column(ForeignKey("chain_segment.id", ondelete="RESTRICT"), index=True)
    to_segment_id: Mapped[int] = mapped_column(ForeignKey("chain_segment.id", ondelete="RESTRICT"), index=True)


class EnterpriseSegment(Audited, TimestampMixin, EnterpriseScoped, Base):
    """An enterprise of the park mapped to a chain segment; the enterprise sees its own mappings."""

    __tablename__ = "enterprise_segment"
    __table_args__ = (UniqueConstraint("enterprise_id", "segment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_id: Mapped[int] = mapped_column(ForeignKey("industry_chain.id", ondelete="RESTRICT"), index=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("chain_segment.id", ondelete="RESTRICT"), index=True)
    role: Mapped[str] = mapped_column(String(20), default=SegmentRole.MAIN.value)
    source: Mapped[str] = mapped_column(String(20), default="manual", doc="manual | suggested (a confirmed suggestion)")


class SupplyRelation(Audited, TimestampMixin, ParkScoped, Base):
    """A known local supply relation: `supplier` sells `product` to `customer`, both enterprises of the park.

    Staff only: a relation names two enterprises, and the scope's one owner column cannot show it to both."""

    __tablename__ = "supply_relation"
    __visibility__ = Visibility.STAFF
    __table_args__ = (UniqueConstraint("supplier_id", "customer_id", "product"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True)
    product: Mapped[str] = mapped_column(String(200))
    annual_value_wan_yuan: Mapped[float | None] = mapped_column(Float)
    notes: Mapped[str | None] = mapped_column(Text)


class InvestmentCandidate(Audited, TimestampMixin, ParkScoped, Base):
    """A company outside the park the park would like to attract (招商对象); staff only."""

    __tablename__ = "investment_candidate"
    __visibility__ = Visibility.STAFF
    __table_args__ = (UniqueConstraint("park_id", "uscc"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_en: Mapped[str | None] = mapped_column(String(200), doc="its English name, shown on English pages")
    uscc: Mapped[str | None] = mapped_column(String(18), doc="统一社会信用代码 (GB 32100), when known")
    region_code: Mapped[str | None] = mapped_column(String(6), doc="GB/T 2260 region of its seat")
    segment_id: Mapped[int] = mapped_column(ForeignKey("chain_segment.id", ondelete="RESTRICT"), index=True)
    size: Mapped[str | None] = mapped_column(String(10), doc="large | medium | small")
    employees: Mapped[int | None] = mapped_column(Integer)
    revenue_wan_yuan: Mapped[float | None] = mapped_column(Float)
    products: Mapped[str | None] = mapped_column(String(500))
    land_need_m2: Mapped[float | None] = mapped_column(Float)
    floor_need_m2: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(String(100), doc="where the park heard of it")
    notes: Mapped[str | None] = mapped_column(Text)


class Lead(Audited, TimestampMixin, ParkScoped, Base):
    """The park's pursuit of one candidate through the pipeline contacted → … → settled (or lost)."""

    __tablename__ = "investment_lead"
    __visibility__ = Visibility.STAFF
    __table_args__ = (UniqueConstraint("candidate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("investment_candidate.id", ondelete="RESTRICT"))
    stage: Mapped[str] = mapped_column(String(20), index=True, default=LeadStage.CONTACTED.value)
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="RESTRICT"), index=True)
    next_action: Mapped[str | None] = mapped_column(String(300))
    next_action_on: Mapped[dt.date | None] = mapped_column(Date)
    contacted_on: Mapped[dt.date | None] = mapped_column(Date)
    visited_on: Mapped[dt.date | None] = mapped_column(Date)
    negotiating_on: Mapped[dt.date | None] = mapped_column(Date)
    signed_on: Mapped[dt.date | None] = mapped_column(Date)
    settled_on: Mapped[dt.date | None] = mapped_column(Date)
    lost_on: Mapped[dt.date | None] = mapped_column(Date)
    lost_reason: Mapped[str | None] = mapped_column(String(300))


class LeadEvent(Audited, ParkScoped, Base):
    """One step of a lead's history: created, a stage change, a change of owner; who, when, a note."""

    __tablename__ = "investment_lead_event"
    __visibility__ = Visibility.STAFF

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("investment_lead.id", ondelete="RESTRICT"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    happened_on: Mapped[dt.date] = mapped_column(Date, doc="the day the step happened (may be before it was recorded)")
    actor: Mapped[str] = mapped_column(String(120))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="RESTRICT"))
    action: Mapped[str] = mapped_column(String(20), doc="created | stage | owner")
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
