# Shared helpers for the set-up scripts (sourced, not run).

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# Read KEY from .env (without overriding the environment).
dotenv_get() {
  local key=$1
  [ -f .env ] || return 0
  sed -n -E "s/^[[:space:]]*(export[[:space:]]+)?${key}[[:space:]]*=[[:space:]]*//p" .env \
    | tail -n 1 | sed -E "s/^['\"](.*)['\"]$/\1/"
}

load_url_settings() {
  : "${DATABASE_URL:=$(dotenv_get DATABASE_URL)}"
  : "${REDIS_URL:=$(dotenv_get REDIS_URL)}"
  : "${DATABASE_URL:=postgis://souk:souk@127.0.0.1:5432/souk}"
  : "${REDIS_URL:=redis://127.0.0.1:6379/0}"
  export DATABASE_URL REDIS_URL
}

# Where a browser on this machine reaches a server bound to HOST:PORT (PUBLIC_URL's default
# under `make run`): a wildcard address becomes the loopback one, an IPv6 address is bracketed.
public_url() {
  local host=$1 port=$2
  case $host in
    ""|0.0.0.0|"*") host=127.0.0.1 ;;
    ::|"[::]") host="[::1]" ;;
    \[*\]) ;;
    *:*) host="[$host]" ;;
  esac
  echo "http://$host:$port"
}

# What `make run` listens on and how it is reached: the environment first, then .env, then
# the defaults. Sets and exports HOST, PORT and PUBLIC_URL.
load_run_settings() {
  HOST=${HOST:-$(dotenv_get HOST)}; HOST=${HOST:-127.0.0.1}
  PORT=${PORT:-$(dotenv_get PORT)}; PORT=${PORT:-8000}
  PUBLIC_URL=${PUBLIC_URL:-$(dotenv_get PUBLIC_URL)}; PUBLIC_URL=${PUBLIC_URL:-$(public_url "$HOST" "$PORT")}
  export HOST PORT PUBLIC_URL
  local url=${PUBLIC_URL%/}
  case $url in  # on this machine but on another port (a PUBLIC_URL left in .env, say)
    http://127.0.0.1:*|http://localhost:*|http://\[::1\]:*)
      if [ "${url##*:}" != "$PORT" ]; then
        warn "PUBLIC_URL is $PUBLIC_URL but make run listens on port $PORT: payment links will miss it"
      fi
      ;;
  esac
}

# host part of a URL (scheme://user:pass@host:port/path)
url_host() {
  local rest=${1#*://}
  rest=${rest%%/*}
  rest=${rest##*@}
  case $rest in
    \[*\]*) rest=${rest%%]*}; echo "${rest#[}" ;;
    *) echo "${rest%%:*}" ;;
  esac
}

url_port() {
  local rest=${1#*://}
  rest=${rest%%/*}
  rest=${rest##*@}
  rest=${rest##*]}
  case $rest in *:*) echo "${rest##*:}" ;; *) echo "$2" ;; esac
}

is_local_host() {
  case $1 in ""|localhost|127.0.0.1|::1) return 0 ;; *) return 1 ;; esac
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root for: $* (run as root or install sudo)"
  fi
}

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"
  else sudo -u postgres "$@"
  fi
}

# Python 3.11 or newer.
find_python() {
  local candidate
  for candidate in python3.11 python3 python3.12; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

# The local RabbitMQ (the broker tests use it): true if it answers.
rabbitmq_up() { as_root rabbitmq-diagnostics -q ping >/dev/null 2>&1; }

# Start the local RabbitMQ if it does not answer; prints how it was started ("service" or
# "detached"), nothing if it was running. Dies if it does not answer within 60 s.
start_rabbitmq() {
  rabbitmq_up && return 0
  say "starting RabbitMQ"
  if command -v service >/dev/null 2>&1 && as_root service rabbitmq-server start >/dev/null 2>&1; then
    echo service
  else
    as_root rabbitmq-server -detached >/dev/null 2>&1 || true
    echo detached
  fi
  for _ in $(seq 1 120); do rabbitmq_up && return 0; sleep 0.5; done
  die "RabbitMQ did not start within 60 s"
}
