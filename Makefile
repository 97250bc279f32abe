# Vigil: the two commands a newcomer runs are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint venv lock clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	@touch $@

venv: $(STAMP)

demo: $(STAMP)
	$(PY) scripts/demo.py

test: $(STAMP)
	scripts/ensure-chromium
	$(VENV)/bin/ruff check
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check

# Re-pin every dependency after changing pyproject.toml.
lock: $(STAMP)
	$(PY) -m pip freeze --exclude-editable | sort > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info src/*.egg-info
