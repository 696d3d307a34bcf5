"""IAM for ECS tasks: the execution role (what ECS does to start a task) and the task role (what the code may do)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

ECR_PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
ECS_EXEC = [
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
]


def service_trust(scope: Construct, id_: str, *, service: str, account_id: str | None) -> DataAwsIamPolicyDocument:
    """A role trust policy: ``service`` may assume the role; with ``account_id``, only when acting for that account
    (the confused-deputy guard aws:SourceAccount). Give it only for a service whose documentation says it sends that
    key when it assumes the role: a service that does not would be refused, and whatever uses the role would fail."""
    return DataAwsIamPolicyDocument(
        scope,
        id_,
        statement=[
            DataAwsIamPolicyDocumentStatement(
                actions=["sts:AssumeRole"],
                principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=[service])],
                condition=[
                    DataAwsIamPolicyDocumentStatementCondition(test="StringEquals", variable="aws:SourceAccount", values=[account_id])
                ]
                if account_id
                else None,
            )
        ],
    )


@dataclass(frozen=True, kw_only=True)
class TaskIamProps:
    name: str
    """Prefix of the role names: <name>-execution, <name>-task."""
    account_id: str
    """Only ECS acting for this account may assume the roles (confused-deputy guard)."""
    ecr_repository_arn: str
    log_group_arn: str
    region: str
    """Region of the secrets (for the kms:ViaService condition)."""
    secret_arns: Sequence[str] = ()
    """Secrets ECS reads into the container's ``secrets``. Default: none."""
    ecs_exec: bool = False
    """Let the task role open ECS Exec sessions. Default: off."""
    secret_kms_key_arns: Sequence[str] = ()
    """Customer-managed keys of those secrets: ECS decrypts them through Secrets Manager. Default: none."""
    database_user_arns: Sequence[str] = ()
    """Database users the task's code may connect as with an IAM token (rds-db:connect). Default: none."""
    task_actions: Sequence[str] = ()
    """More actions of the task role, on any resource: what sidecars declare they need (services without resource-level
    permissions, such as X-Ray's). Default: none."""
    pull_through_repository_arns: Sequence[str] = ()
    """Repositories of a pull-through cache the execution role pulls from. Default: none."""


class TaskIam(Construct):
    """Two roles, each allowed exactly what it needs, on exact ARNs."""

    def __init__(self, scope: Construct, id_: str, *, props: TaskIamProps) -> None:
        super().__init__(scope, id_)
        # ECS documents the aws:SourceAccount (and aws:SourceArn) condition for the roles its tasks assume
        # (docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html, "Create the task IAM role").
        trust = service_trust(self, "trust", service="ecs-tasks.amazonaws.com", account_id=props.account_id)
        execution = IamRole(self, "execution_role", name=f"{props.name}-execution", assume_role_policy=trust.json)
        task = IamRole(self, "task_role", name=f"{props.name}-task", assume_role_policy=trust.json)
        self.execution_role_arn: str = execution.arn
        self.task_role_arn: str = task.arn

        statements = [
            # ecr:GetAuthorizationToken authorizes against the registry as a whole: AWS accepts only "*" here.
            DataAwsIamPolicyDocumentStatement(sid="EcrLogin", actions=["ecr:GetAuthorizationToken"], resources=["*"]),
            DataAwsIamPolicyDocumentStatement(sid="EcrPull", actions=ECR_PULL, resources=[props.ecr_repository_arn]),
            DataAwsIamPolicyDocumentStatement(
                sid="Logs", actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[f"{props.log_group_arn}:log-stream:*"]
            ),
        ]
        if props.pull_through_repository_arns:
            # Pulling through the cache: the image is imported, and its repository created, on the first pull by the
            # puller's own permissions (docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-iam.html).
            statements.append(
                DataAwsIamPolicyDocumentStatement(
                    sid="EcrPullThroughCache",
                    actions=[*ECR_PULL, "ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
                    resources=list(props.pull_through_repository_arns),
                )
            )
        if props.secret_arns:
            statements.append(
                DataAwsIamPolicyDocumentStatement(
                    sid="Secrets", actions=["secretsmanager:GetSecretValue"], resources=list(props.secret_arns)
                )
            )
        if props.secret_kms_key_arns:
            statements.append(
                DataAwsIamPolicyDocumentStatement(
                    sid="SecretsKey",
                    actions=["kms:Decrypt"],
                    resources=list(props.secret_kms_key_arns),
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="StringEquals", variable="kms:ViaService", values=[f"secretsmanager.{props.region}.amazonaws.com"]
                        )
                    ],
                )
            )
        execution_policy = DataAwsIamPolicyDocument(self, "execution_policy_document", statement=statements)
        IamRolePolicy(self, "execution_policy", role=execution.id, name="start-task", policy=execution_policy.json)

        if props.ecs_exec:
            # Session Manager's message channels have no resource-level permissions: AWS accepts only "*".
            exec_policy = DataAwsIamPolicyDocument(
                self,
                "exec_policy_document",
                statement=[DataAwsIamPolicyDocumentStatement(sid="EcsExec", actions=ECS_EXEC, resources=["*"])],
            )
            IamRolePolicy(self, "exec_policy", role=task.id, name="ecs-exec", policy=exec_policy.json)

        if props.task_actions:
            sidecars = DataAwsIamPolicyDocument(
                self,
                "sidecar_policy_document",
                statement=[DataAwsIamPolicyDocumentStatement(sid="Sidecars", actions=sorted(set(props.task_actions)), resources=["*"])],
            )
            IamRolePolicy(self, "sidecar_policy", role=task.id, name="sidecars", policy=sidecars.json)

        if props.database_user_arns:
            connect = DataAwsIamPolicyDocument(
                self,
                "database_policy_document",
                statement=[
                    DataAwsIamPolicyDocumentStatement(
                        sid="DatabaseConnect", actions=["rds-db:connect"], resources=list(props.database_user_arns)
                    )
                ],
            )
            IamRolePolicy(self, "database_policy", role=task.id, name="database-connect", policy=connect.json)
