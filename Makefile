# The verbs a newcomer types. Every target creates/updates .venv itself.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install mock mock-pg pg-deps php-deps test contract bench bench-deps lint clean browser-deps install-check \
	screenshots

# `make test` runs tests/ and examples/ on TEST_WORKERS pytest-xdist processes (0: in pytest's own
# process). --dist loadfile keeps each file on one worker, so a file's module fixtures and its order
# are those of a serial run; the files with the most tests are handed out first.
TEST_WORKERS ?= 2
XDIST := $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile)

# `make test` starts pytest, its workers and dozens of Python children (hesabe-mock, nested pytest runs)
# over the same sources: with bytecode written once (__pycache__, gitignored) they share the compiled,
# assert-rewritten modules instead of compiling them again each (~7 s of CPU per pytest process).
test: export PYTHONDONTWRITEBYTECODE :=

# Seconds each step of `make test` took, printed at its end (the closing note).
TIMES := .cache/make-test-seconds.txt
timed = s=$$(date +%s); $(2); rc=$$?; echo "  $(1): $$(( $$(date +%s) - s )) s" >> $(TIMES); exit $$rc

$(STAMP): pyproject.toml
	@mkdir -p .cache; s=$$(date +%s); \
	  { test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); } && \
	  $(BIN)/python -m pip install --quiet --upgrade pip && \
	  $(BIN)/python -m pip install --quiet -e '.[all,dev,browser]' && \
	  echo "  install .venv: $$(( $$(date +%s) - s )) s" > .cache/install-seconds.txt
	@touch $(STAMP)

install: $(STAMP)  ## create .venv and install the project with every extra, the dev tools and playwright

mock: install  ## serve the mock with the public sandbox identity on $(HOST):$(PORT)
	$(BIN)/hesabe-mock --host $(HOST) --port $(PORT)

test: install  ## lint, the project's tests, a fast contract run, then the install checks (install-check)
	@: > $(TIMES); cat .cache/install-seconds.txt >> $(TIMES) 2>/dev/null; rm -f .cache/install-seconds.txt
	@$(call timed,lint,$(MAKE) --no-print-directory lint)
	@$(call timed,pg-deps,$(MAKE) --no-print-directory pg-deps || \
	  echo "make test: PostgreSQL unavailable; the PostgreSQL tests will be skipped")
	@$(call timed,browser-deps,$(MAKE) --no-print-directory browser-deps || \
	  echo "make test: chromium/playwright unavailable; browser tests will be skipped")
	@$(call timed,php-deps,$(MAKE) --no-print-directory php-deps || \
	  echo "make test: php unavailable; the PHP merchant example will be skipped")
	@$(call timed,tests and examples,$(BIN)/python -m pytest -q $(XDIST) tests examples)
	@$(call timed,contract suite (ci profile),HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest -q contract_tests \
	  --hesabe-mock=inprocess)
	@$(call timed,contract rules over the shipped real cassettes,$(BIN)/python -m pytest -q contract_tests \
	  --hesabe-replay fixtures/cassettes/seed-pages)
	@$(call timed,install-check,$(BIN)/python -m tools.install_check)
	@echo "make test: passed. Seconds per step:"; cat $(TIMES) .cache/install-check-summary.txt

# The package as a user gets it (tools/install_check.py): sdist + wheel, `pip install hesabe-harness`
# pulling the client's dependencies only, [all] on every supported interpreter found, every
# dependency at its floor, the pipx one-liner. Virtualenvs are cached in .cache/ by pyproject's hash.
install-check: install  ## build and install the package outside the tree; smoke-test it (STEPS=build,base,...)
	$(BIN)/python -m tools.install_check $(if $(STEPS),--only $(STEPS))

contract: install  ## the contract suite: an in-process mock, or HESABE_MERCHANT_API_URL when it is set
	$(BIN)/python -m pytest -q contract_tests

bench: install bench-deps  ## benchmarks: prints tables, writes bench/results/*.json (BENCH_ARGS=--quick)
	$(BIN)/python -m bench $(BENCH_ARGS)

# apt-get needs root: run it directly as root, through sudo otherwise.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# wrk (Debian's package) drives the HTTP load; without it the bench uses its Python load generator.
bench-deps:  ## install wrk with apt-get when it is missing
	@command -v wrk >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 \
	  && $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk; } \
	  || echo "wrk not installed: the bench falls back to its Python load generator"

# PostgreSQL: the tests start a throwaway cluster of their own (tools/pg_cluster.py: initdb into a
# temporary directory, as the postgres user when run as root, a loopback port; deleted at the end).
# The server binaries come from Debian's postgresql package, installed here only when missing.
pg-deps: install  ## install Debian's postgresql (initdb, pg_ctl) when it is missing
	@$(BIN)/python -c "from tools.pg_cluster import find_bin_dir; raise SystemExit(find_bin_dir() is None)" \
	  2>/dev/null || { $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; }

# PHP: examples/php_merchant.php (a PHP merchant's integration, run against the mock by
# examples/test_php_merchant.py) needs the php command only, from Debian's php-cli, installed here
# only when missing (its openssl and json are built in; the script uses no curl).
php-deps:  ## install Debian's php-cli when php is missing (the PHP merchant example)
	@command -v php >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends php-cli; }
	@php -r 'echo "php ", PHP_VERSION, " (openssl: ", extension_loaded("openssl") ? "yes" : "NO", ")\n";'

mock-pg: install pg-deps  ## serve the mock on a throwaway local PostgreSQL (WORKERS=2 for two workers)
	$(BIN)/python -m tools.pg_cluster -- $(BIN)/hesabe-mock --host $(HOST) --port $(PORT) \
	  $(if $(WORKERS),--workers $(WORKERS))

# Reliability (tests/reliability): the short fuzz run and the rest are part of `make test`.
FUZZ_EXAMPLES ?= 5000
SOAK_SECONDS  ?= 60
.PHONY: fuzz soak

fuzz: install  ## long Hypothesis runs: decrypt/parse/validate/handle, and hostile HTTP over every route ($(FUZZ_EXAMPLES) examples each)
	HESABE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q tests/reliability/test_fuzz_pipeline.py \
	  tests/reliability/test_fuzz_http.py

soak: install  ## $(SOAK_SECONDS) s of mixed load on a loopback hesabe-mock: RSS table, fails if memory keeps growing
	$(BIN)/python bench/soak.py --seconds $(SOAK_SECONDS)

# Headless-browser tests (tests/browser) drive Debian's chromium through the playwright package;
# nothing is downloaded at test time and `playwright install` is never run.

browser-deps: install  ## Debian chromium + the playwright package, each only if missing
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }
	@$(BIN)/python -c "import playwright.sync_api" 2>/dev/null || \
		$(BIN)/python -m pip install --quiet -e '.[all,dev,browser]'
	@/usr/bin/chromium --version 2>/dev/null  # (the Debian wrapper prints a harmless shell warning)

# The README's pictures (docs/images/*.png) from the real pages: the inspector and the payment page.
screenshots: install browser-deps  ## photograph the inspector and the payment page into docs/images (headless chromium)
	$(BIN)/python -m tools.screenshots

lint: install  ## ruff over every Python directory, then mypy --strict over every package (pyproject.toml)
	$(BIN)/ruff check hesabe_spec mock_server contract_tests tests bench examples tools _hesabe_harness_pytest.py
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .cache .pytest_cache .hypothesis .mypy_cache .ruff_cache *.egg-info
