# crmsync: `make demo` runs the sync on the local sandboxes, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Every local package (a folder with its own pyproject.toml) is installed editable.
LOCAL_PACKAGES := $(sort $(dir $(wildcard */pyproject.toml)))
PYTEST_ARGS ?=

.PHONY: setup browser demo test bench soak lint format clean

setup: $(VENV)/.installed $(VENV)/.owner-only .meltano/.installed browser

# The run report's browser test renders the page in headless Chromium (Debian's package). As
# root (CI starts from a fresh Debian machine) it is installed where missing; otherwise that
# test is skipped and says why.
browser:
	@if command -v chromium > /dev/null; then :; \
	elif ! command -v apt-get > /dev/null; then \
	  echo "chromium not found and no apt-get: the report's browser test will be skipped"; \
	else \
	  if [ "$$(id -u)" = 0 ]; then root=; elif sudo -n true 2> /dev/null; then root="sudo -n"; \
	  else echo "chromium not found, not root and no sudo: the report's browser test will be skipped"; exit 0; fi; \
	  echo "installing chromium (Debian package) for the report's browser test"; \
	  $$root apt-get update -qq && $$root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends chromium > /dev/null; \
	fi

$(VENV)/.installed: pyproject.toml $(wildcard */pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' $(addprefix -e ./,$(filter-out ./,$(LOCAL_PACKAGES)))
	touch $@

# `meltano` starts with the umask 077 (orchestrate/owner-only.pth): what it writes for a run is
# readable by its owner only, even when started from a shell with a wider umask.
$(VENV)/.owner-only: $(VENV)/.installed orchestrate/owner-only.pth
	cp orchestrate/owner-only.pth "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/crmsync-owner-only.pth"
	touch $@

# Plugin environments are byte-compiled once here: where PYTHONDONTWRITEBYTECODE is set, each
# plugin start would otherwise compile its libraries again (dbt's at every step of a cycle).
.meltano/.installed: $(VENV)/.installed $(wildcard meltano.yml) $(wildcard */pyproject.toml)
	if [ -f meltano.yml ]; then $(BIN)/meltano install; fi
	mkdir -p .meltano
	$(BIN)/python -m compileall -q -j 0 .meltano crmsync $(filter-out ./,$(LOCAL_PACKAGES)) > /dev/null
	touch $@

demo: setup
	$(BIN)/python -m crmsync.demo

# Unit, plugin and dbt tests in two workers; then the end-to-end tests, also two at a time
# (each sync has its own sandboxes, warehouse, Meltano database and dbt folders; a job spends
# much of its time starting processes and waiting on the sandboxes, so two share the cores
# well), except those marked `serial`, which look at the whole project folder and run alone.
test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -m "not e2e" -n 2 $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m "e2e and not serial" -n 2 --dist worksteal $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m "e2e and serial" $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# The convergence soak (about an hour): random edits on both CRMs, faults and killed cycles.
soak: setup
	$(BIN)/python -m benchmarks --only soak $(BENCH_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .meltano output
