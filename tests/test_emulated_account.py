"""Terraform itself, with a real AWS provider, against an emulated AWS account, through the project's own commands.

The session starts the emulator (moto in server mode, sandbox/server.py) and, in the background, the life of
every stack there (tests/emulator/lifecycle.py, whose docstring lists the steps): the state bucket as Runbook 1 says,
then per environment a plan with nothing but the tag, the first deploy, a re-plan, a release, a re-plan and the
destroy; on one environment `cdktf deploy` and `cdktf diff`, on the last what goes wrong (a failed migration, AWS out
of reach, state without the tag output); plans of a team's context beside them. These tests read what each step did
and what the account holds, and run a few of their own: the state lock, and `terraform validate` with the provider
under test. What the emulator cannot show is in sandbox/allowlist.toml.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import tomllib
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from sandbox import account, provider
from stacks import config
from tests import backup_events
from tests.conftest import ENV_STACKS, PROJECT_DIR, SUMMARY, Build
from tests.emulator.lifecycle import FIRST, NEXT, PLANNED_JSON
from tests.expected import EXPECTED
from tests.golden import GOLDEN_DIR
from tests.helpers import workflow_steps
from tests.test_realistic_context import REALISTIC_CONTEXT

ALLOWLIST = PROJECT_DIR / "sandbox" / "allowlist.toml"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="session")
def record(emulated_run: Any, request: pytest.FixtureRequest) -> dict[str, Any]:
    """The lifecycle's record, once it has ended."""
    result = emulated_run.result(timeout_seconds=3600)
    assert result.returncode == 0, f"the lifecycle run failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    document: dict[str, Any] = json.loads((emulated_run.outdir / "record.json").read_text())
    steps = sum(len(value) for key, value in document.items() if isinstance(value, list))
    request.config.stash.setdefault(SUMMARY, []).append(
        f"emulated account: moto {version('moto')}, hashicorp/aws {document['provider']['version']} "
        f"({'mirror ' + document['provider']['mirror'] if document['provider']['mirror'] else 'registry'}), {steps} steps"
    )
    return document


def step(record: dict[str, Any], stack: str, name: str) -> dict[str, Any]:
    """One step of a stack's sequence, its output without colours; fails the test if the step never ran."""
    steps = record.get(stack, [])
    for item in steps:
        if item["name"] == name:
            return {**item, "output": ANSI.sub("", item["output"])}
    failed = [item for item in steps if item["returncode"] != 0]
    detail = f"{failed[-1]['name']} failed:\n{ANSI.sub('', failed[-1]['output'])[-4000:]}" if failed else "no step ran"
    pytest.fail(f"{stack}: step {name} did not run; {detail}")


def succeeded(item: dict[str, Any]) -> dict[str, Any]:
    assert item["returncode"] == 0, f"{' '.join(item['command'])} exited {item['returncode']}:\n{item['output'][-4000:]}"
    return item


def in_order(output: str, *lines: str) -> bool:
    positions = [output.find(line) for line in lines]
    return -1 not in positions and positions == sorted(positions)


DEFAULTS = config.load({})[0]  # the lifecycle runs the table's defaults: one Region and repository for all


def image(emulator: account.Account, tag: str) -> str:
    """The image reference a task definition holds for ``tag``: the repository's URI at the tag's digest."""
    ecr = emulator.client("ecr", DEFAULTS.region)
    [details] = ecr.describe_images(repositoryName=DEFAULTS.ecr_repository, imageIds=[{"imageTag": tag}])["imageDetails"]
    [repository] = ecr.describe_repositories(repositoryNames=[DEFAULTS.ecr_repository])["repositories"]
    return f"{repository['repositoryUri']}@{details['imageDigest']}"


def state_key(stack: str) -> str:
    return f"wallet-service/{stack.removeprefix('wallet-')}/terraform.tfstate"


def planned_to_add_everything(output: str, synthesized: Path) -> bool:
    count = sum(len(blocks) for blocks in json.loads(synthesized.read_text())["resource"].values())
    return f"Plan: {count} to add, 0 to change, 0 to destroy." in output


