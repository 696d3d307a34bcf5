#!/usr/bin/env bash
# Plan, deploy or release one environment of the table in stacks/config.py with an image tag:
#   pipenv run plan prod v1.2.3      synthesize, then `terraform init` and `terraform plan` in cdktf.out/stacks/wallet-prod
#   pipenv run drift prod [v1.2.3]   the same plan without the lock, at the tag the stack runs (its service_image_tag
#                                    output) unless one is given; exit 2 and what drifted, by attribute, when the account
#                                    differs from the code (the nightly drift job)
#   pipenv run deploy prod v1.2.3    `cdktf deploy wallet-prod --var image_tag=v1.2.3` (asks before applying); on a
#                                    stack without state, the first deploy below
#   pipenv run release prod v1.2.4   the release order (docs/releases.md#releasing-a-new-image): 1. apply with the service on
#                                    its current tag and the migration task on the new one, 2. run the migrations,
#                                    3. apply the new tag to the service (a canary where configured). A failed
#                                    migration stops at 2, with the current version still serving.
# The first deploy (a stack without state), by deploy or release: 1. apply with bootstrap=true (the service without
# tasks), 2. migrations, 3. apply without it (auto scaling starts the tasks): the schema exists only after 2.
# AUTO_APPROVE=1 applies without asking (the pipeline), here and in `cdktf deploy`; otherwise Terraform (or cdktf) asks before each apply.
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: pipenv run {plan|deploy|release|drift} <environment> <image tag>   (drift: the tag the stack runs when none is given; an environment as dev or wallet-dev: python -m stacks.cli environments)"
action=${1:-}
environment=${2:-}
tag=${3:-}
case "$action" in plan | deploy | release | drift) ;; *) echo "error: action: '$action' is not valid; expected plan, deploy, release or drift ($usage)" >&2; exit 2 ;; esac
if [ -z "$environment" ] || { [ -z "$tag" ] && [ "$action" != drift ]; }; then echo "$usage" >&2; exit 2; fi
# Each: one error line and exit 2 (an environment not in the table, a malformed tag, no state bucket set yet, no
# working AWS credentials or those of an account not allowed: release/credentials.py, before anything is synthesized).
stack=$(python -m stacks.cli stack "$environment")
if [ -n "$tag" ]; then python -m stacks.cli image-tag "$tag"; fi
python -m stacks.cli state-bucket >/dev/null
# In an account of its own (docs/accounts.md), Terraform acts as the environment's role, assumed from the caller's
# credentials by the provider and the backend (which renew it: a release outlasts an assumed role's hour): the deploy
# role, or the read-only plan role for plan and drift. Checked first: the caller may assume it, and it is the account's.
role_kind=deploy
case "$action" in plan | drift) role_kind=plan ;; esac
python -m release.credentials "$stack" --as "$role_kind" >/dev/null
plan_role=$(python -m stacks.cli role "$stack" plan)
folder="cdktf.out/stacks/$stack"
python main.py
init_args=()
role_var=()
plan_lock=()
if [ "$role_kind" = plan ] && [ -n "$plan_role" ]; then
  # The plan role reads the state and takes no lock: its own backend configuration, kept in a data folder of its own
  # so that the deploy's (.terraform, the stack's JSON) stays as cdktf deploy expects it.
  export TF_DATA_DIR=.terraform-plan
  printf 'assume_role = {\n  role_arn     = "%s"\n  session_name = "%s-terraform"\n}\n' "$plan_role" "$stack" >"$folder/plan.s3.tfbackend"
  init_args=(-reconfigure -backend-config=plan.s3.tfbackend)
  role_var=(-var "aws_role_arn=$plan_role")
  plan_lock=(-lock=false)
fi
terraform -chdir="$folder" init -input=false "${init_args[@]}"
if [ "$action" = plan ]; then
  exec terraform -chdir="$folder" plan -input=false "${plan_lock[@]}" "${role_var[@]}" -var "image_tag=$tag"
fi
if [ "$action" = drift ]; then
  # The nightly drift check (.github/workflows/drift.yml): a speculative plan under the read-only role, without the
  # state lock, then what drifted by resource and attribute (release/drift.py). Exit 0: no drift; 2: drift; 1: the
  # check could not run (no tag to plan with, the plan failed). -detailed-exitcode alone would say 2 for any refresh
  # change, AWS's own included: release/drift.py decides.
  tag_from="given"
  if [ -z "$tag" ]; then
    tag_from="the tag it runs: its service_image_tag output"
    # The tag the service runs, as the last apply recorded it: a tag kept anywhere else lags behind releases and every
    # lag would show as drift.
    tag=$(terraform -chdir="$folder" output -raw service_image_tag 2>/dev/null) || tag=""
    if [ -z "$tag" ]; then
      echo "error: service_image_tag: $stack has no such output in its state (not deployed yet, or deployed before the output existed); give the tag it runs: pipenv run drift $environment <image tag>" >&2
      exit 1
    fi
  fi
  echo "drift check of $stack at $tag ($tag_from)"
  status=0
  terraform -chdir="$folder" plan -input=false -lock=false -detailed-exitcode -no-color -out=drift.tfplan "${role_var[@]}" -var "image_tag=$tag" || status=$?
  if [ "$status" = 1 ]; then exit 1; fi
  status=0
  terraform -chdir="$folder" show -json drift.tfplan | python -m release.drift "$stack" || status=$?
  rm -f "$folder/drift.tfplan"  # it holds the state's values, secrets among them
  exit "$status"
