"""The environment demo's old home, for importers outside sim (tests/environment/test_demo.py): it lives in
`digipark.environment.demo`."""

from digipark.environment.demo import build_environment_demo as build_environment_demo
