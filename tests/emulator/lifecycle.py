"""Every stack's life in the emulated account, through the project's own commands, recorded for the tests.

    python -m tests.emulator.lifecycle <endpoint> <work folder>     # writes <work folder>/record.json

In order: the account is seeded (sandbox/account.py); `wallet-state` is applied as Runbook 1 says and its
bucket becomes `state_bucket`; then each environment, in a project copy of its own and in parallel with the others:

    plan                      pipenv run plan <env> v1.2.3     (scripts/terraform.sh: synth, init, plan)
    deploy                    pipenv run deploy|release <env> v1.2.3  (the first deploy: bootstrap apply, migrations,
                                                               apply; `deploy` and `release` alternate down the table)
    plan-after-deploy         terraform plan -detailed-exitcode  (0: no changes)
    release                   pipenv run release <env> v1.2.4  (migration task, migrations, service)
    plan-after-release        terraform plan -detailed-exitcode
    drift-after-release       pipenv run drift <env>           (the nightly drift check, at the tag the stack runs: a
                                                               clean account right after a release)
    deploy-deployed           pipenv run deploy <env> v1.2.4   (first environment: `cdktf deploy` of a deployed stack)
    cdktf-diff                pipenv run cdktf diff <stack>    (first environment: the CLI's own synth, init, plan)
    sidecar                   pipenv run release <env> v1.2.4  (first environment: the OpenTelemetry collector of docs/architecture.md
                                                               added to its context: pull-through cache, X-Ray endpoint)
    plan-after-sidecar        terraform plan -detailed-exitcode  (first environment)
    class-change              pipenv run deploy <env> v1.2.4   (first environment: db_instance_class db.t4g.micro, which
                                                               db_apply_immediately applies at once)
    plan-after-class-change   terraform plan -detailed-exitcode  (first environment)
    spot-off, spot-on         pipenv run deploy <env> v1.2.4   (first environment: fargate_spot_percent 0 alone, then
                                                               the table's again), each followed by a re-plan
    replace-service-plan      terraform plan -replace=<the service>: what it replaces (first environment)
    launch-type-refused       the state edited to the launch type's form, pipenv run deploy (refused), then the
                              runbook's refresh-only apply, and a re-plan (first environment)
    drift-outside-change      pipenv run drift <env>           (last environment: its log group's retention set to 1
                                                               day by hand first, put back after)
    port-change               pipenv run release <env> v1.2.4  (last environment, a traffic-shifting one: container_port
                                                               8080 -> 9090)
    plan-after-port-change    terraform plan -detailed-exitcode  (last environment)
    tls-policy                pipenv run deploy <env> v1.2.4   (last environment: tls_policy, not the default)
    plan-after-tls-policy     terraform plan -detailed-exitcode  (last environment)
    release-failed-migration  pipenv run release <env> v1.2.3  (last environment: migration_command ["false"])
    deploy-unreachable        pipenv run deploy <env> v1.2.4   (last environment: AWS_ENDPOINT_URL where nothing listens)
    deploy-state-unreadable   pipenv run deploy <env> v1.2.4   (last environment: its state object denied to all)
    release-without-output    state without service_image_tag, then pipenv run release  (last environment)
    drift-without-output      pipenv run drift <env>           (last environment, its state still without the output)
    destroy                   terraform destroy -auto-approve  (what the tier allows: tests/test_emulated_account.py)
    unprotect, destroy-unprotected, redeploy, unprotect-again, destroy-again
                              (middle environment, after its destroy stopped at deletion protection: the runbook's
                               console step, destroy, a first deploy again, and a second destroy; each destroy leaves
                               a final snapshot of its own)

and beside them, in copies with a team's context (tests/test_realistic_context.py, its ids the account's), `pipenv
run plan <env> v1.2.3` per environment, and examples/accounts' environments in accounts of their own
(tests/emulator/accounts.py). AUTO_APPROVE=1 as in the pipeline. A failed plan, deploy or release ends its
environment's sequence; the other steps' failures are findings the tests report. Each step records its command, exit
code, seconds and output (also in <copy>/<step>.log as it runs), and after some, what the account holds (``facts``).
The tests read the record and query the emulator, which the test session keeps running.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sandbox import account, provider, steps
from sandbox.steps import PROJECT_DIR, STATE_FOLDER, project_copy, run_step
from stacks import config
from tests.emulator import accounts
from tests.expected import ADOT_COLLECTOR
from tests.test_realistic_context import REALISTIC_CONTEXT

FIRST, NEXT = account.RELEASES
Record = steps.Record


def stop_running_steps(signum: int, frame: Any) -> None:
    """SIGTERM (the test session stopping this run early): end every running step's process group, then this."""
    steps.stop_all()
    os._exit(1)


