#!/usr/bin/env bash
# Plan or deploy one environment with an image tag:
#   pipenv run plan prod v1.2.3     synthesize, then `terraform init` and `terraform plan` in cdktf.out/stacks/wallet-prod
#   pipenv run deploy prod v1.2.3   `cdktf deploy wallet-prod --var image_tag=v1.2.3` (asks before applying)
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: pipenv run {plan|deploy} <dev|staging|prod> <image tag>"
action=${1:-}
environment=${2:-}
tag=${3:-}
case "$action" in plan | deploy) ;; *) echo "error: action: '$action' is not valid; expected plan or deploy ($usage)" >&2; exit 2 ;; esac
case "$environment" in dev | staging | prod) ;; *) echo "error: environment: '$environment' is not valid; expected one of dev, staging, prod" >&2; exit 2 ;; esac
if ! [[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]]; then
  echo "error: image_tag: '$tag' is not valid; expected a Docker tag: 1-128 of A-Z a-z 0-9 _ . -, not starting with . or -" >&2
  exit 2
fi
stack="wallet-$environment"
if [ "$action" = deploy ]; then
  exec tools/cdktf/node_modules/.bin/cdktf deploy "$stack" --var "image_tag=$tag"
fi
python main.py
terraform -chdir="cdktf.out/stacks/$stack" init -input=false
terraform -chdir="cdktf.out/stacks/$stack" plan -input=false -var "image_tag=$tag"
