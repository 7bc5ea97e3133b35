"""Tenancy markers on models; the scope helper in `digipark.auth.scope` reads them."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


class Visibility(enum.StrEnum):
    """Who inside a park may read a kind of row."""

    PARK = "park"  # every member of the park (the twin's public skeleton: zones, buildings, floors)
    STAFF = "staff"  # park staff and reviewers only
    ENTERPRISE = "enterprise"  # park staff, reviewers, and the owning enterprise's own users


class ParkScoped:
    """A row that belongs to one park."""

    __visibility__: Visibility = Visibility.STAFF

    @declared_attr
    def park_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("park.id", ondelete="RESTRICT"), index=True)


class EnterpriseScoped(ParkScoped):
    """A row that may belong to an enterprise of the park (None: owned by the park itself)."""

    __visibility__ = Visibility.ENTERPRISE

    @declared_attr
    def enterprise_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"), index=True, nullable=True)


class Audited:
    """Every insert, update and delete of this model is written to the audit log."""

    __audit_exclude__: frozenset[str] = frozenset()
