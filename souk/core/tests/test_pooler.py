"""Souk runs behind a transaction pooler (PgBouncer, pool_mode = transaction) when
DB_TRANSACTION_POOLER is on: each transaction may get another server connection, so nothing
may rely on the session. scripts/pgbouncer-check.sh runs the whole suite through a real
pgbouncer; these tests guard the invariant cheaply in every run."""

from __future__ import annotations

import ast
import re
import runpy
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from souk.accounts.models import User

ROOT = Path(__file__).resolve().parents[3]
BASE_SETTINGS = ROOT / "config" / "settings" / "base.py"


def base_settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    """config/settings/base.py evaluated afresh with `env` (the running settings untouched)."""
    monkeypatch.delenv("DB_TRANSACTION_POOLER", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(BASE_SETTINGS))


def test_by_default_connections_open_with_their_settings_and_may_use_server_cursors(monkeypatch):
    conf = base_settings(monkeypatch, DB_LOCK_TIMEOUT_MS="4321")
    database = conf["DATABASES"]["default"]

    assert conf["DB_TRANSACTION_POOLER"] is False
    assert "-c lock_timeout=4321ms" in database["OPTIONS"]["options"]
    assert "-c jit=off" in database["OPTIONS"]["options"]
    assert conf["DB_SESSION_LOCK_TIMEOUT_MS"] == 4321
    assert not database.get("DISABLE_SERVER_SIDE_CURSORS")
    assert database["OPTIONS"]["prepare_threshold"] == 2  # repeated statements are prepared
    assert conf["DB_LOCKING_PLAN_CACHE_MODE"] == ""  # `auto`: no statement to set it


def test_a_plan_cache_mode_postgresql_does_not_know_is_refused(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="DB_LOCKING_PLAN_CACHE_MODE"):
        base_settings(monkeypatch, DB_LOCKING_PLAN_CACHE_MODE="generic'; DROP TABLE x")


