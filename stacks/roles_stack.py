"""wallet-roles-<account>: the roles the pipeline and the operators act as in one environment account (bootstrap,
local backend), as `cdk bootstrap --trust` makes AWS CDK's. Made only when the environments name their accounts."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import LocalBackend, TerraformOutput
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from constructs_lib.task_iam import ECR_PULL
from stacks import accounts
from stacks.base import AddressedStack
from stacks.config import DEPLOY_JOB_MINUTES, EnvironmentConfig

# GitHub's OIDC tokens for AWS: audience sts.amazonaws.com, subject repo:<owner>/<repo>:environment:<name> for a job
# of a GitHub environment (docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/
# configuring-openid-connect-in-amazon-web-services; docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html).
GITHUB_AUDIENCE = "sts.amazonaws.com"
# The AWS managed policies the stacks attach to their roles (AWS Backup's and RDS Enhanced Monitoring's service roles).
ATTACHABLE_POLICIES = "arn:{partition}:iam::aws:policy/service-role/*"
ROLE_ACTIONS = (
    "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole",
    "iam:ListRoleTags", "iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole", "iam:PassRole",
)  # fmt: skip


class RolesStack(AddressedStack):
    """``environments``: the environments of one account (same account_id), in the table's order."""

    def __init__(self, scope: Construct, id_: str, *, environments: Sequence[EnvironmentConfig], tags: dict[str, str]) -> None:
        super().__init__(scope, id_)
        first = environments[0]
        account = str(first.account_id)
        AwsProvider(self, "aws", region=first.region, allowed_account_ids=[account], default_tags=[AwsProviderDefaultTags(tags=tags)])
        # Relative to cdktf.out/stacks/<stack>/: the project's top folder, as wallet-state's (a bootstrap's state).
        LocalBackend(self, path=f"../../../terraform.{id_}.tfstate")
        provider_arn = first.github_oidc_provider_arn
        if provider_arn is None and any(config.github_repository for config in environments):
            provider_arn = IamOpenidConnectProvider(
                self, "github", url=f"https://{accounts.GITHUB_OIDC_URL}", client_id_list=[GITHUB_AUDIENCE]
            ).arn
        for config in environments:
            EnvironmentRoles(self, config.environment, config=config, oidc_provider_arn=provider_arn)