def environment_lifecycle(
    emulator: account.Account, project: Path, environment: config.EnvironmentConfig, env: dict[str, str], *, role: str
) -> list[Record]:
    """The steps of one environment; ``role``: first (also the cdktf CLI's), middle (also destroys with final
    snapshots) or last (also a port change and what goes wrong)."""
    pipenv, stack, short = account.pipenv(), environment.stack_name, environment.environment
    folder = Path("cdktf.out") / "stacks" / stack
    replan = ["terraform", f"-chdir={folder}", "plan", "-input=false", "-detailed-exitcode", "-no-color"]
    # The first deploy: by `deploy` in even positions of the table, by `release` in odd ones (both bootstrap).
    first_deploy = "release" if config.STACK_NAMES.index(stack) % 2 else "deploy"
    steps: list[tuple[str, list[str], bool]] = [  # name, command, whether a failure ends the sequence
        ("plan", [pipenv, "run", "plan", short, FIRST], True),
        ("deploy", [pipenv, "run", first_deploy, short, FIRST], True),
        ("plan-after-deploy", [*replan, "-var", f"image_tag={FIRST}"], False),
        ("release", [pipenv, "run", "release", short, NEXT], True),
        ("plan-after-release", [*replan, "-var", f"image_tag={NEXT}"], False),
        ("drift-after-release", [pipenv, "run", "drift", short], False),
    ]
    if role == "first":
        steps += [
            ("deploy-deployed", [pipenv, "run", "deploy", short, NEXT], False),
            ("cdktf-diff", [pipenv, "run", "cdktf", "diff", stack], False),
            ("sidecar", [pipenv, "run", "release", short, NEXT], True),
            ("plan-after-sidecar", [*replan, "-var", f"image_tag={NEXT}"], False),
            ("class-change", [pipenv, "run", "deploy", short, NEXT], True),
            ("plan-after-class-change", [*replan, "-var", f"image_tag={NEXT}"], False),
            *spot_and_scaling(pipenv, short, folder, replan),
        ]
    if role == "last":
        retention = f"{sys.executable} -m sandbox.console log-retention {environment.region} /aws/ecs/wallet-service/{short}"
        outside = f"days=$({retention} 1) && {{ {pipenv} run drift {short}; status=$?; {retention} $days >/dev/null; exit $status; }}"
        steps += [
            ("drift-outside-change", ["bash", "-c", outside], False),
            ("port-change", [pipenv, "run", "release", short, NEXT], True),
            ("plan-after-port-change", [*replan, "-var", f"image_tag={NEXT}"], False),
            ("tls-policy", [pipenv, "run", "deploy", short, NEXT], True),
            ("plan-after-tls-policy", [*replan, "-var", f"image_tag={NEXT}"], False),
        ]
        bucket = json.loads((project / "cdktf.json").read_text())["context"][config.SHARED_KEY]["state_bucket"]
        steps += what_goes_wrong(pipenv, short, folder, (bucket, f"wallet-service/{short}/terraform.tfstate"))
    destroy = ["terraform", f"-chdir={folder}", "destroy", "-input=false", "-auto-approve", "-no-color", "-var", f"image_tag={NEXT}"]
    steps.append(("destroy", destroy, role != "middle"))
    if role == "middle":
        unprotect = [sys.executable, "-m", "sandbox.console", "unprotect-database", environment.region, f"wallet-service-{short}"]
        steps += [
            ("unprotect", unprotect, True),
            ("destroy-unprotected", destroy, True),
            ("redeploy", [pipenv, "run", "deploy", short, FIRST], True),
            ("unprotect-again", unprotect, True),
            ("destroy-again", destroy, True),
        ]
    records: list[Record] = []
    step_env = {**env, "AUTO_APPROVE": "1", "TF_VAR_image_tag": NEXT}  # the variable: for `cdktf diff` alone
    # The drift check's summary, in the copy (never the summary of a GitHub job that runs these tests).
    step_env["GITHUB_STEP_SUMMARY"] = str(project / "step-summary.md")
    for name, command, ends in steps:
        context_change = CONTEXT_CHANGES.get(name)
        if context_change:
            original = (project / "cdktf.json").read_text()
            changed = json.loads(original)
            changed["context"][stack].update(context_change)
            (project / "cdktf.json").write_text(json.dumps(changed))
        records.append(run_step(name, command, project, {**step_env, **UNREACHABLE} if name == "deploy-unreachable" else step_env))
        if context_change and name not in KEPT_CHANGES:
            (project / "cdktf.json").write_text(original)
        if name == "plan":  # what the first plan saw: later steps (the sidecar) synthesize more
            shutil.copy(project / folder / "cdk.tf.json", project / PLANNED_JSON)
        if name in FACTS_AFTER:
            records[-1]["facts"] = facts(emulator, environment)
        if ends and records[-1]["returncode"] != 0:
            break
    return records


