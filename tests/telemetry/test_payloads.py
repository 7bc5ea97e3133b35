"""Telemetry payload parsing: every accepted shape, clear typed errors, and never anything else on any bytes."""

from __future__ import annotations

import json
import math

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digipark.telemetry import payloads
from digipark.telemetry.models import RejectReason
from digipark.telemetry.payloads import BadTimestamp, Format, MalformedPayload, PayloadError, parse

TS = 1_760_000_000_000
NATIVE = "digipark/v1/tok-1/telemetry"


def test_native_object() -> None:
    message = parse(NATIVE, "whoever", orjson.dumps({"ts": TS, "values": {"power_kw": 1.5, "energy_kwh": 10}}))
    assert message.format is Format.NATIVE and message.token == "tok-1"
    assert [(d.device_code, d.entries) for d in message.devices] == [
        (None, [(TS, {"power_kw": 1.5, "energy_kwh": 10})])
    ]


def test_native_list_and_the_flat_shape_for_the_time_of_receipt() -> None:
    body = [{"ts": TS, "values": {"a": 1}}, {"a": 2}, {"ts": TS + 1000, "values": {"b": 3}}]
    message = parse(NATIVE, None, orjson.dumps(body))
    assert message.devices[0].entries == [(TS, {"a": 1}), (None, {"a": 2}), (TS + 1000, {"b": 3})]


@pytest.mark.parametrize("topic", [NATIVE, None, payloads.TB_DEVICE_TOPIC])
def test_a_values_object_without_ts_is_refused_not_stored_at_receipt(topic: str | None) -> None:
    for body in ({"values": {"a": 2}}, [{"ts": TS, "values": {"a": 1}}, {"values": {"a": 2}}]):
        with pytest.raises(BadTimestamp, match='"ts" is missing') as refused:
            parse(topic, "tok", orjson.dumps(body))
        assert refused.value.reason is RejectReason.BAD_TIMESTAMP


@pytest.mark.parametrize(
    ("topic", "body"),
    [
        (NATIVE, b'{"ts": 1760000000000, "values": {}}'),
        (NATIVE, b"{}"),
        (NATIVE, b"[]"),
        (None, b'[{"ts": 1760000000000, "values": {"a": 1}}, {"ts": 1760000001000, "values": {}}]'),
        (payloads.TB_DEVICE_TOPIC, b"{}"),
        (payloads.TB_GATEWAY_TOPIC, b"{}"),
        (payloads.TB_GATEWAY_TOPIC, b'{"M1": []}'),
        (payloads.TB_GATEWAY_TOPIC, b'{"M1": {"ts": 1760000000000, "values": {}}}'),
    ],
)
def test_a_message_without_any_value_is_malformed_so_it_is_counted(topic: str | None, body: bytes) -> None:
    with pytest.raises(MalformedPayload, match=r"empty|names no device") as refused:
        parse(topic, "tok", body)
    assert refused.value.reason is RejectReason.MALFORMED


def test_thingsboard_device_api_shapes() -> None:
    flat = parse(payloads.TB_DEVICE_TOPIC, "tok-2", b'{"temperature": 21.5, "humidity": 40}')
    assert flat.format is Format.THINGSBOARD and flat.token == "tok-2"
    assert flat.devices[0].entries == [(None, {"temperature": 21.5, "humidity": 40})]
    with_ts = parse(payloads.TB_DEVICE_TOPIC, "tok-2", orjson.dumps({"ts": TS, "values": {"temperature": 1}}))
    assert with_ts.devices[0].entries == [(TS, {"temperature": 1})]
    listed = parse(payloads.TB_DEVICE_TOPIC, "tok-2", orjson.dumps([{"ts": TS, "values": {"t": 1}}, {"t": 2}]))
    assert listed.devices[0].entries == [(TS, {"t": 1}), (None, {"t": 2})]


def test_thingsboard_without_username_has_no_token() -> None:
    assert parse(payloads.TB_DEVICE_TOPIC, None, b'{"t": 1}').token is None
    assert parse(payloads.TB_DEVICE_TOPIC, "", b'{"t": 1}').token is None


def test_gateway_shape() -> None:
    body = {"M1": [{"ts": TS, "values": {"power_kw": 1}}, {"ts": TS + 1, "values": {"power_kw": 2}}], "G1": {"x": 3}}
    message = parse(payloads.TB_GATEWAY_TOPIC, "gw-token", orjson.dumps(body))
    assert message.format is Format.GATEWAY and message.token == "gw-token"
    assert [(d.device_code, d.entries) for d in message.devices] == [
        ("M1", [(TS, {"power_kw": 1}), (TS + 1, {"power_kw": 2})]),
        ("G1", [(None, {"x": 3})]),
    ]


def test_http_body_is_native() -> None:
    message = parse(None, "tok-3", orjson.dumps({"ts": TS, "values": {"a": 1}}))
    assert message.format is Format.HTTP and message.token == "tok-3"
    assert message.devices[0].entries == [(TS, {"a": 1})]


