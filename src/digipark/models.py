"""Every module's models, imported so the metadata is complete (Alembic, tests)."""

from digipark.core.db import Base
from digipark.core.modules import resolve
from digipark.modules import MODULES

for _module in MODULES:
    for _ref in _module.models:
        resolve(_ref)

metadata = Base.metadata

__all__ = ["metadata"]
