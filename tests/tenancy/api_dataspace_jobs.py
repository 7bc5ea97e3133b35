"""Data space's collection jobs (/api/v1/dataspace/jobs): a job of park A's enterprise 0 is read by its enterprise
and the park's staff, changed and run by its enterprise (and staff), and neither seen nor touched by park B or by
another enterprise of park A; read-only roles cannot make one."""

from __future__ import annotations

from typing import Any

from tests.tenancy.helpers import API, B_ROLES, Ctx, Exercise, all_attackers, assert_problem

_JOBS = f"{API}/dataspace/jobs"
_JOB = f"{_JOBS}/{{ident}}"


def _body() -> dict[str, Any]:
    return {"name": "secret meters", "source": "upload", "rows": [{"kwh": 1}], "every_minutes": 60}


def ds_job(ctx: Ctx) -> int:
    response = ctx.call("POST", _JOBS, "enterprise", json=_body())
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def check_create(ctx: Ctx) -> None:
    for role in ("reviewer", "resident"):
        assert_problem(ctx.call("POST", _JOBS, role, json=_body()), 403)
    assert ctx.call("POST", _JOBS, "enterprise", json=_body()).status_code == 201


def check_list(ctx: Ctx) -> None:
    ident = ds_job(ctx)
    for park, role in [("b", r) for r in B_ROLES] + [("a", "enterprise2"), ("a", "resident")]:
        response = ctx.call("GET", _JOBS, role, park)
        if response.status_code == 200:
            assert ident not in [j["id"] for j in response.json()], (park, role)
        else:
            assert_problem(response, 403)
    for role in ("enterprise", "park_admin"):
        assert ident in [j["id"] for j in ctx.call("GET", _JOBS, role).json()], role


def _read(suffix: str) -> Exercise:
    def check(ctx: Ctx) -> None:
        url = f"{_JOBS}/{ds_job(ctx)}{suffix}"
        for park, role in [("b", r) for r in B_ROLES] + [("a", "enterprise2"), ("a", "resident")]:
            assert_problem(ctx.call("GET", url, role, park), 403, 404)
        for role in ("enterprise", "park_admin", "reviewer"):
            assert ctx.call("GET", url, role).status_code == 200, role

    return check


def _write(method: str, suffix: str, body: Any, ok: int) -> Exercise:
    def check(ctx: Ctx) -> None:
        ident = ds_job(ctx)
        url = f"{_JOBS}/{ident}{suffix}"
        for park, role in all_attackers():
            if park == "a" and role == "enterprise":
                continue
            assert_problem(ctx.call(method, url, role, park, json=body), 403, 404)
        got = ctx.call("GET", f"{_JOBS}/{ident}", "enterprise").json()
        assert got["every_minutes"] == 60 and got["active"]
        assert ctx.call("GET", f"{_JOBS}/{ident}/runs", "enterprise").json() == []
        assert ctx.call(method, url, "enterprise", json=body).status_code == ok

    return check


DS_JOBS: dict[tuple[str, str], Exercise] = {
    ("POST", _JOBS): check_create,
    ("GET", _JOBS): check_list,
    ("GET", _JOB): _read(""),
    ("GET", f"{_JOB}/runs"): _read("/runs"),
    ("PATCH", _JOB): _write("PATCH", "", {"active": False, "every_minutes": 5}, 200),
    ("POST", f"{_JOB}/run"): _write("POST", "/run", None, 202),
}