fi
approve=()
if [ "${AUTO_APPROVE:-}" = 1 ]; then approve=(-auto-approve); fi
# An apply that changes the service waits for ECS's deployment (bakes included, up to the service's timeouts). When
# it fails, say what the deployment really is (still running, rolled back, failed: release/deployment.py) and keep
# the apply's exit status.
service_apply() {
  local status=0
  "$@" || status=$?
  if [ "$status" != 0 ]; then python -m release.deployment status "$stack" || true; fi
  return "$status"
}
# `state pull`, not `state list`: on a stack without state, `state list` fails ("No state file was found!") where
# `state pull` prints an empty state, or nothing at all where there is no state file (internal/command/state_pull.go:
# "no output if the statefile is nil"); strip(): the here-string adds a newline to that nothing. Not inside the test:
# set -e must stop on a state that cannot be read.
state=$(terraform -chdir="$folder" state pull)
resources=$(python -c 'import json, sys; print(len(json.loads(sys.stdin.read().strip() or "{}").get("resources", [])))' <<<"$state")
if [ "$resources" = 0 ]; then
  echo "first deploy of $stack at $tag"
  echo "1/3 everything, the service without tasks (bootstrap)"
  terraform -chdir="$folder" apply -input=false "${approve[@]}" -var "image_tag=$tag" -var bootstrap=true
  echo "2/3 migrations"
  python -m release.migrate "$stack"
  echo "3/3 the service to its minimum task count (auto scaling starts the tasks)"
  service_apply terraform -chdir="$folder" apply -input=false "${approve[@]}" -var "image_tag=$tag"
  exit 0
fi
current=$(terraform -chdir="$folder" output -raw service_image_tag 2>/dev/null || true)
if [ -z "$current" ] && [ "$action" = release ]; then
  # Deployed before the output existed: a guess could scale the running service down; record the tag first.
  echo "error: service_image_tag: $stack has state but no such output; run \`pipenv run deploy $environment <the tag it runs>\` once" >&2
  exit 2
fi
# A service deployed with the launch type FARGATE (before every service had a capacity provider strategy) is moved to
# one by hand first, as docs/runbook.md#4-moving-a-service-off-the-launch-type says: an apply could replace it (release/deployment.py, launch_type_form).
# An assignment, so that set -e stops on a check that cannot run (inside `[ "$(...)" = 1 ]` its failure would read as 0).
launch_type=$(python -m release.deployment launch-type <<<"$state")
if [ "$launch_type" = 1 ]; then
  echo "error: $stack: its service still has the launch type FARGATE, which this code replaces by a capacity provider strategy; move it first (docs/runbook.md#4-moving-a-service-off-the-launch-type), then run this again" >&2
  exit 2
fi
# A switch from the rolling strategy to canary, linear or blue/green is two applies, as AWS asks for it
# (docs.aws.amazon.com/AmazonECS/latest/developerguide/update-rolling-to-bluegreen.html): first the second target group,
# the live rule, the role and the service's load balancer advanced configuration, keeping the rolling strategy
# (keep_rolling=true; a rolling deployment of the running image, or of the deploy's tag when none is recorded); then
# the strategy with the rest below.
switching=$(python -m release.deployment switching "$stack" <<<"$state")
if [ "$switching" = 1 ]; then
  running=${current:-$tag}
  echo "switch of $stack from the rolling strategy: 1/2 the load balancer's advanced configuration, still rolling, at $running"
  service_apply terraform -chdir="$folder" apply -input=false "${approve[@]}" -var "image_tag=$running" -var keep_rolling=true
  echo "switch of $stack: 2/2 the strategy, with the $action below"
fi
if [ "$action" = deploy ]; then
  cdktf_approve=()
  if [ "${AUTO_APPROVE:-}" = 1 ]; then cdktf_approve=(--auto-approve); fi
  # CHECKPOINT_DISABLE: no telemetry call to checkpoint-api.hashicorp.com (cdktf-cli 0.21, @cdktf/commons
  # src/checkpoint.ts and src/environment.ts: any value); DISABLE_VERSION_CHECK=1: no `npm view cdktf-cli version`
  # (src/bin/cmds/helper/version-check.ts; the version is pinned in tools/cdktf).
  service_apply env CHECKPOINT_DISABLE=1 DISABLE_VERSION_CHECK=1 tools/cdktf/node_modules/.bin/cdktf deploy "$stack" "${cdktf_approve[@]}" --var "image_tag=$tag"
  exit 0
fi
echo "release $stack: $current -> $tag"
echo "1/3 the migration task to $tag; the service stays on $current"
# Also whatever else the commit changes, the service's task settings included (a deployment of the current image).
service_apply terraform -chdir="$folder" apply -input=false "${approve[@]}" -var "image_tag=$current" -var "migration_image_tag=$tag"
echo "2/3 migrations"
python -m release.migrate "$stack"
echo "3/3 the service to $tag"
service_apply terraform -chdir="$folder" apply -input=false "${approve[@]}" -var "image_tag=$tag"
