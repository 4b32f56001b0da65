"""Reading the deploy files as compose and Docker would, without either.

`Deploy` holds the files under a root (the repository, or a temporary copy a test has broken):
deploy/compose.yaml with compose's `${VAR...}` interpolation and profiles, deploy/Dockerfile
(dockerfile-parse), the branches of deploy/entrypoint.sh. `effective_settings` imports the
settings in a child process whose environment is exactly a container's: the image's ENV plus
the service's `environment` (the checkout's `.env` is not read).
"""

from __future__ import annotations

import ast
import copy
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from dockerfile_parse import DockerfileParser

CODE_ROOT = Path(__file__).resolve().parents[4]


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


def url_host(url: str) -> str | None:
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
result = {}
try:
    settings = importlib.import_module(sys.argv[1])
    result["databases"] = {alias: db.get("HOST") for alias, db in settings.DATABASES.items()}
    result["caches"] = {alias: str(c.get("LOCATION")) for alias, c in settings.CACHES.items()}
    result["broker"] = settings.CELERY_BROKER_URL
    if len(sys.argv) > 2:
        import django

        django.setup()
        from config.celery import app

        app.loader.import_default_modules()
        result["configured"] = sorted(app.amqp.queues)
        queues = set(app.amqp.queues) | {app.conf.task_default_queue}
        routes = app.conf.task_routes or {}
        for route in routes.values() if isinstance(routes, dict) else ():
            queue = route.get("queue") if isinstance(route, dict) else route
            queues.add(getattr(queue, "name", queue))
        for task in app.tasks.values():
            if getattr(task, "queue", None):
                queues.add(getattr(task.queue, "name", task.queue))
        result["queues"] = sorted(q for q in queues if q)
except Exception as error:
    result["error"] = f"{type(error).__name__}: {error}"
print(json.dumps(result))
"""


_probe_cache: dict[str, dict[str, Any]] = {}


def effective_settings(env: dict[str, str], *, queues: bool = False) -> dict[str, Any]:
    """Import the settings module named by DJANGO_SETTINGS_MODULE with exactly `env`."""
    key = json.dumps([sorted(env.items()), queues])
    if key not in _probe_cache:
        module = env.get("DJANGO_SETTINGS_MODULE", "config.settings.base")
        with tempfile.TemporaryDirectory() as scratch:
            # The entry point creates the metrics directory before the process starts.
            extra = (
                {"PROMETHEUS_MULTIPROC_DIR": scratch} if "PROMETHEUS_MULTIPROC_DIR" in env else {}
            )
            result = subprocess.run(
                [sys.executable, "-c", _PROBE, module, *(["queues"] if queues else [])],
                cwd=CODE_ROOT,
                env={**env, **extra, "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        last = (result.stdout.strip().splitlines() or [""])[-1]
        try:
            _probe_cache[key] = json.loads(last)
        except ValueError:
            _probe_cache[key] = {"error": (result.stderr.strip().splitlines() or ["no output"])[-1]}
    return _probe_cache[key]


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


def shell_code(script: str) -> str:
    """A shell script without its comment lines."""
    return "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))


def settings_env_reads_all(root: Path) -> set[str]:
    """Every variable named in an env(...) call of the settings, with or without a default."""
    text = "".join(p.read_text() for p in (root / "config" / "settings").glob("*.py"))
    return set(re.findall(r"env(?:\.\w+)?\(\s*[\"']([A-Z0-9_]+)[\"']", text))


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