PLANNED_JSON = "plan.cdk.tf.json"
"""In a stack's project copy: the synthesized stack its first plan planned."""
UNREACHABLE = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "2"}  # the discard port: nothing listens
CONTEXT_CHANGES: dict[str, dict[str, Any]] = {
    "release-failed-migration": {"migration_command": ["false"]},  # the emulator's `false` exits 1 (server.py)
    "port-change": {"container_port": 9090},
    "sidecar": {"sidecars": [ADOT_COLLECTOR]},
    "class-change": {"db_instance_class": "db.t4g.micro"},
    "tls-policy": {"tls_policy": "ELBSecurityPolicy-TLS13-1-3-2021-06"},
    "spot-off": {"fargate_spot_percent": 0},  # alone: dev's fargate_on_demand_base stays as the table has it
}
"""Steps run with a change of their environment's context in cdktf.json; undone after the step unless kept."""
KEPT_CHANGES = ("port-change", "sidecar", "class-change", "tls-policy")


def realistic_plan(project: Path, environment: config.EnvironmentConfig, env: dict[str, str]) -> Record:
    """`pipenv run plan <env> v1.2.3` with a team's context (tests/test_realistic_context.py) in the account."""
    return run_step("plan", [account.pipenv(), "run", "plan", environment.environment, FIRST], project, env)


