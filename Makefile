# The two commands a newcomer needs (see README.md): `make run` and `make test`.
# Both run the shared set-up first (cli/jii_cli/devsetup.py): the Debian packages of
# deploy/system-packages.txt, PostgreSQL and RabbitMQ started if stopped (or in containers),
# RabbitMQ's management API; or it stops and says what to run.
SHELL := /bin/bash

# uv from PATH, else the copy `ensure-uv` installs with pip (run as a module, so the user
# scripts directory need not be on PATH). Expanded when a recipe runs, after ensure-uv.
UV = $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
# With a lock file, tests run on exactly the locked versions and fail if it is out of date.
LOCKED := $(if $(wildcard uv.lock),--locked,)
# What the set-up leaves for the tests when the peers run under compose (their passwords).
PEERS_ENV := var/peers.env
# Test processes (pytest-xdist workers): two per CPU unless set, since a test spends much of its
# time waiting on the broker, the database or a service. The set-up reads it too, to make
# PostgreSQL allow enough connections for them.
JII_TEST_WORKERS ?= $(shell echo $$(( 2 * $$(nproc 2>/dev/null || echo 1) )))
export JII_TEST_WORKERS

.PHONY: run test setup lint openapi smoke ensure-uv

## run: the whole platform on this machine (services, gateway, localstripe, SMTP sink)
run: ensure-uv
	$(UV) sync
	$(UV) run --no-sync jii dev run

## test: the whole suite, against the real RabbitMQ and PostgreSQL on this machine, in
## JII_TEST_WORKERS processes (the slow tests and the browser tests first)
# Compiled modules are kept (the set-up compiles the dependencies once, PYTHONDONTWRITEBYTECODE
# is lifted for the run): every test process and every service a test starts would otherwise
# compile what it imports, and pytest rewrite every test module, from source each time.
test: setup
	set -a && source $(PEERS_ENV) && set +a && \
	  PYTHONDONTWRITEBYTECODE= $(UV) run --no-sync pytest -n $(JII_TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

## setup: make this machine ready for the tests (what `make test` and .ci/run run first)
setup: ensure-uv
	$(UV) sync $(LOCKED) --compile-bytecode
	$(UV) run --no-sync python -m jii_cli.devsetup

## lint: ruff over the whole repository
lint: ensure-uv
	$(UV) sync $(LOCKED)
	$(UV) run --no-sync ruff check .

## openapi: write the API document the gateway serves to docs/openapi.json (after an intended
## change to the API; a test holds the two equal and lists what differs)
openapi: ensure-uv
	$(UV) sync $(LOCKED)
	$(UV) run --no-sync python -m gateway.openapi_diff --write

## smoke: build every image and run the compose stack in Docker (see deploy/smoke)
smoke: ensure-uv
	$(UV) sync $(LOCKED)
	$(UV) run --no-sync python deploy/smoke

# A new machine may have Python but no uv; PyPI has it.
ensure-uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || { \
	  echo "uv not found: installing it with pip"; \
	  python3 -m pip install --user uv \
	    || python3 -m pip install --user --break-system-packages uv \
	    || pip install uv; \
	}
