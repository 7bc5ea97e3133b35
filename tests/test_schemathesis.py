"""Property-based fuzzing of the whole OpenAPI surface with schemathesis, as park A's admin.

The examples are the same on every run and machine (the fixed seed and settings of tests/conftest.py); the
randomised run is `DIGIPARK_HYPOTHESIS_RANDOM=1 ./dev test tests/test_schemathesis.py` (docs/dev/testing.md).

Every operation of /api/openapi.json gets generated valid and invalid requests; none may answer 5xx, and
every 2xx answer must match its documented response schema. Writes happen inside the `db` fixture's
transaction (the app's sessions share its connection), so nothing persists.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy.orm import Session

from digipark.app import create_app
from tests.conftest import HYPOTHESIS_RANDOM, HYPOTHESIS_SEED, World, bearer

APP = create_app()
APP.openapi()  # built (and cached) here: loading it over ASGI below then stays within schemathesis' timeout
schema = schemathesis.openapi.from_asgi("/api/openapi.json", APP)
# Keep the whole run under 2 minutes on PostgreSQL with ~130 operations: the coverage phase tries every boundary
# value of valid input (it found the 500s on a null for a required column and on integers beyond 64 bits) and one
# unexpected method; invalid input comes from the fuzzing phase, which generates both kinds, 10 per operation.
schema.config.phases.coverage.unexpected_methods = {"put"}
schema.config.phases.coverage.generation.modes = [GenerationMode.POSITIVE]
if not HYPOTHESIS_RANDOM:
    schema.config.seed = HYPOTHESIS_SEED  # else schemathesis draws a new seed every run


@schema.parametrize()
@settings(
    max_examples=10,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_never_answers_5xx(case: schemathesis.Case[Any], db: Session, world: World) -> None:
    assert db.is_active  # the rolled-back transaction is open: every write below is undone
    case.call_and_validate(
        headers=bearer(world.a.tokens["park_admin"]),
        checks=[not_a_server_error, response_schema_conformance],
    )
