"""One AWS account per environment (stacks/accounts.py): the settings' rules, what they derive, the state bucket's
grants and the roles stacks, from examples/accounts (state 333333333333, dev and staging 111111111111, prod
222222222222)."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest

from stacks import config
from stacks.errors import ConfigError
from tests.conftest import Build, example_context

A, B, C = "111111111111", "222222222222", "333333333333"
ARABIC_INDIC_ONES = "\u0661" * 12
ACCOUNTS = {
    "wallet": {"state_account_id": C},
    "wallet-dev": {"account_id": A},
    "wallet-staging": {"account_id": A},
    "wallet-prod": {"account_id": B},
}


def test_the_account_decides_allowed_account_ids_and_the_state_bucket_name() -> None:
    configs = config.load(ACCOUNTS)
    assert [c.allowed_account_ids for c in configs] == [(A,), (A,), (B,)]
    assert {c.state_bucket for c in configs} == {"wallet-service-terraform-state-333333333333-us-east-1"}


@pytest.mark.parametrize(
    ("context", "message"),
    [
        (
            {**ACCOUNTS, "wallet-dev": {"account_id": "1111"}},
            "wallet-dev: account_id: '1111' is not valid; expected a 12-digit AWS account id",
        ),
        (
            {**ACCOUNTS, "wallet-prod": {"account_id": B, "deploy_role_arn": f"arn:aws:iam::{A}:role/deploy"}},
            f"wallet-prod: deploy_role_arn: 'arn:aws:iam::{A}:role/deploy' is not valid; expected one in the environment's account, account_id {B}",
        ),
        (
            {"wallet-prod": {"plan_role_arn": f"arn:aws:iam::{B}:role/plan"}},
            f"wallet-prod: plan_role_arn: 'arn:aws:iam::{B}:role/plan' is not valid; it belongs to an environment's own account: set "
            "account_id too (docs/accounts.md)",
        ),
        (
            {**ACCOUNTS, "wallet-prod": {"account_id": A}},
            "account_id: '111111111111' is not valid; wallet-prod (production) shares it with wallet-dev (development): production "
            "needs an account of its own",
        ),
        (
            {"wallet": {"state_account_id": C}, "wallet-prod": {"account_id": B}},
            "account_id: set for wallet-prod but not for wallet-dev, wallet-staging: give every environment its "
            "account, or none (the caller's credentials would pick the account of the others)",
        ),
        (
            {"wallet": {"state_account_id": C}},
            "state_account_id: '333333333333' is not valid; it applies to environments in accounts of their own: set account_id "
            "too (docs/accounts.md)",
        ),
        (
            {key: value for key, value in ACCOUNTS.items() if key != "wallet"},
            "wallet-dev: state_account_id: None is not valid; expected the account of the state bucket (under 'wallet'), with "
            "account_id (docs/accounts.md)",
        ),
        (
            {**ACCOUNTS, "wallet-dev": {"account_id": A, "allowed_account_ids": [B]}},
            "wallet-dev: allowed_account_ids: ['222222222222'] is not valid; with account_id it is that account alone "
            "(111111111111): remove allowed_account_ids",
        ),
        (
            {"wallet-prod": {"github_repository": "acme/wallet-infra"}},
            "github_repository: 'acme/wallet-infra' is not valid; it applies to environments in accounts of their own: set "
            "account_id too (docs/accounts.md)",
        ),
        (
            {
                **ACCOUNTS,
                "wallet-dev": {"account_id": A, "plan_role_arn": f"arn:aws:iam::{A}:role/wallet-service/wallet-service-deploy-dev"},
            },
            f"wallet-dev: plan_role_arn: 'arn:aws:iam::{A}:role/wallet-service/wallet-service-deploy-dev' is not valid; it is "
            "already wallet-dev's deploy_role_arn: expected a role of its own",
        ),
        (
            {**ACCOUNTS, "wallet-dev": {"account_id": A, "plan_role_arn": f"arn:aws:iam::{A}:role/wallet-service-staging-reader"}},
            f"wallet-dev: plan_role_arn: 'arn:aws:iam::{A}:role/wallet-service-staging-reader' is not valid; its name is one of "
            "the roles the stacks make (wallet-service-<env>-...), which their deploy roles may change: expected another name",
        ),
        (
            {
                **ACCOUNTS,
                "wallet-dev": {
                    "account_id": A,
                    "certificate_arn": f"arn:aws:acm:us-east-1:{B}:certificate/0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b",
                },
            },
            f"wallet-dev: certificate_arn: 'arn:aws:acm:us-east-1:{B}:certificate/0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b' is not "
            f"valid; expected a certificate in the environment's account, account_id {A}",
        ),
        (
            {
                **ACCOUNTS,
                "wallet-dev": {
                    "account_id": A,
                    "github_oidc_provider_arn": f"arn:aws:iam::{A}:oidc-provider/token.actions.githubusercontent.com",
                },
            },
            f"github_oidc_provider_arn: wallet-dev, wallet-staging share account {A} but name different OIDC providers "
            f"(None, arn:aws:iam::{A}:oidc-provider/token.actions.githubusercontent.com); an account holds one: set it once, "
            "under 'wallet' or in each",
        ),
        (
            {**ACCOUNTS, "wallet-dev": {"account_id": ARABIC_INDIC_ONES}},  # Python's \d would take them
            f"wallet-dev: account_id: '{ARABIC_INDIC_ONES}' is not valid; expected a 12-digit AWS account id",
        ),
        (
            {**ACCOUNTS, "wallet": {"state_account_id": C, "github_repository": "acme"}},
            "wallet: github_repository: 'acme' is not valid; expected <owner>/<name>, e.g. 'acme/wallet-infra'",
        ),
    ],
)
def test_each_account_mistake_is_one_line_naming_field_value_and_what_to_do(context: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config.load(context)
    assert str(raised.value) == message


def test_the_state_bucket_lets_each_role_reach_exactly_its_own_keys(example_builds: dict[str, Build]) -> None:
    state = example_builds["accounts"].parsed["wallet-state"]
    statements = {s["sid"]: s for s in state["data"]["aws_iam_policy_document"]["state_policy_document"]["statement"]}
    bucket = "${aws_s3_bucket.state_bucket.arn}"
    role = "arn:aws:iam::{}:role/wallet-service/wallet-service-{}-{}"
    assert statements["DeployProdState"] == {
        "sid": "DeployProdState", "actions": ["s3:GetObject", "s3:PutObject"],
        "principals": [{"type": "AWS", "identifiers": [role.format(B, "deploy", "prod")]}],
        "resources": [f"{bucket}/wallet-service/prod/terraform.tfstate"],
    }  # fmt: skip
    assert statements["DeployProdLock"]["actions"] == ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    assert statements["DeployProdLock"]["resources"] == [f"{bucket}/wallet-service/prod/terraform.tfstate.tflock"]
    assert statements["PlanProdState"]["actions"] == ["s3:GetObject"]
    assert statements["PlanProdState"]["principals"] == [{"type": "AWS", "identifiers": [role.format(B, "plan", "prod")]}]
    # Nobody else outside the state account: dev's deploy role is denied prod's state.
    [prod_state_deny] = [
        s for s in statements.values() if s.get("effect") == "Deny" and s["resources"] == statements["DeployProdState"]["resources"]
    ]
    assert prod_state_deny["principals"] == [{"type": "*", "identifiers": ["*"]}]
    assert prod_state_deny["condition"] == [
        {
            "test": "ArnNotEquals",
            "variable": "aws:PrincipalArn",
            "values": [role.format(B, "deploy", "prod"), role.format(B, "plan", "prod")],
        },
        {"test": "StringNotEquals", "variable": "aws:PrincipalAccount", "values": ["${data.aws_caller_identity.state_owner.account_id}"]},
    ]
    assert state["provider"]["aws"][0]["allowed_account_ids"] == [C]
    [encryption] = state["resource"]["aws_s3_bucket_server_side_encryption_configuration"].values()
    assert encryption["rule"][0]["apply_server_side_encryption_by_default"] == {"sse_algorithm": "AES256"}


def test_each_account_gets_its_roles_stack_and_every_role_of_an_environment_its_boundary(example_builds: dict[str, Build]) -> None:
    parsed = example_builds["accounts"].parsed
    assert sorted(name for name in parsed if name.startswith("wallet-roles-")) == [f"wallet-roles-{A}", f"wallet-roles-{B}"]
    for stack, account in (("wallet-dev", A), ("wallet-prod", B)):
        env = stack.removeprefix("wallet-")
        roles = parsed[stack]["resource"]["aws_iam_role"].values()
        assert {role["permissions_boundary"] for role in roles} == {
            f"arn:aws:iam::{account}:policy/wallet-service/wallet-service-boundary-{env}"
        }
        assert parsed[stack]["provider"]["aws"][0]["allowed_account_ids"] == [account]
        assert parsed[stack]["terraform"]["backend"]["s3"]["bucket"] == f"wallet-service-terraform-state-{C}-us-east-1"


def test_the_roles_trust_their_account_and_exactly_the_repository_and_github_environment(example_builds: dict[str, Build]) -> None:
    roles = example_builds["accounts"].parsed[f"wallet-roles-{B}"]
    documents = roles["data"]["aws_iam_policy_document"]
    for kind, environment in (("deploy", "prod"), ("plan", "prod-plan")):
        account, github = documents[f"prod_{kind}_trust"]["statement"]
        assert account == {
            "sid": "Account",
            "actions": ["sts:AssumeRole"],
            "principals": [{"type": "AWS", "identifiers": [f"arn:aws:iam::{B}:root"]}],
        }
        assert github["actions"] == ["sts:AssumeRoleWithWebIdentity"]
        assert github["principals"] == [{"type": "Federated", "identifiers": ["${aws_iam_openid_connect_provider.github.arn}"]}]
        assert github["condition"] == [
            {"test": "StringEquals", "variable": "token.actions.githubusercontent.com:aud", "values": ["sts.amazonaws.com"]},
            {
                "test": "StringEquals",
                "variable": "token.actions.githubusercontent.com:sub",
                "values": [f"repo:acme/wallet-infra:environment:{environment}"],
            },
        ]
        role = roles["resource"]["aws_iam_role"][f"prod_{kind}_role"]
        assert (role["name"], role["path"]) == (f"wallet-service-{kind}-prod", "/wallet-service/")
        # the deploy job holds its session for up to 3 hours (.github/workflows/deploy.yml role-duration-seconds)
        assert role["max_session_duration"] == {"deploy": 10800, "plan": 3600}[kind]
    [provider] = roles["resource"]["aws_iam_openid_connect_provider"].values()
    assert (provider["url"], provider["client_id_list"]) == ("https://token.actions.githubusercontent.com", ["sts.amazonaws.com"])
    assert "aws_iam_role_policy_attachment" not in roles["resource"]


def test_the_plan_role_reads_configuration_and_no_data(example_builds: dict[str, Build]) -> None:
    document = example_builds["accounts"].parsed[f"wallet-roles-{B}"]["data"]["aws_iam_policy_document"]["prod_plan_document"]
    statements = {s["sid"]: s for s in document["statement"]}
    actions = {action for statement in document["statement"] if statement["sid"] != "ReadState" for action in statement["actions"]}
    assert not actions & {
        "s3:GetObject",
        "s3:Get*",
        "secretsmanager:GetSecretValue",
        "secretsmanager:Get*",
        "logs:GetLogEvents",
        "logs:Get*",
    }
    assert not [a for a in actions if a.split(":")[1].startswith(("Put", "Create", "Delete", "Update", "Modify", "Attach", "Tag"))]
    assert statements["ReadState"]["resources"] == [
        f"arn:aws:s3:::wallet-service-terraform-state-{C}-us-east-1/wallet-service/prod/terraform.tfstate"
    ]
    assert statements["ReadState"]["actions"] == ["s3:GetObject"]  # its state, and no lock file
    assert f"arn:aws:rds:*:{B}:db:wallet-service-prod*" in statements["ReadNamed"]["resources"]
    assert statements["ReadProjectRoles"]["resources"] == [
        f"arn:aws:iam::{B}:role/wallet-service-prod-*", f"arn:aws:iam::{B}:role/wallet-service-migration-prod-*",
    ]  # fmt: skip


def test_the_deploy_role_creates_roles_only_under_the_boundary_and_cannot_touch_its_own_access(example_builds: dict[str, Build]) -> None:
    document = example_builds["accounts"].parsed[f"wallet-roles-{B}"]["data"]["aws_iam_policy_document"]["prod_deploy_document"]
    statements = {s["sid"]: s for s in document["statement"]}
    project_roles = [f"arn:aws:iam::{B}:role/wallet-service-prod-*", f"arn:aws:iam::{B}:role/wallet-service-migration-prod-*"]
    assert statements["CreateBoundedRoles"]["resources"] == project_roles
    assert statements["CreateBoundedRoles"]["condition"] == [
        {
            "test": "StringEquals",
            "variable": "iam:PermissionsBoundary",
            "values": [f"arn:aws:iam::{B}:policy/wallet-service/wallet-service-boundary-prod"],
        }
    ]
    assert statements["KeepAccessAsMade"] == {
        "sid": "KeepAccessAsMade", "effect": "Deny", "actions": ["iam:*"],
        "resources": [f"arn:aws:iam::{B}:role/wallet-service/wallet-service-deploy-prod", f"arn:aws:iam::{B}:role/wallet-service/wallet-service-plan-prod",
                      f"arn:aws:iam::{B}:policy/wallet-service/wallet-service-boundary-prod"],
    }  # fmt: skip
    assert statements["AttachServiceRolePolicies"]["condition"][0]["values"] == ["arn:aws:iam::aws:policy/service-role/*"]


def test_every_resource_type_the_stacks_make_is_a_service_the_deploy_role_may_use(example_builds: dict[str, Build]) -> None:
    from stacks.accounts import DEPLOY_SCOPES, SERVICE_OF_RESOURCE

    assert set(SERVICE_OF_RESOURCE.values()) - {"iam"} <= set(DEPLOY_SCOPES)
    for build in example_builds.values():
        for name, document in build.parsed.items():
            for resource_type in document.get("resource", {}):
                if resource_type == "terraform_data":
                    continue
                assert any(resource_type.startswith(prefix) for prefix in SERVICE_OF_RESOURCE), (name, resource_type)


def test_without_accounts_there_is_no_roles_stack(example_builds: dict[str, Build]) -> None:
    for example in ("minimal", "team", "sidecar-and-backup-copy"):
        assert not [name for name in example_builds[example].parsed if name.startswith("wallet-roles-")]


def policy_characters(document: dict[str, Any]) -> int:
    """The characters IAM counts of a policy rendered from ``document`` (an aws_iam_policy_document's statements):
    its JSON without whitespace (docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)."""
    statements = [
        {
            "Sid": s["sid"], "Effect": s.get("effect", "Allow"), "Action": s["actions"], "Resource": s["resources"],
            **({"Condition": {c["test"]: {c["variable"]: c["values"]} for c in s["condition"]}} if "condition" in s else {}),
        }
        for s in document["statement"]
    ]  # fmt: skip
    return len(json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":")))


def test_the_deploy_role_writes_only_on_the_stacks_names_and_lists_what_has_ids(example_builds: dict[str, Build]) -> None:
    statements = {
        s["sid"]: s
        for s in example_builds["accounts"].parsed[f"wallet-roles-{B}"]["data"]["aws_iam_policy_document"]["prod_deploy_document"][
            "statement"
        ]
    }
    named = statements["StackResources"]
    assert "ecs:*" in named["actions"] and "rds:*" in named["actions"] and "ec2:*" not in named["actions"]
    assert f"arn:aws:ecr:*:{B}:repository/wallet-service" not in named["resources"]  # the team's image repository: read only
    for arn in (
        f"arn:aws:rds:*:{B}:pg:wallet-service-prod-*",  # the parameter group's name_prefix
        f"arn:aws:cloudwatch:*:{B}:alarm:TargetTracking-service/wallet-service-cluster-prod/*",  # target tracking's own alarms
        f"arn:aws:ecs:*:{B}:cluster/wallet-service-cluster-prod",
        f"arn:aws:rds:*:{B}:db:wallet-service-prod*",
        f"arn:aws:logs:*:{B}:log-group:/aws/ecs/WalletMigrations/prod*",
        f"arn:aws:elasticloadbalancing:*:{B}:loadbalancer/app/wallet-service-prod/*",
        f"arn:aws:secretsmanager:*:{B}:secret:rds!*",
        "arn:aws:s3:::wallet-service-prod-*",
    ):
        assert arn in named["resources"], arn
    assert "*" not in named["resources"]
    assert all(not action.endswith(":*") for action in statements["ById"]["actions"])
    assert {action.split(":")[1] for action in statements["Read"]["actions"]} == {"Describe*", "List*"}
    assert statements["StateBucket"]["actions"] == ["s3:ListBucket", "s3:GetBucketVersioning", "s3:GetEncryptionConfiguration"]
    assert statements["WriteState"]["resources"] == [
        f"arn:aws:s3:::wallet-service-terraform-state-{C}-us-east-1/wallet-service/prod/terraform.tfstate"
    ]
    assert statements["AssumeItself"] == {
        "sid": "AssumeItself", "actions": ["sts:AssumeRole"], "resources": [f"arn:aws:iam::{B}:role/wallet-service/wallet-service-deploy-prod"],
    }  # fmt: skip


def test_the_policies_fit_iams_limits_with_room(example_builds: dict[str, Build]) -> None:
    """An inline role policy holds at most 10,240 characters, a managed policy (the boundary) 6,144."""
    roles = {name: document for name, document in example_builds["accounts"].parsed.items() if name.startswith("wallet-roles-")}
    for documents in (roles, accounts_with_sidecars()):
        for name, document in documents.items():
            for address, policy in document["data"]["aws_iam_policy_document"].items():
                if address.endswith("_trust"):  # trust policies: 2,048 characters by default, these hold two statements
                    continue
                limit = 6144 if address.endswith("_boundary_document") else 10240
                assert policy_characters(policy) <= limit - 500, (name, address, policy_characters(policy))


@functools.cache
def accounts_with_sidecars() -> dict[str, dict[str, Any]]:
    """The roles stacks of examples/accounts with examples/sidecar-and-backup-copy's sidecars in every environment."""
    from stacks import runtime

    runtime.prepare()
    import tempfile
    from pathlib import Path

    from stacks.app import build_app

    sidecars = example_context("sidecar-and-backup-copy")
    context = example_context("accounts")
    for key, settings in sidecars.items():
        if "sidecars" in settings:
            context[key] = {**context.get(key, {}), "sidecars": settings["sidecars"]}
    with tempfile.TemporaryDirectory() as outdir:
        build_app(config.load(context), outdir=outdir).synth()
        return {path.parent.name: json.loads(path.read_text()) for path in Path(outdir).glob("stacks/wallet-roles-*/cdk.tf.json")}


def test_the_boundary_leaves_room_for_the_sidecars_actions() -> None:
    """examples/sidecar-and-backup-copy gives prod's collector X-Ray actions: prod's boundary holds them, never IAM."""
    roles = accounts_with_sidecars()
    context = example_context("sidecar-and-backup-copy")
    actions = {a for sidecar in context["wallet-prod"]["sidecars"] for a in sidecar.get("iam_actions", [])}
    assert actions, "the sidecar example grants its sidecar actions"
    statements = roles[f"wallet-roles-{B}"]["data"]["aws_iam_policy_document"]["prod_boundary_document"]["statement"]
    [workloads] = [s for s in statements if s["sid"] == "Workloads"]
    assert actions <= set(workloads["actions"])
    assert not any(a.startswith("iam:") for a in workloads["actions"])
    dev = roles[f"wallet-roles-{A}"]["data"]["aws_iam_policy_document"]["dev_boundary_document"]["statement"]
    assert not actions & {a for s in dev for a in s["actions"]}


def test_given_role_arns_and_an_existing_oidc_provider_are_used_as_they_are(tmp_path: Any) -> None:
    from stacks import runtime

    runtime.prepare()
    from stacks.app import build_app

    provider = f"arn:aws:iam::{B}:oidc-provider/token.actions.githubusercontent.com"
    context = {
        **ACCOUNTS,
        "wallet": {"state_account_id": C, "github_repository": "acme/wallet-infra"},
        "wallet-prod": {
            "account_id": B, "deploy_role_arn": f"arn:aws:iam::{B}:role/platform/wallet-prod-deployer",
            "plan_role_arn": f"arn:aws:iam::{B}:role/wallet-prod-reader", "github_oidc_provider_arn": provider,
        },
    }  # fmt: skip
    build_app(config.load(context), outdir=str(tmp_path)).synth()
    roles = json.loads((tmp_path / "stacks" / f"wallet-roles-{B}" / "cdk.tf.json").read_text())
    made = {(r["name"], r["path"]) for r in roles["resource"]["aws_iam_role"].values()}
    assert made == {("wallet-prod-deployer", "/platform/"), ("wallet-prod-reader", "/")}
    assert "aws_iam_openid_connect_provider" not in roles["resource"]
    github = roles["data"]["aws_iam_policy_document"]["prod_deploy_trust"]["statement"][1]
    assert github["principals"] == [{"type": "Federated", "identifiers": [provider]}]
    prod = json.loads((tmp_path / "stacks" / "wallet-prod" / "cdk.tf.json").read_text())
    assert prod["variable"]["aws_role_arn"]["default"] == f"arn:aws:iam::{B}:role/platform/wallet-prod-deployer"
    assert prod["terraform"]["backend"]["s3"]["assume_role"] == {
        "role_arn": f"arn:aws:iam::{B}:role/platform/wallet-prod-deployer", "session_name": "wallet-prod-terraform",
    }  # fmt: skip
    assert prod["provider"]["aws"][0]["assume_role"] == [{"role_arn": "${var.aws_role_arn}", "session_name": "wallet-prod-terraform"}]
    state = json.loads((tmp_path / "stacks" / "wallet-state" / "cdk.tf.json").read_text())
    grants = {s["sid"]: s for s in state["data"]["aws_iam_policy_document"]["state_policy_document"]["statement"]}
    assert grants["PlanProdState"]["principals"] == [{"type": "AWS", "identifiers": [f"arn:aws:iam::{B}:role/wallet-prod-reader"]}]


def test_without_a_repository_the_roles_trust_only_their_account(tmp_path: Any) -> None:
    from stacks import runtime

    runtime.prepare()
    from stacks.app import build_app

    build_app(config.load(ACCOUNTS), outdir=str(tmp_path)).synth()
    roles = json.loads((tmp_path / "stacks" / f"wallet-roles-{A}" / "cdk.tf.json").read_text())
    assert "aws_iam_openid_connect_provider" not in roles["resource"]
    assert [s["sid"] for s in roles["data"]["aws_iam_policy_document"]["staging_plan_trust"]["statement"]] == ["Account"]
