# The two commands a newcomer needs (see README.md): `make run` and `make test`.
SHELL := /bin/bash

# uv from PATH, else the copy `ensure-uv` installs with pip (run as a module, so the user
# scripts directory need not be on PATH). Expanded when a recipe runs, after ensure-uv.
UV = $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
# With a lock file, tests run on exactly the locked versions and fail if it is out of date.
LOCKED := $(if $(wildcard uv.lock),--locked,)

.PHONY: run test lint ensure-uv

## run: the whole platform on this machine (services, gateway, localstripe, SMTP sink)
run: ensure-uv
	$(UV) sync
	$(UV) run --no-sync jii dev run

## test: the whole suite, against the real RabbitMQ and PostgreSQL on this machine
test: ensure-uv
	$(UV) sync $(LOCKED)
	$(UV) run --no-sync pytest $(PYTEST_ARGS)

## lint: ruff over the whole repository
lint: ensure-uv
	$(UV) sync $(LOCKED)
	$(UV) run --no-sync ruff check .

# A new machine may have Python but no uv; PyPI has it.
ensure-uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || { \
	  echo "uv not found: installing it with pip"; \
	  python3 -m pip install --user uv \
	    || python3 -m pip install --user --break-system-packages uv \
	    || pip install uv; \
	}
