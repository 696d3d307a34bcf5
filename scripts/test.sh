#!/usr/bin/env bash
# The project's test command (`pipenv run test`): the pytest suite, then lint, format and type checks.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pytest "$@"
ruff check .
ruff format --check .
mypy
