"""Syslog lines normalised into events."""

from __future__ import annotations

from digipark.cybersec import syslog


def test_rfc3164_sshd_failure_is_an_auth_failure_with_source_and_user() -> None:
    line = (
        "<38>Oct 30 22:14:15 gw-01 sshd[411]: Failed password for invalid user admin from 203.0.113.9 port 50122 ssh2"
    )
    event = syslog.normalise(line, received=100.0)
    assert event is not None
    assert (event.kind, event.sensor, event.src_ip, event.username, event.at) == (
        "auth_failure",
        "gw-01",
        "203.0.113.9",
        "admin",
        100.0,
    )


def test_rfc5424_firewall_deny_carries_its_time_and_port() -> None:
    line = "<134>1 2026-10-31T02:00:00Z fw-core firewall - - - action=deny src=203.0.113.9 dst=10.0.0.5 dport=3389"
    event = syslog.normalise(line, received=0.0)
    assert event is not None
    assert (event.kind, event.src_ip, event.dst_ip, event.dst_port) == (
        "connection_denied",
        "203.0.113.9",
        "10.0.0.5",
        3389,
    )
    assert event.at > 1.7e9


def test_a_line_that_is_not_syslog_is_refused_and_an_unknown_message_is_other() -> None:
    assert syslog.normalise("hello", received=0.0) is None
    event = syslog.normalise("<13>Oct  1 00:00:00 host app: something else", received=0.0)
    assert event is not None and event.kind == "other"
