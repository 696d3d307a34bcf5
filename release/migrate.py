"""`pipenv run migrate <environment>`: run an environment's database migrations and say how they ended.

    pipenv run migrate prod                             # or wallet-prod: reads the stack's outputs with `terraform
                                                        # output -json` in cdktf.out/stacks/wallet-prod
    pipenv run migrate prod --outputs out.json          # or from that command's output saved in a file

Starts the migration task definition of the last apply (its image is migration_image_tag, or image_tag when that is empty) once, on
on-demand Fargate, in the private subnets with the migration task's security group, all read from the stack's
outputs. Waits for it to stop with ECS's `tasks_stopped` waiter, then prints the exit code, the stop reason and the end
of the task's CloudWatch log stream (found from the task definition's awslogs options).

Exit status: 0 when the migration container exited 0; 1 when it failed, did not start (e.g. the image could not be
pulled) or did not stop in time (the task is left running: stopping a migration halfway is worse; the message says
how to stop it); 2 for bad input or missing outputs, each in one line saying which: no working credentials (checked
before `terraform output`), a stack never synthesized or initialized in this checkout, a stack never deployed. The
release order (docs/releases.md#releasing-a-new-image) runs this between the apply that moves the migration task to the new image and the apply
that moves the service.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from stacks.config import MIGRATION_MINUTES, EnvironmentConfig

PROJECT = Path(__file__).resolve().parent.parent
MIN_POLL_SECONDS = 6
"""The shortest --poll of migrate and rollback: the shortest delay of ECS's own waiters (botocore's
data/ecs/2014-11-13/waiters-2.json: TasksStopped and TasksRunning 6 s, ServicesStable 15 s). Every check is an ECS
read that draws on the account's per-Region token bucket, shared with the ECS console, the pipeline and everything
else in the account (docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html); a task or a
rollback does not change faster than that."""


def wait_option_problem(**options: int) -> str | None:
    """The first of ``options`` (``timeout``, ``poll``, ``tail``: the command's values) below its least, as one line
    naming it; None when all are valid. --timeout and --tail: at least 1; --poll: MIN_POLL_SECONDS."""
    for name, value in options.items():
        least = MIN_POLL_SECONDS if name == "poll" else 1
        if value < least:
            why = f" (ECS's own waiters check every {MIN_POLL_SECONDS} s at the shortest)" if name == "poll" else ""
            return f"--{name} {value}: expected at least {least}{why}"
    return None


OUTPUTS = ("cluster_name", "migration_task_definition_arn", "private_subnet_ids", "migration_security_group_id")
STARTED_BY = "pipenv-run-migrate"


class MigrationError(Exception):
    """Bad input or missing outputs: one line for the user, exit status 2."""


@dataclass(frozen=True)
class Target:
    cluster: str
    task_definition: str
    subnets: list[str]
    security_group: str

    @classmethod
    def from_outputs(cls, stack: str, outputs: Mapping[str, Any]) -> Target:
        """``outputs`` as `terraform output -json` prints them (name -> {"value": ...}) or as plain values."""
        values: dict[str, Any] = {name: item.get("value") if isinstance(item, dict) else item for name, item in outputs.items()}
        missing = [name for name in OUTPUTS if not values.get(name)]
        if missing:
            raise MigrationError(
                f"{stack}: output {', '.join(missing)} missing; deploy the stack first (pipenv run deploy), then run this again"
            )
        return cls(
            cluster=values["cluster_name"],
            task_definition=values["migration_task_definition_arn"],
            subnets=list(values["private_subnet_ids"]),
            security_group=values["migration_security_group_id"],
        )


def stack_folder(stack: str) -> Path:
    """Where synthesis writes the stack and Terraform runs: cdktf.out/stacks/<stack> (wallet-prod, whichever way the
    environment was named on the command line)."""
    return PROJECT / "cdktf.out" / "stacks" / stack


def read_outputs(config: EnvironmentConfig, outputs_file: Path | None) -> dict[str, Any]:
    """The stack's outputs: from ``outputs_file``, or `terraform output -json` in :func:`stack_folder`. Before
    Terraform runs, the folder must hold a synthesized stack and the credentials must work (release/credentials.py);
    then Terraform's own refusals are told apart: a folder never initialized here (`terraform init` never ran in this
    checkout), a state without outputs (the stack was never deployed). Each a MigrationError of one line."""
    if outputs_file is not None:
        try:
            return dict(json.loads(outputs_file.read_text()))
        except (OSError, ValueError) as error:
            raise MigrationError(f"--outputs: {outputs_file}: {error}") from None
    from release import credentials

    stack, environment = config.stack_name, config.environment
    folder = stack_folder(stack)
    relative = folder.relative_to(PROJECT)
    # With an account of its own, a plan initializes a data folder of its own (the plan role's): the deploy role's
    # comes from `python main.py` and `terraform init` (scripts/terraform.sh).
    first_plan = (
        f"run `pipenv run plan {environment} <the tag it runs>` once (it synthesizes and runs terraform init)"
        if config.account_id is None
        else f"run `python main.py && terraform -chdir={relative} init` once, as a caller that may assume the deploy role"
    )
    if not (folder / "cdk.tf.json").is_file():
        raise MigrationError(f"{stack}: {relative} was never synthesized in this checkout: {first_plan}, then run this again")
    if (line := credentials.act_as(config, "deploy")) is not None:
        raise MigrationError(line)
    try:
        result = subprocess.run(
            ["terraform", f"-chdir={folder}", "output", "-json", "-no-color"], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise MigrationError("terraform is not on the PATH (or pass --outputs with `terraform output -json` saved)") from None
    if result.returncode != 0:
        errors = [line.strip() for line in result.stderr.splitlines() if line.strip().startswith("Error:")] or ["no message"]
        if any("Backend initialization required" in error for error in errors):
            raise MigrationError(f"{stack}: {relative} is not initialized in this checkout (terraform init never ran here): {first_plan}")
        raise MigrationError(f"{stack}: terraform output failed in {relative}: {errors[0]}")
    outputs = dict(json.loads(result.stdout or "{}"))
    if not outputs:
        raise MigrationError(
            f"{stack}: its state has no outputs: the stack was never deployed (or was destroyed); deploy it first: "
            f"pipenv run deploy {environment} <tag>"
        )
    return outputs


def run(ecs: Any, logs: Any, target: Target, *, timeout_seconds: int, poll_seconds: int, tail: int, out: TextIO) -> int:
    """Runs the migration task to its end; the exit status (0, or 1 when it failed, did not start or timed out)."""
    from botocore.exceptions import WaiterError

    started = ecs.run_task(
        cluster=target.cluster,
        taskDefinition=target.task_definition,
        count=1,
        # On-demand even where the service uses Spot (an interruption would stop it halfway), named as the service names
        # it, by the capacity provider FARGATE of its cluster, not the launch type (docs.aws.amazon.com/AmazonECS/latest/
        # APIReference/API_RunTask.html, capacityProviderStrategy: the provider must be associated with the cluster).
        capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}],
        startedBy=STARTED_BY,
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": target.subnets, "securityGroups": [target.security_group], "assignPublicIp": "DISABLED"}
        },
    )
    if started.get("failures") or not started.get("tasks"):
        reasons = "; ".join(_failure(failure) for failure in started.get("failures", []))
        print(f"migration did not start: {reasons or 'ECS started no task'}", file=out)
        return 1
    task_arn = started["tasks"][0]["taskArn"]
    print(f"migration task {task_arn} started; waiting for it to stop (at most {timeout_seconds} s)", file=out)
    attempts = max(1, math.ceil(timeout_seconds / max(poll_seconds, 1)))
    try:
        ecs.get_waiter("tasks_stopped").wait(
            cluster=target.cluster, tasks=[task_arn], WaiterConfig={"Delay": poll_seconds, "MaxAttempts": attempts}
        )
    except WaiterError as error:
        status = (error.last_response or {}).get("tasks", [{}])[0].get("lastStatus", "unknown")
        print(
            f"migration timed out after {timeout_seconds} s: the task is still {status} and was left running; "
            f"stop it with `aws ecs stop-task --cluster {target.cluster} --task {task_arn}` if it is stuck",
            file=out,
        )
        return 1
    [task] = ecs.describe_tasks(cluster=target.cluster, tasks=[task_arn])["tasks"]
    [container] = task["containers"][:1]
    exit_code = container.get("exitCode")
    stopped = ": ".join(part for part in (task.get("stopCode"), task.get("stoppedReason")) if part)
    print(f"stopped: {stopped or 'no stop code or reason given'}", file=out)
    if exit_code is None:
        print(f"the migration container never ran: {container.get('reason', 'no reason given')}", file=out)
    else:
        print(f"exit code: {exit_code}", file=out)
    _print_log_tail(ecs, logs, task, container["name"], tail=tail, out=out)
    if exit_code == 0:
        print("migrations applied", file=out)
        return 0
    print("migration FAILED: the release stops here; the running service was not changed", file=out)
    return 1


def _failure(failure: Mapping[str, str]) -> str:
    """An ECS failure as `<arn> <reason>: <detail>`, leaving out what it lacks."""
    text = " ".join(failure[key] for key in ("arn", "reason") if failure.get(key))
    return f"{text}: {failure['detail']}" if failure.get("detail") else text


def _print_log_tail(ecs: Any, logs: Any, task: Mapping[str, Any], container_name: str, *, tail: int, out: TextIO) -> None:
    """The last ``tail`` lines of the container's awslogs stream: <prefix>/<container>/<task id>."""
    definition = ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])["taskDefinition"]
    [options] = [c["logConfiguration"]["options"] for c in definition["containerDefinitions"] if c["name"] == container_name]
    group, stream = options["awslogs-group"], f"{options['awslogs-stream-prefix']}/{container_name}/{task['taskArn'].rsplit('/', 1)[-1]}"
    try:
        events = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=tail, startFromHead=False)["events"]
    except logs.exceptions.ResourceNotFoundException:
        print(f"no log stream {group} {stream}: the container wrote nothing", file=out)
        return
    print(f"last {len(events)} log lines of {group} {stream}:", file=out)
    for event in events:
        print(f"  {event['message'].rstrip()}", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stack", help="the environment: prod or its stack wallet-prod")
    parser.add_argument("--outputs", type=Path, help="`terraform output -json` of the stack, saved (default: run it)")
    default = MIGRATION_MINUTES * 60
    parser.add_argument("--timeout", type=int, default=default, help=f"seconds to wait for the task to stop (default {default})")
    parser.add_argument("--poll", type=int, default=15, help=f"seconds between checks, at least {MIN_POLL_SECONDS} (default 15)")
    parser.add_argument("--tail", type=int, default=50, help="log lines to print (default 50)")
    args = parser.parse_args(argv)
    from stacks import config, overrides
    from stacks.errors import ConfigError

    try:
        chosen = config.select(config.load(overrides.read_context(PROJECT)), args.stack)
        if problem := wait_option_problem(timeout=args.timeout, poll=args.poll, tail=args.tail):
            raise MigrationError(problem)
        target = Target.from_outputs(chosen.stack_name, read_outputs(chosen, args.outputs))
    except (ConfigError, MigrationError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    import boto3

    from release import aws_errors

    region = chosen.region
    return aws_errors.guarded(
        f"{chosen.stack_name}: migrations",
        aws_errors.where(chosen),
        lambda: run(
            boto3.client("ecs", region_name=region),
            boto3.client("logs", region_name=region),
            target,
            timeout_seconds=args.timeout,
            poll_seconds=args.poll,
            tail=args.tail,
            out=sys.stdout,
        ),
        report=lambda line: print(line, file=sys.stderr),
    )


if __name__ == "__main__":
    sys.exit(main())
