"""Indicator S2.1, the domains with a digital public service in use: production services (the services module),
living services (this module) and government services (the approvals module), each read through its provider over
the 90 days before the evaluation's date. The living module declares it; it reads the other two domains' providers."""

from __future__ import annotations

import datetime as dt

from digipark.approvals.provides import counts as government_counts
from digipark.evaluation.provides import Computed, Gap, IndicatorContext
from digipark.living.provides import online_service_counts
from digipark.services.provides import production_service_in_use

WINDOW_DAYS = 90  # the indicator's definition (data/indicators.yaml)
# domain -> (name, English name, the page of its services)
DOMAINS = {
    "production": ("生产性服务", "Production services", "/services"),
    "living": ("生活服务", "Living services", "/living"),
    "government": ("政务服务", "Government services", "/approvals"),
}


def public_service_domains(ctx: IndicatorContext) -> Computed:
    """How many of the three domains had a service used online in the window."""
    since_day = ctx.as_of - dt.timedelta(days=WINDOW_DAYS)
    since = dt.datetime.combine(since_day, dt.time(), tzinfo=dt.UTC)
    living = online_service_counts(ctx.session, ctx.park_id, since)
    government = government_counts(ctx.session, ctx.park_id, since)
    in_use = {
        "production": production_service_in_use(ctx.session, ctx.park_id, since_day),
        "living": any(living.values()),
        "government": bool(government.get("submitted")),
    }
    rows = []
    gaps = []
    for domain, ok in in_use.items():
        name, name_en, link = DOMAINS[domain]
        rows.append({"domain": name, "domain_en": name_en, "ok": ok, "link": link})
        if not ok:
            gaps.append(Gap("system", name, "public_service", params={"name_en": name_en}))
    used = sum(in_use.values())
    return Computed(float(used), used, len(in_use), columns=["domain", "ok"], rows=rows, gaps=gaps)
