# Souk: `make run` to run it, `make test` to test it. See README.md.
.DEFAULT_GOAL := help
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_WORKERS ?= 2

.PHONY: help install setup run test lint format lock schema bench-discovery bench-orders check-pgbouncer check-replica check-rabbitmq check-scale clean

help:
	@echo "make run      set up this machine, migrate, load demo data, run web + worker + beat"
	@echo "make test     set up this machine and run the whole test suite"
	@echo "make lint     ruff (lint + format check), mypy, import-linter, OpenAPI validation"
	@echo "make install  create .venv from the lock file (done by run/test)"
	@echo "make format   apply ruff formatting and fixes"
	@echo "make lock     re-resolve requirements/*.lock from pyproject.toml"
	@echo "make bench-discovery  discovery benchmark at 10k and 1M products (bench/README.md)"
	@echo "make bench-orders  orders benchmark: direct and cart-checkout flows over HTTP against pgbench;"
	@echo "                   BENCH_ARGS='--baseline main --rounds 2' compares with a commit, '--profile' profiles (bench/README.md)"
	@echo "make check-pgbouncer  the whole test suite and a short orders benchmark through a local PgBouncer"
	@echo "                   in transaction mode (scripts/pgbouncer-check.sh; docs/operations.md)"
	@echo "make check-replica  start a local streaming replica, run the replica tests and bench/replica.py (root)"
	@echo "make check-rabbitmq  the broker tests and an order end to end with Celery on a local RabbitMQ"
	@echo "make check-scale  all three checks: PgBouncer, replica, RabbitMQ"

install: $(VENV)/.installed

$(VENV)/.installed: requirements/dev.lock
	@scripts/install-python-env.sh
	@touch $@

setup:
	@scripts/setup.sh

run:
	@scripts/run.sh

test: setup
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

lock: install
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes --quiet \
		-o requirements/base.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes \
		--quiet -c requirements/base.lock -o requirements/dev.lock

bench-discovery: setup
	$(PY) bench/discovery.py $(BENCH_ARGS)

bench-orders: setup
	$(PY) bench/orders.py $(BENCH_ARGS)

check-replica: setup
	@scripts/replica-check.sh

check-rabbitmq: setup
	@RABBITMQ_CHECK_SETUP=0 scripts/rabbitmq-check.sh

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache

check-pgbouncer: setup
	@SKIP_SETUP=1 scripts/pgbouncer-check.sh

check-scale: check-pgbouncer check-replica check-rabbitmq
