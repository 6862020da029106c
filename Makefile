# Two commands on a fresh machine: `make bench` and `make test`. Both install what they need (as root).
SWIFT ?= swift
APT_DEPS := libhwloc-dev libnuma-dev pkg-config
QBENCH := .build/release/qbench
PREFIX ?= /usr/local

.PHONY: all deps build bench install profiles lint test test-deps mutants screenshots clean

all: build

deps:
	@scripts/ensure-deps.sh $(APT_DEPS)

# The Swift runtime is linked statically and every profile is compiled in, so the binary stands alone
# (it still needs the system's libhwloc and libnuma, which `deps` installs).
build: deps
	$(SWIFT) build -c release --static-swift-stdlib --product qbench

install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(QBENCH) $(DESTDIR)$(PREFIX)/bin/qbench

# Regenerates Sources/QBenchProfiles/BuiltInProfiles.swift after profiles/*.yaml changed.
profiles:
	python3 scripts/embed-profiles.py

bench: build
	$(QBENCH) probe
	$(QBENCH) run --out qbench-reports

test-deps: deps
	@QBENCH_TEST_VENV="$(TEST_VENV)" scripts/ensure-test-deps.sh

# swift-format (it ships with the toolchain) in lint mode with .swift-format, and no Swift line over 120 columns
# (string literals included, which the formatter cannot break). The generated BuiltInProfiles.swift is exempt.
# The C sources and headers of Sources/CQBench, Tests/CKernels and Tests/Fixtures are held to the same 120 columns.
SWIFT_DIRS := Sources Tests Fuzz Benchmarks/Benchmarks Package.swift Benchmarks/Package.swift
lint:
	$(SWIFT) format lint --strict --recursive $(SWIFT_DIRS)
	@long=$$(find Sources Tests Fuzz Benchmarks/Benchmarks -name '*.swift' ! -name BuiltInProfiles.swift \
	    -exec awk 'length > 120 { print FILENAME ":" FNR ": " length " columns" }' {} +); \
	  if [ -n "$$long" ]; then echo "$$long"; echo "lint: Swift lines over 120 columns"; exit 1; fi
	@long=$$(find Sources/CQBench Tests/CKernels Tests/Fixtures \( -name '*.c' -o -name '*.h' \) \
	    -exec awk 'length > 120 { print FILENAME ":" FNR ": " length " columns" }' {} +); \
	  if [ -n "$$long" ]; then echo "$$long"; echo "lint: C lines over 120 columns"; exit 1; fi

# Tests run with the venv's python3 first on PATH (gguf-py, jsonschema, the model packages). Every oracle check
# appends to a ledger that the closing summary reads. QBENCH_REQUIRE_ORACLES=1 (CI) turns a missing oracle into a
# failure instead of a skip.
TEST_VENV := $(CURDIR)/.build/test-venv
LEDGER := $(CURDIR)/.build/oracle-ledger.tsv
TEST_ENV := PATH="$(TEST_VENV)/bin:$$PATH" QBENCH_ORACLE_LEDGER="$(LEDGER)"
test: test-deps lint
	$(SWIFT) build --build-tests
	@rm -f "$(LEDGER)"
	$(TEST_ENV) $(SWIFT) test --skip-build
	@for s in scripts/test.d/*.sh; do [ -e "$$s" ] || continue; echo "== $$s"; $(TEST_ENV) bash "$$s" || exit 1; done
	@scripts/test-summary.sh "$(LEDGER)"

# Planted bugs (test-only build flags) that the tests must catch; each is a full rebuild, so not part of `test`.
mutants: test-deps
	@scripts/mutants.sh

# The HTML pages opened in headless Chromium (installed when missing): rendered, no console errors, matrix and
# roofline present; screenshots land in docs/screenshots/. Not part of `test` (Chromium is a large install).
screenshots: build
	@scripts/html-screenshots.sh $(QBENCH)

clean:
	rm -rf .build
