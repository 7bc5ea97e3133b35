"""The usage policy: each term allowing and refusing (purpose, period, count, revocation, consumer), and a
document outside the enforced subset refused rather than read as "no limit"."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from digipark.dataspace import policy

START = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
CONSUMER = policy.urn("enterprise", 7)


def _doc(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "uid": policy.urn("contract", 1),
        "assigner": policy.urn("enterprise", 3),
        "assignee": CONSUMER,
        "target": policy.urn("product", 2),
        "purposes": ["maintenance"],
        "start": START,
        "end": START + dt.timedelta(days=10),
        "count": 2,
        **changes,
    }
    return policy.agreement(**values)  # type: ignore[arg-type]


def _decide(terms: policy.Terms, **changes: object) -> policy.Decision:
    values: dict[str, object] = {
        "active": True,
        "revoked": False,
        "used": 0,
        "assignee": CONSUMER,
        "purpose": "maintenance",
        "at": START + dt.timedelta(days=1),
        **changes,
    }
    return policy.decide(terms, **values)  # type: ignore[arg-type]


def test_the_document_is_odrl_and_reads_back_as_its_terms() -> None:
    doc = _doc()
    assert doc["@type"] == "Agreement" and doc["@context"] == policy.vocabulary()["odrl"]["context"]
    terms = policy.terms(doc)
    assert terms.purposes == {"maintenance"} and terms.count == 2 and terms.assignee == CONSUMER
    assert terms.delete_after_use and terms.no_onward_transfer
    assert _decide(terms) == policy.Decision(True, "allowed")


def test_purpose() -> None:
    terms = policy.terms(_doc(purposes=["maintenance", "research"]))
    assert _decide(terms, purpose="research").allowed
    assert _decide(terms, purpose="carbon_accounting") == policy.Decision(False, "purpose not permitted")


def test_period() -> None:
    terms = policy.terms(_doc())
    assert _decide(terms, at=START).allowed  # the start is inside
    assert _decide(terms, at=START - dt.timedelta(seconds=1)) == policy.Decision(False, "period not yet begun")
    assert _decide(terms, at=START + dt.timedelta(days=10, seconds=-1)).allowed
    assert _decide(terms, at=START + dt.timedelta(days=10)) == policy.Decision(False, "period ended")


def test_count() -> None:
    terms = policy.terms(_doc(count=2))
    assert _decide(terms, used=1).allowed
    assert _decide(terms, used=2) == policy.Decision(False, "download count used up")


def test_revocation_and_agreement() -> None:
    terms = policy.terms(_doc())
    assert _decide(terms, revoked=True, active=False) == policy.Decision(False, "contract revoked")
    assert _decide(terms, active=False) == policy.Decision(False, "contract not agreed")


def test_only_the_assignee() -> None:
    terms = policy.terms(_doc())
    assert _decide(terms, assignee=policy.urn("enterprise", 8)) == policy.Decision(False, "not the contract's consumer")


@pytest.mark.parametrize("drop", ["purpose", "count", "dateTime"])
def test_a_missing_constraint_is_not_read_as_no_limit(drop: str) -> None:
    doc = _doc()
    broken = copy.deepcopy(doc)
    permission = broken["permission"][0]  # type: ignore[index]
    permission["constraint"] = [c for c in permission["constraint"] if c["leftOperand"] != drop]
    with pytest.raises(policy.PolicyError):
        policy.terms(broken)


def test_a_negative_or_non_integer_count_is_refused() -> None:
    for value in (-1, "3", 2.5, True):
        doc = _doc()
        for c in doc["permission"][0]["constraint"]:  # type: ignore[index]
            if c["leftOperand"] == "count":
                c["rightOperand"] = value
        with pytest.raises(policy.PolicyError):
            policy.terms(doc)
