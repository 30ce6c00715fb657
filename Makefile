# `make demo` and `make test` each install what is missing first (scripts/setup.sh), then run.
.PHONY: setup test test-fast test-compose demo clean

setup:
	@bash scripts/setup.sh

# The unit tests, then the slow ones (real PostgreSQL, RabbitMQ, Toxiproxy, stack, Locust) three at a time:
# a real run mostly waits on its own private stack, so three share 2 cores (measured: see README); a run with
# several Locust processes (marked `alone`) runs afterwards by itself (beside two other runs it failed twice).
test: setup
	.venv/bin/python -m pytest -m "not slow"
	.venv/bin/python -m pytest -m "slow and not compose and not alone" -n 3 --dist worksteal
	.venv/bin/python -m pytest -m "alone"
	$(MAKE) test-compose

# The compose runs for real: a private dockerd (tests/compose/conftest.py), local images, host network on
# 127.0.0.1. One pytest process: one daemon, one real run at a time. DINERUSH_NO_DOCKER=1 skips (never in CI).
test-compose: setup
	.venv/bin/python -m pytest -m compose tests/compose

test-fast: setup
	.venv/bin/python -m pytest -m "not slow"

demo: setup
	.venv/bin/dinerush run lunch-rush

clean:
	rm -rf runs .pytest_cache
