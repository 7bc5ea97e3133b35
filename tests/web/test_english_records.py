"""Records the park names itself show their English name on English pages (duty teams and shifts, data products,
approval processes and their steps, service offerings, the transformation catalogue, car parks, land users), text
people wrote stays as written and is marked translate="no", and reference data (standard-coal coefficients, grids,
the guide's sentences) carries its English in the data files."""

from __future__ import annotations

import re
from decimal import Decimal

import lxml.html
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from digipark.approvals import definitions, engine, layout
from digipark.approvals import service as approvals
from digipark.dataspace import service as dataspace
from digipark.dataspace.schemas import ProductCreate
from digipark.duty import provides as duty
from digipark.duty import service as duty_service
from digipark.economy import leads
from digipark.economy.models import InvestmentCandidate
from digipark.economy.schemas import LeadCreate
from digipark.energy import report, standard_coal
from digipark.energy import service as energy
from digipark.energy.factors import grid_region_name
from digipark.evaluation import indicators
from digipark.living import parking
from digipark.living.schemas import CarParkCreate
from digipark.registry import service as registry
from digipark.registry.models import Building, Enterprise, LandParcel
from digipark.registry.schemas import LandParcelUpdate
from digipark.services import catalogue
from digipark.services.schemas import OfferingCreate
from digipark.transformation import service as transformation
from digipark.transformation.schemas import CatalogueCreate
from tests.conftest import World
from tests.economy.chain_helpers import admin_scope, build_chain
from tests.notices.helpers import scope_of
from tests.web.helpers import form_token, login

CJK = re.compile(r"[\u3400-\u9fff]")


def english_text(page_html: str) -> str:
    """The text of the page's main part as the browser crawl reads it on an English page: without what is marked
    translate="no" or lang="zh" (tests/e2e/crawl.py)."""
    root = lxml.html.fromstring(page_html)
    main = root.find(".//main")
    assert main is not None
    for kept in main.xpath('.//*[@translate="no" or starts-with(@lang, "zh")]'):
        kept.drop_tree()
    return " ".join(main.text_content().split())


def test_duty_teams_and_shifts_made_on_the_page_show_their_english_names(
    client: TestClient, db: Session, world: World
) -> None:
    token = login(client, "TA-park_admin")
    made = client.post(
        "/duty-roster/teams", data={"name": "安全值班组", "name_en": "Safety duty team", "csrf_token": token}
    )
    assert made.status_code == 200, made.text
    [team] = duty_service.roster(db, scope=scope_of(db, "TA", "park_admin"))
    team_id = team["team"].id
    shift = client.post(
        f"/duty-roster/teams/{team_id}/shifts",
        data={
            "name": "全天值班",
            "name_en": "Round-the-clock duty",
            "starts": "08:00",
            "ends": "08:00",
            **{f"weekday_{d}": "1" for d in range(7)},
            "csrf_token": token,
        },
    )
    assert shift.status_code == 200, shift.text
    admin = scope_of(db, "TA", "park_admin")
    duty_service.add_member(db, scope=admin, team_id=team_id, user_id=admin.user_id or 0)
    english = english_text(client.get("/duty-roster?lang=en").text)
    assert "Safety duty team" in english and "Round-the-clock duty" in english
    assert not CJK.search(english), english
    chinese = client.get("/duty-roster?lang=zh").text
    assert "安全值班组" in chinese and "全天值班" in chinese and "Safety duty team" not in chinese
    [now] = duty.on_duty(db, park_id=world.a.park_id)
    assert (now.team_en, now.shift_en) == ("Safety duty team", "Round-the-clock duty")
    assert duty.team_names(db, park_id=world.a.park_id, lang="en") == {team_id: "Safety duty team"}
    assert duty.team_names(db, park_id=world.a.park_id) == {team_id: "安全值班组"}


def test_a_data_product_shows_its_english_title(client: TestClient, db: Session, world: World) -> None:
    product = dataspace.create_product(
        db,
        scope=scope_of(db, "TA", "enterprise"),
        data=ProductCreate(
            title="月度能耗与碳排放",
            title_en="Monthly energy use and CO2 emissions",
            source="energy_monthly",  # type: ignore[arg-type]
            year=2026,
            columns=["month", "tco2"],
            purposes=["research"],
        ),
    )
    assert product.title_en == "Monthly energy use and CO2 emissions"
    login(client, "TA-park_admin")
    english = english_text(client.get("/dataspace?lang=en").text)
    assert "Monthly energy use and CO2 emissions" in english and "月度能耗与碳排放" not in english
    assert "月度能耗与碳排放" in client.get("/dataspace?lang=zh").text


