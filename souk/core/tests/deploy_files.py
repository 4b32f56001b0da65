"""Checks of the production image and compose file that need no container engine.

Each check reads the deploy files under a root (the repository, or a temporary copy that a test
has broken) and returns the problems it found; an empty list means the check holds. The files:
deploy/compose.yaml (with compose's `${VAR...}` interpolation), deploy/Dockerfile
(dockerfile-parse), deploy/entrypoint.sh, deploy/Caddyfile, deploy/replica.env, the scripts
under deploy/db/, scripts/run.sh, .dockerignore and the settings modules.

The settings a service really gets are found by importing the production settings in a child
process whose environment is exactly the container's: the image's ENV plus the service's
`environment` (the `.env` file of the checkout is not read).
"""

from __future__ import annotations

import ast
import copy
import fnmatch
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from dockerfile_parse import DockerfileParser

CODE_ROOT = Path(__file__).resolve().parents[3]
# What compose would take from the shell when started as the comment in compose.yaml says.
SHELL_VARIABLES = {"SECRET_KEY": "k3Y-" + "x7Qm9Lp2Zr8Tn4Vb6Hc1Jd5Fg0Ws3Ey7Ua2Io9Pk4Ln8Mq6Rt1" * 2}
REPLICA_PROFILE = "replica"
BACKEND_SCHEMES = {
    "postgis",
    "postgres",
    "postgresql",
    "redis",
    "rediss",
    "amqp",
    "amqps",
    "smtp",
    "smtps",
    "smtp+tls",
    "smtp+ssl",
}


class InterpolationError(ValueError):
    pass


_VARIABLE = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)


def interpolate(text: str, variables: dict[str, str]) -> str:
    """Compose's interpolation of one value: $$, ${V}, ${V:-d}, ${V-d}, ${V:?e}, ${V?e},
    ${V:+r}, ${V+r}."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        value = variables.get(name)
        present = bool(value) if op and op.startswith(":") else value is not None
        if op in (":-", "-"):
            return value if present and value is not None else arg
        if op in (":?", "?"):
            if not present or value is None:
                raise InterpolationError(f"{name}: {arg}")
            return value
        if op in (":+", "+"):
            return arg if present else ""
        return value or ""

    return _VARIABLE.sub(replace, text)


def _interpolate_tree(node: Any, variables: dict[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, variables)
    if isinstance(node, list):
        return [_interpolate_tree(item, variables) for item in node]
    if isinstance(node, dict):
        return {key: _interpolate_tree(value, variables) for key, value in node.items()}
    return node


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def case_branches(text: str, indent: int) -> dict[str, str]:
    """The branches of the shell `case` whose patterns start `indent` columns in: each
    pattern (alternatives split) -> the branch's text."""
    head = re.compile(rf"^ {{{indent}}}([^\s()]+)\)(.*)$")
    branches: dict[str, str] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        match = head.match(line)
        if match:
            current = [match.group(2)]
            for pattern in match.group(1).split("|"):
                branches[pattern] = ""
            names = match.group(1).split("|")
            continue
        if current is not None:
            if re.match(rf"^ {{0,{indent}}}(esac|;;)\s*$", line):
                current = None
                continue
            current.append(line)
            for name in names:
                branches[name] = "\n".join(current)
    return branches


