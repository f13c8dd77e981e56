# The two commands that matter: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test bench mutation lint format clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt '.[dev]'
	@rm -rf build *.egg-info
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python scripts/run.py

test: install
	$(BIN)/python scripts/test.py

bench: install
	$(BIN)/python bench/run.py

mutation: install
	$(BIN)/python scripts/mutation.py

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var build *.egg-info test-output mutants
