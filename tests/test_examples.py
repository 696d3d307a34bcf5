"""The team contexts of examples/ load the way a project's cdktf.json does, synthesize, and do what their READMEs
say; tests/test_checkov.py scans each with the rest (one checkov run)."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.conftest import EXAMPLES, EXAMPLES_DIR, PROJECT_DIR, Build
from tests.expected import ADOT_COLLECTOR
from tests.helpers import data_sources, resources

ENV_STACKS = ("wallet-dev", "wallet-staging", "wallet-prod")


def stack(builds: dict[str, Build], example: str, name: str) -> dict[str, Any]:
    return builds[example].parsed[name]


def test_there_are_three_examples_each_a_whole_cdktf_json_with_a_readme() -> None:
    assert EXAMPLES == ["accounts", "minimal", "sidecar-and-backup-copy", "team"]
    project = json.loads((PROJECT_DIR / "cdktf.json").read_text())
    for name in EXAMPLES:
        document = json.loads((EXAMPLES_DIR / name / "cdktf.json").read_text())
        # copied over the project's, it must run the same app
        assert {key: value for key, value in document.items() if key != "context"} == {
            "language": "python", "app": "pipenv run python main.py", "projectId": "wallet-service-infra",
            "sendCrashReports": "false", "output": "cdktf.out", "codeMakerOutput": "imports",
        }, name  # fmt: skip
        assert {key for key in project if key != "context"} == {key for key in document if key != "context"}
        assert (EXAMPLES_DIR / name / "README.md").is_file(), name


def test_the_readme_shows_the_minimal_example_as_it_is() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    [block] = re.findall(r"```json\n(.*?)```", readme, re.DOTALL)
    assert block == (EXAMPLES_DIR / "minimal" / "cdktf.json").read_text()


def test_minimal_one_account_its_state_bucket_and_somebody_to_alert(example_builds: dict[str, Build]) -> None:
    for name in ENV_STACKS:
        document = stack(example_builds, "minimal", name)
        assert document["provider"]["aws"][0]["allowed_account_ids"] == ["123456789012"]
        assert document["terraform"]["backend"]["s3"]["bucket"] == "wallet-service-terraform-state-123456789012-us-east-1"
        endpoints = [s["endpoint"] for s in resources(document, "aws_sns_topic_subscription").values()]
        assert endpoints == ["wallet-alerts@example.com"]
        assert data_sources(document, "aws_vpc")["network_vpc"]["tags"] == {"Name": name}
        assert "id" not in data_sources(document, "aws_vpc")["network_vpc"]
    state = stack(example_builds, "minimal", "wallet-state")
    assert state["provider"]["aws"][0]["allowed_account_ids"] == ["123456789012"]


def test_team_vpcs_by_tags_certificates_and_bigger_classes(example_builds: dict[str, Build]) -> None:
    for name in ENV_STACKS:
        document = stack(example_builds, "team", name)
        assert data_sources(document, "aws_vpc")["network_vpc"]["tags"] == {"Name": name}
        subnets = data_sources(document, "aws_subnets")
        assert subnets["network_private_subnets_tagged"]["filter"][1] == {"name": "tag:Tier", "values": ["private"]}
        assert subnets["network_public_subnets_tagged"]["filter"][1] == {"name": "tag:Tier", "values": ["public"]}
        assert document["terraform"]["backend"]["s3"]["bucket"] == "acme-wallet-terraform-state"
        tags = document["provider"]["aws"][0]["default_tags"][0]["tags"]
        assert (tags["Owner"], tags["CostCenter"]) == ("payments-platform", "cc-4711")
    staging, prod = stack(example_builds, "team", "wallet-staging"), stack(example_builds, "team", "wallet-prod")
    assert resources(staging, "aws_lb_listener")["load_balancer_https"]["certificate_arn"] == (
        "arn:aws:acm:us-east-1:210987654321:certificate/6c1e5a0b-2f4d-4e8a-9b7c-3d2e1f0a9b8c"
    )
    assert resources(prod, "aws_lb_listener")["load_balancer_https"]["certificate_arn"] == (
        "arn:aws:acm:us-east-1:210987654321:certificate/0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b"
    )
    assert resources(staging, "aws_db_instance")["database_instance"]["instance_class"] == "db.t4g.medium"
    database = resources(prod, "aws_db_instance")["database_instance"]
    assert (database["instance_class"], database["allocated_storage"], database["max_allocated_storage"]) == ("db.m7g.large", 200, 1000)
    task = resources(prod, "aws_ecs_task_definition")["service_task_definition"]
    assert (task["cpu"], task["memory"]) == ("1024", "2048")
    assert resources(prod, "aws_appautoscaling_target")["autoscaling_target"]["max_capacity"] == 12
    endpoints = sorted(s["endpoint"] for s in resources(prod, "aws_sns_topic_subscription").values())
    assert endpoints == ["payments-oncall@example.com", "wallet-prod-alerts@example.com"]


def test_sidecar_and_backup_copy_in_prod(example_builds: dict[str, Build]) -> None:
    prod = stack(example_builds, "sidecar-and-backup-copy", "wallet-prod")
    task = resources(prod, "aws_ecs_task_definition")["service_task_definition"]
    containers = {c["name"]: c for c in json.loads(task["container_definitions"])}
    assert containers["otel-collector"]["image"] == (
        "${data.aws_caller_identity.account.account_id}.dkr.ecr.us-east-1.amazonaws.com/ecr-public-prod/aws-observability/"
        "aws-otel-collector:v0.28.0"
    )
    assert (task["cpu"], task["memory"]) == ("512", "1024")
    assert resources(prod, "aws_vpc_endpoint")["endpoints_sidecar_xray"]["service_name"] == "com.amazonaws.us-east-1.xray"
    [copy_provider] = [p for p in prod["provider"]["aws"] if p.get("alias") == "backup_copy"]
    assert copy_provider["region"] == "us-east-2"
    assert resources(prod, "aws_backup_vault")["backup_copy_vault"]["provider"] == "aws.backup_copy"
    [rule] = resources(prod, "aws_backup_plan")["backup_plan"]["rule"]
    assert rule["copy_action"][0]["destination_vault_arn"] == "${aws_backup_vault.backup_copy_vault.arn}"
    # the example's collector is the one the docs show and the emulated account applies
    context = json.loads((EXAMPLES_DIR / "sidecar-and-backup-copy" / "cdktf.json").read_text())["context"]
    assert context["wallet-prod"]["sidecars"] == [ADOT_COLLECTOR]
    for name in ("wallet-dev", "wallet-staging"):
        assert not resources(stack(example_builds, "sidecar-and-backup-copy", name), "aws_backup_vault")
