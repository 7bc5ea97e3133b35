"""Data space (digipark.dataspace): products, contracts and the connector, the ledger, datasets, identifiers. A
consumer never reads a product without an active contract; nobody outside a contract sees it."""

from __future__ import annotations

from typing import Any

from tests.tenancy.api_dataspace_jobs import DS_JOBS
from tests.tenancy.api_dataspace_ngsi import NGSI
from tests.tenancy.api_dataspace_ngsisub import NGSI_SUBSCRIPTIONS
from tests.tenancy.exercises import IdentAction, IdentView, ident_action, ident_view
from tests.tenancy.helpers import (
    A_READ_ONLY_ROLES,
    API,
    B_ROLES,
    Ctx,
    Exercise,
    all_attackers,
    assert_problem,
    b_denial,
    items_of,
    next_number,
    xlsx,
)

_DS = f"{API}/dataspace"


def _made(response: Any) -> int:
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def ds_dataset(ctx: Ctx, who: str = "enterprise") -> int:
    """A dataset of enterprise 0 of park A (`who`: its owner's role)."""
    body = {"name": f"数据集{next_number(ctx, 'dsd')}", "rows": [{"k": "机密行", "v": 1}]}
    return _made(ctx.call("POST", f"{_DS}/datasets", who, json=body))


def ds_product(ctx: Ctx) -> int:
    """A product of park A itself (staff decide over it)."""
    body = {
        "title": f"园区数据{next_number(ctx, 'dsp')}",
        "source": "dataset",
        "dataset_id": ds_dataset(ctx, "park_admin"),
        "columns": ["k", "v"],
        "purposes": ["research"],
        "max_accesses": 5,
    }
    return _made(ctx.as_a_admin("POST", f"{_DS}/products", json=body))


def ds_requested(ctx: Ctx) -> int:
    """Enterprise 0's request for a product of the park (enterprise 2 is no party)."""
    body = {"purposes": ["research"], "days": 5, "max_accesses": 3}
    return _made(ctx.call("POST", f"{_DS}/products/{ds_product(ctx)}/contracts", "enterprise", json=body))


def ds_agreed(ctx: Ctx) -> int:
    ident = ds_requested(ctx)
    response = ctx.as_a_admin("POST", f"{_DS}/contracts/{ident}/agree")
    assert response.status_code == 200, response.text
    return ident


def _ids(ctx: Ctx, path: str, role: str, park: str = "a") -> set[int]:
    response = ctx.call("GET", f"{_DS}/{path}", role, park)
    if response.status_code != 200:
        assert_problem(response, 403)
        return set()
    return {int(item["id"]) for item in items_of(response.json())}


def check_products(ctx: Ctx) -> None:
    ident = ds_product(ctx)
    for role in B_ROLES:
        assert ident not in _ids(ctx, "products", role, "b"), role
    for role in ("enterprise", "enterprise2", "reviewer"):  # the catalogue is the park's
        assert ident in _ids(ctx, "products", role), role
    assert not _ids(ctx, "products", "resident")


def check_catalog(ctx: Ctx) -> None:
    ident = ds_product(ctx)
    urn = f"urn:digipark:product:{ident}"
    for role in B_ROLES:
        response = ctx.call("GET", f"{_DS}/catalog", role, "b")
        if response.status_code == 200:
            assert urn not in response.text, role
        else:
            assert_problem(response, 403)
    assert urn in ctx.call("GET", f"{_DS}/catalog", "enterprise2").text
    assert_problem(ctx.call("GET", f"{_DS}/catalog", "resident"), 403)


def check_create_product(ctx: Ctx) -> None:
    theirs = ds_dataset(ctx)
    body = {"title": "x", "source": "dataset", "dataset_id": theirs, "columns": ["k"], "purposes": ["research"]}
    for park, role in [("b", r) for r in B_ROLES] + [("a", "enterprise2"), ("a", "reviewer"), ("a", "resident")]:
        assert_problem(ctx.call("POST", f"{_DS}/products", role, park, json=body), 403, 404, 422)
    assert ctx.call("POST", f"{_DS}/products", "enterprise", json=body).status_code == 201


