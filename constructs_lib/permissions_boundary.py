"""PermissionsBoundary: an aspect that gives every IAM role in a scope one permissions boundary."""

from __future__ import annotations

import jsii
from cdktf import IAspect
from cdktf_cdktf_provider_aws.iam_role import IamRole
from constructs import IConstruct


@jsii.implements(IAspect)
class PermissionsBoundary:
    """``Aspects.of(scope).add(PermissionsBoundary(policy_arn))``: every ``aws_iam_role`` in the scope, present and future,
    gets ``permissions_boundary = policy_arn`` (AWS CDK's ``PermissionsBoundary.of(scope).apply`` does the same).

    A role's effective permissions are what both its policies and its boundary allow
    (docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html): a deployer that may create roles only
    with this boundary (the condition key iam:PermissionsBoundary) cannot make one that does more than the boundary."""

    def __init__(self, policy_arn: str) -> None:
        self.policy_arn = policy_arn

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, IamRole):
            node.permissions_boundary = self.policy_arn
