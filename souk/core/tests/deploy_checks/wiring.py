"""Checks of what ties the files to the code: required settings, the servers the settings
point at, the replica profile, the image's user, gunicorn's config and the health URLs. Each
returns the problems it found (none: it holds)."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable

from souk.core.tests.deploy_checks.files import (
    BACKEND_SCHEMES,
    REPLICA_PROFILE,
    Deploy,
    gunicorn_config_of,
    gunicorn_port,
    health_paths,
    read_env_file,
    settings_env_reads,
    settings_env_reads_all,
    shell_code,
    url_host,
)


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
            if scheme in BACKEND_SCHEMES and url_host(value) not in services:
                problems.append(f"{name}: {var} points at {url_host(value)}, which is no service")
        settings = d.effective_settings(spec)
        if "error" in settings:
            continue  # reported by check_required_settings
        hosts = {
            **{f"database {a}": h for a, h in settings["databases"].items() if h},
            **{f"cache {a}": url_host(loc) for a, loc in settings["caches"].items()},
            "broker": url_host(settings["broker"]),
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
    host = url_host(url)
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
    text = shell_code(entry.read_text()) if entry and entry.is_file() else ""
    if "pg_basebackup" not in text or "--write-recovery-conf" not in text:
        problems.append("the replica's entry point does not copy the primary as a standby")
    role = re.search(r"--username\s+(\w+)", text)
    init = "".join(
        shell_code(p.read_text())
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


def check_frontend(d: Deploy) -> list[str]:
    """The image holds the web pages' front-end files: a stage builds them with
    scripts/frontend.sh (npm ci from package-lock.json), and the final stage copies them into
    the static files before collectstatic, so no page loads anything from a CDN."""
    structure = d.dockerfile.structure
    froms = [i for i in structure if i["instruction"] == "FROM"]
    if len(froms) < 2:
        return ["the image has no stage that builds the front-end files"]
    final_start = froms[-1]["startline"]
    builds = [
        i
        for i in structure
        if i["instruction"] == "RUN"
        and "scripts/frontend.sh" in i["value"]
        and i["startline"] < final_start
    ]
    if not builds:
        return ["no stage runs scripts/frontend.sh"]
    copies = [
        i
        for i in structure
        if i["instruction"] == "COPY"
        and i["startline"] > final_start
        and "--from=" in i["value"]
        and i["value"].split()[-1].rstrip("/") == "souk/web/static/vendor"
    ]
    collect = [
        i["startline"]
        for i in structure
        if i["instruction"] == "RUN" and "collectstatic" in i["value"]
    ]
    if not copies:
        return ["the final stage does not copy the front-end files into souk/web/static/vendor"]
    if collect and copies[0]["startline"] > min(collect):
        return ["the front-end files are copied after collectstatic"]
    return []
