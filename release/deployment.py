"""The service's ECS deployment: which state it is in, and a rollback that is a traffic shift.

    pipenv run rollback prod                         # or wallet-prod: roll back the deployment in progress or in bake
    python -m release.deployment status wallet-prod  # what scripts/terraform.sh prints when the service's apply fails

Both read the stack's ``cluster_name`` and ``service_name`` outputs (`terraform output -json` in
cdktf.out/stacks/<stack> once the credentials work, or ``--outputs`` with that command's output saved: release/
migrate.py's read_outputs) and ask ECS about the service's newest service deployment (ListServiceDeployments,
DescribeServiceDeployments: docs.aws.amazon.com/AmazonECS/latest/developerguide/service-deployment.html).

``status`` says which it is, in one line: still deploying (the apply only stopped waiting: ECS carries on, nothing to
do), succeeded, rolled back (by the circuit breaker or a deployment alarm: the previous revision serves), or failed.
It never suggests a rollback while the deployment is still running.

``rollback`` stops the deployment that is pending or in progress (a canary or linear deployment until the end of its
bake time) with StopServiceDeployment and stop type ROLLBACK (docs.aws.amazon.com/AmazonECS/latest/developerguide/
stop-service-deployment.html): ECS moves production traffic back to the revision that served before, which is still
running, instead of deploying it again. It waits until ECS reports the rollback's end, printing one line per step. With
nothing to roll back it refuses and says what to do instead.

Exit status: 0 done (status: reported); 1 the rollback failed or did not finish in time; 2 bad input, missing outputs,
nothing to roll back, or AWS refused or could not be reached (one line naming what and what to do: release/aws_errors.py).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from release import aws_errors
from release.migrate import MIN_POLL_SECONDS, MigrationError, read_outputs, wait_option_problem

PROJECT = Path(__file__).resolve().parent.parent
RUNNING = ("PENDING", "IN_PROGRESS")
"""Statuses StopServiceDeployment can roll back: a deployment is IN_PROGRESS until its bake time and clean-up end."""
ROLLING_BACK = ("ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS")


class DeploymentError(Exception):
    """What stops the command, as one line: exit status 2."""


@dataclass(frozen=True)
class Service:
    stack: str
    environment: str
    cluster: str
    name: str

    @classmethod
    def from_outputs(cls, stack: str, environment: str, outputs: Mapping[str, Any]) -> Service:
        values = {name: item.get("value") if isinstance(item, dict) else item for name, item in outputs.items()}
        missing = [name for name in ("cluster_name", "service_name") if not values.get(name)]
        if missing:
            raise DeploymentError(
                f"{stack}: output {', '.join(missing)} missing; deploy the stack first (pipenv run deploy {environment} <tag>)"
            )
        return cls(stack=stack, environment=environment, cluster=str(values["cluster_name"]), name=str(values["service_name"]))


def newest(ecs: Any, service: Service, *, statuses: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """The service's newest service deployment (of ``statuses`` when given), described in full; None when there is none.
    Every page is read and the latest createdAt wins: ListServiceDeployments documents no order, and a page may hold
    fewer than asked with more behind its nextToken (docs.aws.amazon.com/AmazonECS/latest/APIReference/
    API_ListServiceDeployments.html). botocore has no paginator for it."""
    request: dict[str, Any] = {"cluster": service.cluster, "service": service.name}
    if statuses:
        request["status"] = list(statuses)
    briefs: list[dict[str, Any]] = []
    while True:
        page = ecs.list_service_deployments(**request)
        briefs += page["serviceDeployments"]
        if not page.get("nextToken"):
            break
        request["nextToken"] = page["nextToken"]
    if not briefs:
        return None
    latest = max(briefs, key=lambda brief: brief["createdAt"])
    [found] = ecs.describe_service_deployments(serviceDeploymentArns=[latest["serviceDeploymentArn"]])["serviceDeployments"]
    return dict(found)


def revision(deployment: Mapping[str, Any]) -> str:
    """The target service revision's id (the end of its ARN), or '?'."""
    return str(deployment.get("targetServiceRevision", {}).get("arn", "?")).rsplit("/", 1)[-1]


