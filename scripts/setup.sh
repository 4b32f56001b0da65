#!/usr/bin/env bash
# Make this machine ready to run and test Souk; quick when everything is already in place.
#
#  1. system packages (Debian/Ubuntu): Python, GDAL/GEOS/PROJ, and unless DATABASE_URL/REDIS_URL
#     point elsewhere, PostgreSQL with the PostGIS package for the server's major version and Redis
#  2. starts PostgreSQL and Redis when they are not running, and RabbitMQ (the broker tests
#     run against it) unless RABBITMQ_TEST_URL points elsewhere
#  3. the Python environment (.venv, from the lock file); the web pages' front-end packages
#     (npm ci, scripts/frontend.sh) and Chromium for their browser tests
#  4. the database, its test template (<name>_template), and the postgis, pg_trgm and
#     btree_gin extensions
#
# On other systems it lists what to install and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
load_url_settings

db_host=$(url_host "$DATABASE_URL")
db_port=$(url_port "$DATABASE_URL" 5432)
redis_host=$(url_host "$REDIS_URL")
redis_port=$(url_port "$REDIS_URL" 6379)
local_db=false; is_local_host "$db_host" && local_db=true
local_redis=false; is_local_host "$redis_host" && local_redis=true
local_rabbitmq=false; is_local_host "$(url_host "${RABBITMQ_TEST_URL:-amqp://127.0.0.1}")" && local_rabbitmq=true

other_system_help() {
  cat >&2 <<TXT
Souk's set-up installs packages on Debian and Ubuntu only. On this system install:
  - Python 3.11 (with venv)
  - GDAL, GEOS and PROJ libraries        (macOS: brew install gdal geos proj;
                                           Fedora: dnf install gdal geos proj)
  - PostgreSQL 15+ with PostGIS 3         (macOS: brew install postgresql@15 postgis;
                                           Fedora: dnf install postgresql-server postgis)
  - Redis 6+                              (macOS: brew install redis; Fedora: dnf install redis)
then start PostgreSQL and Redis, and run again (or set DATABASE_URL and REDIS_URL to
existing servers; the database role needs CREATEDB, and a superuser must have run
CREATE EXTENSION postgis; CREATE EXTENSION pg_trgm; CREATE EXTENSION btree_gin;
in the database and in its <name>_template test template once).
TXT
  exit 1
}

is_debian_like() {
  [ -r /etc/os-release ] || return 1
  # shellcheck disable=SC1091
  . /etc/os-release
  case " ${ID:-} ${ID_LIKE:-} " in *" debian "*|*" ubuntu "*) return 0 ;; esac
  return 1
}

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

pg_major() {
  # the running (or installed) server's major version, else what the distribution would install
  if command -v pg_lsclusters >/dev/null 2>&1; then
    local major
    major=$(pg_lsclusters --no-header 2>/dev/null | awk '$4 == "online" {print $1; exit}')
    [ -n "$major" ] || major=$(pg_lsclusters --no-header 2>/dev/null | awk '{print $1; exit}')
    [ -n "$major" ] && { echo "$major"; return; }
  fi
  apt-cache depends postgresql 2>/dev/null | sed -n -E 's/.*Depends: postgresql-([0-9]+)$/\1/p' | head -n 1
}

install_system_packages() {
  local wanted=() missing=()
  find_python >/dev/null || wanted+=(python3 python3-venv)
  wanted+=(gdal-bin binutils)
  if $local_db; then
    local major
    major=$(pg_major)
    [ -n "$major" ] || { as_root apt-get update -qq; major=$(pg_major); }
    [ -n "$major" ] || die "cannot tell which PostgreSQL version this distribution ships"
    wanted+=("postgresql-$major" "postgresql-$major-postgis-3" postgresql-client-common)
  fi
  $local_redis && wanted+=(redis-server)
  # the web pages' front-end packages (npm), and the browser their tests drive
  command -v npm >/dev/null 2>&1 || wanted+=(nodejs npm)
  [ -x /usr/bin/chromium ] || wanted+=(chromium)
  $local_rabbitmq && wanted+=(rabbitmq-server)
  local pkg
  for pkg in "${wanted[@]}"; do pkg_installed "$pkg" || missing+=("$pkg"); done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing system packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

start_postgres() {
  $local_db || return 0
  if pg_isready -q -h "${db_host:-127.0.0.1}" -p "$db_port"; then return 0; fi
  local major
  major=$(pg_major)
  if ! pg_lsclusters --no-header 2>/dev/null | grep -q .; then
    say "creating a PostgreSQL $major cluster"
    as_root pg_createcluster "$major" main >/dev/null
  fi
  local cluster
  cluster=$(pg_lsclusters --no-header | awk '{print $1" "$2; exit}')
  say "starting PostgreSQL ($cluster)"
  # shellcheck disable=SC2086
  as_root pg_ctlcluster --skip-systemctl-redirect $cluster start || true
  for _ in $(seq 1 30); do
    pg_isready -q -h "${db_host:-127.0.0.1}" -p "$db_port" && return 0
    sleep 1
  done
  die "PostgreSQL did not start on port $db_port"
}

start_redis() {
  $local_redis || return 0
  if redis-cli -h "${redis_host:-127.0.0.1}" -p "$redis_port" ping >/dev/null 2>&1; then return 0; fi
  say "starting Redis on port $redis_port"
  as_root redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" \
    --save "" --appendonly no >/dev/null
  for _ in $(seq 1 20); do
    redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  die "Redis did not start on port $redis_port"
}

bootstrap_database_as_superuser() {
  # Create the role, databases and extensions as the local postgres superuser (Unix socket).
  say "creating the database with the local PostgreSQL superuser"
  .venv/bin/python scripts/db_setup.py --print-bootstrap-sql \
    | as_postgres psql -q -v ON_ERROR_STOP=1 -p "$db_port" -d postgres >/dev/null
}

if is_debian_like; then
  install_system_packages
else
  command -v gdalinfo >/dev/null 2>&1 || other_system_help
  find_python >/dev/null || other_system_help
fi
start_postgres
start_redis
if $local_rabbitmq && command -v rabbitmq-server >/dev/null 2>&1; then start_rabbitmq >/dev/null; fi
make --no-print-directory --silent install
scripts/frontend.sh
status=0
.venv/bin/python scripts/db_setup.py || status=$?
if [ "$status" -eq 3 ] && $local_db; then
  bootstrap_database_as_superuser
  .venv/bin/python scripts/db_setup.py
elif [ "$status" -ne 0 ]; then
  exit "$status"
fi