def spot_and_scaling(pipenv: str, short: str, folder: Path, replan: list[str]) -> list[tuple[str, list[str], bool]]:
    """The first environment's Spot switched off (fargate_spot_percent 0 alone) and on again, each by `pipenv run
    deploy` and a re-plan; a plan that replaces the service (-replace), answering the addresses it replaces; and a
    deployed service in the launch type's form (its state edited so) refused by the deploy, then the runbook's
    refresh, which reads the strategy the service has back into the state."""
    chdir = f"-chdir={folder}"
    replaced = (
        f"terraform {chdir} plan -input=false -no-color -replace=aws_ecs_service.service_service -var image_tag={NEXT} -out=replace.tfplan"
        f' >/dev/null && terraform {chdir} show -json replace.tfplan | python -c \'import json, sys; print(*sorted(c["address"]'
        ' for c in json.load(sys.stdin)["resource_changes"] if {"delete", "create"} <= set(c["change"]["actions"])), sep="\\n")\''
    )
    launch_type = (
        f'terraform {chdir} state pull | python -c \'import json, sys; s = json.load(sys.stdin); s["serial"] += 1; [i["attributes"].update'
        '(launch_type="FARGATE", capacity_provider_strategy=[]) for r in s["resources"] if r["type"] == "aws_ecs_service" for i in r["instances"]];'
        f" print(json.dumps(s))' > launch-type.tfstate && terraform {chdir} state push $PWD/launch-type.tfstate"
        f" && {{ {pipenv} run deploy {short} {NEXT}; status=$?;"
        f" terraform {chdir} apply -refresh-only -input=false -auto-approve -no-color -var image_tag={NEXT} >/dev/null || exit 1; exit $status; }}"
    )
    return [
        ("spot-off", [pipenv, "run", "deploy", short, NEXT], True),
        ("plan-after-spot-off", [*replan, "-var", f"image_tag={NEXT}"], False),
        ("spot-on", [pipenv, "run", "deploy", short, NEXT], True),
        ("plan-after-spot-on", [*replan, "-var", f"image_tag={NEXT}"], False),
        ("replace-service-plan", ["bash", "-o", "pipefail", "-c", replaced], False),
        ("launch-type-refused", ["bash", "-c", launch_type], False),
        ("plan-after-launch-type-refused", [*replan, "-var", f"image_tag={NEXT}"], False),
    ]


def what_goes_wrong(pipenv: str, short: str, folder: Path, state: tuple[str, str]) -> list[tuple[str, list[str], bool]]:
    """On the released stack: a release whose migration fails (the emulator's `false` exits 1: server.py), a deploy
    that cannot reach AWS, one whose state exists but cannot be read (``state``: its bucket and key), a release of
    a stack whose state lacks the service_image_tag output, and a drift check of it without a tag."""
    access = f"{sys.executable} -m sandbox.state_access {{}} {state[0]} {state[1]}"
    unreadable = f"{access.format('deny')} && {{ {pipenv} run deploy {short} {NEXT}; status=$?; {access.format('allow')}; exit $status; }}"
    without_output = (
        f"terraform -chdir={folder} state pull"
        ' | python -c \'import json, sys; s = json.load(sys.stdin); del s["outputs"]["service_image_tag"]; s["serial"] += 1; print(json.dumps(s))\''
        f" > without-output.tfstate && terraform -chdir={folder} state push $PWD/without-output.tfstate && {pipenv} run release {short} {NEXT}"
    )
    return [
        ("release-failed-migration", [pipenv, "run", "release", short, FIRST], False),
        ("deploy-unreachable", [pipenv, "run", "deploy", short, NEXT], False),
        ("deploy-state-unreadable", ["bash", "-c", unreadable], False),
        ("release-without-output", ["bash", "-o", "pipefail", "-c", without_output], False),
        ("drift-without-output", [pipenv, "run", "drift", short], False),
    ]


FACTS_AFTER = (
    "deploy",
    "release",
    "release-failed-migration",
    "port-change",
    "sidecar",
    "class-change",
    "tls-policy",
    "spot-off",
    "spot-on",
    "destroy",
    "destroy-unprotected",
    "redeploy",
    "destroy-again",
)


