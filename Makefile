# Two commands on a fresh machine: `make bench` and `make test`. Both install what they need (as root).
SWIFT ?= swift
APT_DEPS := libhwloc-dev libnuma-dev pkg-config
QBENCH := .build/release/qbench

.PHONY: all deps build bench test test-deps clean

all: build

deps:
	@scripts/ensure-deps.sh $(APT_DEPS)

build: deps
	$(SWIFT) build -c release --product qbench

bench: build
	$(QBENCH) probe
	$(QBENCH) run --out qbench-reports

test-deps: deps
	@scripts/ensure-test-deps.sh

test: test-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	@for s in scripts/test.d/*.sh; do [ -e "$$s" ] || continue; echo "== $$s"; bash "$$s" || exit 1; done

clean:
	rm -rf .build
