"""Shared by the benchmarks: databases, the gunicorn server under test, and percentiles.

The helpers that run the application (`manage`, `django_snippet`, `server`) take the root of
the source tree to run (`root`, default: this working tree), so a benchmark can run another
checkout of the project (`git_worktree`) with the same virtualenv."""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
DEFAULT_URL = "postgis://souk:souk@127.0.0.1:5432/souk"


def database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def connect(url: str) -> psycopg.Connection:
    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname=parts.path.lstrip("/"),
        autocommit=True,
    )


def create_database(base_url: str, suffix: str) -> str:
    """A fresh `<name>_<suffix>` database cloned from the test template (`<name>_template`,
    which `make setup` migrates); its URL."""
    base_name = urlsplit(base_url).path.lstrip("/")
    name = f"{base_name}_{suffix}"
    with connect(database_url(base_url, "postgres")) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for attempt in range(20):  # the template is busy while a test run clones it
            try:
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{base_name}_template"')
                break
            except psycopg.errors.ObjectInUse:
                if attempt == 19:
                    raise
                time.sleep(0.5)
    return database_url(base_url, name)


def django_snippet(
    code: str, env: dict[str, str], params: dict[str, Any], root: Path = ROOT
) -> Any:
    """Run `code` in `manage.py shell` of the tree at `root` with `env`; it reads `params` from
    the BENCH_PARAMS environment variable (JSON) and writes its answer, as JSON, to the file
    BENCH_OUT names."""
    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        subprocess.run(
            [PYTHON, "manage.py", "shell", "--verbosity", "0", "-c", code],
            cwd=root,
            env={**env, "BENCH_PARAMS": json.dumps(params), "BENCH_OUT": out.name},
            check=True,
        )
        return json.load(out)


def manage(url: str, *args: str, root: Path = ROOT) -> None:
    """`manage.py <args>` of the tree at `root` against the database at `url`."""
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    subprocess.run([PYTHON, "manage.py", *args], cwd=root, env=env, check=True)


def redis_flush(url: str) -> None:
    parts = urlsplit(url)
    subprocess.run(
        [
            "redis-cli",
            "-h",
            parts.hostname or "127.0.0.1",
            "-p",
            str(parts.port or 6379),
            "-n",
            parts.path.lstrip("/") or "0",
            "flushdb",
        ],
        check=True,
        capture_output=True,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    base: str  # http://127.0.0.1:<port>
    pid: int  # the gunicorn master; its workers are its children


@contextmanager
def server(
    url: str,
    workers: int,
    threads: int,
    redis_url: str,
    extra_env: dict[str, str] | None = None,
    root: Path = ROOT,
) -> Iterator[str]:
    """gunicorn of the tree at `root` serving the database at `url`; its base URL."""
    with gunicorn(url, workers, threads, redis_url, extra_env, root) as running:
        yield running.base


@contextmanager
def gunicorn(
    url: str,
    workers: int,
    threads: int,
    redis_url: str,
    extra_env: dict[str, str] | None = None,
    root: Path = ROOT,
) -> Iterator[Server]:
    """As `server`, with the master's process id (for its workers' CPU time and memory)."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_THREADS": str(threads),
        "LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "config.wsgi:application",
            "--config",
            "deploy/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")
        yield Server(base, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def summarize(values: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 0.50), 2),
        "p95_ms": round(percentile(ms, 0.95), 2),
        "p99_ms": round(percentile(ms, 0.99), 2),
        "mean_ms": round(statistics.fmean(ms), 2) if ms else float("nan"),
    }


# --- Processes (Linux /proc) -----------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name (field 3, the state, is [0])."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def children(pid: int) -> list[int]:
    """Live child processes of `pid` (gunicorn's workers, for its master)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat_fields(int(entry.name))[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return sorted(found)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid`, its live children, and its children that have exited
    and been waited for (a worker gunicorn replaced)."""
    fields = _stat_fields(pid)
    ticks = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    for child in children(pid):
        try:
            ticks += sum(int(value) for value in _stat_fields(child)[11:13])
        except (OSError, ValueError):
            continue
    return ticks / CLOCK_TICKS


def rss_kib(pid: int) -> int:
    """VmRSS of `pid` in KiB (0 when it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


# --- Another checkout of the project ---------------------------------------------------------


def git_commit(ref: str, root: Path = ROOT) -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--verify", f"{ref}^{{commit}}"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@contextmanager
def git_worktree(ref: str) -> Iterator[Path]:
    """A detached `git worktree` of `ref` in a temporary directory, with this tree's virtualenv
    linked in as `.venv`; removed again afterwards, also on an error or Ctrl-C."""
    commit = git_commit(ref)
    parent = Path(tempfile.mkdtemp(prefix="souk-bench-"))
    path = parent / "tree"
    venv = Path(sys.prefix)
    try:
        subprocess.run(
            ["git", "worktree", "add", "--detach", "--quiet", str(path), commit],
            cwd=ROOT,
            check=True,
        )
        (path / ".venv").symlink_to(venv, target_is_directory=True)
        yield path
    finally:
        link = path / ".venv"
        if link.is_symlink():
            link.unlink()
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, capture_output=True
        )
        shutil.rmtree(parent, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, capture_output=True)
