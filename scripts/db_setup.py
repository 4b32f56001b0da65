"""Make sure the database named by DATABASE_URL is ready: it exists, a `<name>_template`
database exists for test databases, both hold the postgis, pg_trgm and btree_gin extensions,
and the role may create databases (for the test suite).

Exit 0: ready. Exit 3: this role lacks the privileges; a superuser must bootstrap (the
set-up script does that for a local server; `--print-bootstrap-sql` prints what it runs).
Exit 1: the server is unreachable or another error.
"""

from __future__ import annotations

import os
import sys
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg import errors, sql

EXTENSIONS = ("postgis", "pg_trgm", "btree_gin")
DEFAULT_URL = "postgis://souk:souk@127.0.0.1:5432/souk"
NEEDS_SUPERUSER = 3


def settings() -> dict[str, str]:
    url = urlsplit(os.environ.get("DATABASE_URL") or DEFAULT_URL)
    return {
        "host": url.hostname or "",
        "port": str(url.port or 5432),
        "user": unquote(url.username or ""),
        "password": unquote(url.password or ""),
        "dbname": unquote(url.path.lstrip("/")) or "souk",
    }


def connect(conf: dict[str, str], dbname: str) -> psycopg.Connection:
    params: dict[str, Any] = {k: v for k, v in conf.items() if v and k != "dbname"}
    return psycopg.connect(dbname=dbname, autocommit=True, connect_timeout=5, **params)


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def quote_ident(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def bootstrap_sql(conf: dict[str, str]) -> str:
    role, name = conf["user"] or "souk", conf["dbname"]
    password = conf["password"]
    login = f"LOGIN PASSWORD {quote_literal(password)}" if password else "LOGIN"
    lines = [
        "DO $$ BEGIN",
        f"  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {quote_literal(role)}) THEN",
        f"    CREATE ROLE {quote_ident(role)} {login} CREATEDB;",
        f"  ELSE ALTER ROLE {quote_ident(role)} CREATEDB; END IF;",
        "END $$;",
    ]
    for db in (name, f"{name}_template"):
        lines += [
            f"SELECT 'CREATE DATABASE {quote_ident(db)} OWNER {quote_ident(role)}'",
            f"  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = {quote_literal(db)})"
            r"\gexec",
            rf"\connect {quote_ident(db)}",
            *[f"CREATE EXTENSION IF NOT EXISTS {ext};" for ext in EXTENSIONS],
            r"\connect postgres",
        ]
    return "\n".join(lines) + "\n"


def ensure_database(conf: dict[str, str], dbname: str) -> None:
    try:
        connect(conf, dbname).close()
        return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc) or f'"{dbname}"' not in str(exc):
            raise
    with connect(conf, "postgres") as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    print(f"created database {dbname}")


def ensure_extensions(conf: dict[str, str], dbname: str) -> None:
    with connect(conf, dbname) as conn:
        present = {row[0] for row in conn.execute("SELECT extname FROM pg_extension")}
        for ext in EXTENSIONS:
            if ext not in present:
                conn.execute(
                    sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(ext))
                )


def can_create_databases(conf: dict[str, str]) -> bool:
    with connect(conf, conf["dbname"]) as conn:
        row = conn.execute(
            "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
    return bool(row and row[0])


def main() -> int:
    conf = settings()
    if "--print-bootstrap-sql" in sys.argv:
        sys.stdout.write(bootstrap_sql(conf))
        return 0
    try:
        for dbname in (conf["dbname"], f"{conf['dbname']}_template"):
            ensure_database(conf, dbname)
            ensure_extensions(conf, dbname)
        if not can_create_databases(conf):
            print("the database role may not create databases (needed by the tests)")
            return NEEDS_SUPERUSER
    except (errors.InsufficientPrivilege, errors.InvalidPassword) as exc:
        print(f"database set-up needs a superuser: {exc}".strip())
        return NEEDS_SUPERUSER
    except psycopg.OperationalError as exc:
        text = str(exc)
        if "password authentication failed" in text or "role" in text and "does not exist" in text:
            print(f"database role missing or wrong password: {text.strip()}")
            return NEEDS_SUPERUSER
        print(f"cannot reach PostgreSQL: {text.strip()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
