# The two commands a new user needs: `make run` and `make test`. Everything else is a step they call.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
SERVICES := discovery identification
export PYTHONPATH := $(shell ROOT=$(CURDIR); . deploy/env.sh; echo $$PYTHONPATH)

.PHONY: run test bench setup kafka-jars postgres openapi contracts demo clean help

help:
	@echo "make run    - set up and run the broker and every service in training mode (Ctrl-C stops all)"
	@echo "make demo   - like make run, then synthetic households through the whole lifecycle on the training clock"
	@echo "make test   - set up and run the whole suite on a real Kafka broker and PostgreSQL"
	@echo "make bench  - raw Kafka vs outbox->Kafka->inbox pipeline throughput"
	@echo "make contracts - re-export contracts/openapi/*.json, contracts/asyncapi.yaml and contracts/policy/required-parameters.json from the code and schemas"

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

kafka-jars:
	@deploy/kafka.sh fetch

postgres:
	@deploy/postgres.sh ensure

run: setup kafka-jars
	@deploy/run.sh

test: setup kafka-jars postgres
	@deploy/test.sh

bench: setup kafka-jars postgres
	@deploy/bench.sh

openapi: contracts

contracts: setup
	$(PY) -m tests.contract.export_openapi
	$(PY) -m tests.contract.export_asyncapi
	$(PY) -m tests.contract.export_policy_requirements
	$(PY) -m tests.contract.export_asyncapi_partners
	$(PY) -m shared.broker_security export

# DEMO_HOUSEHOLDS=3, DEMO_STOP=1 (stop after the demo instead of leaving the platform running)
demo: setup kafka-jars
	@DEMO=1 deploy/run.sh

clean:
	rm -rf var $(VENV)