def facts(emulator: account.Account, environment: config.EnvironmentConfig) -> dict[str, Any]:
    """What the account holds of an environment, by the names the docs give (None: not there)."""
    env, region = environment.environment, environment.region
    cluster, service_name, database = f"wallet-service-cluster-{env}", f"wallet-service-{env}", f"wallet-service-{env}"
    ecs = emulator.client("ecs", region)
    found: dict[str, Any] = {"service": None, "migration_image": None, "scalable_target": None, "database": None}
    try:
        services = [s for s in ecs.describe_services(cluster=cluster, services=[service_name])["services"] if s["status"] == "ACTIVE"]
    except ecs.exceptions.ClusterNotFoundException:
        services = []
    for service in services:
        definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
        found["service"] = {"desired_count": service["desiredCount"], "image": definition["containerDefinitions"][0]["image"]}
        found["service_identity"] = {
            "arn": service["serviceArn"],
            "created_at": service["createdAt"].isoformat(),
            "launch_type": service.get("launchType"),
            "capacity_provider_strategy": service.get("capacityProviderStrategy"),
        }
        found["containers"] = {c["name"]: c["image"] for c in definition["containerDefinitions"]}
        subnets = service["networkConfiguration"]["awsvpcConfiguration"]["subnets"]
        found["service_subnets"] = sorted(subnets)
        ec2 = emulator.client("ec2", region)
        [vpc_id] = {subnet["VpcId"] for subnet in ec2.describe_subnets(SubnetIds=subnets)["Subnets"]}
        endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["VpcEndpoints"]
        found["interface_endpoints"] = sorted(e["ServiceName"] for e in endpoints if e["VpcEndpointType"] == "Interface")
        found["container_ports"] = sorted(item["containerPort"] for item in service.get("loadBalancers", []))
        [task_group] = service["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"]
        rules = emulator.client("ec2", region).describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [task_group]}])
        found["task_ingress_ports"] = sorted(r["FromPort"] for r in rules["SecurityGroupRules"] if not r["IsEgress"])
    found["pull_through_cache"] = sorted(
        rule["ecrRepositoryPrefix"] for rule in emulator.client("ecr", region).describe_pull_through_cache_rules()["pullThroughCacheRules"]
    )
    elbv2 = emulator.client("elbv2", region)
    balancers = [b["LoadBalancerArn"] for b in elbv2.describe_load_balancers()["LoadBalancers"] if b["LoadBalancerName"] == service_name]
    listeners = [listener for arn in balancers for listener in elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]]
    found["ssl_policies"] = sorted(listener["SslPolicy"] for listener in listeners if listener["Protocol"] == "HTTPS")
    groups = elbv2.describe_target_groups()["TargetGroups"]
    found["target_groups"] = {
        g["TargetGroupName"]: g["TargetGroupArn"] for g in groups if g["TargetGroupName"].startswith(f"wallet-service-{env}")
    }
    # Which group serves: the service's, as DescribeServices reports it, and the live (and test) rules' weights by group.
    names = {arn: name for name, arn in found["target_groups"].items()}
    found["service_target_group"] = next(
        (names.get(balancer.get("targetGroupArn")) for s in services for balancer in s.get("loadBalancers", [])), None
    )
    found["rule_weights"] = [
        {names.get(group["TargetGroupArn"]): group["Weight"] for group in action["ForwardConfig"]["TargetGroups"]}
        for listener in listeners
        for rule in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
        if not rule["IsDefault"]
        for action in rule["Actions"]
        if len(action.get("ForwardConfig", {}).get("TargetGroups", [])) == 2
    ]
    families = ecs.list_task_definitions(familyPrefix=f"wallet-service-migration-{env}", status="ACTIVE", sort="DESC")["taskDefinitionArns"]
    if families:
        found["migration_image"] = ecs.describe_task_definition(taskDefinition=families[0])["taskDefinition"]["containerDefinitions"][0][
            "image"
        ]
    scaling = emulator.client("application-autoscaling", region)
    targets = scaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[f"service/{cluster}/{service_name}"])[
        "ScalableTargets"
    ]
    for target in targets:
        found["scalable_target"] = {"min": target["MinCapacity"], "max": target["MaxCapacity"]}
    rds = emulator.client("rds", region)
    try:
        [instance] = rds.describe_db_instances(DBInstanceIdentifier=database)["DBInstances"]
        found["database"] = {
            "deletion_protection": instance["DeletionProtection"],
            "status": instance["DBInstanceStatus"],
            "instance_class": instance["DBInstanceClass"],
        }
    except rds.exceptions.DBInstanceNotFoundFault:
        pass
    snapshots = rds.describe_db_snapshots(DBInstanceIdentifier=database)["DBSnapshots"]
    found["final_snapshots"] = sorted(
        s["DBSnapshotIdentifier"] for s in snapshots if s["DBSnapshotIdentifier"].startswith(f"{database}-final")
    )
    return found


