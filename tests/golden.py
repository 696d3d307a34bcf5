"""The golden lists of Terraform addresses per stack (tests/golden/<stack>.txt).

An address is a resource's identity in the state: renaming one destroys and recreates the
resource. The test compares the synthesized addresses with these files, so every such change is
deliberate. After a reviewed change: `pipenv run update-golden`, then commit the files.
"""

from __future__ import annotations

import fnmatch
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"

# Addresses that exist or not by configuration (the golden lists hold the defaults). An effective configuration's
# addresses may differ from the golden list only here; any other difference is a rename (a replacement) or a new
# resource, and needs the golden list updated after review. Pattern -> the setting that decides it.
CONDITIONAL = {
    "aws_sns_topic_subscription.alarms_email_*": "alarm_emails",
    "aws_vpc_security_group_ingress_rule.load_balancer_ingress_*": "ingress_cidrs, certificate_arn / certificate_tags",
    "aws_lb_listener.load_balancer_https": "certificate_arn / certificate_tags",
    "data.aws_acm_certificate.load_balancer_certificate": "certificate_tags (looked up) or certificate_arn (given)",
    "*.load_balancer_access_logs_*": "alb_access_logs",
    "data.aws_elb_service_account.load_balancer_elb_account": "alb_access_logs",
    "*.waf_*": "waf",
    "*.endpoints_*": "vpc_endpoints (and enable_ecs_exec: endpoints_ssmmessages)",
    "aws_vpc_security_group_egress_rule.*_task_egress_aws_apis": "vpc_endpoints false: HTTPS through the VPC's NAT",
    "*.service_task_iam_exec_policy*": "enable_ecs_exec",
    "data.aws_subnets.network_*_subnets_tagged": "*_subnet_ids (given: no tag lookup), *_subnet_tags ({}: route tables only)",
    "data.aws_caller_identity.bucket_account": "state_bucket (unset: wallet-state names the bucket after its account)",
    "aws_ecr_pull_through_cache_rule.pull_through_cache": "sidecars (an image of ECR Public)",
    "*.service_task_iam_sidecar_policy*": "sidecars (iam_actions)",
    "data.aws_ecr_image.image_sidecar_*": "sidecars (an image of the project's repository)",
}


def conditional(address: str) -> bool:
    return any(fnmatch.fnmatchcase(address, pattern) for pattern in CONDITIONAL)


def addresses(document: dict[str, Any]) -> list[str]:
    found = [f"{kind}.{name}" for kind, items in document.get("resource", {}).items() for name in items]
    found += [f"data.{kind}.{name}" for kind, items in document.get("data", {}).items() for name in items]
    return sorted(found)


def golden_path(stack_name: str) -> Path:
    return GOLDEN_DIR / f"{stack_name}.txt"


def read_golden(stack_name: str) -> list[str]:
    return golden_path(stack_name).read_text().splitlines()


def main() -> int:
    sys.path.insert(0, str(GOLDEN_DIR.parent.parent))
    from stacks import config, runtime

    runtime.prepare()
    from stacks.app import build_app

    with tempfile.TemporaryDirectory() as outdir:
        build_app(config.load({}), outdir=outdir).synth()
        for stack_dir in sorted((Path(outdir) / "stacks").iterdir()):
            document = json.loads((stack_dir / "cdk.tf.json").read_text())
            golden_path(stack_dir.name).write_text("\n".join(addresses(document)) + "\n")
            print(f"wrote {golden_path(stack_dir.name).relative_to(Path.cwd())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