class EnvironmentRoles(Construct):
    """One environment's deploy role, plan role and the permissions boundary of every role its stack makes."""

    def __init__(self, scope: Construct, id_: str, *, config: EnvironmentConfig, oidc_provider_arn: str | None) -> None:
        super().__init__(scope, id_)
        self.config = config
        partition, env = config.partition, config.environment
        boundary_arn = accounts.boundary_arn(config)
        deploy_arn, plan_arn = accounts.role_arn(config, "deploy"), accounts.role_arn(config, "plan")
        project_roles = [f"arn:{partition}:iam::{config.account_id}:role/{prefix}*" for prefix in accounts.project_role_prefixes(env)]
        self._boundary(boundary_arn, project_roles)
        # The pipeline's deploy job holds its session for the whole job (.github/workflows/deploy.yml), up to
        # DEPLOY_JOB_MINUTES: the role must allow it (docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_update-role-settings.html).
        deploy = self._role("deploy", deploy_arn, oidc_provider_arn, env, max_session_seconds=DEPLOY_JOB_MINUTES * 60)
        plan = self._role("plan", plan_arn, oidc_provider_arn, f"{env}-plan")
        access = [deploy_arn, plan_arn, boundary_arn]
        policy = self._document("deploy_document", [
            *self._service_statements(),
            _allow("CreateBoundedRoles", ["iam:CreateRole", "iam:PutRolePermissionsBoundary"], project_roles,
                   [("StringEquals", "iam:PermissionsBoundary", [boundary_arn])]),
            _allow("ManageProjectRoles", list(ROLE_ACTIONS), project_roles),
            _allow("AttachServiceRolePolicies", ["iam:AttachRolePolicy", "iam:DetachRolePolicy"], project_roles,
                   [("ArnLike", "iam:PolicyARN", [ATTACHABLE_POLICIES.format(partition=partition)])]),
            # ECS, Elastic Load Balancing, RDS and AWS Backup create their service-linked roles on first use.
            _allow("ServiceLinkedRoles", ["iam:CreateServiceLinkedRole"], [f"arn:{partition}:iam::{config.account_id}:role/aws-service-role/*"]),
            _allow("ReadPolicies", ["iam:GetPolicy", "iam:GetPolicyVersion"], ["*"]),
            *self._state_access("deploy", deploy_arn),
            _deny("KeepAccessAsMade", ["iam:*"], access),
            _deny("KeepBoundaries", ["iam:DeleteRolePermissionsBoundary"], ["*"]),
        ])  # fmt: skip
        IamRolePolicy(self, "deploy_policy", role=deploy.name, name="deploy", policy=policy.json)
        plan_policy = self._document("plan_document", [*self._plan_reads(project_roles), *self._state_access("plan", plan_arn)])
        IamRolePolicy(self, "plan_policy", role=plan.name, name="plan", policy=plan_policy.json)
        TerraformOutput(self, "deploy_role_arn", value=deploy.arn, description=f"The role that deploys {config.stack_name}")
        TerraformOutput(self, "plan_role_arn", value=plan.arn, description=f"The read-only role of {config.stack_name}'s plans")

    def _boundary(self, arn: str, project_roles: list[str]) -> None:
        """The most a role of the stack may do: what the deploy role may do itself (its services on its names), and what
        the workloads do beyond it; never IAM, so no role it makes can make another."""
        config, partition = self.config, self.config.partition
        sidecar_actions = sorted({action for sidecar in config.sidecars for action in sidecar.iam_actions})
        boundary = self._document("boundary_document", [
            *self._service_statements(accounts.BOUNDARY_BY_ID_ACTIONS),
            _allow("Workloads", [*accounts.WORKLOAD_ACTIONS, *sidecar_actions], ["*"]),
            # The tasks' image pulls and IAM database authentication, on the environment's own (the database user
            # of every instance of the account: the user's ARN holds the instance's generated resource id).
            _allow("WorkloadsNamed", [*ECR_PULL, "rds-db:connect"], [
                f"arn:{partition}:ecr:*:{config.account_id}:repository/{config.ecr_repository}",
                f"arn:{partition}:rds-db:*:{config.account_id}:dbuser:*/{config.db_app_user}",
            ]),
            _allow("PassProjectRoles", ["iam:PassRole"], project_roles),
        ])  # fmt: skip
        IamPolicy(self, "boundary", name=arn.rsplit("/", 1)[1], path=accounts.ROLE_PATH, policy=boundary.json,
                  description=f"The most any role of {config.stack_name} may do")  # fmt: skip

    def _plan_reads(self, project_roles: list[str]) -> list[DataAwsIamPolicyDocumentStatement]:
        """What Terraform's plan reads of the stacks (Describe*/List* everywhere, Get* on their names), and no data."""
        return [
            _allow("Read", accounts.read_actions(), ["*"]),
            _allow("ReadNamed", list(accounts.PLAN_GETS), accounts.scoped_resources(self.config)),
            _allow("ReadById", list(accounts.PLAN_GETS_BY_ID), ["*"]),
            _allow("ReadProjectRoles", list(accounts.PLAN_ROLE_READS), project_roles),
        ]

    def _role(
        self, kind: str, arn: str, oidc_provider_arn: str | None, github_environment: str, *, max_session_seconds: int = 3600
    ) -> IamRole:
        """A role trusted by the principals of its own account (as their IAM policies allow) and, with a repository, by
        GitHub's workflows of exactly that repository and GitHub environment."""
        config = self.config
        statements = [
            _allow("Account", ["sts:AssumeRole"], None, principals=("AWS", [f"arn:{config.partition}:iam::{config.account_id}:root"])),
        ]
        if oidc_provider_arn is not None and config.github_repository is not None:
            claims = accounts.GITHUB_OIDC_URL
            statements.append(_allow(
                "GitHub", ["sts:AssumeRoleWithWebIdentity"], None, principals=("Federated", [oidc_provider_arn]),
                conditions=[("StringEquals", f"{claims}:aud", [GITHUB_AUDIENCE]),
                            ("StringEquals", f"{claims}:sub", [f"repo:{config.github_repository}:environment:{github_environment}"])],
            ))  # fmt: skip
        trust = self._document(f"{kind}_trust", statements)
        path, name = arn.split(":role", 1)[1].rsplit("/", 1)
        return IamRole(
            self, f"{kind}_role", name=name, path=f"{path}/", assume_role_policy=trust.json, max_session_duration=max_session_seconds
        )

    def _service_statements(self, by_id: tuple[str, ...] = accounts.BY_ID_ACTIONS) -> list[DataAwsIamPolicyDocumentStatement]:
        """Each service on the resources its names scope (stacks/accounts.py DEPLOY_SCOPES), the ``by_id`` actions on
        resources named by ids, and Describe*/List* (Terraform's reads) everywhere."""
        # One statement: an action of one service never applies to another service's ARN, so the product of all
        # actions and all patterns allows exactly each service on its own names, in fewer characters (a managed
        # policy, the boundary, holds at most 6,144: docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
        named = [f"{service}:*" for service, patterns in accounts.DEPLOY_SCOPES.items() if patterns != ("*",)]
        scoped = _allow("StackResources", named, accounts.scoped_resources(self.config))
        return [scoped, _allow("ById", list(by_id), ["*"]), _allow("Read", accounts.read_actions(), ["*"])]

    def _state_access(self, kind: str, arn: str) -> list[DataAwsIamPolicyDocumentStatement]:
        """The role's side of its state (the bucket's policy is the other, in the state account: stacks/accounts.py
        state_grants): its key, and for the deploy role the lock file; and the role may assume itself, as the provider
        and the backend do when the caller already is the role (the pipeline). A role assumes itself only where its
        trust names its account or itself (docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_update-role-trust-policy.html)."""
        config = self.config
        bucket = f"arn:{config.partition}:s3:::{config.state_bucket}"
        key = f"{bucket}/{accounts.state_key(config.environment)}"
        statements = [
            _allow("AssumeItself", ["sts:AssumeRole"], [arn]),
            _allow("StateBucket", ["s3:ListBucket", "s3:GetBucketVersioning", "s3:GetEncryptionConfiguration"], [bucket]),
            _allow("ReadState", ["s3:GetObject"], [key]),
        ]
        if kind == "deploy":
            statements += [
                _allow("WriteState", ["s3:PutObject"], [key]),
                _allow("LockState", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [f"{key}.tflock"]),
            ]
        return statements

    def _document(self, id_: str, statements: list[DataAwsIamPolicyDocumentStatement]) -> DataAwsIamPolicyDocument:
        return DataAwsIamPolicyDocument(self, id_, statement=statements)


Conditions = list[tuple[str, str, list[str]]]


def _allow(
    sid: str,
    actions: list[str],
    resources: list[str] | None,
    conditions: Conditions | None = None,
    *,
    principals: tuple[str, list[str]] | None = None,
) -> DataAwsIamPolicyDocumentStatement:
    return DataAwsIamPolicyDocumentStatement(
        sid=sid,
        actions=actions,
        resources=resources,
        principals=[DataAwsIamPolicyDocumentStatementPrincipals(type=principals[0], identifiers=principals[1])] if principals else None,
        condition=[DataAwsIamPolicyDocumentStatementCondition(test=t, variable=v, values=vals) for t, v, vals in conditions or []] or None,
    )


def _deny(sid: str, actions: list[str], resources: list[str]) -> DataAwsIamPolicyDocumentStatement:
    return DataAwsIamPolicyDocumentStatement(sid=sid, effect="Deny", actions=actions, resources=resources)
