"""TrafficShiftRole: the ECS infrastructure role that moves traffic between the target groups during a canary, linear or
blue/green deployment.

The actions are those of AWS's managed policy for this role, AmazonECSInfrastructureRolePolicyForLoadBalancers
(docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonECSInfrastructureRolePolicyForLoadBalancers.html), on
this service's target groups, listeners and listener rules instead of every one in the account. Compared with its
current version, v6 of 2026-02-12 (the one canary and linear deployments are documented with): the same nine actions
(v1 of July 2025 had neither the target-group Describe actions nor Register/DeregisterTargets; v2 added them and v6
still has exactly these); its NLB listener statement is left out, as this service has no Network Load Balancer. The
Describe actions do not support resource-level permissions, so they take "*"
(docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocument, DataAwsIamPolicyDocumentStatement
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from constructs_lib.task_iam import service_trust

ELB_DESCRIBE = [
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
]


@dataclass(frozen=True, kw_only=True)
class TrafficShiftRoleProps:
    name: str
    """The role's name."""
    target_group_arns: Sequence[str]
    """Both target groups: ECS registers and deregisters the tasks of each revision."""
    listener_arns: Sequence[str]
    rule_arns: Sequence[str]
    """The production (and test) listener rules whose forward weights ECS changes."""


class TrafficShiftRole(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: TrafficShiftRoleProps) -> None:
        super().__init__(scope, id_)
        # AWS's trust policy for this role has no condition (docs.aws.amazon.com/AmazonECS/latest/developerguide/
        # AmazonECSInfrastructureRolePolicyForLoadBalancers.html), and no ECS page says that ECS sends aws:SourceAccount
        # when it assumes an infrastructure role: such a condition could fail every deployment. Only principals of this
        # account allowed iam:PassRole on the role can hand it to a service.
        trust = service_trust(self, "trust", service="ecs.amazonaws.com", account_id=None)
        role = IamRole(self, "role", name=props.name, assume_role_policy=trust.json)
        policy = DataAwsIamPolicyDocument(
            self,
            "policy_document",
            statement=[
                DataAwsIamPolicyDocumentStatement(sid="Describe", actions=ELB_DESCRIBE, resources=["*"]),
                DataAwsIamPolicyDocumentStatement(
                    sid="Targets",
                    actions=["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
                    resources=list(props.target_group_arns),
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="Rules", actions=["elasticloadbalancing:ModifyRule"], resources=list(props.rule_arns)
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="Listeners", actions=["elasticloadbalancing:ModifyListener"], resources=list(props.listener_arns)
                ),
            ],
        )
        self.policy = IamRolePolicy(self, "policy", role=role.id, name="shift-traffic", policy=policy.json)
        self.arn: str = role.arn
