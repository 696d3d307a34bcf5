"""One account per environment in the emulated account (docs/accounts.md), through the project's own commands.

examples/accounts names three accounts: the state in 333333333333, dev and staging in 111111111111, prod in
222222222222. The emulator keeps a separate state per account and maps the credentials of AssumeRole into the role's
account, so each account's administrator is the role an AWS Organization gives the management account in it
(OrganizationAccountAccessRole; the emulator does not check that a role exists or whom it trusts), and the commands
start from the test credentials of another account, 123456789012, as an operator signed in elsewhere would. In order,
as docs/accounts.md#the-bootstrap-order says:

    seed                   each environment account as Runbook 2 expects it (VPC, subnets, ECR images; prod's certificate)
    roles-<account>-init, roles-<account>-apply, roles-<account>-replan
                           wallet-roles-<account>, by that account's administrator (before the state bucket: its policy
                           names the roles), and a plan that must show no changes
    state-init, state-apply, state-replan, state-output
                           wallet-state, by the state account's administrator, likewise
    <env>-plan             pipenv run plan <env> v1.2.3     (as the plan role, no lock, before any state exists)
    <env>-deploy           pipenv run deploy <env> v1.2.3   (as the deploy role: the first deploy)
    <env>-replan           terraform plan -detailed-exitcode (0: no changes; the provider and the backend assume the
                           deploy role from the operator's credentials)
    <env>-drift            pipenv run drift <env>           (as the plan role, with state)

for dev and prod, side by side. After the deploys, ``facts`` says what each account holds, and ``state_access``
which role reaches which state key.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sandbox import account, provider
from sandbox.steps import Record, project_copy, run_step, synthesize
from stacks import config

STATE, NON_PRODUCTION, PRODUCTION = "333333333333", "111111111111", "222222222222"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "accounts" / "cdktf.json"
DEPLOYED = ("dev", "prod")
FIRST = account.RELEASES[0]


def administrator(emulator: account.Account, account_id: str, region: str) -> account.Account:
    return emulator.as_role(f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole", region)


def lifecycle(emulator: account.Account, work: Path, env: dict[str, str], choice: provider.ProviderChoice) -> dict[str, Any]:
    """The steps above; {"steps": [records], "facts": {...}} (facts only when every deploy ran). ``choice``: the
    provider the bootstrap stacks are adapted to (the environments' own synths adapt theirs: sandbox/startup)."""
    base = json.loads(EXAMPLE.read_text())["context"]
    configs = config.load(base)
    region = configs[0].region
    admins = {acct: administrator(emulator, acct, region) for acct in (STATE, NON_PRODUCTION, PRODUCTION)}
    seeded: dict[str, account.SeededEnvironment] = {}
    for acct in (NON_PRODUCTION, PRODUCTION):
        seeded |= account.seed(admins[acct], [c for c in configs if c.account_id == acct])
    context = account.context(configs, seeded, base)
    for environment in configs:  # prod's certificate, issued in prod's account
        account.use_own_account(context[environment.stack_name], environment, admins[str(environment.account_id)])
    project = project_copy(work / "accounts", context)
    records = [synthesize(project)]
    for acct in (NON_PRODUCTION, PRODUCTION):
        provider.adapt(project / "cdktf.out" / "stacks" / f"wallet-roles-{acct}", choice)
    provider.adapt(project / "cdktf.out" / "stacks" / config.STATE_STACK, choice)
    steps: list[tuple[str, list[str], dict[str, str]]] = []
    for acct in (NON_PRODUCTION, PRODUCTION, STATE):
        stack = f"wallet-roles-{acct}" if acct != STATE else config.STATE_STACK
        prefix = f"roles-{acct}" if acct != STATE else "state"
        folder = f"-chdir=cdktf.out/stacks/{stack}"
        as_admin = {**env, **dict(admins[acct].keys)}
        steps += [
            (f"{prefix}-init", ["terraform", folder, "init", "-input=false", "-no-color"], as_admin),
            (f"{prefix}-apply", ["terraform", folder, "apply", "-input=false", "-auto-approve", "-no-color"], as_admin),
            (f"{prefix}-replan", ["terraform", folder, "plan", "-input=false", "-detailed-exitcode", "-no-color"], as_admin),
        ]
    steps.append(
        ("state-output", ["terraform", f"-chdir=cdktf.out/stacks/{config.STATE_STACK}", "output", "-raw", "state_bucket_name"], env)
    )
    for name, command, step_env in steps:
        if records[-1]["returncode"] != 0:
            return {"steps": records, "facts": None, "state_access": None}
        records.append(run_step(name, command, project, step_env))
    if records[-1]["returncode"] == 0:
        # The environments side by side, each in a copy of its own (as the pipeline's jobs run in checkouts of their
        # own): most of a first deploy is the provider waiting for the database.
        copies = {short: project_copy(work / f"accounts-{short}", context) for short in DEPLOYED}
        with ThreadPoolExecutor(max_workers=len(DEPLOYED)) as pool:
            operator = {**env, "AUTO_APPROVE": "1"}
            for sequence in pool.map(lambda short: environment_steps(copies[short], short, operator), DEPLOYED):
                records += sequence
    deployed = all(any(r["name"] == f"{short}-deploy" and r["returncode"] == 0 for r in records) for short in DEPLOYED)
    bucket = configs[0].state_bucket or ""
    held = facts(admins, bucket, region) if deployed else None
    return {"steps": records, "facts": held, "state_access": state_access(emulator, configs, bucket, region) if deployed else None}


def environment_steps(project: Path, short: str, env: dict[str, str]) -> list[Record]:
    """plan, deploy, replan, drift of one environment, as an operator signed in to another account would run them;
    a failed plan or deploy ends the sequence."""
    pipenv, folder = account.pipenv(), f"-chdir=cdktf.out/stacks/wallet-{short}"
    replan = ["terraform", folder, "plan", "-input=false", "-detailed-exitcode", "-no-color", "-var", f"image_tag={FIRST}"]
    records: list[Record] = []
    for name, command in (
        ("plan", [pipenv, "run", "plan", short, FIRST]), ("deploy", [pipenv, "run", "deploy", short, FIRST]),
        ("replan", replan), ("drift", [pipenv, "run", "drift", short]),
    ):  # fmt: skip
        records.append(run_step(f"{short}-{name}", command, project, env))
        if name in ("plan", "deploy") and records[-1]["returncode"] != 0:
            break
    return records


def state_access(emulator: account.Account, configs: list[config.EnvironmentConfig], bucket: str, region: str) -> dict[str, str]:
    """Each role's attempts on the state bucket's keys, as the emulator evaluates its policy (sandbox/bucket_policies.py):
    "<role> <action> <env>" -> "allowed" or the error code. A write puts back what the state object holds."""
    from botocore.exceptions import ClientError

    from stacks import accounts

    current = {short: emulator.as_role(_deploy(configs, short), region).client("s3", region).get_object(
        Bucket=bucket, Key=accounts.state_key(short))["Body"].read() for short in DEPLOYED}  # fmt: skip
    outcomes: dict[str, str] = {}
    for role_env, kind, action, key_env in (
        ("dev", "deploy", "put", "prod"), ("dev", "plan", "get", "prod"), ("dev", "plan", "put", "dev"),
        ("dev", "plan", "get", "dev"), ("prod", "deploy", "get", "prod"), ("prod", "deploy", "put", "prod"),
    ):  # fmt: skip
        role = accounts.role_arn(config.select(configs, role_env), kind)
        s3 = emulator.as_role(role, region).client("s3", region)
        try:
            if action == "put":
                s3.put_object(Bucket=bucket, Key=accounts.state_key(key_env), Body=current[key_env])
            else:
                s3.get_object(Bucket=bucket, Key=accounts.state_key(key_env))
            outcomes[f"{role_env} {kind} {action} {key_env}"] = "allowed"
        except ClientError as error:
            outcomes[f"{role_env} {kind} {action} {key_env}"] = str(error.response["Error"]["Code"])
    return outcomes


def _deploy(configs: list[config.EnvironmentConfig], short: str) -> str:
    from stacks import accounts

    return accounts.role_arn(config.select(configs, short), "deploy")


def facts(admins: dict[str, account.Account], bucket: str, region: str) -> dict[str, Any]:
    """Per account: its ECS clusters, IAM roles under /wallet-service/ and S3 buckets; the state bucket's keys."""
    held: dict[str, Any] = {}
    for acct, admin in admins.items():
        roles = admin.client("iam", region).list_roles(PathPrefix="/wallet-service/")["Roles"]
        held[acct] = {
            "clusters": sorted(arn.rsplit("/", 1)[1] for arn in admin.client("ecs", region).list_clusters()["clusterArns"]),
            "roles": sorted(role["RoleName"] for role in roles),
            "buckets": sorted(b["Name"] for b in admin.client("s3", region).list_buckets()["Buckets"]),
            "databases": sorted(d["DBInstanceIdentifier"] for d in admin.client("rds", region).describe_db_instances()["DBInstances"]),
        }
    objects = admins[STATE].client("s3", region).list_objects_v2(Bucket=bucket).get("Contents", [])
    held["state_keys"] = sorted(item["Key"] for item in objects)
    return held
