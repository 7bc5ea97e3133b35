"""What the environment domain offers other domains: an enterprise's environment summary of a year and its
archive section; for scheduled reports: the solid-waste ledger of a year (`waste_ledger`, xlsx or csv)."""

from __future__ import annotations

from digipark.environment.exports import waste_ledger
from digipark.environment.summary import archive_section, enterprise_summary

__all__ = ["archive_section", "enterprise_summary", "waste_ledger"]
