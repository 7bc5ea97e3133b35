"""The demo park's notices: a handful a park office would have published in the weeks before the demo's day, one of
them pinned, one for enterprises only, one for staff, and a draft (declared in notices.module)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import system_scope
from digipark.notices.models import Audience, Category, Notice

# (days before the demo's day, title, category, audience, pinned, days shown, body); None: a draft
DEMO_NOTICES: tuple[tuple[int | None, str, Category, Audience, bool, int | None, str], ...] = (
    (
        3,
        "关于开展2026年度高标准数字园区建设自评的通知",
        Category.NOTICE,
        Audience.EVERYONE,
        True,
        None,
        "各入园企业：\n\n根据《高标准数字园区建设指南》，园区将于本月开展年度自评。请各企业在平台“数字化转型”栏目"
        "完成数字化水平自评，并在“经济运行”栏目按时报送月度统计数据。\n\n联系人：园区管委会经济发展局。",
    ),
    (
        6,
        "B区10kV配电室检修停电通知",
        Category.OUTAGE,
        Audience.EVERYONE,
        False,
        14,
        "因B区10kV配电室年度预防性试验，B区各楼宇将于本周六8:00至14:00停电。\n\n请相关企业提前安排生产，"
        "做好设备停机和数据备份。",
    ),
    (
        12,
        "中小企业数字化转型城市试点专项资金申报指南",
        Category.POLICY,
        Audience.ENTERPRISES,
        False,
        None,
        "符合条件的规上工业企业可申报数字化改造专项资金，最高补助改造投入的30%。\n\n"
        "申报材料通过平台“一站式服务”提交，截止日期为下月15日。",
    ),
    (
        20,
        "园区企业安全生产应急演练活动",
        Category.EVENT,
        Audience.EVERYONE,
        False,
        None,
        "园区将联合消防救援站组织危化品泄漏应急演练，欢迎各企业安全负责人参加观摩。\n\n地点：园区应急指挥中心。",
    ),
    (
        25,
        "值班表调整（运营人员）",
        Category.NOTICE,
        Audience.STAFF,
        False,
        None,
        "自下周起，监控中心夜班调整为两班倒，具体排班见运营部共享文件。",
    ),
    (
        None,
        "（草稿）园区智慧停车收费标准调整",
        Category.POLICY,
        Audience.EVERYONE,
        False,
        None,
        "拟自明年1月起调整园区公共停车场收费标准，征求意见稿待审。",
    ),
)


def build_notices_demo(session: Session, *, park_id: int, as_of: dt.date, seed: int) -> dict[str, int]:
    """The demo notices of the park (none when it has notices already)."""
    if session.scalar(select(func.count()).select_from(Notice).where(Notice.park_id == park_id)):
        return {"notices": 0}
    publisher = system_scope(park_id).username
    for days_before, title, category, audience, pinned, days_shown, body in DEMO_NOTICES:
        published = None
        if days_before is not None:
            day = as_of - dt.timedelta(days=days_before)
            published = dt.datetime.combine(day, dt.time(1, 30), tzinfo=dt.UTC)  # 09:30 in Shanghai
        session.add(
            Notice(
                park_id=park_id,
                title=title,
                body=body,
                category=category.value,
                audience=audience.value,
                pinned=pinned,
                expires_on=None if days_shown is None or days_before is None else as_of + dt.timedelta(days=days_shown),
                published_at=published,
                published_by=publisher if published else None,
            )
        )
    session.flush()
    return {"notices": len(DEMO_NOTICES)}
