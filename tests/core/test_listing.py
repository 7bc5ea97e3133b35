"""The one list helper: filters, escaped search, sorting on several keys, paging totals, bad input."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.core.codes import make_uscc
from digipark.core.errors import ValidationFailed, install_problem_handlers
from digipark.core.listing import MAX_PAGE_SIZE, ListQuery, ListSpec
from digipark.registry import service as registry
from digipark.registry.models import Enterprise

SPEC = ListSpec(
    filters={
        "park_id": Enterprise.park_id,
        "industry_code": Enterprise.industry_code,
        "above_scale": Enterprise.above_scale,
        "employees": Enterprise.employees,
        "established_on": Enterprise.established_on,
    },
    search=[Enterprise.name, Enterprise.name_en],
    sort={"id": Enterprise.id, "name": Enterprise.name, "employees": Enterprise.employees},
)

# name, name_en, industry, above_scale, employees
ROWS = [
    ("plain", None, "3311", True, 10),
    ("100%纯", None, "3311", False, 30),
    ("a_b", None, "3312", True, 20),
    ("axb", None, "3312", False, 20),
    ("a%b", "Back\\slash", "3311", False, 40),
    ("PLAIN upper", None, "3312", True, 10),
]


@pytest.fixture
def park_id(db: Session) -> int:
    park = registry.create_park(db, code="LIST", name="列表园区", region_code="320500")
    for i, (name, name_en, industry, above_scale, employees) in enumerate(ROWS):
        db.add(
            Enterprise(
                park_id=park.id,
                name=name,
                name_en=name_en,
                uscc=make_uscc("9", "1", "320500", f"LT{i:06d}"),
                industry_code=industry,
                above_scale=above_scale,
                employees=employees,
                established_on=dt.date(2020, 1, 1 + i),
            )
        )
    db.flush()
    return park.id


def run(db: Session, park_id: int, **kwargs: Any) -> tuple[list[str], int]:
    query = ListQuery(**kwargs)
    query.filters = {"park_id": park_id, **query.filters}
    rows, total = SPEC.apply(db, select(Enterprise), query)
    return [row.name for row in rows], total


def test_filters_combine(db: Session, park_id: int) -> None:
    names, total = run(db, park_id, filters={"industry_code": "3312"})
    assert (sorted(names), total) == (["PLAIN upper", "a_b", "axb"], 3)
    names, total = run(db, park_id, filters={"industry_code": "3312", "above_scale": True})
    assert (sorted(names), total) == (["PLAIN upper", "a_b"], 2)
    assert run(db, park_id, filters={"employees": 20}, sort="name") == (["a_b", "axb"], 2)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("%", ["100%纯", "a%b"]),  # a literal percent, not "anything"
        ("_", ["a_b"]),  # a literal underscore, not "any one character"
        ("a_b", ["a_b"]),
        ("a%", ["a%b"]),
        ("plain", ["PLAIN upper", "plain"]),  # case-insensitive
        ("\\", ["a%b"]),  # a backslash (in name_en) is matched literally too
        ("slash", ["a%b"]),  # every search column is searched
        ("nothing-like-this", []),
        ("纯", ["100%纯"]),  # no cased letter: matched case-sensitively, same rows
        ("100%", ["100%纯"]),
    ],
)
def test_search_is_literal_and_case_insensitive(db: Session, park_id: int, q: str, expected: list[str]) -> None:
    names, total = run(db, park_id, q=q)
    assert sorted(names) == sorted(expected)
    assert total == len(expected)


def test_sort_ascending_descending_and_several_keys(db: Session, park_id: int) -> None:
    assert run(db, park_id, sort="name")[0] == sorted(name for name, *_ in ROWS)
    assert run(db, park_id, sort="-id")[0] == [name for name, *_ in reversed(ROWS)]
    names, _ = run(db, park_id, sort="-employees,name")
    assert names == ["a%b", "100%纯", "a_b", "axb", "PLAIN upper", "plain"]
    names, _ = run(db, park_id, sort="employees, -name")
    assert names == ["plain", "PLAIN upper", "axb", "a_b", "100%纯", "a%b"]
    assert run(db, park_id)[0] == [name for name, *_ in ROWS]  # default: by id


def test_paging_totals(db: Session, park_id: int) -> None:
    everything = [name for name, *_ in ROWS]
    assert run(db, park_id, page=1, page_size=4) == (everything[:4], 6)
    assert run(db, park_id, page=2, page_size=4) == (everything[4:], 6)
    assert run(db, park_id, page=3, page_size=4) == ([], 6)  # past the end: empty page, true total
    assert run(db, park_id, page=2, page_size=2, filters={"industry_code": "3311"}) == (["a%b"], 3)


def test_all_rows_ignores_paging_but_keeps_filter_and_order(db: Session, park_id: int) -> None:
    query = ListQuery(page=2, page_size=1, sort="-employees,name", filters={"park_id": park_id, "above_scale": True})
    assert [r.name for r in SPEC.all_rows(db, select(Enterprise), query)] == ["a_b", "PLAIN upper", "plain"]


def test_unknown_sort_field_is_a_field_error(db: Session, park_id: int) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        run(db, park_id, sort="name,-password_hash")
    error = excinfo.value.errors[0]
    assert error["field"] == "sort" and "password_hash" in error["reason"]
    assert error["allowed"] == ["employees", "id", "name"]


def test_parse_query_converts_and_collects_every_error() -> None:
    query = SPEC.parse_query(
        {
            "page": "2",
            "page_size": "10",
            "sort": "-name",
            "q": "x",
            "above_scale": "true",
            "employees": "7",
            "established_on": "2021-03-04",
            "industry_code": "",
            "unknown": "ignored",
        }
    )
    assert (query.page, query.page_size, query.sort, query.q) == (2, 10, "-name", "x")
    assert query.filters == {"above_scale": True, "employees": 7, "established_on": dt.date(2021, 3, 4)}
    with pytest.raises(ValidationFailed) as excinfo:
        SPEC.parse_query(
            {
                "page": "two",
                "page_size": str(MAX_PAGE_SIZE + 1),
                "above_scale": "maybe",
                "employees": "many",
                "established_on": "2021-13-01",
            }
        )
    fields = {e["field"] for e in excinfo.value.errors}
    assert fields == {"page", "page_size", "above_scale", "employees", "established_on"}
    with pytest.raises(ValidationFailed):
        SPEC.parse_query({"page": "0"})
    with pytest.raises(ValidationFailed) as excinfo:  # beyond the INTEGER column
        SPEC.parse_query({"employees": str(2**31)})
    assert excinfo.value.errors == [{"field": "employees", "reason": "not a valid int"}]


def test_dependency_validates_query_parameters() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/items")
    def items(query: Annotated[ListQuery, Depends(SPEC.dependency())]) -> dict[str, Any]:
        return {"page": query.page, "page_size": query.page_size, "filters": query.filters, "sort": query.sort}

    client = TestClient(app)
    body = client.get("/items", params={"page": 3, "above_scale": "false", "employees": 5}).json()
    assert body == {"page": 3, "page_size": 50, "filters": {"above_scale": False, "employees": 5}, "sort": None}
    for params, field in (
        ({"page_size": MAX_PAGE_SIZE + 1}, "page_size"),
        ({"page": 0}, "page"),
        ({"employees": "many"}, "employees"),
        ({"sort": "x" * 201}, "sort"),
        ({"employees": 2**63}, "employees"),
        ({"employees": -(2**63) - 1}, "employees"),
    ):
        response = client.get("/items", params=params)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in response.json()["errors"]] == [field]
    assert "one of: employees, id, name" in (SPEC.sort_help())
