#!/usr/bin/env bash
# Plan or deploy one environment of the table in stacks/config.py with an image tag:
#   pipenv run plan prod v1.2.3     synthesize, then `terraform init` and `terraform plan` in cdktf.out/stacks/wallet-prod
#   pipenv run deploy prod v1.2.3   `cdktf deploy wallet-prod --var image_tag=v1.2.3` (asks before applying)
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: pipenv run {plan|deploy} <environment> <image tag>   (environments: python -m stacks.cli environments)"
action=${1:-}
environment=${2:-}
tag=${3:-}
case "$action" in plan | deploy) ;; *) echo "error: action: '$action' is not valid; expected plan or deploy ($usage)" >&2; exit 2 ;; esac
if ! [[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]]; then
  echo "error: image_tag: '$tag' is not valid; expected a Docker tag: 1-128 of A-Z a-z 0-9 _ . -, not starting with . or -" >&2
  exit 2
fi
stack=$(python -m stacks.cli stack "$environment")  # one error line and exit 2 for an environment not in the table
if [ "$action" = deploy ]; then
  exec tools/cdktf/node_modules/.bin/cdktf deploy "$stack" --var "image_tag=$tag"
fi
python main.py
terraform -chdir="cdktf.out/stacks/$stack" init -input=false
terraform -chdir="cdktf.out/stacks/$stack" plan -input=false -var "image_tag=$tag"
