"""The digital transformation module's record: assessments, certificates, adoption, catalogue, provider requests."""

from digipark.auth.models import Role
from digipark.core.modules import ECONOMY, ArchiveSection, MenuEntry, Module

_STAFF = frozenset(
    {
        "transformation.view",
        "transformation.read",
        "transformation.write",
        "assessment.fill",
        "assessment.review",
        "catalogue.write",
    }
)

MODULE = Module(
    name="transformation",
    title="Transformation",
    models=("digipark.transformation.models",),
    routers=("digipark.transformation.api:router",),
    pages=(
        "digipark.transformation.pages:router",
        "digipark.transformation.record_pages:router",
        "digipark.transformation.questionnaire_pages:router",
        "digipark.transformation.catalogue_pages:router",
    ),
    menu=(MenuEntry("/transformation", "Transformation", "transformation.view", order=300, section=ECONOMY),),
    # An enterprise fills in its own assessment and keeps its own certificates, adoption records and provider
    # requests; staff may fill in for an enterprise, review assessments, verify certificates, keep the catalogue
    # and handle provider requests; reviewers read the park's picture.
    permissions={
        Role.PARK_ADMIN: _STAFF,
        Role.OPERATOR: _STAFF,
        Role.ENTERPRISE: frozenset({"transformation.view", "assessment.fill", "transformation.self_write"}),
        Role.REVIEWER: frozenset({"transformation.view", "transformation.read"}),
    },
    catalog="transformation",
    archive=(
        ArchiveSection("digital_maturity", "Digital maturity", "digipark.transformation.provides:archive_section", 90),
    ),
    indicators={
        "industrial_internet_coverage": "digipark.transformation.indicators:industrial_internet_coverage",
        "renovation_coverage": "digipark.transformation.indicators:renovation_coverage",
    },
    provides="digipark.transformation.provides",
    demo=("digipark.transformation.demo:build_transformation_demo",),
)
