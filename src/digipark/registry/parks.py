"""Parks made and edited by a platform administrator (`User.is_platform_admin`): every park of the deployment,
whatever the administrator's own park. A park's own staff edit their park through the registry's `park` kind (its
scope); creating a park, and editing another park, is the platform administrator's alone (or the CLI's, run by the
operator of the deployment). Audited like every registry write (`Park` is `Audited`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.models import User
from digipark.core.errors import NotFound, PermissionDenied, field_error
from digipark.core.events import queue_event
from digipark.registry.models import Park
from digipark.registry.schemas import ParkCreate, ParkPlatformUpdate
from digipark.registry.service import RegistryChanged, create_park


def require_platform_admin(user: User) -> None:
    if not user.is_platform_admin:
        raise PermissionDenied("only a platform administrator creates and edits parks")


def list_parks(session: Session, *, user: User) -> list[Park]:
    require_platform_admin(user)
    return list(session.scalars(select(Park).order_by(Park.code)))


def get_park(session: Session, *, user: User, ident: int) -> Park:
    require_platform_admin(user)
    park = session.get(Park, ident)
    if park is None:
        raise NotFound(f"park {ident} not found")
    return park


def create(session: Session, *, user: User | None, data: ParkCreate) -> Park:
    """A new park; `user` None: the deployment's operator (CLI)."""
    if user is not None:
        require_platform_admin(user)
    values = data.model_dump(exclude={"code", "name", "region_code"})
    park = create_park(session, code=data.code, name=data.name, region_code=data.region_code, **values)
    queue_event(session, RegistryChanged(park_id=park.id, kind="park", action="create", row_id=park.id))
    return park


def update(session: Session, *, user: User | None, ident: int, data: ParkPlatformUpdate) -> Park:
    """Change a park; `user` None: the deployment's operator (CLI)."""
    if user is not None:
        require_platform_admin(user)
    park = session.get(Park, ident)
    if park is None:
        raise NotFound(f"park {ident} not found")
    values = data.model_dump(exclude_unset=True)
    for required in ("name", "region_code"):
        if required in values and values[required] is None:
            raise field_error(required, "required: it cannot be emptied")
    for name, value in values.items():
        setattr(park, name, value)
    session.flush()
    queue_event(session, RegistryChanged(park_id=park.id, kind="park", action="update", row_id=park.id))
    return park
