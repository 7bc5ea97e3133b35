"""locust users for bench/load.py: the large park's users (bench/large_park.py) reading the API with their bearer
tokens and the pages with a session (logged in through the form once). LOAD_TOKENS names the users' file."""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

import requests
from locust import HttpUser, between, task

USERS = json.loads(Path(os.environ["LOAD_TOKENS"]).read_text(encoding="utf-8"))
FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class ParkUser(HttpUser):
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        """Log in through the form outside locust's statistics (a password hash is meant to be slow), then use the
        session's cookie."""
        self.user = random.choice(USERS["users"])
        self.api = {"Authorization": f"Bearer {self.user['token']}"}
        with requests.Session() as browser:
            found = FORM_TOKEN.search(browser.get(f"{self.host}/login", timeout=60).text)
            form = {"username": self.user["username"], "password": USERS["password"], "next": "/"}
            form["csrf_token"] = found.group(1) if found else ""
            browser.post(f"{self.host}/login", data=form, allow_redirects=False, timeout=60)
            self.client.cookies.update(browser.cookies)

    @task(4)
    def enterprises(self) -> None:
        page = random.randint(1, 20)
        self.client.get(f"/api/v1/enterprises?page={page}", headers=self.api, name="/api/v1/enterprises?page=")

    @task(2)
    def enterprise_search(self) -> None:
        self.client.get("/api/v1/enterprises?q=精密&sort=-employees", headers=self.api, name="/api/v1/enterprises?q=")

    @task(4)
    def points(self) -> None:
        page = random.randint(1, 50)
        self.client.get(f"/api/v1/points?page={page}", headers=self.api, name="/api/v1/points?page=")

    @task(2)
    def devices(self) -> None:
        self.client.get("/api/v1/devices", headers=self.api, name="/api/v1/devices")

    @task(2)
    def overview_page(self) -> None:
        self.client.get("/", name="/ (overview page)")

    @task(1)
    def enterprises_page(self) -> None:
        self.client.get("/enterprises", name="/enterprises (page)")
