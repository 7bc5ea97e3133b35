"""Device command pages: a safety command sent from an incident's page, refused to its requester's own confirmation
and confirmed by a second person; a device's page with its form and history."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.audit.service import Actor, set_actor
from digipark.devices.models import DeviceCommand
from tests.conftest import World
from tests.devices.test_commands import add_device, add_incident
from tests.web.helpers import form_token, login, visible_text


def test_a_valve_is_closed_from_an_incident_with_a_second_persons_confirmation(
    client: TestClient, world: World, db: Session
) -> None:
    set_actor(db, Actor("t"))
    valve, _ = add_device(db, world.a.park_id, "shutoff_valve")
    incident = add_incident(db, world.a.park_id)
    login(client, "TA-operator")
    assert f"/device-commands?incident_id={incident.id}" in client.get(f"/safety/incidents/{incident.id}").text
    page = client.get(f"/device-commands?incident_id={incident.id}")
    assert page.status_code == 200 and f'value="{valve.id}:close_valve"' in page.text
    token = form_token(page.text)
    missing_reason = client.post(
        "/device-commands/send",
        data={"command": f"{valve.id}:close_valve", "incident_id": incident.id, "reason": " ", "csrf_token": token},
    )
    assert missing_reason.status_code == 422 and "必填" in visible_text(missing_reason.text)
    sent = client.post(
        "/device-commands/send",
        data={
            "command": f"{valve.id}:close_valve",
            "incident_id": incident.id,
            "reason": "储罐区泄漏",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303
    command = db.scalar(select(DeviceCommand).where(DeviceCommand.device_id == valve.id))
    assert command is not None and command.state == "awaiting_confirmation" and command.incident_id == incident.id
    assert command.requested_by == "TA-operator" and command.reason == "储罐区泄漏"
    history = client.get(f"/device-commands?incident_id={incident.id}")
    assert "待确认" in visible_text(history.text)
    own = client.post(f"/device-commands/{command.id}/confirm", data={"approve": "1", "csrf_token": token})
    assert own.status_code == 403
    db.refresh(command)
    assert command.state == "awaiting_confirmation"
    client.cookies.clear()
    login(client, "TA-park_admin")
    page = client.get(f"/device-commands?incident_id={incident.id}")
    confirmed = client.post(
        f"/device-commands/{command.id}/confirm",
        data={"approve": "1", "csrf_token": form_token(page.text)},
        follow_redirects=False,
    )
    assert confirmed.status_code == 303
    db.refresh(command)
    assert command.state == "queued" and command.confirmed_by == "TA-park_admin"


def test_a_device_page_sends_a_command_with_checked_parameters(client: TestClient, world: World, db: Session) -> None:
    set_actor(db, Actor("t"))
    valve, _ = add_device(db, world.a.park_id, "shutoff_valve")
    login(client, "TA-operator")
    page = client.get(f"/devices/{valve.id}/commands")
    token = form_token(page.text)
    form = {"command": f"{valve.id}:set_position", "reason": "调节", "csrf_token": token}
    bad = client.post("/device-commands/send", data={**form, "param_position_pct": "150"})
    assert bad.status_code == 422
    good = client.post("/device-commands/send", data={**form, "param_position_pct": "35"}, follow_redirects=False)
    assert good.status_code == 303
    command = db.scalar(select(DeviceCommand).where(DeviceCommand.device_id == valve.id))
    assert command is not None and command.params == {"position_pct": 35.0} and command.state == "queued"
    assert "排队中" in visible_text(client.get(f"/devices/{valve.id}/commands").text)


def test_a_devices_page_shows_its_field_protocol_connections_and_their_health(
    client: TestClient, world: World, db: Session
) -> None:
    import datetime as dt

    from digipark.devices.models import DeviceBinding

    set_actor(db, Actor("t"))
    meter, _ = add_device(db, world.a.park_id, "electricity_meter")
    db.add_all(
        [
            DeviceBinding(
                park_id=meter.park_id,
                device_id=meter.id,
                protocol="dlt645",
                address="127.0.0.1:8899/202612000001",
                profile="electricity_meter_dlt645",
                last_error="cannot connect to the gateway 127.0.0.1:8899",
            ),
            DeviceBinding(
                park_id=meter.park_id,
                device_id=meter.id,
                protocol="opcua",
                address="opc.tcp://127.0.0.1:4840/",
                profile="hvac_unit_demo",
                last_ok_at=dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC),
            ),
        ]
    )
    db.flush()
    login(client, "TA-operator")
    text = visible_text(client.get(f"/devices/{meter.id}/commands").text)
    assert "现场协议连接" in text and "DL/T 645" in text and "OPC UA" in text
    assert "cannot connect to the gateway 127.0.0.1:8899" in text and "从未" in text
    from tests.conftest import bearer

    answer = client.get(f"/api/v1/devices/{meter.id}/connections", headers=bearer(world.a.tokens["operator"]))
    assert answer.status_code == 200
    assert [(c["protocol"], c["last_error"] is None) for c in answer.json()] == [("dlt645", False), ("opcua", True)]