def describe(service: Service, deployment: Mapping[str, Any] | None) -> str:
    """One line: the deployment's state and what it means for the operator."""
    if deployment is None:
        return f"{service.stack}: {service.name} has no service deployment yet"
    status, stage = deployment["status"], deployment.get("lifecycleStage", "")
    reason = f" ({deployment['statusReason']})" if deployment.get("statusReason") else ""
    head = f"{service.stack}: deployment of revision {revision(deployment)} is {status}"
    if status in RUNNING:
        return (
            f"{head}{' in ' + stage if stage else ''}: ECS is still deploying and carries on without Terraform; nothing to do "
            f"while it is healthy (`pipenv run deploy {service.environment} <tag>` shows no changes once it succeeded). "
            "Roll back only if the new revision misbehaves: `pipenv run rollback " + service.environment + "`"
        )
    if status == "SUCCESSFUL":
        return (
            f"{head} (started {deployment['createdAt']:%Y-%m-%d %H:%M} UTC): that revision serves; if the apply started no "
            "newer deployment, it failed before or beside the service (its output above)"
        )
    if status in ROLLING_BACK:
        return f"{head}{reason}: ECS is moving traffic back to the previous revision; nothing to do but wait"
    if status == "ROLLBACK_SUCCESSFUL":
        return f"{head}{reason}: the previous revision serves again; fix the release (its logs, the alarms) before trying again"
    return f"{head}{reason}: neither revision is certain to serve; check the service's events and tasks in the ECS console now"


def rolled_back_waiter(ecs: Any, *, timeout_seconds: int, poll_seconds: int) -> Any:
    """A botocore waiter on DescribeServiceDeployments for the end of a rollback (ECS has none of its own)."""
    from botocore.waiter import WaiterModel, create_waiter_with_client

    def status(expected: str, state: str) -> dict[str, str]:
        return {"matcher": "path", "argument": "serviceDeployments[0].status", "expected": expected, "state": state}

    model = WaiterModel(
        {
            "version": 2,
            "waiters": {
                "RolledBack": {
                    "operation": "DescribeServiceDeployments",
                    "delay": poll_seconds,
                    "maxAttempts": max(1, math.ceil(timeout_seconds / max(poll_seconds, 1))),
                    "acceptors": [
                        status("ROLLBACK_SUCCESSFUL", "success"),
                        status("ROLLBACK_FAILED", "failure"),
                        status("SUCCESSFUL", "failure"),  # finished before the stop took effect
                        status("STOPPED", "failure"),
                    ],
                }
            },
        }
    )
    return create_waiter_with_client("RolledBack", model, ecs)


def rollback(ecs: Any, service: Service, *, timeout_seconds: int, poll_seconds: int, out: TextIO) -> int:
    from botocore.exceptions import WaiterError

    deployment = newest(ecs, service, statuses=RUNNING)
    if deployment is None:
        latest = newest(ecs, service)
        state = f"the newest, of revision {revision(latest)}, is {latest['status']}" if latest else "it has none"
        raise DeploymentError(
            f"{service.stack}: nothing to roll back: no deployment of {service.name} is pending or in progress ({state}); to go "
            f"back to an earlier image, release it: pipenv run release {service.environment} <previous tag>"
        )
    arn = deployment["serviceDeploymentArn"]
    print(f"1/2 rolling back {service.name}'s deployment of revision {revision(deployment)} ({deployment['status']}"
          f"{', ' + deployment['lifecycleStage'] if deployment.get('lifecycleStage') else ''})", file=out)  # fmt: skip
    ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
    print(f"2/2 waiting for ECS to move traffic back (at most {timeout_seconds} s)", file=out)
    try:
        rolled_back_waiter(ecs, timeout_seconds=timeout_seconds, poll_seconds=poll_seconds).wait(serviceDeploymentArns=[arn])
    except WaiterError as error:
        found = ((error.last_response or {}).get("serviceDeployments") or [deployment])[0]
        if found["status"] == "SUCCESSFUL":
            print(f"{service.stack}: the deployment finished before the stop took effect: revision {revision(found)} serves; to go "
                  f"back, release the previous tag: pipenv run release {service.environment} <previous tag>", file=out)  # fmt: skip
        else:
            print(describe(service, found), file=out)
        return 1
    print(f"{service.stack}: rolled back; the revision that served before serves again", file=out)
    return 0


