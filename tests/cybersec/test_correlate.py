"""Each correlation rule with a case that makes an incident and a case that does not (in memory)."""

from __future__ import annotations

from digipark.cybersec import reference
from digipark.cybersec.correlate import Correlator, Event

RULES = reference.rules()
BF = RULES["brute_force"]
PS = RULES["port_scan"]


def _failures(n: int, *, src: str = "10.1.2.3", step: float = 1.0, start: float = 1000.0) -> list[Event]:
    return [Event(start + i * step, "auth_failure", "fw1", src, "10.0.0.1", 22, "root") for i in range(n)]


def _feed(c: Correlator, events: list[Event]) -> list[str]:
    return [m.rule for e in events for m in c.feed(e)]


def test_brute_force_burst_from_one_source_matches_at_the_threshold() -> None:
    c = Correlator()
    threshold = int(BF["threshold"])
    events = _failures(threshold)
    found = [m for e in events for m in c.feed(e)]
    assert [m.rule for m in found] == ["brute_force"]
    assert found[0].key == "10.1.2.3" and len(found[0].events) == threshold


def test_brute_force_failures_spread_beyond_the_window_do_not_match() -> None:
    spread = float(BF["window_s"]) / (int(BF["threshold"]) - 1) + 1
    assert _feed(Correlator(), _failures(int(BF["threshold"]) * 2, step=spread)) == []


def test_brute_force_failures_from_different_sources_do_not_add_up() -> None:
    events = [e for i in range(int(BF["threshold"]) - 1) for e in _failures(1, src=f"10.9.0.{i}", start=1000 + i)]
    events += _failures(int(BF["threshold"]) - 1, src="10.9.9.9")
    assert _feed(Correlator(), events) == []


def test_brute_force_of_platform_logins_is_keyed_by_user_name() -> None:
    events = [
        Event(1000 + i, "auth_failure", "digipark", None, None, None, "admin") for i in range(int(BF["threshold"]))
    ]
    c = Correlator()
    found = [m for e in events for m in c.feed(e)]
    assert [(m.rule, m.key) for m in found] == [("brute_force", "user:admin")]


def test_port_scan_matches_many_ports_of_one_source() -> None:
    n = int(PS["distinct_ports"])
    events = [Event(1000 + i * 0.1, "connection_denied", "fw1", "203.0.113.7", "10.0.0.5", 1000 + i) for i in range(n)]
    assert _feed(Correlator(), events) == ["port_scan"]


def test_port_scan_does_not_match_many_connections_to_few_ports() -> None:
    n = int(PS["distinct_ports"])
    events = [
        Event(1000 + i * 0.1, "connection", "fw1", "10.0.0.8", "10.0.0.5", (443, 80)[i % 2]) for i in range(n * 3)
    ]
    assert _feed(Correlator(), events) == []


def test_bad_address_matches_a_listed_network_and_nothing_else() -> None:
    c = Correlator(bad_networks=["198.51.100.0/24"])
    assert _feed(c, [Event(1, "connection", "fw1", "10.0.0.3", "198.51.100.20", 443)]) == ["bad_address"]
    assert _feed(c, [Event(2, "connection", "fw1", "10.0.0.3", "198.51.101.20", 443)]) == []


def test_ics_asset_talking_to_the_internet_matches_public_peers_only() -> None:
    c = Correlator(ics_assets={"10.20.0.5": (7, 3)})
    found = c.feed(Event(1, "connection", "fw1", "10.20.0.5", "8.8.8.8", 443))
    assert [(m.rule, m.key, m.enterprise_id) for m in found] == [("ics_internet", "10.20.0.5", 3)]
    assert c.feed(Event(2, "connection", "fw1", "10.20.0.5", "10.20.0.9", 502)) == []
    assert c.feed(Event(3, "connection", "fw1", "10.20.0.6", "8.8.8.8", 443)) == []


def test_sources_gone_quiet_are_forgotten_and_a_burst_still_matches_after() -> None:
    c = Correlator()
    window = max(float(BF["window_s"]), float(PS["window_s"]))
    for i in range(2000):
        c.feed(Event(1000.0 + i * 0.001, "auth_failure", "fw1", f"10.{i // 250}.{i % 250}.1", "10.0.0.1", 22, "root"))
    assert c.tracked_sources() == 2000
    later = 1000.0 + 2 * window + 1
    found = _feed(c, _failures(int(BF["threshold"]), start=later))
    assert c.tracked_sources() == 1
    assert found == ["brute_force"]
