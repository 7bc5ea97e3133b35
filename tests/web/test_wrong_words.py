"""Words that read wrong in Chinese because one English msgid served two senses in the merged catalogues: the
alarm state "Cleared" is 已恢复 (已清运 is waste hauled away), the filter of unresolved alarms is 处理中 (not 在园,
an enterprise in the park), the column of notifications sent is 发送结果 (not 评测结果, an assessment's result).
Each is checked on the page rendered in Chinese; and no msgid may be translated two ways across the catalogues
(they are merged, so one module's sense would show on another's pages)."""

from __future__ import annotations

import datetime as dt

from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.alarms.models import Alarm, AlarmState, NotificationDelivery
from digipark.environment.pages import STORAGE_LABELS
from digipark.web import i18n
from tests.alarms.helpers import T0, gas_point, make_rule
from tests.conftest import World
from tests.web.helpers import login, visible_text


def _cleared_alarm_with_a_delivery(db: Session, world: World) -> int:
    rule_id = make_rule(db, world, [{"type": "threshold", "op": "above", "high": 25, "hysteresis": 5}])
    now = dt.datetime.now(dt.UTC)
    alarm = Alarm(
        park_id=world.a.park_id,
        rule_id=rule_id,
        point_id=gas_point(world),
        severity="critical",
        state=AlarmState.CLEARED.value,
        message="可燃气体报警",
        trigger_ts=T0,
        trigger_value=30.0,
        raised_at=now - dt.timedelta(minutes=5),
        cleared_at=now,
    )
    db.add(alarm)
    db.flush()
    db.add(
        NotificationDelivery(
            park_id=world.a.park_id,
            alarm_id=alarm.id,
            channel="email",
            address="duty@example.com",
            level=0,
            reason="raised",
            status="sent",
        )
    )
    db.flush()
    return alarm.id


def test_a_cleared_alarm_reads_recovered_not_hauled_away(client: TestClient, world: World, db: Session) -> None:
    ident = _cleared_alarm_with_a_delivery(db, world)
    login(client, "TA-park_admin")
    detail = visible_text(client.get(f"/alarms/{ident}", params={"lang": "zh"}).text)
    assert "已恢复" in detail and "已清运" not in detail
    history = visible_text(client.get("/alarms", params={"lang": "zh", "show": "history"}).text)
    assert "已恢复" in history and "已清运" not in history
    # the waste storage state keeps its own word
    assert i18n.translations("zh").gettext(STORAGE_LABELS["cleared"]) == "已清运"


def test_the_unresolved_alarm_filter_reads_being_handled(client: TestClient, world: World, db: Session) -> None:
    login(client, "TA-park_admin")
    page = visible_text(client.get("/alarms", params={"lang": "zh"}).text)
    assert "处理中" in page and "在园" not in page
    assert "Unresolved" in visible_text(client.get("/alarms", params={"lang": "en"}).text)


def test_the_notification_result_column_reads_delivery_result(client: TestClient, world: World, db: Session) -> None:
    ident = _cleared_alarm_with_a_delivery(db, world)
    login(client, "TA-park_admin")
    page = visible_text(client.get(f"/alarms/{ident}", params={"lang": "zh"}).text)
    assert "发送结果" in page and "评测结果" not in page


def test_no_msgid_is_translated_two_ways_across_catalogues() -> None:
    translations: dict[str, set[str]] = {}
    for path in i18n.catalog_files("zh"):
        with path.open("rb") as handle:
            for message in read_po(handle):
                if message.id and isinstance(message.id, str) and message.string and not message.context:
                    translations.setdefault(message.id, set()).add(str(message.string))
    collisions = {msgid for msgid, texts in translations.items() if len(texts) > 1}
    assert not collisions, (
        f"one msgid translated two ways, the last catalogue wins: give each sense a msgid {collisions}"
    )
    # fixed here: the alarm state, and four words one catalogue's sense took from another's pages (a warning's
    # "Medium" read 介质, a lead's "Source" 依据, a manifest "Received" 接收时间, an energy "Factor" 监测因子)
    assert {"Cleared", "Medium", "Source", "Received", "Factor"}.isdisjoint(collisions)
    zh = i18n.translations("zh")
    assert [zh.gettext(m) for m in ("Cleared", "Medium", "Source", "Received", "Factor")] == [
        "已恢复",
        "中",
        "信息来源",
        "已接收",
        "监测因子",
    ]
