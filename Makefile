# `make demo` and `make test` each install what is missing first (scripts/setup.sh), then run.
.PHONY: setup test test-fast demo clean

setup:
	@bash scripts/setup.sh

test: setup
	.venv/bin/python -m pytest

test-fast: setup
	.venv/bin/python -m pytest -m "not slow"

demo: setup
	.venv/bin/dinerush run lunch-rush

clean:
	rm -rf runs .pytest_cache
