"""The statistics demo's old home, for importers outside sim (tests/economy/test_statistics_demo.py): it lives in
`digipark.economy.demo_statistics`."""

from digipark.economy.demo_statistics import generate_statistics as generate_statistics
