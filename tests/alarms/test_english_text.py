"""An alarm of a rule keeps its text in English too (the rule's English name, the point's catalogue name): English
pages show it — the list, the alarm's page, the live stream's first messages and the duty app — and Chinese pages
the text in the platform's language; a rule without an English name is shown by its name."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.alarms import live, service
from digipark.alarms.schemas import RuleUpdate
from digipark.auth.scope import system_scope
from tests.alarms.helpers import alarms, engine, feed, gas_point, make_rule
from tests.conftest import World
from tests.web.helpers import login, visible_text

CJK = re.compile(r"[\u3400-\u9fff]")
ABOVE_25 = [{"type": "threshold", "op": "above", "high": 25, "hysteresis": 5}]


def test_a_rule_alarm_keeps_its_text_in_both_languages(db: Session, world: World) -> None:
    rule = make_rule(db, world, ABOVE_25, name="可燃气体报警", name_en="Combustible gas alarm")
    feed(engine(db), gas_point(world), [(0, 10), (1000, 26)])
    [alarm] = alarms(db, rule)
    assert alarm.message.startswith("可燃气体报警: 可燃气体浓度 = 26 %LEL")
    assert alarm.message_en is not None and alarm.message_en.startswith("Combustible gas alarm: Combustible gas = 26")
    assert not CJK.search(alarm.message_en)
    assert live.shown_message(alarm.message, lambda m: m, alarm.message_en) == alarm.message_en
    assert live.shown_message(alarm.message, lambda m: m) == alarm.message


def test_a_rule_without_an_english_name_keeps_its_name_in_the_english_text(db: Session, world: World) -> None:
    rule = make_rule(db, world, ABOVE_25, name="可燃气体报警")
    feed(engine(db), gas_point(world), [(0, 26)])
    [alarm] = alarms(db, rule)
    assert alarm.message_en is not None and alarm.message_en.startswith("可燃气体报警: Combustible gas = 26")


def test_english_pages_show_the_english_text_and_chinese_pages_the_chinese(
    client: TestClient, db: Session, world: World
) -> None:
    rule = make_rule(db, world, ABOVE_25, name="可燃气体报警", name_en="Combustible gas alarm")
    feed(engine(db), gas_point(world), [(0, 26)])
    [alarm] = alarms(db, rule)
    login(client, "TA-park_admin")
    english = visible_text(client.get("/alarms?lang=en").text)
    assert "Combustible gas alarm: Combustible gas = 26" in english and "可燃气体报警" not in english
    assert "可燃气体报警: 可燃气体浓度 = 26" in visible_text(client.get("/alarms?lang=zh").text)
    page = visible_text(client.get(f"/alarms/{alarm.id}?lang=en").text)
    assert "Combustible gas alarm: Combustible gas" in page and "可燃气体" not in page
    rules_page = visible_text(client.get("/alarms/rules?lang=en").text)
    assert "Combustible gas alarm" in rules_page


def test_the_rule_form_and_the_service_keep_the_english_name(client: TestClient, db: Session, world: World) -> None:
    rule = make_rule(db, world, ABOVE_25, name="可燃气体报警")
    scope = system_scope(world.a.park_id)
    updated = service.update_rule(db, scope=scope, ident=rule, data=RuleUpdate(name_en="Gas alarm"))
    assert updated.name_en == "Gas alarm"
    cleared = service.update_rule(db, scope=scope, ident=rule, data=RuleUpdate(name_en=""))
    assert cleared.name_en is None  # emptied: the name is shown
    login(client, "TA-park_admin")
    form = client.get(f"/alarms/rules?edit={rule}&lang=en")
    assert form.status_code == 200 and 'name="name_en"' in form.text
