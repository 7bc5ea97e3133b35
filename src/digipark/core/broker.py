"""Broker readiness: speak just enough MQTT 3.1.1 to know a broker answers (CONNECT → CONNACK)."""

from __future__ import annotations

import os
import socket
import struct
from urllib.parse import urlparse

MQTT_DEFAULT_PORT = 1883


def _encode_string(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack("!H", len(data)) + data


def _connect_packet(client_id: str, username: str | None, password: str | None) -> bytes:
    flags = 0x02  # clean session
    payload = _encode_string(client_id)
    if username:
        flags |= 0x80
        payload += _encode_string(username)
        if password:
            flags |= 0x40
            payload += _encode_string(password)
    variable = _encode_string("MQTT") + bytes([4, flags]) + struct.pack("!H", 10)
    body = variable + payload
    return bytes([0x10, len(body)]) + body  # bodies here are always < 128 bytes


def probe_mqtt(url: str, timeout: float = 2.0) -> str:
    """'ok' if an MQTT broker answers CONNACK at url, else a short reason."""
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or MQTT_DEFAULT_PORT
    try:
        with socket.create_connection((host, port), timeout=timeout) as conn:
            conn.settimeout(timeout)
            conn.sendall(_connect_packet(f"digipark-probe-{os.getpid()}", parsed.username, parsed.password))
            reply = conn.recv(4)
            conn.sendall(b"\xe0\x00")  # DISCONNECT
    except OSError as exc:
        return f"unreachable: {exc.__class__.__name__}"
    if len(reply) < 4 or reply[0] != 0x20:
        return "not an MQTT broker"
    return "ok" if reply[3] == 0 else f"refused: CONNACK return code {reply[3]}"
