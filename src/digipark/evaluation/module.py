"""The guide's evaluation: the four construction standards as indicators, annual assessments, reports."""

from digipark.auth.models import Role
from digipark.core.modules import EVALUATION, MenuEntry, Module

MODULE = Module(
    name="evaluation",
    title="Evaluation",
    models=("digipark.evaluation.models",),
    routers=("digipark.evaluation.api:router",),
    pages=("digipark.evaluation.pages:router",),
    menu=(MenuEntry("/evaluation", "Evaluation", "evaluation.read", order=500, section=EVALUATION),),
    # Staff and reviewers read it (it names enterprises' gaps, so enterprise users and residents do not); staff
    # declare values for indicators without a platform source; only the park admin signs the annual assessment.
    permissions={
        Role.PARK_ADMIN: frozenset({"evaluation.read", "evaluation.declare", "evaluation.sign"}),
        Role.OPERATOR: frozenset({"evaluation.read", "evaluation.declare"}),
        Role.REVIEWER: frozenset({"evaluation.read"}),
    },
    catalog="evaluation",
    provides="digipark.evaluation.provides",
    indicators={
        "asset_management": "digipark.evaluation.indicators:asset_management",
    },
    demo=("digipark.evaluation.demo:build_evaluation_demo",),
)
