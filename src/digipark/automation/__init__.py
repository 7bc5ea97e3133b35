"""Automation and energy operations: rules that act, scenes, dry-runs; tenant bills, energy plans, the Sankey of
energy flows; forecasts with backtests."""
