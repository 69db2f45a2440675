"""Dockerfile and compose.yaml, read statically (no image can be pulled on CI's machine): a non-root user, a health
check on /readyz, commands that docs/deployment.md documents and that exist, only settings that config.py declares,
the ports, and the four services with their dependencies."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from irritants import project_commands
from tests.unit.test_deployment_doc import declared_variables

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
WEB = ["gunicorn", "-c", "python:irritants.gunicorn_conf", "--bind", "0.0.0.0:8000", "irritants.wsgi:app"]
PORT = 8000


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of each instruction, continuation lines joined, comments left out."""
    joined = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, arguments = line.partition(" ")
            out.append((instruction.upper(), arguments.strip()))
    return out


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile()
    last_from = max(i for i, (instruction, _) in enumerate(instructions) if instruction == "FROM")
    return instructions[last_from:]


def exec_form(arguments: str) -> list[str]:
    """A JSON-array (exec form) argument list; a shell form would put a shell between the signal and the process."""
    value = json.loads(arguments)
    assert isinstance(value, list), arguments
    return value


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def documented(command: list[str]) -> bool:
    return " ".join(command) in DOC


def irritants_command_exists(command: list[str]) -> bool:
    names = {c.name: c for c in project_commands()}
    return command[0] == "irritants" and command[1] in names


# --- Dockerfile ----------------------------------------------------------------------------------------------------


def test_the_image_builds_the_wheel_in_a_first_stage_on_python_311_slim_and_installs_it_with_the_pins() -> None:
    froms = [arguments for instruction, arguments in dockerfile() if instruction == "FROM"]
    assert len(froms) == 2
    assert all(f.split()[0] == "python:3.11-slim" for f in froms)
    build = " ".join(arguments for instruction, arguments in dockerfile() if instruction == "RUN")
    assert "pip wheel" in build
    assert "-c constraints.txt" in build
    copied = [arguments for instruction, arguments in final_stage() if instruction == "COPY"]
    assert copied == ["--from=build /opt/irritants /opt/irritants"]  # the environment only, no sources


def test_the_service_runs_as_a_non_root_user() -> None:
    users = [arguments for instruction, arguments in final_stage() if instruction == "USER"]
    assert users, "no USER in the final stage"
    assert users[-1] not in ("root", "0") and not users[-1].startswith(("root:", "0:"))
    last_user = max(i for i, (instruction, _) in enumerate(final_stage()) if instruction == "USER")
    assert all(instruction != "RUN" for instruction, _ in final_stage()[last_user:])


def test_the_health_check_asks_readyz_of_the_served_port() -> None:
    checks = [arguments for instruction, arguments in final_stage() if instruction == "HEALTHCHECK"]
    assert len(checks) == 1
    options, _, command = checks[0].partition("CMD ")
    probe = exec_form(command)
    assert probe[:2] == ["python", "-c"]  # no curl in a slim image
    assert f"http://127.0.0.1:{PORT}/readyz" in probe[2]
    compile(probe[2], "<healthcheck>", "exec")
    assert "--interval=" in options and "--start-period=" in options


def test_the_image_serves_with_the_packaged_gunicorn_settings_on_the_exposed_port() -> None:
    stage = final_stage()
    (cmd,) = [exec_form(arguments) for instruction, arguments in stage if instruction == "CMD"]
    assert cmd == WEB
    assert documented(cmd)
    assert (ROOT / "irritants" / "gunicorn_conf.py").is_file() and (ROOT / "irritants" / "wsgi.py").is_file()
    assert [arguments for instruction, arguments in stage if instruction == "EXPOSE"] == [str(PORT)]


def test_the_image_sets_only_declared_settings_and_keeps_its_state_outside_the_installed_package() -> None:
    env_lines = " ".join(arguments for instruction, arguments in final_stage() if instruction == "ENV")
    pairs = dict(item.split("=", 1) for item in shlex.split(env_lines))
    irritants = {name for name in pairs if name.startswith("IRRITANTS_")}
    assert irritants <= declared_variables()
    assert pairs["IRRITANTS_ENV"] == "production"
    assert not pairs["IRRITANTS_INSTANCE_PATH"].startswith("/opt/irritants")