def test_approval_processes_and_their_steps_are_named_in_english(client: TestClient, db: Session) -> None:
    definitions.install_bundled(db, scope=scope_of(db, "TA", "park_admin"))
    instance = approvals.apply(
        db,
        scope=scope_of(db, "TA", "enterprise"),
        key="certificate_request",
        form={"certificate_kind": "入驻证明", "purpose": "办理银行贷款"},
    )
    assert instance.title_en is not None and instance.title_en.startswith("Certificate request · ")
    login(client, "TA-enterprise")
    home = english_text(client.get("/approvals?lang=en").text)
    assert "Certificate request" in home and "Enterprise entry" in home
    assert "证明开具" not in home and "企业入驻" not in home
    detail = client.get(f"/approvals/applications/{instance.id}?lang=en").text
    assert "Certificate review" in english_text(detail) and "证明审核" not in english_text(detail)
    assert "办理银行贷款" in detail  # what the applicant wrote, as written
    assert "证明审核" in client.get(f"/approvals/applications/{instance.id}?lang=zh").text


def test_offerings_catalogue_entries_car_parks_and_land_users_show_english_names(
    client: TestClient, db: Session, world: World
) -> None:
    admin = scope_of(db, "TA", "park_admin")
    catalogue.OFFERINGS.create(
        db,
        scope=admin,
        data=OfferingCreate(
            kind="shared_equipment",  # type: ignore[arg-type]
            name="激光切割机",
            name_en="Laser cutter",
            provider_name="园区共享制造中心",
            provider_name_en="Park shared manufacturing centre",
            capacity=1,
            capacity_unit="台",
            capacity_unit_en="machines",
        ),
    )
    transformation.create_catalogue_entry(
        db,
        scope=admin,
        data=CatalogueCreate(
            kind="product",  # type: ignore[arg-type]
            name="轻量化MES",
            name_en="Lightweight MES",
            provider="云智软件",
            provider_en="Yunzhi Software",
            description="一周上线",
            description_en="Live in a week",
        ),
    )
    parking.CAR_PARKS.create(
        db,
        scope=admin,
        data=CarParkCreate(
            code="P9",
            name="科创区地面停车场",
            name_en="Innovation Zone Car Park",
            lon=120.6,
            lat=31.3,
            capacity=4,
            hourly_yuan=Decimal("5"),
        ),
    )
    db.execute(
        update(LandParcel)
        .where(LandParcel.id == world.a.parcel_id)
        .values(owner="苏州星湖开发建设有限公司", owner_en="Suzhou Xinghu Development Co., Ltd.")
    )
    db.flush()
    login(client, "TA-park_admin")
    for path, english_name, chinese_name in (
        ("/services", "Laser cutter", "激光切割机"),
        ("/services", "Park shared manufacturing centre", "园区共享制造中心"),
        ("/services", "1 machines", "台"),
        ("/transformation/catalogue", "Lightweight MES", "轻量化MES"),
        ("/transformation/catalogue", "Yunzhi Software", "云智软件"),
        ("/living", "Innovation Zone Car Park", "科创区地面停车场"),
        ("/land-parcels", "Suzhou Xinghu Development Co., Ltd.", "苏州星湖开发建设有限公司"),
    ):
        english = english_text(client.get(f"{path}?lang=en").text)
        assert english_name in english and chinese_name not in english, path
        assert chinese_name in client.get(f"{path}?lang=zh").text, path


def test_a_land_parcels_english_user_is_written_with_the_user(client: TestClient, db: Session, world: World) -> None:
    registry.update(
        db,
        scope=scope_of(db, "TA", "park_admin"),
        kind=registry.KINDS["land_parcel"],
        ident=world.a.parcel_id,
        data=LandParcelUpdate(owner="某某公司", owner_en="Moumou Ltd."),
    )
    row = db.get(LandParcel, world.a.parcel_id)
    assert row is not None and (row.owner, row.owner_en) == ("某某公司", "Moumou Ltd.")
    login(client, "TA-park_admin")
    assert 'name="owner_en"' in client.get(f"/land-parcels/{world.a.parcel_id}/edit").text


