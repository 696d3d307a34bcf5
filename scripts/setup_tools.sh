#!/usr/bin/env bash
# `pipenv run setup-cli`: the command-line tools beside the Python packages of Pipfile.lock:
#   the cdktf CLI 0.21.0 (tools/cdktf/package-lock.json), with the Node.js that Pipfile.lock installs;
#   the checkov policy scanner in security/.venv (security/requirements.txt, every package pinned with its hash):
#   an environment of its own, because checkov pins a boto3 older than the one the release scripts need.
# `pipenv run setup-cli cdktf`: the cdktf CLI alone (the pipeline's diff and deploy jobs scan nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in "" | cdktf) ;; *) echo "usage: pipenv run setup-cli [cdktf]   (cdktf: the cdktf CLI only, no scanner)" >&2; exit 2 ;; esac
npm ci --prefix tools/cdktf --no-audit --no-fund --ignore-scripts
if [ "${1:-}" = cdktf ]; then exit 0; fi
if [ ! -x security/.venv/bin/python ]; then python -m venv security/.venv; fi
security/.venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r security/requirements.txt