def switching_from_rolling(state: Mapping[str, Any], configuration: Mapping[str, Any]) -> bool:
    """Whether an apply of ``configuration`` (a synthesized stack) would switch the deployed service (``state``, as
    `terraform state pull` prints it) from the rolling strategy: the configuration shifts traffic (it has the variable
    keep_rolling) and the service's load balancer block has no advanced configuration yet. A provider without the
    attribute (before 6.4.0) cannot switch, and an empty state is no deployed service."""
    if "keep_rolling" not in configuration.get("variable", {}):
        return False
    blocks = [
        block
        for resource in state.get("resources", [])
        if resource["type"] == "aws_ecs_service"
        for instance in resource["instances"]
        for block in instance["attributes"].get("load_balancer") or []
    ]
    return any(block.get("advanced_configuration") == [] for block in blocks)


def launch_type_form(state: Mapping[str, Any]) -> bool:
    """Whether the deployed service (``state``, as `terraform state pull` prints it) still has the launch type and no
    capacity provider strategy, as this project deployed an environment without Spot before every service got a
    strategy. An apply would move it to a strategy: provider versions before 6.15.0 plan that as a replacement (a fixed
    name: the old service deleted first), 6.15.0 and later as an UpdateService, and AWS's UpdateService reference lists
    the valid launch type -> capacity provider transitions without Fargate -> Fargate. The runbook's move
    (docs/runbook.md#4-moving-a-service-off-the-launch-type) makes it a deliberate step. An empty state is no deployed service."""
    return any(
        instance["attributes"].get("launch_type") and not instance["attributes"].get("capacity_provider_strategy")
        for resource in state.get("resources", [])
        if resource["type"] == "aws_ecs_service" and resource.get("mode", "managed") == "managed"
        for instance in resource["instances"]
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["launch-type"] and len(argv) == 1:  # scripts/terraform.sh: the state on stdin; prints 1 or 0
        try:
            print(int(launch_type_form(json.loads(sys.stdin.read() or "{}"))))
        except ValueError as error:
            print(f"error: the state cannot be read ({error})", file=sys.stderr)
            return 2
        return 0
    if argv[:1] == ["switching"] and len(argv) == 2:  # scripts/terraform.sh: the state on stdin; prints 1 or 0
        synthesized = PROJECT / "cdktf.out" / "stacks" / argv[1] / "cdk.tf.json"
        try:
            print(int(switching_from_rolling(json.loads(sys.stdin.read() or "{}"), json.loads(synthesized.read_text()))))
        except (OSError, ValueError) as error:
            print(f"error: {argv[1]}: the state or {synthesized} cannot be read ({error}); synthesize first (pipenv run synth)",
                  file=sys.stderr)  # fmt: skip
            return 2
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("status", "rollback"))
    parser.add_argument("environment", help="an environment of the table (dev or wallet-dev)")
    parser.add_argument("--outputs", type=Path, help="`terraform output -json` of the stack, saved (default: run it)")
    parser.add_argument("--timeout", type=int, default=1800, help="rollback: seconds to wait for its end (default 1800)")
    parser.add_argument("--poll", type=int, default=15, help=f"rollback: seconds between checks, at least {MIN_POLL_SECONDS} (default 15)")
    args = parser.parse_args(argv)
    from stacks import config, overrides
    from stacks.errors import ConfigError

    try:
        chosen = config.select(config.load(overrides.read_context(PROJECT)), args.environment)
        stack = chosen.stack_name
        if problem := wait_option_problem(timeout=args.timeout, poll=args.poll):
            raise DeploymentError(problem)
        service = Service.from_outputs(stack, chosen.environment, read_outputs(chosen, args.outputs))
    except (ConfigError, MigrationError, DeploymentError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    import boto3

    def act() -> int:
        ecs = boto3.client("ecs", region_name=chosen.region)
        if args.action == "status":
            print(describe(service, newest(ecs, service)))
            return 0
        try:
            return rollback(ecs, service, timeout_seconds=args.timeout, poll_seconds=args.poll, out=sys.stdout)
        except DeploymentError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2

    return aws_errors.guarded(f"{stack}: {args.action}", aws_errors.where(chosen), act, report=lambda line: print(line, file=sys.stderr))


if __name__ == "__main__":
    sys.exit(main())
