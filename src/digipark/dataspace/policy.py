"""Usage policies as data: a contract's terms are an ODRL 2.2 `Agreement` (the subset in data/terms.yaml: one
permission to `use` with constraints on purpose, period and count; a duty to `delete` after use; a prohibition to
`distribute`). `agreement` writes the document, `terms` reads it back, `decide` answers one access. The decision
reads only the stored document, so what was agreed is what is enforced."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from importlib import resources
from typing import Any

import yaml


@functools.cache
def vocabulary() -> dict[str, Any]:
    text = resources.files("digipark.dataspace").joinpath("data/terms.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _odrl() -> dict[str, Any]:
    odrl: dict[str, Any] = vocabulary()["odrl"]
    return odrl


class PolicyError(ValueError):
    """A policy document outside the enforced subset (the access is refused, never allowed by default)."""


@dataclasses.dataclass(frozen=True)
class Terms:
    assigner: str
    assignee: str
    target: str
    purposes: frozenset[str]
    start: dt.datetime
    end: dt.datetime
    count: int
    delete_after_use: bool
    no_onward_transfer: bool


@dataclasses.dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # a msgid: "allowed", "purpose not permitted", ...


def urn(kind: str, ident: int | None) -> str:
    return f"urn:digipark:{kind}:{ident}" if ident is not None else f"urn:digipark:{kind}:park"


def agreement(
    *,
    uid: str,
    assigner: str,
    assignee: str,
    target: str,
    purposes: list[str],
    start: dt.datetime,
    end: dt.datetime,
    count: int,
) -> dict[str, Any]:
    """The ODRL document of a contract."""
    odrl = _odrl()
    c = odrl["constraints"]

    def constraint(key: str, value: Any) -> dict[str, Any]:
        return {"leftOperand": c[key]["left_operand"], "operator": c[key]["operator"], "rightOperand": value}

    return {
        "@context": odrl["context"],
        "@type": "Agreement",
        "uid": uid,
        "assigner": assigner,
        "assignee": assignee,
        "permission": [
            {
                "target": target,
                "action": odrl["permission_action"],
                "constraint": [
                    constraint("purpose", sorted(purposes)),
                    constraint("period_start", start.astimezone(dt.UTC).isoformat()),
                    constraint("period_end", end.astimezone(dt.UTC).isoformat()),
                    constraint("count", count),
                ],
                "duty": [{"action": odrl["duty_action"]}],
            }
        ],
        "prohibition": [{"target": target, "action": odrl["prohibition_action"]}],
    }


def terms(document: dict[str, Any]) -> Terms:
    """The enforced terms of an ODRL document; PolicyError when it is not in the subset (a missing constraint is
    not read as "no limit")."""
    odrl = _odrl()
    c = odrl["constraints"]
    try:
        permissions = document["permission"]
        if len(permissions) != 1 or permissions[0]["action"] != odrl["permission_action"]:
            raise PolicyError("exactly one permission to use")
        permission = permissions[0]
        found: dict[tuple[str, str], Any] = {
            (x["leftOperand"], x["operator"]): x["rightOperand"] for x in permission["constraint"]
        }

        def value(key: str) -> Any:
            spec = (c[key]["left_operand"], c[key]["operator"])
            if spec not in found:
                raise PolicyError(f"constraint {spec[0]} {spec[1]} missing")
            return found[spec]

        purposes = value("purpose")
        if not isinstance(purposes, list) or not all(isinstance(p, str) for p in purposes):
            raise PolicyError("purpose must be a list of codes")
        count = value("count")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise PolicyError("count must be a whole number")
        start = dt.datetime.fromisoformat(value("period_start"))
        end = dt.datetime.fromisoformat(value("period_end"))
        duties = {d["action"] for d in permission.get("duty", [])}
        prohibited = {p["action"] for p in document.get("prohibition", [])}
        return Terms(
            assigner=str(document["assigner"]),
            assignee=str(document["assignee"]),
            target=str(permission["target"]),
            purposes=frozenset(purposes),
            start=start,
            end=end,
            count=count,
            delete_after_use=odrl["duty_action"] in duties,
            no_onward_transfer=odrl["prohibition_action"] in prohibited,
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, PolicyError):
            raise
        raise PolicyError(f"not an enforceable policy: {exc}") from exc


def decide(
    policy: Terms, *, active: bool, revoked: bool, used: int, assignee: str, purpose: str, at: dt.datetime
) -> Decision:
    """Whether one access is allowed now: the contract is agreed and not revoked, the caller is the assignee, the
    purpose is permitted, `at` lies in the period, and the count is not used up. The first failing term is the
    reason."""
    if revoked:
        return Decision(False, "contract revoked")
    if not active:
        return Decision(False, "contract not agreed")
    if assignee != policy.assignee:
        return Decision(False, "not the contract's consumer")
    if purpose not in policy.purposes:
        return Decision(False, "purpose not permitted")
    if at < policy.start:
        return Decision(False, "period not yet begun")
    if at >= policy.end:
        return Decision(False, "period ended")
    if used >= policy.count:
        return Decision(False, "download count used up")
    return Decision(True, "allowed")
