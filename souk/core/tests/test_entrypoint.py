"""deploy/entrypoint.sh, run with stand-ins for the programs it starts: every command starts
with a usable metrics setting (a directory that exists, or none at all)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
# Each stand-in reports what the real program would find, then exits.
REPORT = """#!/bin/sh
if [ -z "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then echo "in-process"
elif [ -d "$PROMETHEUS_MULTIPROC_DIR" ]; then echo "directory"
else echo "missing"; fi
"""


@pytest.fixture
def stand_ins(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("python", "gunicorn", "celery"):
        path = bin_dir / program
        path.write_text(REPORT)
        path.chmod(0o755)
    return bin_dir


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        pytest.param(["web"], "directory", id="web"),
        pytest.param(["worker"], "directory", id="worker"),
        pytest.param(["worker-slow"], "directory", id="worker-slow"),
        pytest.param(["beat"], "in-process", id="beat"),
        pytest.param(["migrate"], "in-process", id="migrate"),
        pytest.param(["check", "--deploy"], "in-process", id="manage-command"),
        pytest.param(["healthcheck", "web"], "in-process", id="healthcheck"),
    ],
)
def test_every_command_starts_with_a_usable_metrics_setting(
    stand_ins: Path, tmp_path: Path, command: list[str], expected: str
) -> None:
    # as in the compose file: one directory named for every service, created by no one
    metrics_dir = tmp_path / "not-created" / "prometheus"
    env = {
        "PATH": f"{stand_ins}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "HOME": str(tmp_path),
    }
    if command == ["beat"]:
        script = tmp_path / "entrypoint.sh"
        script.write_text(ENTRYPOINT.read_text().replace("/app/var/beat", str(tmp_path / "beat")))
    else:
        script = ENTRYPOINT
    result = subprocess.run(
        ["/bin/sh", str(script), *command],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
