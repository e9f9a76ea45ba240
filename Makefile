# Keel: every common task is one `make` target. `make help` lists them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

RANDOM_SECRET := $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))'

RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev

.DEFAULT_GOAL := help
.PHONY: help install install-dev lock lock-check upgrade run test lint typecheck hooks fmt migrate makemigrations superuser schema schema-check graphql-schema graphql-schema-check client client-check check-deploy shell clean seed worker realtime periodic storage-check bench bench-check resource

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Keel needs Python 3.11 or newer; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs come from the locks: every package pinned, with its hashes, and nothing else
# (--no-deps: the lock is the whole resolution; pip check proves it consistent). The
# stamps make reinstalling happen only when a lock changed.
PIP_INSTALL := $(BIN)/python -m pip install --quiet --no-deps --require-hashes

$(RUNTIME_STAMP): requirements.lock | $(BIN)/python
	$(PIP_INSTALL) -r requirements.lock
	$(BIN)/python -m pip check --quiet
	@touch $@

$(DEV_STAMP): requirements.lock requirements-dev.lock | $(BIN)/python
	$(PIP_INSTALL) -r requirements-dev.lock
	$(BIN)/python -m pip check --quiet
	@touch $@ $(RUNTIME_STAMP)

# The locks are generated from the human-edited requirements*.txt: one resolution for
# every Python from 3.11 and every platform, keeping the versions already locked.
LOCK := $(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version 3.11 \
	--custom-compile-command "make lock"

install: $(RUNTIME_STAMP) ## Create .venv and install the runtime requirements

install-dev: $(DEV_STAMP) ## Create .venv and install runtime + test/lint requirements

run: $(RUNTIME_STAMP) ## Migrate and serve the API on http://127.0.0.1:8000 (HOST=…, PORT=… to change)
	$(MANAGE) migrate --noinput
	@echo ""
	@echo "  Keel is starting on http://$(HOST):$(PORT)"
	@echo "    API docs (Swagger UI): http://$(HOST):$(PORT)/api/docs/"
	@echo "    API docs (ReDoc):      http://$(HOST):$(PORT)/api/redoc/"
	@echo "    OpenAPI schema:        http://$(HOST):$(PORT)/api/schema/"
	@echo "    GraphQL (GraphiQL):    http://$(HOST):$(PORT)/api/graphql/"
	@echo "    Admin:                 http://$(HOST):$(PORT)/admin/  (create a login: make superuser)"
	@echo "    Health:                http://$(HOST):$(PORT)/health/ready"
	@echo "    Live updates:          ws://$(HOST):$(PORT)/ws/v1/events/  (WebSocket)"
	@echo ""
	$(MANAGE) runserver $(HOST):$(PORT)

test: $(DEV_STAMP) ## Run the whole test suite with the coverage gate
	$(BIN)/pytest --cov --cov-report=term-missing:skip-covered --cov-report=xml --cov-fail-under=90 $(PYTEST_ARGS)

lint: $(DEV_STAMP) ## Lint and check formatting (what CI runs)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV_STAMP) ## Type-check the app and config code with mypy (django-stubs, DRF stubs)
	$(BIN)/mypy

hooks: $(DEV_STAMP) ## Install the git hooks (.pre-commit-config.yaml: local, offline)
	$(BIN)/pre-commit install

fmt: $(DEV_STAMP) ## Fix lint findings and format the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock: $(DEV_STAMP) ## Regenerate requirements*.lock (with hashes) from requirements*.txt
	$(LOCK) requirements.txt -o requirements.lock
	$(LOCK) requirements-dev.txt -o requirements-dev.lock

lock-check: $(DEV_STAMP) ## Fail when a lock is stale against its requirements file
	@for name in requirements requirements-dev; do \
		cp $$name.lock $(VENV)/$$name.lock \
		&& $(LOCK) $$name.txt -o $(VENV)/$$name.lock \
		&& diff -u $$name.lock $(VENV)/$$name.lock \
		|| { echo "$$name.lock is stale against $$name.txt: run make lock and commit it"; exit 1; }; \
	done

upgrade: $(DEV_STAMP) ## Bump one unpinned (transitive) package in the locks (PACKAGE=x)
	@test -n "$(PACKAGE)" || { echo "usage: make upgrade PACKAGE=x (a pinned one: edit its pin in requirements*.txt, then make lock)"; exit 2; }
	$(LOCK) --upgrade-package $(PACKAGE) requirements.txt -o requirements.lock
	$(LOCK) --upgrade-package $(PACKAGE) requirements-dev.txt -o requirements-dev.lock
	@git diff --stat -- requirements.lock requirements-dev.lock

migrate: $(RUNTIME_STAMP) ## Apply database migrations
	$(MANAGE) migrate

makemigrations: $(RUNTIME_STAMP) ## Create migrations for model changes
	$(MANAGE) makemigrations

superuser: $(RUNTIME_STAMP) ## Create an admin login interactively
	$(MANAGE) createsuperuser

schema: $(RUNTIME_STAMP) ## Write openapi.yaml (committed) from the code, on the embedded defaults (no .env)
	DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) spectacular --validate --fail-on-warn --file openapi.yaml

