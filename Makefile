PROFILE ?= embedded

.PHONY: run test check setup train nlu-report lint format bench clean

run:          ## install what is missing, train if stale, seed demo data, start every process (PROFILE=production: PostgreSQL, Redis, 2 of each behind HAProxy)
	@PROFILE=$(PROFILE) scripts/run.sh

check: setup  ## the fast lane: ruff, mypy and the unit tests (no model, no server, no database server)
	@scripts/check.sh

test:         ## the whole test suite (SQLite, then PostgreSQL when available)
	@scripts/test.sh

setup:        ## the two virtual environments and the web page's npm packages
	@scripts/setup.sh

train: setup  ## train the assistant if config.yml, domain.yml or data/ changed
	@scripts/train.sh

nlu-report: setup train  ## the assistant on the blind set (per group and intent, threshold table) and by cross-validation
	@scripts/nlu_report.sh

lint:
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	@.venv/bin/ruff check --fix . && .venv/bin/ruff format .

bench: setup train  ## benchmarks: each prints a ratio against a baseline measured in the same run
	@PYTHONPATH=. .venv/bin/python bench/chat_latency.py
	@PYTHONPATH=. .venv/bin/python bench/notifier.py
	@PYTHONPATH=. .venv/bin/python bench/preview_load.py
	@PYTHONPATH=. .venv/bin/python bench/long_message.py
	@PYTHONPATH=. .venv/bin/python bench/language_id.py
	@LOG_LEVEL=WARNING RASA_TELEMETRY_ENABLED=false PYTHONPATH=. .venv-rasa/bin/python bench/nlu_groups.py
	@scripts/system-deps.sh production && PYTHONPATH=. .venv/bin/python bench/profiles.py

clean:
	rm -rf models results tests/artifacts var
