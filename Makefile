# Two commands on a fresh machine: `make bench` and `make test`. Both install what they need (as root).
SWIFT ?= swift
APT_DEPS := libhwloc-dev libnuma-dev pkg-config
QBENCH := .build/release/qbench
PREFIX ?= /usr/local

.PHONY: all deps build bench install profiles lint test test-deps clean

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
	@scripts/ensure-test-deps.sh

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

test: test-deps lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	@for s in scripts/test.d/*.sh; do [ -e "$$s" ] || continue; echo "== $$s"; bash "$$s" || exit 1; done

clean:
	rm -rf .build