def test_integral_float_timestamp_is_accepted() -> None:
    assert parse(NATIVE, None, b'{"ts": 1.76e12, "values": {"a": 1}}').devices[0].entries == [(TS, {"a": 1})]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b'{"ts": "2025-01-01", "values": {"a": 1}}', "integer"),
        (b'{"ts": null, "values": {"a": 1}}', "integer"),
        (b'{"ts": true, "values": {"a": 1}}', "integer"),
        (b'{"ts": 1760000000000.5, "values": {"a": 1}}', "integer"),
        (b'{"ts": 1760000000, "values": {"a": 1}}', "seconds instead of milliseconds"),
        (b'{"ts": -5, "values": {"a": 1}}', "before 2000"),
        (b'{"ts": 99999999999999999, "values": {"a": 1}}', "after 9999"),
    ],
)
def test_bad_timestamps(body: bytes, fragment: str) -> None:
    with pytest.raises(BadTimestamp) as caught:
        parse(NATIVE, None, body)
    assert caught.value.reason is RejectReason.BAD_TIMESTAMP
    assert fragment in caught.value.detail


@pytest.mark.parametrize(
    ("topic", "body", "fragment"),
    [
        (NATIVE, b"not json", "not JSON"),
        (NATIVE, b"\xff\xfe\x00", "not JSON"),
        (NATIVE, b"", "not JSON"),
        (NATIVE, b"42", "object or a list"),
        (NATIVE, b"[1, 2]", "list must hold objects"),
        (NATIVE, b'{"values": [1, 2]}', '"values" must be an object'),
        (NATIVE, b'{"ts": 1760000000000}', '"values" must be an object'),
        (NATIVE, b'{"ts": 1760000000000, "values": {}, "extra": 1}', "unexpected members ['extra']"),
        (payloads.TB_GATEWAY_TOPIC, b'[{"ts": 1760000000000, "values": {}}]', "gateway payload"),
        (payloads.TB_GATEWAY_TOPIC, b'{"M1": 5}', "object or a list"),
        ("some/other/topic", b"{}", "unsupported topic"),
        ("digipark/v1//telemetry", b"{}", "does not name a device token"),
        ("digipark/v1/a/b/telemetry", b"{}", "does not name a device token"),
    ],
)
def test_malformed(topic: str, body: bytes, fragment: str) -> None:
    with pytest.raises(MalformedPayload) as caught:
        parse(topic, "user", body)
    assert caught.value.reason is RejectReason.MALFORMED
    assert fragment in caught.value.detail


def test_non_finite_numbers_are_read_not_rejected_whole() -> None:
    """JSON has no NaN; a device writing it anyway loses only that value (the Ingestor rejects it)."""
    entries = parse(NATIVE, None, b'{"ts": 1760000000000, "values": {"a": NaN, "b": Infinity, "c": 1e999, "d": 1}}')
    values = entries.devices[0].entries[0][1]
    assert math.isnan(values["a"]) and values["b"] == math.inf and values["c"] == math.inf and values["d"] == 1


def test_normalised_round_trips_in_each_format() -> None:
    entries = [(TS, {"a": 1.5, "b": math.inf, "c": "x"}), (TS + 5, {"a": None})]
    for fmt, topic in ((Format.NATIVE, NATIVE), (Format.THINGSBOARD, payloads.TB_DEVICE_TOPIC), (Format.HTTP, None)):
        again = parse(topic, "tok", payloads.normalised(fmt, [(None, entries)]).encode())
        assert again.devices[0].entries == entries
    gateway = payloads.normalised(Format.GATEWAY, [("M1", entries), ("M2", entries[:1])])
    parsed = parse(payloads.TB_GATEWAY_TOPIC, "gw", gateway.encode())
    assert [(d.device_code, d.entries) for d in parsed.devices] == [("M1", entries), ("M2", entries[:1])]


# -- properties ------------------------------------------------------------------------------------------------------
TOPICS = st.sampled_from([NATIVE, payloads.TB_DEVICE_TOPIC, payloads.TB_GATEWAY_TOPIC, None, "x/y"])
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(topic=TOPICS, payload=st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_payload_errors(topic: str | None, payload: bytes) -> None:
    try:
        message = parse(topic, "user", payload)
    except PayloadError as exc:
        assert exc.reason in (RejectReason.MALFORMED, RejectReason.BAD_TIMESTAMP) and exc.detail
    else:
        assert all(isinstance(d.entries, list) for d in message.devices)


@settings(max_examples=400, deadline=None)
@given(topic=TOPICS, data=JSONISH)
def test_arbitrary_json_raises_only_payload_errors(topic: str | None, data: object) -> None:
    payload = json.dumps(data).encode()
    try:
        message = parse(topic, "user", payload)
    except PayloadError as exc:
        assert exc.reason in (RejectReason.MALFORMED, RejectReason.BAD_TIMESTAMP) and exc.detail
    else:
        for device in message.devices:
            for ts, values in device.entries:
                assert ts is None or payloads.MIN_TS_MS <= ts <= payloads.MAX_TS_MS
                assert isinstance(values, dict) and values


@settings(max_examples=200, deadline=None)
@given(
    entries=st.lists(
        st.tuples(
            st.integers(payloads.MIN_TS_MS, payloads.MAX_TS_MS),
            st.dictionaries(st.text(max_size=8), st.floats(allow_nan=False) | st.integers(-(2**63), 2**63), min_size=1),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_normalised_entries_parse_back(entries: list[tuple[int, dict[str, object]]]) -> None:
    body = payloads.normalised(Format.NATIVE, [(None, entries)]).encode()
    assert parse(NATIVE, None, body).devices[0].entries == entries


def test_deeply_nested_input_is_malformed_not_a_crash() -> None:
    with pytest.raises(MalformedPayload):
        parse(NATIVE, None, b"[" * 100_000)