def _host(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


@dataclass
class Deploy:
    """The deploy files under `root`, resolved with the given compose variables."""

    root: Path
    variables: dict[str, str] = field(default_factory=lambda: dict(SHELL_VARIABLES))

    @property
    def deploy(self) -> Path:
        return self.root / "deploy"

    @cached_property
    def compose_raw(self) -> dict[str, Any]:
        data: dict[str, Any] = yaml.safe_load((self.deploy / "compose.yaml").read_text())
        return data

    @cached_property
    def compose(self) -> dict[str, Any]:
        resolved: dict[str, Any] = _interpolate_tree(
            copy.deepcopy(self.compose_raw), self.variables
        )
        return resolved

    @property
    def profiles(self) -> set[str]:
        return {p for p in self.variables.get("COMPOSE_PROFILES", "").split(",") if p}

    @property
    def all_services(self) -> dict[str, dict[str, Any]]:
        services: dict[str, dict[str, Any]] = self.compose.get("services", {})
        return services

    @property
    def services(self) -> dict[str, dict[str, Any]]:
        """The services that run with the active profiles."""
        return {
            name: spec
            for name, spec in self.all_services.items()
            if not spec.get("profiles") or set(spec["profiles"]) & self.profiles
        }

    @cached_property
    def dockerfile(self) -> DockerfileParser:
        return DockerfileParser(str(self.deploy / "Dockerfile"))

    @property
    def entrypoint_text(self) -> str:
        return (self.deploy / "entrypoint.sh").read_text()

    @property
    def commands(self) -> dict[str, str]:
        return case_branches(self.entrypoint_text, 2)

    @property
    def health_kinds(self) -> dict[str, str]:
        return case_branches(self.commands.get("healthcheck", ""), 6)

    def is_app(self, spec: dict[str, Any]) -> bool:
        build = spec.get("build") or {}
        return str(build.get("dockerfile", "")).endswith("deploy/Dockerfile")

    @property
    def app_services(self) -> dict[str, dict[str, Any]]:
        return {name: spec for name, spec in self.services.items() if self.is_app(spec)}

    @property
    def one_shots(self) -> set[str]:
        """Services others wait to finish (service_completed_successfully)."""
        return {
            dependency
            for spec in self.all_services.values()
            for dependency, condition in (spec.get("depends_on") or {}).items()
            if isinstance(condition, dict)
            and condition.get("condition") == "service_completed_successfully"
        }

    def command(self, spec: dict[str, Any]) -> list[str]:
        command = spec.get("command")
        if command is None:
            command = json.loads(dockerfile_last(self.dockerfile, "CMD", "[]"))
        return shlex.split(command) if isinstance(command, str) else list(command)

    def environment(self, spec: dict[str, Any]) -> dict[str, str]:
        """The environment a container of this service starts with."""
        env = dict(self.dockerfile.envs) if self.is_app(spec) else {}
        declared = spec.get("environment") or {}
        if isinstance(declared, list):
            declared = dict(item.partition("=")[::2] for item in declared)
        env.update({key: "" if value is None else str(value) for key, value in declared.items()})
        return env

    def services_running(self, command: str) -> list[str]:
        return [
            name
            for name, spec in self.all_services.items()
            if self.is_app(spec) and self.command(spec)[:1] == [command]
        ]

    def effective_settings(self, spec: dict[str, Any]) -> dict[str, Any]:
        return effective_settings(self.environment(spec))


def dockerfile_last(parser: DockerfileParser, instruction: str, default: str = "") -> str:
    """The value of the last such instruction of the Dockerfile."""
    values = [i["value"] for i in parser.structure if i["instruction"] == instruction]
    return str(values[-1]).strip() if values else default


_PROBE = r"""
import importlib, json, sys
import environ
environ.Env.read_env = classmethod(lambda cls, *args, **kwargs: None)
try:
    settings = importlib.import_module(sys.argv[1])
except Exception as error:
    print(json.dumps({"error": f"{type(error).__name__}: {error}"}))
    raise SystemExit(0)
result = {
    "databases": {alias: db.get("HOST") for alias, db in settings.DATABASES.items()},
    "caches": {alias: str(c.get("LOCATION")) for alias, c in settings.CACHES.items()},
    "broker": settings.CELERY_BROKER_URL,
}
if len(sys.argv) > 2:
    import django
    django.setup()
    from config.celery import app
    app.loader.import_default_modules()
    queues = set(app.amqp.queues)
    queues.add(app.conf.task_default_queue)
    routes = app.conf.task_routes or {}
    for route in (routes.values() if isinstance(routes, dict) else ()):
        queue = route.get("queue") if isinstance(route, dict) else route
        queues.add(getattr(queue, "name", queue))
    for task in app.tasks.values():
        if getattr(task, "queue", None):
            queues.add(getattr(task.queue, "name", task.queue))
    result["queues"] = sorted(q for q in queues if q)
print(json.dumps(result))
"""
_probe_cache: dict[str, dict[str, Any]] = {}


def effective_settings(env: dict[str, str], *, queues: bool = False) -> dict[str, Any]:
    """Import the settings module named by DJANGO_SETTINGS_MODULE with exactly `env`."""
    key = json.dumps([sorted(env.items()), queues])
    if key not in _probe_cache:
        module = env.get("DJANGO_SETTINGS_MODULE", "config.settings.base")
        result = subprocess.run(
            [sys.executable, "-c", _PROBE, module, *(["queues"] if queues else [])],
            cwd=CODE_ROOT,
            env={**env, "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        _probe_cache[key] = json.loads(result.stdout.strip().splitlines()[-1])
    return _probe_cache[key]


# --- The checks --------------------------------------------------------------------------------


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


def settings_env_reads(settings_dir: Path) -> dict[str, bool]:
    """Variables the settings modules read without a default -> read on every import
    (False: only under a condition). The test settings are left out."""
    required: dict[str, bool] = {}
    for path in sorted(settings_dir.glob("*.py")):
        if path.stem.startswith("test"):
            continue
        tree = ast.parse(path.read_text())
        parents: dict[ast.AST, ast.AST] = {
            child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func = node.func
            reads_env = (isinstance(func, ast.Name) and func.id == "env") or (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "env"
            )
            name = node.args[0]
            if not reads_env or not isinstance(name, ast.Constant):
                continue
            if any(k.arg == "default" for k in node.keywords) or len(node.args) > 2:
                continue
            conditional, parent = False, parents.get(node)
            while parent is not None:
                if isinstance(parent, ast.If | ast.IfExp | ast.Try | ast.BoolOp | ast.FunctionDef):
                    conditional = True
                parent = parents.get(parent)
            key = str(name.value)
            required[key] = required.get(key, False) or not conditional
    return required


def check_required_settings(d: Deploy) -> list[str]:
    """Every app service sets each variable the settings read without a default, and the
    production settings import with exactly the service's environment."""
    problems = []
    always = [k for k, v in settings_env_reads(d.root / "config" / "settings").items() if v]
    for name, spec in d.app_services.items():
        env = d.environment(spec)
        problems += [f"{name}: {var} is not set" for var in always if not env.get(var)]
        settings = d.effective_settings(spec)
        if "error" in settings:
            problems.append(f"{name}: the settings refuse this environment: {settings['error']}")
    return problems


def check_backing_services(d: Deploy) -> list[str]:
    """The servers the app's settings point at are compose services it waits for; the app
    goes through PgBouncer in transaction mode, migrations straight to the primary."""
    problems = []
    services = d.services
    poolers = {n for n, s in services.items() if "pgbouncer" in s.get("image", "")}
    for pooler in poolers:
        env = d.environment(services[pooler])
        if env.get("POOL_MODE") != "transaction":
            problems.append(f"{pooler}: POOL_MODE is {env.get('POOL_MODE')}, not transaction")
        if env.get("DB_HOST") not in services:
            problems.append(f"{pooler}: DB_HOST {env.get('DB_HOST')} is no service")
    for name, spec in d.app_services.items():
        env = d.environment(spec)
        for var, value in env.items():
            scheme = value.split("://", 1)[0] if "://" in value else ""
            if scheme in BACKEND_SCHEMES and _host(value) not in services:
                problems.append(f"{name}: {var} points at {_host(value)}, which is no service")
        settings = d.effective_settings(spec)
        if "error" in settings:
            continue  # reported by check_required_settings
        hosts = {
            **{f"database {a}": h for a, h in settings["databases"].items() if h},
            **{f"cache {a}": _host(loc) for a, loc in settings["caches"].items()},
            "broker": _host(settings["broker"]),
        }
        waits_for = set(spec.get("depends_on") or {})
        for what, host in hosts.items():
            # A one-shot (migrate) needs only its database.
            must_wait = name not in d.one_shots or what.startswith("database")
            if host not in services:
                problems.append(f"{name}: its {what} is {host}, which is no service")
            elif must_wait and host not in waits_for and not services[host].get("profiles"):
                problems.append(f"{name}: its {what} is {host}, which it does not wait for")
        default_host = settings["databases"].get("default")
        pooled = env.get("DB_TRANSACTION_POOLER", "").lower() in {"1", "true", "yes", "on"}
        if name in d.one_shots:
            if default_host in poolers or pooled:
                problems.append(f"{name}: migrations go through the pooler")
        elif default_host not in poolers or not pooled:
            problems.append(f"{name}: connects to {default_host}, not through PgBouncer")
    return problems


def check_replica_profile(d: Deploy) -> list[str]:
    """deploy/replica.env turns the `replica` profile on and points DATABASE_REPLICA_URL at a
    streaming replica of the primary; without it the app has no replica."""
    problems = []
    replica_vars = read_env_file(d.deploy / "replica.env")
    on = Deploy(d.root, {**d.variables, **replica_vars})
    if REPLICA_PROFILE not in on.profiles:
        problems.append("replica.env does not turn the replica profile on")
    url = replica_vars.get("DATABASE_REPLICA_URL", "")
    host = _host(url)
    replica = on.services.get(host or "")
    if replica is None or REPLICA_PROFILE not in (replica.get("profiles") or []):
        return [*problems, f"DATABASE_REPLICA_URL points at {host}, no service of the profile"]
    for name, spec in on.app_services.items():
        value = on.environment(spec).get("DATABASE_REPLICA_URL", "")
        if name not in d.one_shots and value != url:
            problems.append(f"{name}: DATABASE_REPLICA_URL is {value!r} in the replica profile")
    for name, spec in d.app_services.items():
        if d.environment(spec).get("DATABASE_REPLICA_URL"):
            problems.append(f"{name}: has a replica without the replica profile")
    env = on.environment(replica)
    primary = env.get("PRIMARY_HOST", "")
    pooler_hosts = {
        on.environment(s).get("DB_HOST")
        for s in on.services.values()
        if "pgbouncer" in s.get("image", "")
    }
    if primary not in on.services or primary not in pooler_hosts:
        problems.append(f"the replica streams from {primary!r}, not the app's primary")
    if (replica.get("depends_on") or {}).get(primary, {}).get("condition") != "service_healthy":
        problems.append("the replica does not wait for a healthy primary")
    scripts = {
        str(mount).split(":")[1]: d.deploy / str(mount).split(":")[0]
        for s in on.services.values()
        for mount in s.get("volumes") or []
        if str(mount).startswith("./")
    }
    entry = scripts.get((replica.get("entrypoint") or [""])[0])
    text = _code(entry.read_text()) if entry and entry.is_file() else ""
    if "pg_basebackup" not in text or "--write-recovery-conf" not in text:
        problems.append("the replica's entry point does not copy the primary as a standby")
    role = re.search(r"--username\s+(\w+)", text)
    init = "".join(
        _code(p.read_text())
        for k, p in scripts.items()
        if k.startswith("/docker-entrypoint-initdb.d/")
    )
    if not role or f"CREATE ROLE {role.group(1)} WITH REPLICATION" not in init:
        problems.append("the primary's init script does not create the replica's role")
    elif f"host replication {role.group(1)}" not in init:
        problems.append("the primary's pg_hba.conf does not admit the replica")
    reads_replica_url = "DATABASE_REPLICA_URL" in settings_env_reads_all(d.root)
    for name, spec in on.app_services.items():
        if name in d.one_shots or not reads_replica_url:
            continue
        settings = on.effective_settings(spec)
        if "error" not in settings and host not in settings["databases"].values():
            problems.append(f"{name}: the settings have no database on {host} in the profile")
    return problems


def _code(script: str) -> str:
    """A shell script without its comment lines."""
    return "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))


def settings_env_reads_all(root: Path) -> set[str]:
    """Every variable named in an env(...) call of the settings, with or without a default."""
    text = "".join(p.read_text() for p in (root / "config" / "settings").glob("*.py"))
    return set(re.findall(r"env(?:\.\w+)?\(\s*[\"']([A-Z0-9_]+)[\"']", text))


def check_image_user(d: Deploy) -> list[str]:
    """The image's processes run as an unprivileged user."""
    users = [i["value"].strip() for i in d.dockerfile.structure if i["instruction"] == "USER"]
    last_from = max(i["startline"] for i in d.dockerfile.structure if i["instruction"] == "FROM")
    final = [
        i["value"].strip()
        for i in d.dockerfile.structure
        if i["instruction"] == "USER" and i["startline"] > last_from
    ]
    if not users or not final:
        return ["the image sets no USER: it runs as root"]
    user = final[-1].split(":")[0]
    if user in {"root", "0"}:
        return [f"the image runs as {final[-1]}"]
    problems = []
    for name, spec in d.all_services.items():
        if d.is_app(spec) and str(spec.get("user", user)).split(":")[0] in {"root", "0"}:
            problems.append(f"{name}: runs as root")
    return problems


def gunicorn_config_of(text: str) -> str | None:
    """The --config file of the first gunicorn command in a shell script."""
    for line in text.replace("\\\n", " ").splitlines():
        words = line.split("#", 1)[0].split()
        if any(w.endswith("gunicorn") for w in words) and "--config" in words:
            return words[words.index("--config") + 1]
    return None


def gunicorn_port(d: Deploy) -> int | None:
    """The port of the bind address deploy/gunicorn.conf.py falls back on."""
    tree = ast.parse((d.deploy / "gunicorn.conf.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "bind" for t in node.targets
        ):
            literals = [n.value for n in ast.walk(node.value) if isinstance(n, ast.Constant)]
            for literal in reversed(literals):
                if isinstance(literal, str) and re.fullmatch(r".*:\d+", literal):
                    return int(literal.rsplit(":", 1)[1])
    return None


def check_gunicorn(d: Deploy) -> list[str]:
    """The image's gunicorn runs with the config file `make run` uses, which the image holds,
    and every port that reaches web is the one that config binds."""
    problems = []
    image_config = gunicorn_config_of(d.commands.get("web", ""))
    run_config = gunicorn_config_of((d.root / "scripts" / "run.sh").read_text())
    if not image_config or image_config != run_config:
        problems.append(f"the image runs gunicorn with {image_config}, make run with {run_config}")
    elif not (d.root / image_config).is_file():
        problems.append(f"{image_config} does not exist")
    ignored = [
        line.strip()
        for line in (d.root / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    if image_config and any(
        fnmatch.fnmatch(image_config, pattern) or image_config.startswith(pattern.rstrip("/") + "/")
        for pattern in ignored
    ):
        problems.append(f".dockerignore keeps {image_config} out of the image")
    if ".env" not in ignored:
        problems.append(".dockerignore lets a local .env into the image")
    port = gunicorn_port(d)
    exposed = [
        i["value"].split("/")[0] for i in d.dockerfile.structure if i["instruction"] == "EXPOSE"
    ]
    if str(port) not in exposed:
        problems.append(f"the image exposes {exposed}, gunicorn binds {port}")
    for url in re.findall(r"http://127\.0\.0\.1:(\d+)/", d.health_kinds.get("web", "")):
        if int(url) != port:
            problems.append(f"web's health check calls port {url}, gunicorn binds {port}")
    web = d.services_running("web")
    upstreams = re.findall(r"reverse_proxy\s+([\w.-]+):(\d+)", (d.deploy / "Caddyfile").read_text())
    for host, upstream_port in upstreams:
        if host not in web or int(upstream_port) != port:
            problems.append(f"the proxy forwards to {host}:{upstream_port}, not web:{port}")
    if not upstreams:
        problems.append("the proxy forwards to nothing")
    return problems


def health_paths(d: Deploy) -> list[str]:
    """Paths of the app that health checks call."""
    texts = [d.entrypoint_text] + [
        json.dumps((spec.get("healthcheck") or {}).get("test"))
        for spec in d.all_services.values()
        if d.is_app(spec)
    ]
    port = gunicorn_port(d)
    return [
        path
        for text in texts
        for path in re.findall(rf"http://(?:127\.0\.0\.1|localhost):{port}(/[^'\"\s]*)", text)
    ]


def check_health_paths(d: Deploy, resolves: Callable[[str], bool]) -> list[str]:
    paths = health_paths(d)
    problems = [
        f"health checks call {path}, which config/urls.py lacks"
        for path in paths
        if not resolves(path)
    ]
    if not paths:
        problems.append("no health check calls the app")
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


def worker_queues(d: Deploy, name: str, declared: set[str]) -> set[str]:
    """The queues a worker service consumes, from its entry point branch and environment."""
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
    queues = set(declared) if only is None else only
    return queues - (excluded or set())


def check_queues(d: Deploy) -> list[str]:
    """Every queue the Celery app declares or routes to has a worker service."""
    workers = [
        n
        for n, s in d.app_services.items()
        if "celery" in d.commands.get(d.command(s)[0], "")
        and " worker " in d.commands.get(d.command(s)[0], "")
    ]
    if not workers:
        return ["no worker service"]
    spec = d.all_services[workers[0]]
    declared = set(effective_settings(d.environment(spec), queues=True).get("queues", []))
    consumed = set().union(*(worker_queues(d, n, declared) for n in workers))
    missing = sorted(declared - consumed)
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
