"""What the environment domain offers other domains: an enterprise's environment summary of a year and its
archive section."""

from __future__ import annotations

from digipark.environment.summary import archive_section, enterprise_summary

__all__ = ["archive_section", "enterprise_summary"]