def test_the_build_context_holds_the_package_and_its_metadata_only() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert allowed == {"irritants", "pyproject.toml", "setup.cfg", "README.md", "constraints.txt"}
    for instruction, arguments in dockerfile():
        if instruction == "COPY" and not arguments.startswith("--from"):
            *sources, _ = arguments.split()
            assert set(sources) <= allowed


# --- compose.yaml --------------------------------------------------------------------------------------------------


def test_compose_runs_web_worker_postgres_redis_and_the_migrations_first(compose: dict) -> None:
    services = compose["services"]
    assert {"web", "worker", "postgres", "redis", "migrate"} <= set(services)
    for name in ("web", "worker"):
        needs = services[name]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully"
        assert needs["postgres"]["condition"] == "service_healthy"
        assert needs["redis"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"


def test_compose_runs_the_documented_commands(compose: dict) -> None:
    services = compose["services"]
    assert services["web"]["command"] == WEB
    assert services["worker"]["command"] == ["irritants", "worker"]
    assert services["migrate"]["command"][:2] == ["irritants", "setup"]
    for name in ("web", "worker", "migrate"):
        command = services[name]["command"]
        assert documented(command), f"{name}: {' '.join(command)} is not in docs/deployment.md"
        assert command[0] == "gunicorn" or irritants_command_exists(command), command


def test_compose_sets_only_settings_that_config_declares(compose: dict) -> None:
    for name in ("web", "worker", "migrate"):
        environment = compose["services"][name]["environment"]
        irritants = {key for key in environment if key.startswith("IRRITANTS_")}
        assert sorted(irritants - declared_variables()) == [], name


def test_compose_points_the_service_at_its_own_postgres_and_redis(compose: dict) -> None:
    environment = compose["services"]["web"]["environment"]
    assert environment["IRRITANTS_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@postgres:5432/" in environment["IRRITANTS_DATABASE_URL"]
    assert urlsplit(environment["IRRITANTS_REDIS_URL"]).hostname == "redis"
    assert environment["IRRITANTS_ENV"] == "production"
    assert environment["IRRITANTS_SECRET_KEY"].startswith("${IRRITANTS_SECRET_KEY:?")  # never a value in the file


def test_compose_publishes_gunicorn_on_the_loopback_only_as_the_proxy_rule_asks(compose: dict) -> None:
    web = compose["services"]["web"]
    assert web["ports"] == [f"127.0.0.1:{PORT}:{PORT}"]
    assert web["environment"]["IRRITANTS_PROXY_FIX_COUNT"] == "1"
    assert all("ports" not in service for name, service in compose["services"].items() if name != "web")


def test_compose_health_checks(compose: dict) -> None:
    services = compose["services"]
    probe = services["web"]["healthcheck"]["test"]
    assert probe[:3] == ["CMD", "python", "-c"]
    assert f"http://127.0.0.1:{PORT}/readyz" in probe[3]
    assert services["postgres"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    # The worker serves no HTTP: the image's /readyz probe is switched off there, not left failing.
    assert services["worker"]["healthcheck"] == {"disable": True}


def test_compose_shares_the_instance_folder_between_web_and_worker_and_keeps_postgres_data(compose: dict) -> None:
    services = compose["services"]
    instance = services["web"]["environment"]["IRRITANTS_INSTANCE_PATH"]
    for name in ("web", "worker"):
        assert f"instance:{instance}" in services[name]["volumes"]
    assert "postgres:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert {"instance", "postgres"} <= set(compose["volumes"])


def test_the_procfile_of_the_doc_runs_the_same_commands() -> None:
    block = re.search(r"```\n(release: .*?)```", DOC, flags=re.DOTALL)
    assert block is not None
    processes = dict(line.split(": ", 1) for line in block.group(1).strip().splitlines())
    assert set(processes) == {"release", "web", "worker"}
    assert processes["worker"] == "irritants worker"
    assert processes["release"] == "irritants setup --demo-reports 0"
    assert processes["web"] == " ".join(WEB).replace("0.0.0.0:8000", "0.0.0.0:$PORT")
