"""The production image and compose file (deploy/) stay true to the code.

No container engine runs here: the checks in `deploy_checks` read the files. Each check holds
for the repository's files, and each is shown to fail on a temporary copy broken the way a
change could break the real ones.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import Resolver404, resolve

from souk.core.tests.deploy_checks import files, services, wiring
from souk.core.tests.deploy_checks.files import Deploy


def resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def check_health_paths(d: Deploy) -> list[str]:
    return wiring.check_health_paths(d, resolves)


CHECKS: dict[str, Callable[[Deploy], list[str]]] = {
    "commands": services.check_commands,
    "images": services.check_images,
    "healthchecks": services.check_healthchecks,
    "depends_on": services.check_depends_on,
    "required_settings": wiring.check_required_settings,
    "backing_services": wiring.check_backing_services,
    "replica_profile": wiring.check_replica_profile,
    "image_user": wiring.check_image_user,
    "frontend": wiring.check_frontend,
    "gunicorn": wiring.check_gunicorn,
    "health_paths": check_health_paths,
    "one_beat": services.check_one_beat,
    "queues": services.check_queues,
    "proxy": services.check_proxy,
}


@pytest.mark.parametrize("check", CHECKS)
def test_the_deploy_files_pass_the_check(check):
    assert CHECKS[check](Deploy(files.CODE_ROOT)) == []


def test_the_replica_profile_runs_a_replica_and_the_plain_file_does_not():
    plain = Deploy(files.CODE_ROOT)
    replica_env = files.read_env_file(files.CODE_ROOT / "deploy" / "replica.env")
    with_replica = Deploy(files.CODE_ROOT, {**files.SHELL_VARIABLES, **replica_env})

    assert "replica" not in plain.services
    assert "replica" in with_replica.services
    assert "replica" in with_replica.all_services["replica"]["profiles"]
    assert with_replica.environment(with_replica.services["web"])["DATABASE_REPLICA_URL"] == (
        "postgis://souk:souk@replica:5432/souk"
    )
    assert plain.environment(plain.services["web"])["DATABASE_REPLICA_URL"] == ""


def test_every_process_kind_has_a_service_and_a_command():
    d = Deploy(files.CODE_ROOT)
    running = {d.command(spec)[0]: name for name, spec in d.app_services.items()}

    assert running == {
        "web": "web",
        "worker": "worker",
        "worker-slow": "worker-slow",
        "beat": "beat",
        "migrate": "migrate",
    }
    assert d.one_shots == {"migrate"}


def test_compose_interpolation_follows_compose_rules():
    variables = {"SET": "x", "EMPTY": ""}

    assert files.interpolate("${SET:-d}/${EMPTY:-d}/${UNSET:-d}", variables) == "x/d/d"
    assert files.interpolate("${EMPTY-d}/${UNSET-d}", variables) == "/d"
    assert files.interpolate("${SET:+r}/${EMPTY:+r}/${EMPTY+r}", variables) == "r//r"
    assert files.interpolate("$$(id) $SET", variables) == "$(id) x"
    with pytest.raises(files.InterpolationError, match="EMPTY: needed"):
        files.interpolate("${EMPTY:?needed}", variables)


def test_settings_reads_without_default_are_found_with_their_condition(tmp_path):
    (tmp_path / "base.py").write_text(
        "A = env.str('ALWAYS')\n"
        "B = env('ALSO_ALWAYS')\n"
        "C = env.int('OPTIONAL', default=1)\n"
        "if A == 's3':\n    D = env.str('ONLY_FOR_S3')\n"
    )
    (tmp_path / "test.py").write_text("E = env.str('TEST_ONLY')\n")

    assert files.settings_env_reads(tmp_path) == {
        "ALWAYS": True,
        "ALSO_ALWAYS": True,
        "ONLY_FOR_S3": False,
    }


# --- Each check fails on a broken copy ------------------------------------------------------------

# (check, file, text in it, replacement, words of the problem expected)
BREAKS = [
    ("commands", "deploy/compose.yaml", 'command: ["worker"]', 'command: ["wrker"]', "wrker"),
    ("commands", "deploy/entrypoint.sh", "  worker-slow)", "  worker-fast)", "worker-slow"),
    ("commands", "deploy/entrypoint.sh", "      beat)", "      bet)", "health check for"),
    ("images", "deploy/compose.yaml", "image: redis:7-alpine", "image: redis", "no tag"),
    (
        "healthchecks",
        "deploy/compose.yaml",
        'test: ["CMD", "redis-cli", "ping"]',
        'test: ["NONE"]',
        "redis: a long-running service without a health check",
    ),
    ("healthchecks", "deploy/compose.yaml", 'restart: "no"', "", "migrate: a one-shot"),
    (
        "depends_on",
        "deploy/compose.yaml",
        "pgbouncer: { condition: service_healthy }",
        "pgbouncer: { condition: service_started }",
        "condition service_started",
    ),
    (
        "depends_on",
        "deploy/compose.yaml",
        "web: { condition: service_healthy }",
        "replica: { condition: service_healthy }",
        "only in a profile",
    ),
    (
        "required_settings",
        "deploy/compose.yaml",
        "    SECRET_KEY: ${SECRET_KEY:?set SECRET_KEY to 50+ random characters}\n",
        "",
        "SECRET_KEY",
    ),
    (
        "required_settings",
        "config/settings/base.py",
        'REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")',
        'REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")\n'
        'SOUK_NEW_SETTING = env.str("SOUK_NEW_SETTING")',
        "SOUK_NEW_SETTING is not set",
    ),
    (
        "backing_services",
        "deploy/compose.yaml",
        "    REDIS_URL: redis://redis:6379/0\n",
        "",
        "its cache default is 127.0.0.1",
    ),
    (
        "backing_services",
        "deploy/compose.yaml",
        "CELERY_BROKER_URL: amqp://souk:souk@rabbitmq:5672/souk",
        "CELERY_BROKER_URL: amqp://souk:souk@broker:5672/souk",
        "broker, which is no service",
    ),
    (
        "backing_services",
        "deploy/compose.yaml",
        "DATABASE_URL: postgis://souk:souk@pgbouncer:5432/souk",
        "DATABASE_URL: postgis://souk:souk@db:5432/souk",
        "not through PgBouncer",
    ),
    (
        "backing_services",
        "deploy/compose.yaml",
        "POOL_MODE: transaction",
        "POOL_MODE: session",
        "not transaction",
    ),
    (
        "backing_services",
        "deploy/compose.yaml",
        "    rabbitmq: { condition: service_healthy }\n",
        "",
        "which it does not wait for",
    ),
    ("replica_profile", "deploy/replica.env", "COMPOSE_PROFILES=replica", "", "profile on"),
    (
        "replica_profile",
        "deploy/compose.yaml",
        'profiles: ["replica"]',
        "profiles: []",
        "no service of the profile",
    ),
    (
        "replica_profile",
        "deploy/compose.yaml",
        "DATABASE_REPLICA_URL: ${DATABASE_REPLICA_URL:-}",
        'DATABASE_REPLICA_URL: ""',
        "in the replica profile",
    ),
    (
        "replica_profile",
        "deploy/db/replica-entrypoint.sh",
        "--slot souk_replica --write-recovery-conf",
        "--slot souk_replica",
        "as a standby",
    ),
    (
        "replica_profile",
        "deploy/db/primary-init.sh",
        '"host replication replicator all scram-sha-256"',
        '""',
        "does not admit the replica",
    ),
    (
        "replica_profile",
        "deploy/compose.yaml",
        "PRIMARY_HOST: db",
        "PRIMARY_HOST: redis",
        "not the",
    ),
    ("image_user", "deploy/Dockerfile", "USER 10001:10001", "USER root", "runs as root"),
    ("frontend", "deploy/Dockerfile", "RUN scripts/frontend.sh", "RUN true", "frontend.sh"),
    (
        "frontend",
        "deploy/Dockerfile",
        "COPY --from=frontend /build/souk/web/static/vendor souk/web/static/vendor\n",
        "",
        "does not copy",
    ),
    ("image_user", "deploy/Dockerfile", "USER 10001:10001\n", "", "sets no USER"),
    (
        "gunicorn",
        "scripts/run.sh",
        "--config deploy/gunicorn.conf.py",
        "--config gunicorn.dev.py",
        "make run with gunicorn.dev.py",
    ),
    ("gunicorn", ".dockerignore", "var\n", "var\ndeploy\n", "keeps deploy/gunicorn.conf.py out"),
    ("gunicorn", "deploy/Caddyfile", "reverse_proxy web:8000", "reverse_proxy web:8001", "8001"),
    ("gunicorn", "deploy/Dockerfile", "EXPOSE 8000", "EXPOSE 8080", "exposes"),
    ("health_paths", "deploy/entrypoint.sh", ":8000/readyz'", ":8000/ready'", "/ready,"),
    (
        "one_beat",
        "deploy/compose.yaml",
        "  # One-shot: applies",
        '  beat-2:\n    <<: *app\n    command: ["beat"]\n\n  # One-shot: applies',
        "2 services run beat",
    ),
    (
        "queues",
        "deploy/entrypoint.sh",
        '"${WORKER_EXCLUDE_QUEUES:-slow}"',
        '"${WORKER_EXCLUDE_QUEUES:-slow,celery,default}"',
        "no worker consumes",
    ),
    ("proxy", "deploy/Caddyfile", "\ttls {$SOUK_TLS:internal}\n", "", "no tls directive"),
    (
        "proxy",
        "deploy/compose.yaml",
        'command: ["web"]',
        'command: ["web"]\n    ports: ["8000:8000"]',
        "web: published past the proxy",
    ),
]


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """The files the checks read, copied under tmp_path."""
    shutil.copytree(files.CODE_ROOT / "deploy", tmp_path / "deploy")
    shutil.copytree(files.CODE_ROOT / "config" / "settings", tmp_path / "config" / "settings")
    (tmp_path / "scripts").mkdir()
    shutil.copy2(files.CODE_ROOT / "scripts" / "run.sh", tmp_path / "scripts" / "run.sh")
    shutil.copy2(files.CODE_ROOT / ".dockerignore", tmp_path / ".dockerignore")
    return tmp_path


@pytest.mark.parametrize(
    ("check", "file", "old", "new", "expected"),
    BREAKS,
    ids=[f"{b[0]}-{i}" for i, b in enumerate(BREAKS)],
)
def test_each_check_fails_on_a_broken_copy(repo_copy, check, file, old, new, expected):
    path = repo_copy / file
    text = path.read_text()
    assert text.count(old) >= 1, f"{old!r} is not in {file}"
    path.write_text(text.replace(old, new, 1))
    d = Deploy(repo_copy)

    problems = CHECKS[check](d)

    assert any(expected in problem for problem in problems), problems
    assert CHECKS[check](Deploy(files.CODE_ROOT)) == []
