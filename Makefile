# make demo: set up and run the main job.  make test: set up and run lint + the test suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: demo test test-slow lint format bench clean browser

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) -e ".[all]"
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed requirements-test.txt
	$(PIP) -r requirements-test.txt
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/glassnet train digits-cnn

lint: $(VENV)/.test-installed
	$(VENV)/bin/ruff format --check glassnet tests benchmarks examples
	$(VENV)/bin/ruff check glassnet tests benchmarks examples

format: $(VENV)/.test-installed
	$(VENV)/bin/ruff format glassnet tests benchmarks examples
	$(VENV)/bin/ruff check --fix glassnet tests benchmarks examples

# Debian's Chromium for the playground's browser tests, where this machine lets us install it
# (root and apt-get); elsewhere those tests skip and say why.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& { apt-get install -y -q chromium >/dev/null 2>&1 \
			|| { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; }; }; } \
		|| echo "make: Chromium could not be installed; the browser tests will skip"

# One BLAS thread per test worker: two workers on two cores, without oversubscription.
test: lint browser
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
		$(PY) -m pytest -n 2 --dist loadgroup -m "not slow" glassnet tests README.md docs

# The slow model-quality runs that `make test` leaves out (each feature keeps a quick check there).
test-slow: lint browser
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
		$(PY) -m pytest -n 2 --dist loadgroup -m slow glassnet tests README.md docs

bench: $(VENV)/.test-installed
	$(PIP) -r benchmarks/requirements.txt
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) .pytest_cache
