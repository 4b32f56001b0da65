"""`make run` (scripts/run.sh) stops its web server, worker and beat, and their children,
however it is stopped. Run against stand-ins for gunicorn and celery that each start a child
of their own, so no real server is needed."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

# A service: records its pid and its child's, and stops both on TERM.
SERVICE = """#!/usr/bin/env bash
sleep 1000 &
child=$!
trap 'kill $child; exit 0' TERM
echo "$$ $child $(basename "$0") $1" >> "$SERVICE_PIDS"
wait
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the run script in a tree whose set-up, Python and services are stand-ins."""
    (tmp_path / "scripts").mkdir()
    for name in ("run.sh", "lib.sh"):
        shutil.copy(ROOT / "scripts" / name, tmp_path / "scripts" / name)
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    executables = {
        tmp_path / "scripts" / "setup.sh": "#!/usr/bin/env bash\nexit 0\n",
        bin_dir / "python": "#!/usr/bin/env bash\nexit 0\n",
        bin_dir / "gunicorn": SERVICE,
        bin_dir / "celery": SERVICE,
    }
    for path, text in executables.items():
        path.write_text(text)
        path.chmod(0o755)
    return tmp_path


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead too: it only waits to be reaped
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[-1].split()[0] != "Z"


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_run(project: Path) -> tuple[subprocess.Popen[bytes], list[int]]:
    """run.sh in a process group of its own, once its three services (and their children)
    are up; returns it and every service pid."""
    pids_file = project / "service-pids"
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"HOST", "PORT", "PUBLIC_URL", "DEMO_DATA"}
    }
    run = subprocess.Popen(  # noqa: S603 - a fixed command line
        ["/bin/bash", str(project / "scripts" / "run.sh")],  # noqa: S607
        env={**environment, "SERVICE_PIDS": str(pids_file), "PORT": "8899"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        # A shell cannot trap a signal that was ignored when it started, and a suite started
        # in the background inherits SIGINT ignored: give the script the terminal's default.
        preexec_fn=_default_sigint,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        lines = pids_file.read_text().splitlines() if pids_file.exists() else []
        if len(lines) == 3:
            return run, [int(pid) for line in lines for pid in line.split()[:2]]
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGKILL)
    raise AssertionError("the services did not start")


def wait_gone(pids: list[int], seconds: float = 15) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = [pid for pid in pids if alive(pid)]
        if not left:
            return []
        time.sleep(0.1)
    return left


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_make_runs_process_group_stops_every_service(project, signum):
    run, services = start_run(project)
    try:
        os.killpg(run.pid, signum)

        assert run.wait(timeout=20) == (143 if signum == signal.SIGTERM else 130)
        assert wait_gone(services) == []
    finally:
        kill_all(services)


def test_the_services_stop_even_if_the_run_script_is_killed(project):
    if shutil.which("setpriv") is None:
        pytest.fail("setpriv (util-linux) is needed by scripts/run.sh on Linux")
    run, services = start_run(project)
    try:
        run.kill()  # SIGKILL: no trap runs
        run.wait(timeout=5)

        assert wait_gone(services) == []
    finally:
        kill_all(services)


def test_a_service_that_exits_stops_the_others(project):
    run, services = start_run(project)
    try:
        os.kill(services[0], signal.SIGTERM)  # the web server's stand-in exits with 0

        assert run.wait(timeout=20) == 0
        assert wait_gone(services) == []
    finally:
        kill_all(services)