def check_request(ctx: Ctx) -> None:
    product = ds_product(ctx)
    url = f"{_DS}/products/{product}/contracts"
    body = {"purposes": ["research"], "days": 5, "max_accesses": 1}
    for park, role in [("b", r) for r in B_ROLES] + [("a", r) for r in ("reviewer", "resident", "park_admin")]:
        # staff hold no permission to consume (403); park B's enterprise does not find the product (404)
        assert_problem(ctx.call("POST", url, role, park, json=body), *((403, 404) if park == "b" else (403,)))
    assert ctx.call("POST", url, "enterprise2", json=body).status_code == 201


def check_contracts(ctx: Ctx) -> None:
    ident = ds_requested(ctx)
    for role in B_ROLES:
        assert ident not in _ids(ctx, "contracts", role, "b"), role
    for role in ("enterprise2", "resident"):  # no party to it
        assert ident not in _ids(ctx, "contracts", role), role
    for role in ("enterprise", "reviewer", "operator"):
        assert ident in _ids(ctx, "contracts", role), role


def check_access(ctx: Ctx) -> None:
    """Only the consumer downloads, only under the agreed terms; the others never see the data."""
    requested = ds_requested(ctx)
    url = f"{_DS}/contracts/{requested}/access"
    body = {"purpose": "research"}
    response = ctx.call("POST", url, "enterprise", json=body)
    assert_problem(response, 403)  # no active contract yet: refused
    ident = ds_agreed(ctx)
    url = f"{_DS}/contracts/{ident}/access"
    for park, role in all_attackers():
        if park == "a" and role == "enterprise":
            continue
        response = ctx.call("POST", url, role, park, json=body)
        assert_problem(response, *(b_denial(role) if park == "b" else (403, 404)))
        assert "机密行" not in response.text
    assert_problem(ctx.as_a_admin("POST", url, json=body), 403)  # staff read the contract, not the data
    got = ctx.call("POST", url, "enterprise", json=body)
    assert got.status_code == 200 and "机密行" in got.text


def check_lists_of_own_rows(path: str) -> Exercise:
    def check(ctx: Ctx) -> None:
        if path == "datasets":
            ident = ds_dataset(ctx)
        else:
            ident = _made(
                ctx.call(
                    "POST",
                    f"{_DS}/identifiers",
                    "enterprise",
                    json={"handle": f"88.131.1/T-{next_number(ctx, 'dsi')}", "kind": "product", "name": "件"},
                )
            )
        for role in B_ROLES:
            assert ident not in _ids(ctx, path, role, "b"), role
        assert ident in _ids(ctx, path, "enterprise")
        if path == "datasets":
            assert ident not in _ids(ctx, path, "enterprise2")

    return check


def check_create_dataset(ctx: Ctx) -> None:
    body = {"name": "x", "rows": [{"a": 1}]}
    for role in ("reviewer", "resident"):
        assert_problem(ctx.call("POST", f"{_DS}/datasets", role, json=body), 403)
    assert ctx.call("POST", f"{_DS}/datasets", "enterprise", json=body).status_code == 201


def check_derive(ctx: Ctx) -> None:
    body = {"name": "x", "inputs": [ds_dataset(ctx)]}
    for park, role in [("b", r) for r in B_ROLES] + [("a", r) for r in A_READ_ONLY_ROLES if r != "enterprise"]:
        assert_problem(ctx.call("POST", f"{_DS}/datasets/derive", role, park, json=body), 403, 404, 422)
    assert ctx.call("POST", f"{_DS}/datasets/derive", "enterprise", json=body).status_code == 201


def check_register(ctx: Ctx) -> None:
    def body() -> dict[str, Any]:
        return {"handle": f"88.131.2/R-{next_number(ctx, 'dsr')}", "kind": "batch", "name": "批"}

    for role in ("reviewer", "resident"):
        assert_problem(ctx.call("POST", f"{_DS}/identifiers", role, json=body()), 403)
    # naming another park's device is refused
    device = {**body(), "device_id": ctx.world.a.device_ids[1]}
    for role in ("park_admin", "enterprise"):
        assert_problem(ctx.call("POST", f"{_DS}/identifiers", role, "b", json=device), 403, 404, 422)
    assert ctx.as_a_admin("POST", f"{_DS}/identifiers", json=device).status_code == 201