def test_the_state_bucket_is_bootstrapped_as_runbook_1_says(record: dict[str, Any], emulator: account.Account) -> None:
    for item in record[config.STATE_STACK]:
        succeeded(item)
    bucket = step(record, config.STATE_STACK, "state-output")["output"].strip()
    assert bucket == "wallet-service-terraform-state-123456789012-us-east-1"
    s3 = emulator.client("s3", "us-east-1")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    keys = {item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert {state_key(stack) for stack in ENV_STACKS} <= keys
    assert not [key for key in keys if key.endswith(".tflock")]  # every lock was released


def test_a_plan_needs_nothing_but_the_tag(record: dict[str, Any], env_stack: str, emulated_run: Any) -> None:
    """`pipenv run plan <env> v1.2.3` (synth, init, plan): every resource of the synthesized stack is to be added."""
    output = succeeded(step(record, env_stack, "plan"))["output"]
    assert planned_to_add_everything(output, emulated_run.outdir / env_stack / PLANNED_JSON)


def test_a_plan_of_a_teams_configuration(record: dict[str, Any], env_stack: str, emulated_run: Any) -> None:
    """The realistic context of tests/test_realistic_context.py (explicit VPC and subnet ids, certificate ARN, a bigger
    database, ARM64, IPv6 ingress, Spot in staging, an allowed account), its ids the emulated account's."""
    item = record["realistic"][env_stack]
    output = ANSI.sub("", item["output"])
    assert item["returncode"] == 0, output[-4000:]
    assert planned_to_add_everything(output, emulated_run.outdir / f"team-{env_stack}" / "cdktf.out" / "stacks" / env_stack / "cdk.tf.json")


def test_the_first_deploy_bootstraps(record: dict[str, Any], env_stack: str, emulator: account.Account) -> None:
    deploy = succeeded(step(record, env_stack, "deploy"))
    assert in_order(
        deploy["output"],
        f"first deploy of {env_stack} at {FIRST}",
        "1/3 everything, the service without tasks (bootstrap)",
        "2/3 migrations",
        "migrations applied",
        "3/3 the service to its minimum task count",
    )
    # Auto scaling's bounds once the first deploy has lifted the bootstrap's hold.
    assert deploy["facts"]["scalable_target"] == {"min": EXPECTED[env_stack].min_tasks, "max": EXPECTED[env_stack].max_tasks}
    # Created empty (the bootstrap); auto scaling, not Terraform, raises it (the emulator runs no auto scaling).
    assert deploy["facts"]["service"] == {"desired_count": 0, "image": image(emulator, FIRST)}
    assert deploy["facts"]["migration_image"] == image(emulator, FIRST)


@pytest.mark.parametrize("after", ["deploy", "release"])
def test_a_plan_after_an_apply_shows_no_changes(record: dict[str, Any], env_stack: str, after: str) -> None:
    """`terraform plan -detailed-exitcode` exits 0: nothing the provider reads back differs from the configuration."""
    item = step(record, env_stack, f"plan-after-{after}")
    changes = [line for line in item["output"].splitlines() if re.match(r"\s+[#~+-] ", line) or line.startswith("Plan:")]
    assert item["returncode"] == 0, "\n".join(changes) or item["output"][-4000:]


def test_a_release_moves_the_migrations_first_then_the_service(record: dict[str, Any], env_stack: str, emulator: account.Account) -> None:
    release = succeeded(step(record, env_stack, "release"))
    assert in_order(
        release["output"],
        f"release {env_stack}: {FIRST} -> {NEXT}",
        f"1/3 the migration task to {NEXT}; the service stays on {FIRST}",
        "2/3 migrations",
        "migrations applied",
        f"3/3 the service to {NEXT}",
    )
    assert release["facts"]["service"]["image"] == image(emulator, NEXT)
    assert release["facts"]["migration_image"] == image(emulator, NEXT)


def test_destroy_follows_the_tier(record: dict[str, Any], env_stack: str) -> None:
    """docs/runbook.md#3-destroy-rules: development destroys cleanly; pre-production stops at the database's deletion protection
    (the rest is destroyed, the database and its data stay); production is refused by Terraform before anything goes."""
    destroy = step(record, env_stack, "destroy")
    left = destroy["facts"]
    match EXPECTED[env_stack].tier:
        case "development":
            succeeded(destroy)
            assert left == {
                "service": None, "migration_image": None, "scalable_target": None, "database": None, "target_groups": {},
                "final_snapshots": [],  # development: no final snapshot
                "pull_through_cache": [],  # the first environment's sidecar step made one; no environment keeps one
                "ssl_policies": [],  # no load balancer left
                "service_target_group": None, "rule_weights": [],  # no service, no live rule
            }  # fmt: skip
        case "pre-production":
            assert destroy["returncode"] == 1
            assert "deletion protection" in destroy["output"].lower()
            assert left["database"] == {"deletion_protection": True, "status": "available", "instance_class": EXPECTED[env_stack].db_class}
        case "production":
            assert destroy["returncode"] == 1
            assert "Instance cannot be destroyed" in destroy["output"]
            assert "prevent_destroy" in destroy["output"]
            assert left["database"] == {"deletion_protection": True, "status": "available", "instance_class": EXPECTED[env_stack].db_class}
            assert left["service"] is not None and left["scalable_target"] is not None  # nothing was destroyed


def test_a_failed_migration_leaves_the_service_on_the_current_release(record: dict[str, Any], emulator: account.Account) -> None:
    """`pipenv run release` back to v1.2.3 with a migration that exits 1: the migration task moved, the service did not."""
    item = step(record, ENV_STACKS[-1], "release-failed-migration")
    assert item["returncode"] == 1
    assert in_order(
        item["output"], "1/3 the migration task to v1.2.3", "2/3 migrations", "exit code: 1", "migration FAILED: the release stops here"
    )
    assert "3/3" not in item["output"]
    assert item["facts"]["service"]["image"] == image(emulator, NEXT)
    assert item["facts"]["migration_image"] == image(emulator, FIRST)


def test_an_unreachable_aws_stops_the_deploy_before_synthesis(record: dict[str, Any]) -> None:
    """AWS unreachable: `pipenv run deploy` stops at the credentials check (release/credentials.py) with one line,
    before synthesis, and so never takes the stack for a new one (whose first deploy would start the service without
    tasks). A state that AWS answers but denies: the next test."""
    item = step(record, ENV_STACKS[-1], "deploy-unreachable")
    assert item["returncode"] == 2
    last = item["output"].splitlines()[-1]
    assert last.startswith(f"error: {ENV_STACKS[-1]}: credentials (") and last.endswith(
        '): AWS cannot be reached (Could not connect to the endpoint URL: "http://127.0.0.1:9/"); check the network, proxy or '
        "AWS_ENDPOINT_URL, then run this again"
    )
    assert "first deploy" not in item["output"] and "Apply complete" not in item["output"]


def test_a_state_that_exists_but_cannot_be_read_is_never_taken_for_a_new_stack(record: dict[str, Any]) -> None:
    """The state object's read denied (a missing permission): the deploy stops with the backend's error (already
    `terraform init` reads the state), and never bootstraps, which would start the running service without tasks."""
    item = step(record, ENV_STACKS[-1], "deploy-state-unreadable")
    assert item["returncode"] == 1
    assert f'Unable to access object "{state_key(ENV_STACKS[-1])}"' in item["output"] and "403" in item["output"]
    assert "first deploy" not in item["output"] and "Apply complete" not in item["output"]


def test_a_stack_with_state_is_never_bootstrapped(record: dict[str, Any]) -> None:
    """State without the service_image_tag output (deployed before it existed): no guess that could scale it down."""
    item = step(record, ENV_STACKS[-1], "release-without-output")
    assert item["returncode"] == 2
    short = ENV_STACKS[-1].removeprefix("wallet-")
    assert item["output"].splitlines()[-1] == (
        f"error: service_image_tag: {ENV_STACKS[-1]} has state but no such output; run `pipenv run deploy {short} <the tag it runs>` once"
    )


def test_the_cdktf_cli_deploys_and_diffs_a_deployed_stack(record: dict[str, Any]) -> None:
    """On the released stack: `pipenv run deploy <env> v1.2.4` is `cdktf deploy` (the CLI's synth, init, plan and
    apply), then `cdktf diff`; neither finds anything to change."""
    stack = ENV_STACKS[0]
    deploy = succeeded(step(record, stack, "deploy-deployed"))["output"]
    assert "No changes." in deploy and "first deploy" not in deploy
    assert "No changes." in succeeded(step(record, stack, "cdktf-diff"))["output"]


def test_each_traffic_shifting_release_starts_in_the_other_group_and_leaves_nothing_to_plan(record: dict[str, Any]) -> None:
    """The emulator swaps the groups as ECS does after a successful canary (server.py): the rule's weights move to the
    group the revision started in, and the service reports that group. The stack follows the rule (not a fixed pair),
    so the release after a release (the port change) starts in the group then idle, and each re-plan is clean."""
    stack = ENV_STACKS[-1]
    assert EXPECTED[stack].strategy != "ROLLING"
    names = sorted(succeeded(step(record, stack, "release"))["facts"]["target_groups"])
    assert len(names) == 2 and names[1] == f"{names[0]}-alt"  # the load balancer's group and its alternate
    serving = []
    for name in ("deploy", "release", "port-change"):
        facts = succeeded(step(record, stack, name))["facts"]
        live = facts["service_target_group"]
        assert live in names
        assert facts["rule_weights"] and all(w == {live: 100, (set(names) - {live}).pop(): 0} for w in facts["rule_weights"])
        serving.append(live)
    assert serving[1] != serving[0] and serving[2] != serving[1]  # one deployment each: the idle group went live
    for name in ("plan-after-release", "plan-after-port-change"):
        assert step(record, stack, name)["returncode"] == 0, step(record, stack, name)["output"][-3000:]


def test_a_port_change_moves_the_tasks_not_the_target_groups(record: dict[str, Any]) -> None:
    """container_port 8080 -> 9090 on a released stack that shifts traffic (its load balancer block is Terraform's,
    so the change reaches the service), by `pipenv run release`: one release, the target groups kept (a replacement
    would fail while the listener forwards to them), the load balancer's rules to the new port added before the old
    ones go, and those go only after the service has moved; then a plan finds nothing to change."""
    stack = ENV_STACKS[-1]
    assert EXPECTED[stack].strategy != "ROLLING"
    change = succeeded(step(record, stack, "port-change"))
    assert change["facts"]["container_ports"] == [9090] and change["facts"]["task_ingress_ports"] == [9090]
    assert change["facts"]["target_groups"] == step(record, stack, "release")["facts"]["target_groups"] != {}
    assert len(change["facts"]["target_groups"]) == 2  # the serving and the alternate group
    output = ANSI.sub("", change["output"])
    rules = (
        "aws_vpc_security_group_ingress_rule.service_task_ingress_load_balancer",
        "aws_vpc_security_group_egress_rule.load_balancer_egress_service",
    )
    moved = output.index("aws_ecs_service.service_service: Modifications complete")
    for rule in rules:
        created = output.index(f"{rule}: Creation complete")
        [destroyed] = [m.start() for m in re.finditer(re.escape(rule) + r"( \(deposed object \w+\))?: Destruction complete", output)]
        assert created < moved < destroyed, (created, moved, destroyed)
    item = step(record, stack, "plan-after-port-change")
    assert item["returncode"] == 0, item["output"][-4000:]


def test_restore_tests_are_planned_into_the_databases_subnets_behind_a_closed_security_group(
    record: dict[str, Any], emulator: account.Account
) -> None:
    """What the provider created for each environment with restore tests (production), read from the account: the
    plan's schedule and recovery point, the selection's database, window and restore metadata, and a security group
    with no rule at all (the provider removes the egress rule AWS adds). No restore job runs here (allowlist). Schedule,
    window and class are the defaults the lifecycle deploys, written out as the values an operator relies on."""
    tested = [c for c in config.load({}) if c.restore_testing]
    assert tested, "production requires restore tests"
    for environment in tested:
        succeeded(step(record, environment.stack_name, "deploy"))
        backup, rds, ec2 = (emulator.client(service, environment.region) for service in ("backup", "rds", "ec2"))
        name = f"wallet_service_{environment.environment}"
        plan = backup.get_restore_testing_plan(RestoreTestingPlanName=f"{name}_restore_test")["RestoreTestingPlan"]
        assert plan["ScheduleExpression"] == "cron(0 7 ? * MON *)"
        assert plan["RecoveryPointSelection"]["Algorithm"] == "LATEST_WITHIN_WINDOW"
        [vault] = plan["RecoveryPointSelection"]["IncludeVaults"]
        assert vault.endswith(f":backup-vault:wallet-service-{environment.environment}-vault")
        selection = backup.get_restore_testing_selection(
            RestoreTestingPlanName=f"{name}_restore_test", RestoreTestingSelectionName=f"{name}_database"
        )["RestoreTestingSelection"]
        [database] = rds.describe_db_instances(DBInstanceIdentifier=f"wallet-service-{environment.environment}")["DBInstances"]
        assert selection["ProtectedResourceArns"] == [database["DBInstanceArn"]]
        assert selection["ValidationWindowHours"] == 4
        overrides = selection["RestoreMetadataOverrides"]
        assert overrides["dbSubnetGroupName"] == database["DBSubnetGroup"]["DBSubnetGroupName"]
        assert (overrides["dbInstanceClass"], overrides["publiclyAccessible"], overrides["multiAz"]) == (
            "db.t4g.micro", "false", "false",
        )  # fmt: skip
        [group] = ec2.describe_security_groups(GroupIds=json.loads(overrides["vpcSecurityGroupIds"]))["SecurityGroups"]
        assert (group["GroupName"], group["IpPermissions"], group["IpPermissionsEgress"]) == (
            f"wallet-service-{environment.environment}-restore-test", [], [],
        )  # fmt: skip


def test_the_deployed_restore_test_rule_matches_aws_example_events_of_its_plan_only(
    record: dict[str, Any], emulator: account.Account
) -> None:
    """The rule as the provider created it, asked with EventBridge's TestEventPattern (moto's matcher: server.py) about
    AWS's example restore job events (tests/backup_events.py) as the deployed plan's jobs send them: a completed and a
    failed one match; a running one, another plan's job and a restore outside any plan do not."""
    tested = [c for c in config.load({}) if c.restore_testing]
    assert tested, "production requires restore tests"
    for environment in tested:
        succeeded(step(record, environment.stack_name, "deploy"))
        backup, events = (emulator.client(service, environment.region) for service in ("backup", "events"))
        name = f"wallet_service_{environment.environment}_restore_test"
        plan = backup.get_restore_testing_plan(RestoreTestingPlanName=name)["RestoreTestingPlan"]["RestoreTestingPlanArn"]
        pattern = events.describe_rule(Name=f"wallet-service-{environment.environment}-restore-test")["EventPattern"]

        def matches(event: dict[str, Any], pattern: str = pattern, events: Any = events) -> bool:
            return bool(events.test_event_pattern(EventPattern=pattern, Event=json.dumps(event))["Result"])

        assert matches(backup_events.of_restore_test(backup_events.COMPLETED, plan))
        assert matches(backup_events.of_restore_test(backup_events.FAILED, plan))
        assert not matches(backup_events.of_restore_test(backup_events.RUNNING, plan))
        assert not matches(backup_events.of_restore_test(backup_events.COMPLETED, backup_events.OTHER_PLAN))
        assert not matches(backup_events.COMPLETED)


def test_a_teams_copy_into_its_backup_account_is_planned_with_that_account_on_the_database_key(record: dict[str, Any]) -> None:
    """The realistic context's production copies into a vault of account 210987654321: its plan names that account on
    the database key (and the copy action), nothing else of it."""
    stack = next(c.stack_name for c in config.load(REALISTIC_CONTEXT) if c.backup_copy_vault_arn)
    output = ANSI.sub("", record["realistic"][stack]["output"])
    assert record["realistic"][stack]["returncode"] == 0, output[-4000:]
    assert output.count('"arn:aws:iam::210987654321:root"') == 2, output[-4000:]  # CopyAccountUsesKey, ...GrantsForAwsResources
    assert '"arn:aws:backup:us-east-1:210987654321:backup-vault:wallet-copies"' in output


def test_a_sidecar_is_added_by_configuration_alone(record: dict[str, Any]) -> None:
    """The first environment's release after the OpenTelemetry collector of docs/architecture.md#sidecars was added to its cdktf.json: the
    task runs it from the environment's pull-through cache, the X-Ray endpoint is its network path, the re-plan is
    clean, and the destroy takes the cache rule with it."""
    first = ENV_STACKS[0]
    env = EXPECTED[first].environment
    facts = succeeded(step(record, first, "sidecar"))["facts"]
    assert list(facts["containers"]) == ["wallet-service", "otel-collector"]
    assert facts["containers"]["otel-collector"] == (
        f"123456789012.dkr.ecr.us-east-1.amazonaws.com/ecr-public-{env}/aws-observability/aws-otel-collector:v0.28.0"
    )
    assert "com.amazonaws.us-east-1.xray" in facts["interface_endpoints"]
    assert f"ecr-public-{env}" in facts["pull_through_cache"]
    replan = step(record, first, "plan-after-sidecar")
    assert replan["returncode"] == 0, replan["output"][-4000:]
    assert f"ecr-public-{env}" not in succeeded(step(record, first, "destroy"))["facts"]["pull_through_cache"]


def test_a_class_change_is_applied_at_once_where_db_apply_immediately_is_on(record: dict[str, Any]) -> None:
    """The first environment (db_apply_immediately on) moves to db.t4g.micro by `pipenv run deploy`: the provider's
    ModifyDBInstance applies it during the deploy, the instance is available on the new class, and a plan after it
    finds nothing to change (an instance class change modifies in place: no replacement, no data lost)."""
    stack = ENV_STACKS[0]
    assert EXPECTED[stack].db_at_once and EXPECTED[stack].db_class != "db.t4g.micro"
    change = succeeded(step(record, stack, "class-change"))
    assert change["facts"]["database"] == {
        "deletion_protection": EXPECTED[stack].protected,
        "status": "available",
        "instance_class": "db.t4g.micro",
    }
    output = ANSI.sub("", change["output"])
    assert "aws_db_instance.database_instance: Modifications complete" in output
    assert "aws_db_instance.database_instance: Destruction complete" not in output
    replan = step(record, stack, "plan-after-class-change")
    assert replan["returncode"] == 0, replan["output"][-4000:]


def test_spot_is_switched_off_and_on_in_place(record: dict[str, Any]) -> None:
    """The first environment (all on Spot) with fargate_spot_percent 0 alone, then back to the table's 100, each by
    `pipenv run deploy`: the service's strategy changes by UpdateService, the service itself stays (same ARN, same
    creation time: not replaced), it never gets a launch type, and each re-plan is clean."""
    stack = ENV_STACKS[0]
    assert EXPECTED[stack].capacity == [{"capacity_provider": "FARGATE_SPOT", "weight": 100}]
    before = succeeded(step(record, stack, "class-change"))["facts"]["service_identity"]
    off = succeeded(step(record, stack, "spot-off"))
    on = succeeded(step(record, stack, "spot-on"))

    def strategy(identity: dict[str, Any]) -> list[tuple[str, int, int]]:  # a base of 0 may be sent or left out
        return [(item["capacityProvider"], item["weight"], item.get("base", 0)) for item in identity["capacity_provider_strategy"]]

    assert strategy(before) == strategy(on["facts"]["service_identity"]) == [("FARGATE_SPOT", 100, 0)]
    assert strategy(off["facts"]["service_identity"]) == [("FARGATE", 100, 0)]
    for item in (off, on):
        identity = item["facts"]["service_identity"]
        assert (identity["arn"], identity["created_at"]) == (before["arn"], before["created_at"])
        assert identity["arn"] == "arn:aws:ecs:us-east-1:123456789012:service/wallet-service-cluster-dev/wallet-service-dev"
        assert identity["launch_type"] is None
        assert "aws_ecs_service.service_service: Modifications complete" in item["output"]
        assert "aws_ecs_service.service_service: Destruction complete" not in item["output"]
    for name in ("plan-after-spot-off", "plan-after-spot-on"):
        replan = step(record, stack, name)
        assert replan["returncode"] == 0, replan["output"][-4000:]


def test_a_replaced_service_takes_its_scaling_with_it(record: dict[str, Any]) -> None:
    """A plan that replaces the service (terraform plan -replace) replaces its scalable target and both policies, which
    ECS deletes with the service, and nothing else."""
    replaced = succeeded(step(record, ENV_STACKS[0], "replace-service-plan"))["output"].split()
    assert replaced == [
        "aws_appautoscaling_policy.autoscaling_cpu",
        "aws_appautoscaling_policy.autoscaling_memory",
        "aws_appautoscaling_target.autoscaling_target",
        "aws_ecs_service.service_service",
    ]


def test_a_service_on_the_launch_type_is_refused_until_moved(record: dict[str, Any]) -> None:
    """A deployed service in the form this code no longer writes (launch type FARGATE, no strategy: the state edited
    so) stops the deploy before Terraform plans, in one line naming the runbook's section; the runbook's refresh then
    reads the strategy the service has back, and the plan is clean."""
    refused = step(record, ENV_STACKS[0], "launch-type-refused")
    assert refused["returncode"] == 2, refused["output"][-4000:]
    assert refused["output"].splitlines()[-1] == (
        "error: wallet-dev: its service still has the launch type FARGATE, which this code replaces by a capacity provider "
        "strategy; move it first (docs/runbook.md#4-moving-a-service-off-the-launch-type), then run this again"
    )
    replan = step(record, ENV_STACKS[0], "plan-after-launch-type-refused")
    assert replan["returncode"] == 0, replan["output"][-4000:]


def test_a_tls_policy_other_than_the_default_reaches_the_https_listener(record: dict[str, Any]) -> None:
    """The last environment (HTTPS) switched from the default, post-quantum policy to TLS 1.3 only: the listener
    carries it after `pipenv run deploy`, modified in place, and a plan after it finds nothing to change."""
    stack = ENV_STACKS[-1]
    assert EXPECTED[stack].https
    assert succeeded(step(record, stack, "release"))["facts"]["ssl_policies"] == ["ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"]
    change = succeeded(step(record, stack, "tls-policy"))
    assert change["facts"]["ssl_policies"] == ["ELBSecurityPolicy-TLS13-1-3-2021-06"]
    output = ANSI.sub("", change["output"])
    assert re.search(r"aws_lb_listener\.\w+: Modifications complete", output)
    assert not re.search(r"aws_lb_listener\.\w+: Destruction complete", output)
    replan = step(record, stack, "plan-after-tls-policy")
    assert replan["returncode"] == 0, replan["output"][-4000:]


def test_subnets_are_found_by_an_aws_tag_key(record: dict[str, Any], env_stack: str) -> None:
    """Where the seeded subnets carry AWS CDK's and CloudFormation's tags, the lifecycle selects them by both, the
    aws:cloudformation:stack-name key among them (issue 22, item 8); a private subnet of another stack in the same VPC,
    tagged alike but for that key, is left out: the service runs in exactly the seeded private subnets."""
    seeded = record["seeded"][env_stack]
    if not seeded["by_tags"]:
        assert "private_subnet_tags" not in record["context"].get(env_stack, {})
        return
    environment = EXPECTED[env_stack].environment
    assert record["context"][env_stack]["private_subnet_tags"] == {
        "aws-cdk:subnet-type": "Private",
        "aws:cloudformation:stack-name": f"wallet-{environment}-network",
    }
    assert succeeded(step(record, env_stack, "deploy"))["facts"]["service_subnets"] == sorted(seeded["private_subnet_ids"])


def test_each_destroy_leaves_a_final_snapshot_of_its_own(record: dict[str, Any]) -> None:
    """The middle environment (pre-production) after its destroy stopped at deletion protection: the runbook's console
    step, destroy (a final snapshot), a first deploy again, the console step, destroy again: a second final snapshot,
    of another name (one fixed name would fail the second delete with DBSnapshotAlreadyExists)."""
    env_stack = ENV_STACKS[len(ENV_STACKS) // 2]
    final = re.compile(rf"wallet-service-{EXPECTED[env_stack].environment}-final-[0-9a-f]{{8}}(-[0-9a-f]{{4}}){{3}}-[0-9a-f]{{12}}")
    first = succeeded(step(record, env_stack, "destroy-unprotected"))["facts"]
    assert first["database"] is None and len(first["final_snapshots"]) == 1 and final.fullmatch(first["final_snapshots"][0])
    redeployed = succeeded(step(record, env_stack, "redeploy"))["facts"]["database"]
    assert redeployed == {"deletion_protection": True, "status": "available", "instance_class": EXPECTED[env_stack].db_class}
    second = succeeded(step(record, env_stack, "destroy-again"))["facts"]
    assert second["database"] is None and len(second["final_snapshots"]) == 2
    assert first["final_snapshots"][0] in second["final_snapshots"] and all(final.fullmatch(name) for name in second["final_snapshots"])


def test_native_state_locking_runs_for_real(record: dict[str, Any], emulated_run: Any, emulator: account.Account) -> None:
    """A lock object at <key>.tflock (what use_lockfile writes) stops a plan; once it is gone the same plan runs."""
    stack = ENV_STACKS[-1]  # the last environment: production in the table, never destroyed
    succeeded(step(record, stack, "plan"))
    bucket, key = step(record, config.STATE_STACK, "state-output")["output"].strip(), state_key(stack)
    s3 = emulator.client("s3", DEFAULTS.state_region)
    lock = {"ID": "4d0f6b5e-0000-4000-8000-000000000000", "Operation": "OperationTypeApply", "Who": "someone@elsewhere"}
    folder = emulated_run.outdir / stack / "cdktf.out" / "stacks" / stack
    command = ["terraform", f"-chdir={folder}", "plan", "-input=false", "-no-color", "-lock-timeout=0s", "-var", f"image_tag={NEXT}"]
    env = json.loads((emulated_run.outdir / "environment.json").read_text())
    s3.put_object(Bucket=bucket, Key=f"{key}.tflock", Body=json.dumps(lock).encode())
    try:
        locked = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    finally:
        s3.delete_object(Bucket=bucket, Key=f"{key}.tflock")
    assert locked.returncode == 1
    assert "Error acquiring the state lock" in locked.stderr and "someone@elsewhere" in locked.stderr
    unlocked = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert unlocked.returncode == 0, unlocked.stderr[-2000:]


def test_the_pull_request_diff_takes_no_lock(record: dict[str, Any], emulated_run: Any, emulator: account.Account) -> None:
    """The workflow's diff step, its command and environment as infra.yml has them, plans while a deploy holds the
    lock, and leaves the lock as it found it: the read-only plan role never writes <key>.tflock."""
    stack = ENV_STACKS[-1]
    succeeded(step(record, stack, "plan"))
    [diff] = [item for item in workflow_steps("infra.yml", "diff") if item.get("name") == "diff (plan)"]
    assert diff["env"]["TF_CLI_ARGS_plan"] == "-lock=false"
    assert diff["run"] == 'pipenv run plan "$ENVIRONMENT" "$IMAGE_TAG"'
    bucket, key = step(record, config.STATE_STACK, "state-output")["output"].strip(), state_key(stack)
    s3 = emulator.client("s3", DEFAULTS.state_region)
    lock = json.dumps({"ID": "5e1f7c6f-0000-4000-8000-000000000000", "Operation": "OperationTypeApply", "Who": "deploy@pipeline"})
    env = {
        **json.loads((emulated_run.outdir / "environment.json").read_text()),
        **{name: value for name, value in diff["env"].items() if not value.startswith("${{")},
        "ENVIRONMENT": stack.removeprefix("wallet-"),
        "IMAGE_TAG": NEXT,
    }
    s3.put_object(Bucket=bucket, Key=f"{key}.tflock", Body=lock.encode())
    try:
        result = subprocess.run(
            ["bash", "-c", diff["run"]], cwd=emulated_run.outdir / stack, env=env, capture_output=True, text=True, check=False, timeout=600
        )
        held = s3.get_object(Bucket=bucket, Key=f"{key}.tflock")["Body"].read().decode()
    finally:
        s3.delete_object(Bucket=bucket, Key=f"{key}.tflock")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    # A plan was made (this stack's state went through the failure cases, so it may show changes) without the lock.
    output = ANSI.sub("", result.stdout)
    assert re.search(r"No changes\.|Plan: \d+ to add|Changes to Outputs", output), output[-3000:]
    assert "state lock" not in output + result.stderr
    assert held == lock


def test_the_nightly_drift_check_is_clean_right_after_a_release(record: dict[str, Any], env_stack: str) -> None:
    """`pipenv run drift <env>` (what .github/workflows/drift.yml runs: no tag, the one the stack runs) right after a
    release, when `terraform plan` shows no changes: exit 0, no drift, at the released tag read from the state."""
    succeeded(step(record, env_stack, "plan-after-release"))
    item = step(record, env_stack, "drift-after-release")
    assert item["returncode"] == 0, item["output"][-4000:]
    assert f"drift check of {env_stack} at {NEXT} (the tag it runs: its service_image_tag output)\n" in item["output"]
    assert f"### {env_stack}: no drift\n\nThe account matches the code.\n" in item["output"]
    assert "Changed outside Terraform" not in item["output"]


def test_the_nightly_drift_check_names_what_changed_outside_terraform(record: dict[str, Any], emulated_run: Any) -> None:
    """The same check on the last environment right after that clean one, its service's log retention set to 1 day
    by hand first: exit 2, and the summary (printed and appended to $GITHUB_STEP_SUMMARY) names the log group and the
    attribute, and the apply that puts it back, and nothing else."""
    stack = ENV_STACKS[-1]
    assert step(record, stack, "drift-after-release")["returncode"] == 0
    item = step(record, stack, "drift-outside-change")
    assert item["returncode"] == 2, item["output"][-4000:]
    # Exactly the log group is drifted. The apply that puts it back also lists what Terraform plans with it: a policy
    # document that reads the log group's ARN is read again at apply (the group has a change pending), so the policy
    # built from it shows as an update of unknown values.
    report = (
        f"### {stack}: drift\n\nChanged outside Terraform (the account no longer matches the last apply):\n\n"
        "- `aws_cloudwatch_log_group.service_task_log_group`: `retention_in_days`\n\n"
        "What an apply of the code would do:\n\n- `aws_cloudwatch_log_group.service_task_log_group`: update\n"
    )
    assert report in item["output"], item["output"][-4000:]
    planned = item["output"].split("What an apply of the code would do:\n\n")[1].split("\n\n")[0].splitlines()
    assert set(planned) <= {
        "- `aws_cloudwatch_log_group.service_task_log_group`: update",
        "- `aws_iam_role_policy.service_task_iam_execution_policy`: update",
    }, planned
    summary = (emulated_run.outdir / stack / "step-summary.md").read_text()
    assert report in summary
    # The retention was put back: the next step (a release) starts from the released account.
    assert step(record, stack, "port-change")["returncode"] == 0


def test_a_drift_check_without_a_tag_needs_the_output(record: dict[str, Any]) -> None:
    """On a state without the service_image_tag output (deployed before it existed), `pipenv run drift <env>` has no
    tag to plan with: one line saying so and how to give one, exit 1 (the check did not run), no plan."""
    stack = ENV_STACKS[-1]
    item = step(record, stack, "drift-without-output")
    assert item["returncode"] == 1
    environment = EXPECTED[stack].environment
    line = (
        f"error: service_image_tag: {stack} has no such output in its state (not deployed yet, or deployed before the "
        f"output existed); give the tag it runs: pipenv run drift {environment} <image tag>"
    )
    assert item["output"].rstrip().endswith("\n" + line), item["output"][-2000:]
    assert "drift check of" not in item["output"]


@pytest.fixture(scope="session")
def provider_choice(defaults_build: Build) -> provider.ProviderChoice:
    pinned = {provider.pinned_version(document) for document in defaults_build.parsed.values()}
    assert pinned == {"6.25.0"}  # the prebuilt bindings' provider, on every stack
    return provider.choose("6.25.0", provider.mirrored_versions())


def validate(stack_dir: Path, choice: provider.ProviderChoice, *, removals: bool, cli_config: Path) -> subprocess.CompletedProcess[str]:
    provider.adapt(stack_dir, choice, removals=removals)
    env = {"TF_CLI_CONFIG_FILE": str(cli_config), "CHECKPOINT_DISABLE": "1", "PATH": os.environ["PATH"]}
    init = subprocess.run(
        ["terraform", f"-chdir={stack_dir}", "init", "-backend=false", "-input=false", "-no-color"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    return subprocess.run(
        ["terraform", f"-chdir={stack_dir}", "validate", "-no-color"], env=env, capture_output=True, text=True, check=False
    )


def test_the_providers_version_and_exactly_the_removals(
    defaults_build: Build, provider_choice: provider.ProviderChoice, tmp_path: Path
) -> None:
    """Every stack validates with the provider under test: the pinned 6.25.0 as synthesized, or an older mirrored one
    after the declared removals, and not without them."""
    cli_config = tmp_path / "terraform.rc"
    cli_config.write_text(provider_choice.cli_config())
    # What the removals take out, per stack: the strategy block everywhere (rolling too), and the second target group's
    # block where traffic shifts (canary, linear, blue/green).
    expected = {
        stack: [
            "aws_ecs_service.service_service.deployment_configuration",
            *(["aws_ecs_service.service_service.load_balancer.advanced_configuration"] if e.strategy != "ROLLING" else []),
        ]
        for stack, e in EXPECTED.items()
    }
    for stack in [*ENV_STACKS, config.STATE_STACK]:
        assert provider.remove(json.loads(defaults_build.synthesized[stack])) == expected.get(stack, [])
        for removals in (True, False) if provider_choice.removes else (False,):
            folder = tmp_path / f"{stack}-{removals}"
            shutil.copytree(defaults_build.outdir / "stacks" / stack, folder)
            result = validate(folder, provider_choice, removals=removals, cli_config=cli_config)
            if removals or not provider_choice.removes or not expected.get(stack):
                assert result.returncode == 0, f"{stack}: {result.stdout[-2000:]}{result.stderr[-2000:]}"
            else:
                assert result.returncode == 1
                named = re.findall(r'No argument or block type is named "(\w+)"', result.stderr)
                assert named == [path.rsplit(".", 1)[-1] for path in expected[stack]], result.stderr[-2000:]


def test_the_provider_is_the_pinned_one_where_terraform_can_install_it(tmp_path: Path) -> None:
    for release in ("5.100.0", "6.25.0", "5.99.1", "6.0.0-beta1"):
        build = tmp_path / "mirror" / provider.SOURCE / release / provider.PLATFORM / f"terraform-provider-aws_v{release}_x5"
        build.parent.mkdir(parents=True)
        build.touch()
    mirrored = provider.mirrored_versions((tmp_path / "mirror", tmp_path / "absent"))
    assert sorted(mirrored) == ["5.100.0", "5.99.1", "6.25.0"]  # a pre-release is never chosen
    assert provider.choose("6.25.0", mirrored) == provider.ProviderChoice("6.25.0", tmp_path / "mirror")
    assert not provider.choose("6.25.0", mirrored).removes
    older = provider.choose("6.26.0", {k: v for k, v in mirrored.items() if k != "6.25.0"})
    assert older == provider.ProviderChoice("5.100.0", tmp_path / "mirror")  # the newest by number, not by text
    assert older.removes
    assert 'path    = "' + str(tmp_path / "mirror") + '"' in older.cli_config()
    assert provider.choose("6.25.0", {}) == provider.ProviderChoice("6.25.0", None)  # the registry's
    assert provider.ProviderChoice("6.25.0", None).cli_config() == ""


def test_the_removals_take_out_exactly_their_paths() -> None:
    document = {"resource": {"aws_ecs_service": {"a": {"deployment_configuration": [{}], "load_balancer": [
        {"target_group_arn": "x", "advanced_configuration": {}}, {"target_group_arn": "y"}]}, "b": {"name": "b"}}}}  # fmt: skip
    assert provider.remove(document) == [
        "aws_ecs_service.a.deployment_configuration",
        "aws_ecs_service.a.load_balancer.advanced_configuration",
    ]
    assert document == {
        "resource": {
            "aws_ecs_service": {"a": {"load_balancer": [{"target_group_arn": "x"}, {"target_group_arn": "y"}]}, "b": {"name": "b"}}
        }
    }


def test_the_allowlist_is_reviewed_for_this_moto() -> None:
    entries = tomllib.loads(ALLOWLIST.read_text())["unverified"]
    golden = {line for path in GOLDEN_DIR.glob("*.txt") for line in path.read_text().splitlines()}
    assert entries
    for entry in entries:
        for pattern in entry["resources"]:  # each names something the stacks have
            assert fnmatch.filter(golden, pattern), f"{entry['what']}: {pattern} matches no address in tests/golden"
        assert set(entry) == {"what", "resources", "moto", "emulator", "reason"}, entry
        assert entry["moto"] == version("moto"), f"{entry['what']}: reviewed for moto {entry['moto']}; review it for {version('moto')}"
        assert all(entry[field].strip() for field in ("what", "emulator", "reason"))
