"""The deployment files: the systemd unit passes systemd-analyze where it exists, the container runs as a user
with the database on a volume, and Procfile hosts install the project and know its Python."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not on this machine")
def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    unit = (ROOT / "deploy" / "heartbeat.service").read_text(encoding="utf-8")
    assert "Restart=on-failure" in unit and "KillSignal=SIGTERM" in unit and "User=heartbeat" in unit
    # Verified as installed on this machine: its Python, and a user that exists here.
    local = (unit.replace("/opt/heartbeat/.venv/bin/python", sys.executable).replace("User=heartbeat", "User=root")
             .replace("Group=heartbeat", "Group=root").replace("WorkingDirectory=/opt/heartbeat",
                                                               f"WorkingDirectory={tmp_path}"))
    (tmp_path / "heartbeat.service").write_text(local, encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "heartbeat.service")], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "heartbeat.service" not in result.stderr, result.stderr  # no warning about the unit itself


def test_the_container_runs_as_a_user_with_the_database_on_a_volume() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "\nUSER heartbeat\n" in dockerfile and "DATABASE_PATH=/data/heartbeat.db" in dockerfile
    assert 'VOLUME ["/data"]' in dockerfile and "COPY config ./config" in dockerfile
    assert "RUN pip install .\n" in dockerfile  # not editable: config/ travels as installed data
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    assert "heartbeat-data:/data" in compose and "env_file: .env" in compose
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored and "data" in ignored  # no token and no database baked into an image


def test_procfile_hosts_install_the_project_with_its_python() -> None:
    assert (ROOT / "Procfile").read_text(encoding="utf-8").strip() == "worker: python -m bot"
    lines = [line for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    assert lines == ["."]
    wanted = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    assert wanted == ">=3.11" and (ROOT / ".python-version").read_text(encoding="utf-8").strip() == "3.11"
