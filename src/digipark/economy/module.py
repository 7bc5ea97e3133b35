"""The economy module's record: enterprise archives, monthly statistics, economic monitoring, industry chains and
investment leads."""

from digipark.auth.models import Role
from digipark.core.modules import ECONOMY, ArchiveSection, MenuEntry, Module

_STAFF_ECONOMY = frozenset(
    {"economy.view", "statistics.submit", "statistics.import", "statistics.remind", "economy.read", "archive.write"}
)
_STAFF_CHAINS = frozenset({"chain.read", "chain.write", "lead.read", "lead.write"})


def _archive(key: str, title: str, provider: str, order: int) -> ArchiveSection:
    return ArchiveSection(key, title, f"digipark.economy.archive:{provider}", order)


MODULE = Module(
    name="economy",
    title="Economy",
    models=("digipark.economy.models",),
    routers=("digipark.economy.api:router", "digipark.economy.chains_api:router"),
    pages=("digipark.economy.pages:router", "digipark.economy.chains_pages:router"),
    menu=(
        MenuEntry("/economy", "Economy", "economy.view", order=200, section=ECONOMY),
        MenuEntry("/economy/chains", "Industry chains", "chain.read", order=210, section=ECONOMY),
        MenuEntry("/economy/leads", "Investment leads", "lead.read", order=220, section=ECONOMY),
    ),
    # An enterprise submits and corrects its own statistics and keeps its own key products; staff submit for any
    # enterprise, import, chase missing submissions and keep qualifications and intellectual property; reviewers
    # read the park's figures. A chain's structure is public within the park; the analysis is for staff and
    # reviewers (`chain.read`); candidates and leads are the park's investment team's only (`lead.read`).
    permissions={
        Role.PARK_ADMIN: _STAFF_ECONOMY | _STAFF_CHAINS,
        Role.OPERATOR: _STAFF_ECONOMY | _STAFF_CHAINS,
        Role.ENTERPRISE: frozenset({"economy.view", "statistics.submit", "product.self_write"}),
        Role.REVIEWER: frozenset({"economy.view", "economy.read", "chain.read"}),
    },
    archive=(
        _archive("registration", "Registration", "registration_section", 10),
        _archive("industry", "Industry", "industry_section", 20),
        _archive("premises", "Premises", "premises_section", 30),
        _archive("qualifications", "Qualifications and honours", "qualifications_section", 40),
        _archive("intellectual_property", "Patents and standards", "intellectual_property_section", 50),
        _archive("products", "Key products", "products_section", 60),
        _archive("statistics", "Monthly statistics", "statistics_section", 70),
        ArchiveSection(
            "industry_chains",
            "Industry chain segments and supply relations",
            "digipark.economy.chains:archive_section",
            75,
        ),
    ),
    indicators={"statistics_reporting": "digipark.economy.indicators:statistics_reporting"},
    provides="digipark.economy.provides",
    demo=("digipark.economy.demo_chains:build_chains_demo", "digipark.economy.demo_statistics:generate_statistics"),
)
