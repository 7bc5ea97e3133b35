"""Every module record, in the order their routers are mounted. Adding a domain: one folder with its `module.py`,
and one line here. Importing this module installs the records (`digipark.core.modules.installed()`) and grants their
permissions; the app, the CLI, `digipark.models` and the tests import it."""

from digipark.accounts.module import MODULE as ACCOUNTS
from digipark.alarms.module import MODULE as ALARMS
from digipark.approvals.module import MODULE as APPROVALS
from digipark.assets.module import MODULE as ASSETS
from digipark.audit.module import MODULE as AUDIT
from digipark.auth import permissions
from digipark.auth.module import MODULE as AUTH
from digipark.automation.module import MODULE as AUTOMATION
from digipark.core import modules
from digipark.cybersec.module import MODULE as CYBERSEC
from digipark.dashboards.module import MODULE as DASHBOARDS
from digipark.dataspace.module import MODULE as DATASPACE
from digipark.devices.module import MODULE as DEVICES
from digipark.duty.module import MODULE as DUTY
from digipark.economy.module import MODULE as ECONOMY
from digipark.energy.module import MODULE as ENERGY
from digipark.environment.module import MODULE as ENVIRONMENT
from digipark.evaluation.module import MODULE as EVALUATION
from digipark.ioc.module import MODULE as IOC
from digipark.living.module import MODULE as LIVING
from digipark.notices.module import MODULE as NOTICES
from digipark.registry.module import MODULE as REGISTRY
from digipark.safety.module import MODULE as SAFETY
from digipark.services.module import MODULE as SERVICES
from digipark.telemetry.module import MODULE as TELEMETRY
from digipark.transformation.module import MODULE as TRANSFORMATION
from digipark.web.module import MODULE as WEB
from digipark.workorders.module import MODULE as WORKORDERS

MODULES: tuple[modules.Module, ...] = (
    WEB,
    AUTH,
    AUDIT,
    ACCOUNTS,
    TELEMETRY,  # before the registry: its /points/latest must precede the registry's /points/{ident}
    REGISTRY,
    ECONOMY,
    EVALUATION,
    TRANSFORMATION,
    ALARMS,
    DUTY,
    ENVIRONMENT,
    ENERGY,
    SAFETY,
    DEVICES,
    NOTICES,
    WORKORDERS,
    LIVING,
    APPROVALS,
    SERVICES,
    ASSETS,
    AUTOMATION,
    DATASPACE,
    CYBERSEC,
    IOC,
    DASHBOARDS,
)

modules.install(MODULES)
for _module in MODULES:
    permissions.grant(_module.permissions)