schema-check: $(RUNTIME_STAMP) ## Fail when openapi.yaml differs from what the code generates
	@DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) spectacular --validate --fail-on-warn --file $(VENV)/openapi.yaml
	@diff -u openapi.yaml $(VENV)/openapi.yaml || { echo "openapi.yaml is stale: run make schema and commit it"; exit 1; }

graphql-schema: $(RUNTIME_STAMP) ## Write schema.graphql (committed), the GraphQL schema, from the code
	DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) graphql_schema

graphql-schema-check: $(RUNTIME_STAMP) ## Fail when schema.graphql differs from what the code generates
	@DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) graphql_schema --check

CLIENT := clients/typescript

$(CLIENT)/node_modules/.package-lock.json: $(CLIENT)/package-lock.json
	cd $(CLIENT) && npm ci --no-audit --no-fund --loglevel=error

client: $(CLIENT)/node_modules/.package-lock.json ## Regenerate the TypeScript client from openapi.yaml and type-check it
	cd $(CLIENT) && npm run --silent generate && npm run --silent typecheck

client-check: $(CLIENT)/node_modules/.package-lock.json ## Fail when the TypeScript client is stale against openapi.yaml
	cd $(CLIENT) && npm run --silent generate && npm run --silent typecheck
	@git diff --exit-code -- $(CLIENT)/src/schema.d.ts \
		|| { echo "the TypeScript client is stale: run make client and commit it"; exit 1; }

check-deploy: $(RUNTIME_STAMP) ## Run Django's deployment checks with production-like settings
	DEBUG=false SECRET_KEY=$$($(RANDOM_SECRET)) JWT_SIGNING_KEY=$$($(RANDOM_SECRET)) \
	ALLOWED_HOSTS=api.example.com STORAGE_BACKEND=s3 S3_BUCKET=keel-example \
	REDIS_URL=redis://redis.example.com:6379/0 \
	$(MANAGE) check --deploy --fail-level WARNING

seed: $(RUNTIME_STAMP) ## Create demo users and items (USERS=5 ITEMS=100)
	$(MANAGE) seed_demo --users $(or $(USERS),5) --items $(or $(ITEMS),100)

resource: $(DEV_STAMP) ## Generate an owned resource app, registered under /api/v1/ (NAME=notes)
	@test -n "$(NAME)" || { echo "usage: make resource NAME=notes [MODEL=Note]"; exit 2; }
	$(MANAGE) startresource $(NAME) $(if $(MODEL),--model $(MODEL))

realtime: $(RUNTIME_STAMP) ## Serve the live-updates WebSockets as their own process (uvicorn, REALTIME_BIND)
	$(MANAGE) serve_realtime

worker: $(RUNTIME_STAMP) ## Run a background task worker (with TASKS_BACKEND=django_tasks_db.DatabaseBackend)
	$(MANAGE) db_worker

periodic: $(RUNTIME_STAMP) ## Run the periodic upkeep jobs once
	$(MANAGE) run_periodic_jobs

storage-check: $(RUNTIME_STAMP) ## Write, read and delete an object on the configured storage
	$(MANAGE) storage_check

bench: $(DEV_STAMP) ## Benchmark on PostgreSQL + Redis: scenarios vs floors, list scaling to 1M items (~12 min; QUICK=1: smoke run)
	$(BIN)/python -m bench.run $(if $(QUICK),--quick) $(if $(WORKERS),--workers $(WORKERS))

bench-check: $(DEV_STAMP) ## Hold the newest benchmark result to the budgets (ratios: medians of interleaved rounds)
	$(BIN)/python -m bench.check

shell: $(RUNTIME_STAMP) ## Open a Django shell
	$(MANAGE) shell

clean: ## Remove the virtualenv, caches and the development database
	rm -rf $(VENV) .pytest_cache .ruff_cache .coverage htmlcov db.sqlite3 db.sqlite3-*