def main(argv: list[str]) -> int:
    endpoint, work_folder = argv
    signal.signal(signal.SIGTERM, stop_running_steps)
    work = Path(work_folder)
    work.mkdir(parents=True, exist_ok=True)
    emulator = account.Account(endpoint)
    configs = config.load({})
    seeded = account.seed(emulator, configs)
    context = account.context(configs, seeded)
    # The state stack's synthesis, Runbook 1's first step, also tells the provider version the stacks pin.
    state_project = project_copy(work / config.STATE_STACK, context)
    synth = steps.synthesize(state_project)
    if synth["returncode"] != 0:
        (work / "record.json").write_text(json.dumps({config.STATE_STACK: [synth]}, indent=1))
        return 0
    state_stack = state_project / STATE_FOLDER
    pinned = provider.pinned_version(json.loads((state_stack / "cdk.tf.json").read_text()))
    choice = provider.choose(pinned, provider.mirrored_versions())
    provider.adapt(state_stack, choice)  # what startup/sitecustomize.py does after the scripts' own synths
    env = account.command_environment(emulator, choice, work, PROJECT_DIR / "Pipfile")
    (work / "environment.json").write_text(json.dumps(env))  # for the tests' own Terraform runs on these copies
    record: dict[str, Any] = {"provider": {"version": choice.version, "mirror": str(choice.mirror) if choice.mirror else None}}
    record["seeded"] = {stack: vars(item) for stack, item in seeded.items()}
    # Runbook 1 names the bucket after the account and Region; the environments start as soon as it exists (the rest
    # of the bootstrap, its lifecycle rules above all, takes the provider a minute), and the test checks that
    # `terraform output` printed this very name.
    bucket = config.state_bucket_name(account.ACCOUNT_ID, configs[0].state_region)
    with ThreadPoolExecutor(max_workers=2 * len(configs) + 2) as pool:
        state = pool.submit(steps.bootstrap_state, state_project, env)
        accounts_run = pool.submit(accounts.lifecycle, emulator, work, env, choice)
        if not account.wait_for_bucket(emulator, bucket, configs[0].state_region, until=state.done):
            record[config.STATE_STACK] = [synth, *state.result()[0]]
            (work / "record.json").write_text(json.dumps(record, indent=1))
            return 0
        context = {**context, config.SHARED_KEY: {**context.get(config.SHARED_KEY, {}), "state_bucket": bucket}}
        record["context"] = context
        team = account.realistic(REALISTIC_CONTEXT, seeded, emulator, f"{bucket}-team")
        record["realistic-context"] = team
        team_plans = {
            environment.stack_name: pool.submit(
                realistic_plan, project_copy(work / f"team-{environment.stack_name}", team), environment, env
            )
            for environment in configs
        }
        runs = {
            environment.stack_name: pool.submit(
                environment_lifecycle,
                emulator,
                project_copy(work / environment.stack_name, context),
                environment,
                env,
                role="first" if index == 0 else "last" if index == len(configs) - 1 else "middle",
            )
            for index, environment in enumerate(configs)
        }
        record[config.STATE_STACK] = [synth, *state.result()[0]]
        for stack, run in runs.items():
            record[stack] = run.result()
        record["realistic"] = {stack: run.result() for stack, run in team_plans.items()}
        record["accounts"] = accounts_run.result()
    (work / "record.json").write_text(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