def check_resolve(ctx: Ctx) -> None:
    handle = f"88.131.3/S-{next_number(ctx, 'dss')}"
    _made(
        ctx.call("POST", f"{_DS}/identifiers", "enterprise", json={"handle": handle, "kind": "product", "name": "件"})
    )
    url = f"{_DS}/identifiers/resolve"
    for role in B_ROLES:
        assert_problem(ctx.call("GET", url, role, "b", params={"handle": handle}), 403, 404)
    assert_problem(ctx.call("GET", url, "resident", params={"handle": handle}), 403)
    assert ctx.call("GET", url, "enterprise2", params={"handle": handle}).status_code == 200


def check_statistics(ctx: Ctx) -> None:
    url = f"{_DS}/identifiers/statistics"
    before = {role: ctx.call("GET", url, role, "b").json() for role in ("park_admin", "enterprise")}
    _made(
        ctx.call(
            "POST",
            f"{_DS}/identifiers",
            "enterprise",
            json={"handle": f"88.131.4/Q-{next_number(ctx, 'dsq')}", "kind": "product", "name": "件"},
        )
    )
    for role, seen in before.items():
        assert ctx.call("GET", url, role, "b").json() == seen, role
    assert_problem(ctx.call("GET", url, "resident"), 403)
    assert ctx.as_a_admin("GET", url).json()["registered"] >= 1


def check_keys(ctx: Ctx) -> None:
    ident = ds_agreed(ctx)
    url = f"{_DS}/contracts/{ident}/keys"
    body = {"purposes": ["research"], "daily_quota": 5}
    for park, role in all_attackers():
        if park == "a" and role == "enterprise":
            continue
        assert_problem(ctx.call("POST", url, role, park, json=body), *(b_denial(role) if park == "b" else (403, 404)))
    assert_problem(ctx.as_a_admin("POST", url, json=body), 403)  # staff are not the consumer
    assert ctx.call("POST", url, "enterprise", json=body).status_code == 201


def check_connector(ctx: Ctx) -> None:
    """A login is no key: every user without the contract's key is refused, whoever they are."""
    ident = ds_agreed(ctx)
    made = ctx.call("POST", f"{_DS}/contracts/{ident}/keys", "enterprise", json={"purposes": ["research"]})
    assert made.status_code == 201, made.text
    url = f"{_DS}/connector/{ident}"
    for park, role in [*all_attackers(), ("a", "park_admin"), ("a", "enterprise")]:
        response = ctx.call("GET", url, role, park, params={"purpose": "research"})
        assert_problem(response, 401)
        assert "机密行" not in response.text
    other = ds_agreed(ctx)
    key = {"X-Api-Key": made.json()["key"]}
    assert_problem(ctx.client.get(f"{_DS}/connector/{other}", params={"purpose": "research"}, headers=key), 403)
    got = ctx.client.get(url, params={"purpose": "research"}, headers=key)
    assert got.status_code == 200 and "机密行" in got.text


def check_import(ctx: Ctx) -> None:
    """Bulk registration: reviewers and residents may not; each park registers into its own; nothing of park A's
    is named by a sheet (identifiers are new rows), so park B's import never lands in park A."""
    n = next_number(ctx, "dsx")
    files = {"file": ("ids.xlsx", xlsx(["标识", "类别", "名称"], [[f"88.131.9/X-{n}", "产品", "件"]]))}
    for role in ("reviewer", "resident"):
        assert_problem(ctx.call("POST", f"{_DS}/identifiers/import", role, files=files), 403)
    for park, role in (("a", "enterprise"), ("b", "park_admin")):
        n = next_number(ctx, "dsx")
        sheet = {"file": ("ids.xlsx", xlsx(["标识", "类别", "名称"], [[f"88.131.9/{park}-{n}", "产品", "件"]]))}
        response = ctx.call("POST", f"{_DS}/identifiers/import", role, park, files=sheet)
        assert response.status_code == 200 and response.json()["created"] == 1, response.text
    b_handles = {i["handle"] for i in items_of(ctx.call("GET", f"{_DS}/identifiers", "park_admin", "b").json())}
    a_handles = {i["handle"] for i in items_of(ctx.as_a_admin("GET", f"{_DS}/identifiers").json())}
    assert not b_handles & a_handles


