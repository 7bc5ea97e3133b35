"""What the energy domain offers other domains: an enterprise's carbon account and the park's figures per
enterprise."""

from __future__ import annotations

from digipark.energy.accounts import enterprise_account, enterprise_figures, park_summary

__all__ = ["enterprise_account", "enterprise_figures", "park_summary"]
