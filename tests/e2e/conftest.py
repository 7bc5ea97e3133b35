"""The browser tests' demo park: built once per test session (every part, `digipark demo --no-serve`); each test
module serves a copy of it (tests/e2e/test_browser.py `serve_demo`), so no module waits for a demo to be built."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from digipark.web import vendor
from tests.conftest import service_unavailable

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_S = 900


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CHROMIUM.exists():
        service_unavailable(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if vendor.node_modules() is None:
        service_unavailable("front-end libraries in node_modules (npm install)")
    path = tmp_path_factory.mktemp("e2e-demo") / "demo.db"
    env = {**os.environ, "DIGIPARK_LOG_LEVEL": "WARNING"}
    build = [sys.executable, "-m", "digipark", "demo", "--no-serve", "--database", f"sqlite:///{path}"]
    done = subprocess.run(build, cwd=ROOT, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    if done.returncode != 0:
        pytest.fail(f"building the demo failed ({done.returncode}):\n{(done.stdout + done.stderr)[-4000:]}")
    return path
