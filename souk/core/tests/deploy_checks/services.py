"""Checks of the services: commands, images, health checks, dependencies, one beat, queues,
the TLS proxy. Each returns the problems it found (none: it holds)."""

from __future__ import annotations

import json
import os
import re
from typing import Any

from souk.core.tests.deploy_checks.files import Deploy, dockerfile_last, effective_settings


def check_commands(d: Deploy) -> list[str]:
    """Every app service's command, and every health check of the image, is a branch of the
    entry point; the image's ENTRYPOINT is that script."""
    problems = []
    commands = {c for c in d.commands if c != "*"}
    for name, spec in d.all_services.items():
        if not d.is_app(spec):
            continue
        command = d.command(spec)
        if not command or command[0] not in commands:
            problems.append(f"{name}: command {command} is no branch of deploy/entrypoint.sh")
        test = (spec.get("healthcheck") or {}).get("test") or []
        if "healthcheck" in test:
            kind = test[test.index("healthcheck") + 1 :][:1]
            if not kind or kind[0] not in set(d.health_kinds) - {"*"}:
                problems.append(f"{name}: entrypoint.sh has no health check for {kind}")
            if test[1] != f"{dockerfile_last(d.dockerfile, 'WORKDIR', '')}/deploy/entrypoint.sh":
                problems.append(f"{name}: health check runs {test[1]}, not the entry point")
    entrypoint = json.loads(dockerfile_last(d.dockerfile, "ENTRYPOINT", "[]"))
    if entrypoint != ["deploy/entrypoint.sh"] or not os.access(d.deploy / "entrypoint.sh", os.X_OK):
        problems.append(f"the image's ENTRYPOINT {entrypoint} is not the executable entry point")
    if json.loads(dockerfile_last(d.dockerfile, "CMD", "[]"))[:1] != ["web"]:
        problems.append("the image's CMD is not web")
    return problems


def check_images(d: Deploy) -> list[str]:
    """Every service names an image: built from deploy/Dockerfile, or pulled with a tag."""
    problems = []
    for name, spec in d.all_services.items():
        image = spec.get("image", "")
        if d.is_app(spec):
            continue
        if not image or ":" not in image.rsplit("/", 1)[-1]:
            problems.append(f"{name}: image {image!r} has no tag")
    if not d.app_services:
        problems.append("no service is built from deploy/Dockerfile")
    return problems


def check_healthchecks(d: Deploy) -> list[str]:
    """Every long-running service has a health check; one-shot services do not restart."""
    problems = []
    for name, spec in d.all_services.items():
        if name in d.one_shots:
            if spec.get("restart", "no") != "no":
                problems.append(f"{name}: a one-shot service with restart {spec['restart']}")
            continue
        health = spec.get("healthcheck") or {}
        if health.get("disable") or not health.get("test") or health["test"] == ["NONE"]:
            problems.append(f"{name}: a long-running service without a health check")
    return problems


def check_depends_on(d: Deploy) -> list[str]:
    """Dependencies name existing services with a condition each can meet."""
    problems = []
    for name, spec in d.all_services.items():
        for dependency, condition in (spec.get("depends_on") or {}).items():
            target = d.all_services.get(dependency)
            state = condition.get("condition") if isinstance(condition, dict) else None
            if target is None:
                problems.append(f"{name}: depends on {dependency}, which is no service")
            elif state == "service_healthy" and not (target.get("healthcheck") or {}).get("test"):
                problems.append(f"{name}: waits for {dependency} to be healthy; it has no check")
            elif state == "service_completed_successfully" and target.get("restart", "no") != "no":
                problems.append(f"{name}: waits for {dependency} to finish; it restarts")
            elif state not in {"service_healthy", "service_completed_successfully"}:
                problems.append(f"{name}: depends on {dependency} with condition {state}")
            elif target.get("profiles") and not set(target["profiles"]) & set(
                spec.get("profiles") or []
            ):
                problems.append(f"{name}: depends on {dependency}, which runs only in a profile")
    return problems


def check_one_beat(d: Deploy) -> list[str]:
    """Exactly one beat, never scaled."""
    beats = d.services_running("beat")
    if len(beats) != 1:
        return [f"{len(beats)} services run beat: {beats}"]
    spec = d.all_services[beats[0]]
    replicas = (spec.get("deploy") or {}).get("replicas", 1)
    if replicas != 1 or spec.get("scale", 1) != 1:
        return [f"{beats[0]}: runs {replicas} beats"]
    return []


def worker_queues(d: Deploy, name: str, configured: set[str]) -> set[str]:
    """The queues a worker service consumes, from its entry point branch and environment: those
    it names with --queues, else the Celery app's configured queues, less --exclude-queues."""
    spec = d.all_services[name]
    env = d.environment(spec)
    branch = d.commands.get(d.command(spec)[0], "")

    def option(flag: str) -> set[str] | None:
        variable = re.search(rf"{flag}\s+\"?\$\{{(\w+):-([^}}]*)\}}", branch)
        literal = re.search(rf"{flag}\s+\"?([\w,-]+)", branch)
        if variable:
            value = env.get(variable.group(1)) or variable.group(2)
        elif literal:
            value = literal.group(1)
        else:
            return None
        return {q for q in value.split(",") if q}

    only, excluded = option("--queues"), option("--exclude-queues")
    return (configured if only is None else only) - (excluded or set())


def runs_worker(d: Deploy, spec: dict[str, Any]) -> bool:
    branch = d.commands.get(d.command(spec)[0], "")
    return re.search(r"\bcelery\b[^\n]*\bworker\b", branch) is not None


def check_queues(d: Deploy) -> list[str]:
    """Every queue a task can be sent to (the default queue, routes, task options, declared
    queues) is consumed by a worker service."""
    workers = [n for n, s in d.app_services.items() if runs_worker(d, s)]
    if not workers:
        return ["no worker service"]
    probed = effective_settings(d.environment(d.all_services[workers[0]]), queues=True)
    if "error" in probed:
        return [f"the Celery app does not load in {workers[0]}: {probed['error']}"]
    configured = set(probed["configured"])
    consumed = set().union(*(worker_queues(d, n, configured) for n in workers))
    missing = sorted(set(probed["queues"]) - consumed)
    return [f"no worker consumes {missing}"] if missing else []


def check_proxy(d: Deploy) -> list[str]:
    """A reverse proxy terminates TLS in front of web; web itself publishes no port."""
    problems = []
    caddyfile = (d.deploy / "Caddyfile").read_text()
    proxies = [
        n
        for n, s in d.services.items()
        if any("Caddyfile" in str(v) for v in s.get("volumes") or [])
    ]
    if not proxies:
        return ["no proxy service mounts deploy/Caddyfile"]
    published = {
        str(p).split(":")[-2] if ":" in str(p) else ""
        for p in d.services[proxies[0]].get("ports") or []
    }
    if "443" not in published:
        problems.append(f"{proxies[0]} does not publish 443")
    if not re.search(r"^\s*tls\s+\S", caddyfile, re.MULTILINE):
        problems.append("the Caddyfile's site has no tls directive")
    for name in d.services_running("web"):
        spec = d.all_services[name]
        if spec.get("ports"):
            problems.append(f"{name}: published past the proxy")
        if d.environment(spec).get("NUM_PROXIES") != "1":
            problems.append(f"{name}: NUM_PROXIES is not 1 behind the proxy")
    return problems