DATASPACE: dict[tuple[str, str], Exercise] = {
    **NGSI,
    **NGSI_SUBSCRIPTIONS,
    **DS_JOBS,
    ("POST", f"{_DS}/identifiers/import"): check_import,
    ("POST", f"{_DS}/contracts/{{ident}}/keys"): check_keys,
    ("GET", f"{_DS}/connector/{{ident}}"): check_connector,
    ("GET", f"{_DS}/catalog"): check_catalog,
    ("GET", f"{_DS}/products"): check_products,
    ("POST", f"{_DS}/products"): check_create_product,
    ("GET", f"{_DS}/products/{{ident}}"): lambda ctx: ident_view(
        IdentView("dataspace/products/{ident}", ds_product, readers=frozenset({"enterprise", "enterprise2"})), ctx
    ),
    ("POST", f"{_DS}/products/{{ident}}/withdraw"): lambda ctx: ident_action(
        IdentAction("dataspace/products/{ident}/withdraw", ds_product, None), ctx
    ),
    ("POST", f"{_DS}/products/{{ident}}/contracts"): check_request,
    ("GET", f"{_DS}/contracts"): check_contracts,
    ("GET", f"{_DS}/contracts/{{ident}}"): lambda ctx: ident_view(
        IdentView("dataspace/contracts/{ident}", ds_requested, readers=frozenset({"enterprise"})), ctx
    ),
    ("POST", f"{_DS}/contracts/{{ident}}/agree"): lambda ctx: ident_action(
        IdentAction("dataspace/contracts/{ident}/agree", ds_requested, None), ctx
    ),
    ("POST", f"{_DS}/contracts/{{ident}}/reject"): lambda ctx: ident_action(
        IdentAction("dataspace/contracts/{ident}/reject", ds_requested, None), ctx
    ),
    ("POST", f"{_DS}/contracts/{{ident}}/revoke"): lambda ctx: ident_action(
        IdentAction("dataspace/contracts/{ident}/revoke", ds_agreed, None), ctx
    ),
    ("POST", f"{_DS}/contracts/{{ident}}/access"): check_access,
    ("GET", f"{_DS}/contracts/{{ident}}/ledger"): lambda ctx: ident_view(
        IdentView("dataspace/contracts/{ident}/ledger", ds_agreed, readers=frozenset({"enterprise"})), ctx
    ),
    ("GET", f"{_DS}/datasets"): check_lists_of_own_rows("datasets"),
    ("POST", f"{_DS}/datasets"): check_create_dataset,
    ("POST", f"{_DS}/datasets/derive"): check_derive,
    ("GET", f"{_DS}/datasets/{{ident}}"): lambda ctx: ident_view(
        IdentView("dataspace/datasets/{ident}", ds_dataset, readers=frozenset({"enterprise"})), ctx
    ),
    ("GET", f"{_DS}/datasets/{{ident}}/lineage"): lambda ctx: ident_view(
        IdentView("dataspace/datasets/{ident}/lineage", ds_dataset, readers=frozenset({"enterprise"})), ctx
    ),
    ("GET", f"{_DS}/datasets/{{ident}}/card"): lambda ctx: ident_view(
        IdentView("dataspace/datasets/{ident}/card", ds_dataset, readers=frozenset({"enterprise"})), ctx
    ),
    ("GET", f"{_DS}/datasets/{{ident}}/snapshot.parquet"): lambda ctx: ident_view(
        IdentView("dataspace/datasets/{ident}/snapshot.parquet", ds_dataset, readers=frozenset({"enterprise"})), ctx
    ),
    ("GET", f"{_DS}/datasets/{{ident}}/snapshot.csv"): lambda ctx: ident_view(
        IdentView("dataspace/datasets/{ident}/snapshot.csv", ds_dataset, readers=frozenset({"enterprise"})), ctx
    ),
    ("GET", f"{_DS}/identifiers"): check_lists_of_own_rows("identifiers"),
    ("POST", f"{_DS}/identifiers"): check_register,
    ("GET", f"{_DS}/identifiers/resolve"): check_resolve,
    ("GET", f"{_DS}/identifiers/statistics"): check_statistics,
}