@pytest.mark.parametrize("value", ["1", "true", "on"])
def test_behind_a_transaction_pooler_nothing_is_set_per_session(monkeypatch, value):
    conf = base_settings(monkeypatch, DB_TRANSACTION_POOLER=value, DB_LOCK_TIMEOUT_MS="4321")
    database = conf["DATABASES"]["default"]

    assert conf["DB_TRANSACTION_POOLER"] is True
    assert "options" not in database["OPTIONS"]  # PgBouncer refuses the startup parameter
    assert database["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert database["OPTIONS"]["prepare_threshold"] is None  # no named prepared statements
    assert conf["DB_LOCKING_PLAN_CACHE_MODE"] == ""  # so no plan to keep
    assert conf["DB_LOCK_TIMEOUT_MS"] == 4321
    assert conf["DB_SESSION_LOCK_TIMEOUT_MS"] is None  # each locking transaction sets it


def prepared_after_repeats(threshold: int | None, marker: str) -> list[tuple[int, int]]:
    """What the server holds prepared after one statement (its text unique to `marker`) ran 8
    times on a connection with this prepare_threshold: (generic plans, custom plans)."""
    connection.ensure_connection()
    raw = connection.connection
    before = raw.prepare_threshold
    raw.prepare_threshold = threshold
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for pk in range(8):
                cursor.execute(
                    f"SELECT id FROM accounts_user WHERE id = %s AND '{marker}' <> ''",  # noqa: S608
                    [pk],
                )
            cursor.execute(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                "WHERE statement LIKE %s",
                [f"%'{marker}'%"],
            )
            return [(int(generic), int(custom)) for generic, custom in cursor.fetchall()]
    finally:
        raw.prepare_threshold = before


@pytest.mark.django_db
def test_behind_a_pooler_statements_are_never_prepared_on_the_server():
    """psycopg prepares a statement (a named, per-session object) once it has run
    prepare_threshold times; behind a pooler that is off (None), so any server connection can
    run any transaction's statements."""
    assert prepared_after_repeats(None, "pooled") == []


@pytest.mark.django_db
def test_without_a_pooler_repeated_statements_are_prepared(settings):
    if settings.DB_TRANSACTION_POOLER:
        pytest.skip("behind a transaction pooler nothing is prepared (the test above)")
    assert connection.settings_dict["OPTIONS"]["prepare_threshold"] == 2

    assert len(prepared_after_repeats(2, "direct")) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("pooler", [False, True])
def test_iterating_behind_a_pooler_declares_no_server_side_cursor(
    monkeypatch, user_factory, pooler
):
    """Django's iterator() reads through a server-side cursor unless told not to (outside a
    transaction one WITH HOLD, living in the session); the pooler setting turns it off."""
    user_factory.create_batch(3)
    conf = base_settings(monkeypatch, DB_TRANSACTION_POOLER="1" if pooler else "0")
    disabled = conf["DATABASES"]["default"].get("DISABLE_SERVER_SIDE_CURSORS", False)
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", disabled)

    open_cursors = []
    for _ in User.objects.order_by("pk").iterator(chunk_size=1):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_cursors WHERE name LIKE '_django_curs_%%'")
            open_cursors.append(cursor.fetchone()[0])

    assert len(open_cursors) == 3
    assert set(open_cursors) == ({0} if pooler else {1})


# --- Source scan: no statement leaves state in the session ------------------------------------

_SESSION_STATE = [
    # SET (not LOCAL, not the transaction's constraints) and RESET begin a statement
    (
        "session SET",
        re.compile(r"(\A|;)\s*(SET\s+(?!LOCAL\b|CONSTRAINTS\b|TRANSACTION\b)|RESET\b)"),
    ),
    ("advisory lock", re.compile(r"pg_(try_)?advisory_lock(_shared)?\s*\(", re.IGNORECASE)),
    ("LISTEN", re.compile(r"(\A|;)\s*(UN)?LISTEN\s")),
    ("temporary table", re.compile(r"CREATE\s+((GLOBAL|LOCAL)\s+)?TEMP(ORARY)?\s+TABLE", re.I)),
    ("WITH HOLD cursor", re.compile(r"\bWITH\s+HOLD\b", re.IGNORECASE)),
    ("prepared statement", re.compile(r"(\A|;)\s*PREPARE\s+\w+")),
]
_SET_CONFIG = re.compile(r"set_config\s*\(((?:[^()]|\([^()]*\))*)\)", re.IGNORECASE)


def session_state(path: Path) -> list[tuple[int, str]]:
    """(line, what) for each SQL string in `path` that would leave state in the session, and
    each `prepare=True` (a named prepared statement) passed to a call."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            found += [
                (node.lineno, what) for what, pattern in _SESSION_STATE if pattern.search(text)
            ]
            for call in _SET_CONFIG.finditer(text):
                if not re.search(r",\s*true\s*\Z", call.group(1), re.IGNORECASE):
                    found.append((node.lineno, "session set_config"))
        elif (
            isinstance(node, ast.keyword)
            and node.arg == "prepare"
            and isinstance(node.value, ast.Constant)
            and node.value.value is True
        ):
            found.append((node.lineno, "prepare=True"))
    return sorted(found)


def _sources() -> list[Path]:
    paths = [*(ROOT / "souk").rglob("*.py"), *(ROOT / "config").rglob("*.py")]
    paths += (ROOT / "scripts").glob("*.py")
    return [path for path in paths if "tests" not in path.relative_to(ROOT).parts]


def test_no_code_path_keeps_state_in_the_database_session():
    sources = _sources()
    assert len(sources) > 100  # the scan reads the whole project

    found = {str(path.relative_to(ROOT)): hits for path in sources if (hits := session_state(path))}

    assert found == {}


def test_the_scan_finds_each_kind_of_session_state(tmp_path):
    source = tmp_path / "service.py"
    source.write_text(
        "\n".join(
            [
                'A = "SET lock_timeout = 100"',
                'B = "SELECT pg_advisory_lock(1)"',
                'C = "LISTEN orders"',
                'D = "CREATE TEMP TABLE t (id int)"',
                'E = "DECLARE c CURSOR WITH HOLD FOR SELECT 1"',
                "F = \"SELECT set_config('jit', 'off', false)\"",
                'G = "PREPARE q AS SELECT 1"',
                'cursor.execute("SELECT 1", prepare=True)',
                "H = \"SELECT 1; SET TIME ZONE 'UTC'\"",
                # allowed: the transaction's own settings and locks, and UPDATE ... SET
                'I = "SET LOCAL lock_timeout = 100"',
                "J = \"SELECT set_config('synchronous_commit', %(s)s, true)\"",
                'K = "SELECT pg_advisory_xact_lock(1)"',
                'L = "SET CONSTRAINTS ALL IMMEDIATE"',
                'M = """UPDATE t\nSET x = 1"""',
                'cursor.execute("SELECT 1", prepare=False)',
            ]
        )
        + "\n"
    )

    assert session_state(source) == [
        (1, "session SET"),
        (2, "advisory lock"),
        (3, "LISTEN"),
        (4, "temporary table"),
        (5, "WITH HOLD cursor"),
        (6, "session set_config"),
        (7, "prepared statement"),
        (8, "prepare=True"),
        (9, "session SET"),
    ]


def test_an_empty_prepare_threshold_prepares_nothing(monkeypatch):
    conf = base_settings(monkeypatch, DB_PREPARE_THRESHOLD="")

    assert conf["DATABASES"]["default"]["OPTIONS"]["prepare_threshold"] is None
