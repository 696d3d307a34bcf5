"""`python -m release.credentials <environment>`: whether the AWS credentials work for the stack, before anything
else runs (scripts/terraform.sh runs it before synthesizing; migrate and rollback before `terraform output`).

    python -m release.credentials prod      # or wallet-prod: nothing and exit 0, or one line and exit 2
    python -m release.credentials prod --as deploy|plan
                                            # in an account of its own (account_id): the shell lines that make the
                                            # environment's deploy or plan role the credentials (nothing when the
                                            # caller already is it), for `eval`; or one line and exit 2

It asks STS's GetCallerIdentity in the stack's Region, which needs no permission (so the drift job's read-only role
passes: docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html), through boto3's usual chain
(AWS_PROFILE, the environment, SSO, instance roles; AWS_ENDPOINT_URL, so an emulated account works too). Then, as
`pipenv run preflight` does, that the account is one of allowed_account_ids when the configuration names any: the
provider would refuse every other account anyway, after synthesis and `terraform init`.

With account_id, the role is assumed with STS's AssumeRole (the caller must be a principal that the role's trust and
its own IAM policies let assume it: docs/accounts.md), and the account of the role's credentials must be the
environment's.

Exit status: 0 the credentials work; 2 no credentials, an expired sign-in, AWS unreachable, an account not allowed, a
role that cannot be assumed, or a bad environment (one line naming which and what to do: release/aws_errors.py).
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

from stacks.config import EnvironmentConfig

PROJECT = Path(__file__).resolve().parent.parent


Credentials = dict[str, str]
"""AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN."""


def problem(config: EnvironmentConfig, role: str | None = None, assumed: list[Credentials] | None = None) -> str | None:
    """None when the credentials work for ``config``'s stack; else the one line (without ``error: ``) saying why.

    ``role`` "deploy" or "plan", in an account of its own: the caller becomes that role (stacks/accounts.py role_arn);
    its credentials are appended to ``assumed``, unless the caller already is the role."""
    import boto3

    from release import aws_errors
    from stacks import accounts

    step, place = f"{config.stack_name}: credentials", aws_errors.where(config)
    lines: list[str] = []
    found: list[tuple[str, str]] = []

    def identity(session: Any) -> None:
        answer = session.client("sts", region_name=config.region).get_caller_identity()
        found.append((str(answer["Account"]), str(answer["Arn"])))

    def ask() -> int:
        identity(boto3)
        if role is None or config.account_id is None:
            return 0
        arn = accounts.role_arn(config, role)
        if _is_session_of(found[0][1], arn):
            return 0
        from botocore.exceptions import ClientError

        try:
            answer = boto3.client("sts", region_name=config.region).assume_role(
                RoleArn=arn, RoleSessionName=f"wallet-{config.environment}-{role}"
            )
        except ClientError as error:  # refused (AccessDenied above all); no answer at all is aws_errors' to say
            said = error.response.get("Error", {})
            lines.append(
                f"{step} ({place}): cannot assume the {role} role {arn} ({said.get('Code', '?')}: {said.get('Message', '')}); "
                f"sign in as a principal of account {config.account_id} that may assume it (docs/accounts.md#who-may-assume-the-roles)"
            )
            return 2
        keys = answer["Credentials"]
        credentials = {
            "AWS_ACCESS_KEY_ID": keys["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": keys["SecretAccessKey"], "AWS_SESSION_TOKEN": keys["SessionToken"],
        }  # fmt: skip
        identity(boto3.session.Session(**{name.lower(): value for name, value in credentials.items()}))
        (assumed if assumed is not None else []).append(credentials)
        return 0

    status = aws_errors.guarded(step, place, ask, report=lines.append)
    if status != 0 or lines:
        return lines[0].removeprefix("error: ")
    account = found[-1][0]
    if config.allowed_account_ids and account not in config.allowed_account_ids:
        return (
            f"{step} ({place}): they are for account {account}, which allowed_account_ids does not name; sign in to "
            f"{' or '.join(config.allowed_account_ids)} (e.g. another AWS_PROFILE) and run this again"
        )
    return None


def act_as(config: EnvironmentConfig, role: str) -> str | None:
    """problem() for ``role``; when it assumed the role, this process (boto3, and the terraform it runs) goes on as it."""
    import os

    import boto3

    assumed: list[Credentials] = []
    if (line := problem(config, role, assumed)) is not None:
        return line
    if assumed:
        os.environ.update(assumed[0])
        os.environ.pop("AWS_PROFILE", None)
        boto3.DEFAULT_SESSION = None  # it resolved the caller's credentials once and would keep them
    return None


def _is_session_of(caller_arn: str, role_arn: str) -> bool:
    """Whether ``caller_arn`` (STS's answer) is a session of the role ``role_arn``: arn:aws:sts::<account>:assumed-role/
    <role name>/<session> (docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns)."""
    partition, account, name = role_arn.split(":")[1], role_arn.split(":")[4], role_arn.rsplit("/", 1)[1]
    return caller_arn.startswith(f"arn:{partition}:sts::{account}:assumed-role/{name}/")


def exports(credentials: Credentials) -> str:
    """Shell lines that make ``credentials`` the caller's, for `eval`; AWS_PROFILE is unset so that no profile of the
    caller's shell is taken instead of them."""
    lines = [f"export {name}={shlex.quote(value)}" for name, value in credentials.items()]
    return "\n".join([*lines, "unset AWS_PROFILE"])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    role = None
    if len(argv) == 3 and argv[1] == "--as" and argv[2] in ("deploy", "plan"):
        argv, role = argv[:1], argv[2]
    if len(argv) != 1:
        print("usage: python -m release.credentials <environment> [--as deploy|plan]   (dev or wallet-dev)", file=sys.stderr)
        return 2
    from stacks import config, overrides
    from stacks.errors import ConfigError

    try:
        chosen = config.select(config.load(overrides.read_context(PROJECT)), argv[0])
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    assumed: list[Credentials] = []
    if (line := problem(chosen, role, assumed)) is not None:
        print(f"error: {line}", file=sys.stderr)
        return 2
    if assumed:
        print(exports(assumed[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
