"""The deployment files (deploy/systemd, deploy/compose, deploy/helm/digipark) run the real commands with the real
settings: every `digipark …` command they give exists with the options given, every DIGIPARK_* name is a setting,
every `.Values.…` a template reads is in values.yaml. Linted by the tools where this machine has them:
`systemd-analyze verify` (Debian's systemd), `docker compose config`, `helm lint` / `helm template`; a tool that is
absent skips its own test with the reason."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from digipark.auth.config import AuthSettings
from digipark.cli import app
from digipark.core.config import Settings

ROOT = Path(__file__).resolve().parents[1]
SYSTEMD = ROOT / "deploy" / "systemd"
COMPOSE = ROOT / "deploy" / "compose"
CHART = ROOT / "deploy" / "helm" / "digipark"
INSTALLED = "/opt/digipark/.venv/bin/digipark"  # where the units expect the installed command
SETTING = re.compile(r"\bDIGIPARK_[A-Z0-9_]+\b")


def _settings() -> set[str]:
    return {f"DIGIPARK_{name.upper()}" for model in (Settings, AuthSettings) for name in model.model_fields}


def _units() -> list[Path]:
    return sorted([*SYSTEMD.glob("*.service"), *SYSTEMD.glob("*.target")])


def _exec_starts() -> Iterator[tuple[str, list[str]]]:
    for unit in _units():
        for line in unit.read_text().splitlines():
            if line.startswith("ExecStart="):
                yield unit.name, shlex.split(line.removeprefix("ExecStart="))


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((COMPOSE / "docker-compose.yml").read_text())
    return loaded


def _values() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
    return loaded


def _commands() -> list[tuple[str, list[str]]]:
    """(where, argv) of every digipark command the deployment files run."""
    found: list[tuple[str, list[str]]] = []
    for where, argv in _exec_starts():
        assert argv[0] == INSTALLED, f"{where}: ExecStart runs {argv[0]}, not {INSTALLED}"
        found.append((where, ["digipark", *argv[1:]]))
    for name, service in _compose()["services"].items():
        if service.get("image", "").startswith("digipark"):
            found.append((f"docker-compose.yml:{name}", service["command"]))
    for part, values in _values().items():
        if isinstance(values, dict) and "command" in values:
            found.append((f"values.yaml:{part}", values["command"]))
    dockerfile = (COMPOSE / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert cmd is not None
    found.append(("Dockerfile CMD", yaml.safe_load(cmd.group(1))))
    return found


def _is_group(command: Any) -> bool:
    return hasattr(command, "list_commands")  # typer's click (it carries its own) or click's group


def _resolve(argv: list[str]) -> tuple[Any, list[str]]:
    """The click command `digipark …` names, and the arguments left after its (sub)command names."""
    assert argv[0] == "digipark", argv
    command: Any = typer.main.get_command(app)
    rest = argv[1:]
    while _is_group(command) and rest and not rest[0].startswith("-"):
        sub = command.get_command(command.make_context("digipark", [], resilient_parsing=True), rest[0])
        assert sub is not None, f"digipark has no command {' '.join(argv[: len(argv) - len(rest) + 1])!r}"
        command, rest = sub, rest[1:]
    return command, rest


def test_the_files_run_commands_that_exist_with_their_options() -> None:
    commands = _commands()
    ran = {" ".join(argv[:3]) for _where, argv in commands}
    # the roles of a deployment: the migration, the web, the bridge and the workers — in every kind of file
    assert {"digipark db upgrade", "digipark serve --host", "digipark ingest", "digipark ingest --worker"} <= ran
    for where, argv in commands:
        command, rest = _resolve(argv)
        assert not _is_group(command), f"{where}: {argv} names a group, not a command"
        options = {name for param in command.params for name in getattr(param, "opts", [])}
        for token in rest:
            if token.startswith("-"):
                assert token.split("=", 1)[0] in options, f"{where}: `{' '.join(argv)}`: no option {token}"
        # and the command parses them (values in range, no stray arguments)
        command.make_context("digipark", list(rest), resilient_parsing=False)


def test_every_setting_named_in_the_files_exists() -> None:
    known = _settings()
    files = [*SYSTEMD.iterdir(), *COMPOSE.iterdir(), *CHART.rglob("*")]
    named: dict[str, set[str]] = {}
    for path in files:
        if path.is_file():
            for name in SETTING.findall(path.read_text()):
                named.setdefault(name, set()).add(path.name)
    assert {"DIGIPARK_DATABASE_URL", "DIGIPARK_DATABASE_POOLER", "DIGIPARK_STREAM_URL"} <= named.keys()
    unknown = {name: sorted(where) for name, where in named.items() if name not in known}
    assert not unknown, f"not settings of digipark: {unknown}"


def test_the_chart_reads_only_values_it_has() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2" and chart["name"] == "digipark"
    values = _values()
    for template in (CHART / "templates").iterdir():
        for path in re.findall(r"\.Values\.([A-Za-z0-9_.]+)", template.read_text()):
            node: Any = values
            for key in path.split("."):
                assert isinstance(node, dict) and key in node, f"{template.name}: .Values.{path} not in values.yaml"
                node = node[key]
        # the parts that are plain YAML once the template lines are taken out parse
        plain = "\n".join(line for line in template.read_text().splitlines() if "{{" not in line)
        list(yaml.safe_load_all(plain))


def test_compose_services_and_pooler() -> None:
    services = _compose()["services"]
    assert {"postgres", "pgbouncer", "nats", "migrate", "web", "ingest-bridge", "ingest-worker", "proxy"} <= set(
        services
    )
    # through PgBouncer (transaction pooling) with the application told so; the migration straight to PostgreSQL
    assert services["web"]["environment"]["DIGIPARK_DATABASE_POOLER"] == "transaction"
    assert "pgbouncer:6432" in services["ingest-worker"]["environment"]["DIGIPARK_DATABASE_URL"]
    assert services["pgbouncer"]["environment"]["POOL_MODE"] == "transaction"
    assert services["migrate"]["environment"]["DIGIPARK_DATABASE_POOLER"] == "none"
    assert "postgres:5432" in services["migrate"]["environment"]["DIGIPARK_DATABASE_URL"]


def _digipark_executable() -> str:
    found = shutil.which("digipark") or str(Path(sys.executable).with_name("digipark"))
    if not Path(found).exists():
        pytest.skip("no installed `digipark` command to point the units at")
    return found


def test_systemd_units_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian: systemd)")
    executable = _digipark_executable()
    units = []
    for unit in _units():
        text = unit.read_text().replace(INSTALLED, executable)
        # the settings file of a real machine is not here: optional for the check
        text = text.replace("EnvironmentFile=/etc/", "EnvironmentFile=-/etc/")
        names = [unit.name.replace("@.service", "@1.service")] if "@." in unit.name else [unit.name]
        for name in names:
            (tmp_path / name).write_text(text)
            units.append(str(tmp_path / name))
    done = subprocess.run(
        [analyze, "verify", "--man=no", *units],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"},
        timeout=60,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Unknown key" not in output and "Unknown section" not in output, output


def test_docker_compose_config() -> None:
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True, check=False).returncode:
        pytest.skip("docker compose is not installed")
    done = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE / "docker-compose.yml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "DIGIPARK_SECRET_KEY": "test-only"},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_helm_lint_and_template() -> None:
    helm = shutil.which("helm")
    if helm is None:
        pytest.skip("helm is not installed")
    lint = subprocess.run([helm, "lint", str(CHART)], capture_output=True, text=True, check=False, timeout=60)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    rendered = subprocess.run(
        [helm, "template", "dp", str(CHART)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    kinds = [doc["kind"] for doc in yaml.safe_load_all(rendered) if doc]
    assert {"ConfigMap", "Secret", "Job", "Deployment", "Service"} <= set(kinds)
