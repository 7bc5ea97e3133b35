"""Every domain's models, imported so the metadata is complete (Alembic, tests)."""

from digipark.alarms import models as alarms_models  # noqa: F401
from digipark.audit import models as audit_models
from digipark.auth import models as auth_models
from digipark.core.db import Base
from digipark.economy import models as economy_models
from digipark.energy import models as energy_models  # noqa: F401
from digipark.environment import models as environment_models  # noqa: F401
from digipark.evaluation import models as evaluation_models  # noqa: F401
from digipark.registry import models as registry_models
from digipark.safety import models as safety_models  # noqa: F401
from digipark.telemetry import models as telemetry_models
from digipark.transformation import models as transformation_models  # noqa: F401

metadata = Base.metadata

__all__ = ["audit_models", "auth_models", "economy_models", "metadata", "registry_models", "telemetry_models"]
