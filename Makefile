# The two quick-start commands are `make run` and `make test`; the rest are helpers.
.PHONY: run test setup lint typecheck bench ci clean

run: setup
	COPRODUCE_DEBUG=$${COPRODUCE_DEBUG:-1} .venv/bin/coproduce serve --demo --with-worker

test:
	scripts/setup.sh --browser
	.venv/bin/pytest -n 2

setup:
	scripts/setup.sh

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck:
	.venv/bin/mypy coproduce tests bench

bench: setup
	.venv/bin/python -m bench

clean:
	rm -rf .venv node_modules build var
