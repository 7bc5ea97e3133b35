"""Environment: pollution monitoring (outlets, limits, averages, exceedances, permits) and the solid waste ledger."""