def test_standard_coal_notes_and_grids_have_their_english_in_the_data_files() -> None:
    coal = standard_coal.convert("anthracite", 10, 2024)
    assert "原煤" in coal.factor_note and "Raw coal" in coal.factor_note_en
    electricity = standard_coal.convert("electricity", 1000, 2024)
    assert "当量值" in electricity.factor_note and not CJK.search(electricity.factor_note_en)
    assert "equivalent value" in electricity.factor_note_en and "equal value" in electricity.factor_note_en
    assert grid_region_name("华东", "en") == "East China grid" and grid_region_name("华东", "zh") == "华东"
    formula = report.formula_text("EF 全国 2023 0.5306 tCO2/MWh", 2023, 2023, str, "en")
    assert formula == "EF National average 2023 0.5306 tCO2/MWh"
    assert report.formula_text("EF 全国 2023 0.5306 tCO2/MWh", 2023, 2023, str) == "EF 全国 2023 0.5306 tCO2/MWh"


def test_the_guides_sentences_have_their_english_in_the_indicator_file() -> None:
    for standard in indicators.system().standards:
        assert standard.source_en and not CJK.search(standard.source_en), standard.code
        for indicator in standard.indicators:
            assert indicator.source_en and not CJK.search(indicator.source_en), indicator.key


def test_an_energy_account_names_the_enterprise_in_english(db: Session, world: World) -> None:
    enterprise_id = world.a.enterprise_ids[0]
    db.execute(update(Enterprise).where(Enterprise.id == enterprise_id).values(name_en="TA Enterprise Zero"))
    account = energy.enterprise_account(
        db, scope=scope_of(db, "TA", "enterprise"), enterprise_id=enterprise_id, year=2026
    )
    assert account.name_en == "TA Enterprise Zero"
    assert report.sections(account, "en")[0][2][0][1] == "TA Enterprise Zero"
    assert report.sections(account, "zh")[0][2][0][1] == account.name


def test_a_scene_names_its_building_and_duty_team_in_english_and_keeps_the_message_as_written(
    client: TestClient, db: Session, world: World
) -> None:
    admin = scope_of(db, "TA", "park_admin")
    team = duty_service.create_team(db, scope=admin, name="安全值班组", name_en="Safety duty team")
    db.execute(update(Building).where(Building.id == world.a.building_id).values(name_en="Plant 1"))
    db.flush()
    login(client, "TA-operator")
    form = client.get("/automation/scenes/new").text
    made = client.post(
        "/automation/scenes/new",
        data={
            "name": "夜间关灯",
            "at": "19:00",
            "days": "working",
            f"off-{world.a.building_id}-lighting": "1",
            "notify": "请关好门窗",
            "notify_team": str(team.id),
            "csrf_token": form_token(form),
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    page = client.get("/automation?lang=en").text
    english = english_text(page)
    assert "Plant 1 · Lighting" in english and "Safety duty team" in english
    assert not CJK.search(english), english
    assert '<span translate="no">请关好门窗</span>' in page
    assert "安全值班组" in client.get("/automation?lang=zh").text


def test_the_lead_board_names_candidates_in_english_and_keeps_the_teams_notes(
    client: TestClient, db: Session, world: World
) -> None:
    built = build_chain(db, world.a)
    candidate = built.candidates["weak"]
    db.execute(
        update(InvestmentCandidate)
        .where(InvestmentCandidate.id == candidate.id)
        .values(name_en="Wuxi Hengtuo Power Battery Co., Ltd.")
    )
    leads.create_lead(
        db, scope=admin_scope(world.a), data=LeadCreate(candidate_id=candidate.id, next_action="安排实地考察")
    )
    login(client, "TA-park_admin")
    page = client.get("/economy/leads?lang=en").text
    english = english_text(page)
    assert "Wuxi Hengtuo Power Battery Co., Ltd." in english and candidate.name not in english
    assert '<span translate="no">安排实地考察</span>' in page
    assert candidate.name in client.get("/economy/leads?lang=zh").text


def test_every_bundled_process_and_user_task_has_an_english_name_in_its_bpmn_file() -> None:
    for described in layout.DEMO:
        text = (layout.PROCESSES / f"{described.id}.bpmn").read_text(encoding="utf-8")
        assert text == layout.render(described), f"{described.id}.bpmn: run python -m digipark.approvals.layout"
        tables, called = [], []  # the called process: no form, no table, calls nothing
        if described.id != layout.COMPLETENESS.id:
            _, tables, called, _ = definitions.bundled_files(described.id)
        parsed = engine.parse(text, tuple(tables), tuple(called))
        assert parsed.name_en and not CJK.search(parsed.name_en), described.id
        for spec in parsed.spec.task_specs.values():
            if spec.__class__.__name__ == "UserTask":
                english = spec.extensions.get("properties", {}).get("name_en", "")
                assert english and not CJK.search(english), (described.id, spec.name)
