"""A correction of the emulator (sandbox/server.py): S3 bucket policies evaluated for the caller, as S3 does.

moto 5.2.5 evaluates a bucket policy on object requests (GetObject, PutObject, DeleteObject, ...) without knowing who
asks: a Deny whose condition it cannot verify applies to everybody (so the TLS-only statement AWS recommends,
docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html, denies every request), an Allow for one
principal denies every other (IAMPolicyStatement._check_principal), and a caller of another account may read and
write any bucket. Here, as S3's authorization of an object operation does (docs.aws.amazon.com/AmazonS3/latest/
userguide/access-control-auth-workflow-object-operation.html):

- the caller is its access key's: a role's session is the role (its ARN, path included, is aws:PrincipalArn) in the
  role's account; any other key is the root of the account moto gives it;
- the request came over TLS: Terraform, the provider and boto3 use TLS in a real account, the emulator serves HTTP on
  127.0.0.1;
- conditions on aws:SecureTransport, aws:PrincipalArn and aws:PrincipalAccount are evaluated, with the operators
  Bool, StringEquals, StringNotEquals, StringLike, StringNotLike, ArnEquals, ArnNotEquals, ArnLike and ArnNotLike
  (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html); a statement with
  any other key or operator is taken to apply when it denies and not when it allows;
- an explicit Deny wins; a caller of the bucket's own account needs no Allow of the bucket's (its IAM policies decide,
  which the emulator does not evaluate); a caller of another account needs one.

HeadObject is authorized as s3:GetObject, as S3 does.
"""

from __future__ import annotations

import contextvars
import fnmatch
import json
import re
from typing import Any

CALLER_KEY: contextvars.ContextVar[str | None] = contextvars.ContextVar("caller_key", default=None)
CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
OPERATORS = {
    "Bool": lambda actual, values: actual.lower() in [str(value).lower() for value in values],
    "StringEquals": lambda actual, values: actual in values,
    "StringNotEquals": lambda actual, values: actual not in values,
    "StringLike": lambda actual, values: any(fnmatch.fnmatchcase(actual, value) for value in values),
    "StringNotLike": lambda actual, values: not any(fnmatch.fnmatchcase(actual, value) for value in values),
    "ArnEquals": lambda actual, values: actual in values,
    "ArnNotEquals": lambda actual, values: actual not in values,
    "ArnLike": lambda actual, values: any(fnmatch.fnmatchcase(actual, value) for value in values),
    "ArnNotLike": lambda actual, values: not any(fnmatch.fnmatchcase(actual, value) for value in values),
}


def install() -> None:
    """Replaces moto's FakeBucket.get_permission, and notes each S3 request's access key for it."""
    from moto.s3.models import FakeBucket
    from moto.s3.responses import S3Response

    setup_class = S3Response.setup_class

    def noting_the_caller(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        found = CREDENTIAL.search(str(request.headers.get("Authorization", "")))
        CALLER_KEY.set(found[1] if found else None)
        return setup_class(self, request, *args, **kwargs)

    S3Response.setup_class = noting_the_caller  # type: ignore[method-assign]
    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]


def caller(access_key: str) -> tuple[str, str]:
    """(principal ARN, account) of ``access_key``."""
    from moto.iam.models import get_account_id_from
    from moto.sts.models import sts_backends

    account = get_account_id_from(access_key)
    for backend in sts_backends[account].values():
        if (role := backend.get_assumed_role_from_access_key(access_key)) is not None:
            return str(role.role_arn), account
    return f"arn:aws:iam::{account}:root", account


def get_permission(self: Any, action: str, resource: str) -> Any:
    from moto.iam.access_control import PermissionResult

    key = CALLER_KEY.get()
    if key is None:  # an unsigned request: moto's own answer
        return PermissionResult.NEUTRAL
    principal, account = caller(key)
    action = "s3:GetObject" if action == "s3:HeadObject" else action
    context = {"aws:SecureTransport": "true", "aws:PrincipalArn": principal, "aws:PrincipalAccount": account}
    statements: list[dict[str, Any]] = []
    if self.policy is not None:
        document = json.loads(self.policy)
        statements = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
    applying = [s for s in statements if _applies(s, action, resource, context)]
    if any(s["Effect"] == "Deny" for s in applying):
        return PermissionResult.DENIED
    if any(s["Effect"] == "Allow" for s in applying):
        return PermissionResult.PERMITTED
    return PermissionResult.NEUTRAL if account == self.account_id else PermissionResult.DENIED


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _applies(statement: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> bool:
    """Whether ``statement`` concerns ``action`` on ``resource`` by the caller ``context`` describes."""
    principal, account = context["aws:PrincipalArn"], context["aws:PrincipalAccount"]
    if not any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in _listed(statement.get("Action", []))):
        return False
    if not any(fnmatch.fnmatchcase(resource, pattern) for pattern in _listed(statement.get("Resource", []))):
        return False
    named = statement.get("Principal", {})
    principals = ["*"] if named == "*" else _listed(named.get("AWS", [])) if isinstance(named, dict) else []
    if not {"*", principal, f"arn:aws:iam::{account}:root", account} & set(principals):
        return False
    for operator, tests in statement.get("Condition", {}).items():
        for name, values in tests.items():
            if operator not in OPERATORS or name not in context:
                return bool(statement["Effect"] == "Deny")
            if not OPERATORS[operator](context[name], _listed(values)):
                return False
    return True
