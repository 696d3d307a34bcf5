"""`python -m release.credentials <environment>`: whether the AWS credentials work for the stack, before anything
else runs (scripts/terraform.sh runs it before synthesizing; migrate and rollback before `terraform output`).

    python -m release.credentials prod      # or wallet-prod: nothing and exit 0, or one line and exit 2

It asks STS's GetCallerIdentity in the stack's Region, which needs no permission (so the drift job's read-only role
passes: docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html), through boto3's usual chain
(AWS_PROFILE, the environment, SSO, instance roles; AWS_ENDPOINT_URL, so an emulated account works too). Then, as
`pipenv run preflight` does, that the account is one of allowed_account_ids when the configuration names any: the
provider would refuse every other account anyway, after synthesis and `terraform init`.

Exit status: 0 the credentials work; 2 no credentials, an expired sign-in, AWS unreachable, an account not allowed,
or a bad environment (one line naming which and what to do: release/aws_errors.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

from stacks.config import EnvironmentConfig

PROJECT = Path(__file__).resolve().parent.parent


def problem(config: EnvironmentConfig) -> str | None:
    """None when the credentials work for ``config``'s stack; else the one line (without ``error: ``) saying why."""
    import boto3

    from release import aws_errors

    step, place = f"{config.stack_name}: credentials", aws_errors.where(config)
    found: list[str] = []
    lines: list[str] = []

    def ask() -> int:
        found.append(str(boto3.client("sts", region_name=config.region).get_caller_identity()["Account"]))
        return 0

    if aws_errors.guarded(step, place, ask, report=lines.append) != 0:
        return lines[0].removeprefix("error: ")
    [account] = found
    if config.allowed_account_ids and account not in config.allowed_account_ids:
        return (
            f"{step} ({place}): they are for account {account}, which allowed_account_ids does not name; sign in to "
            f"{' or '.join(config.allowed_account_ids)} (e.g. another AWS_PROFILE) and run this again"
        )
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m release.credentials <environment>   (dev or wallet-dev)", file=sys.stderr)
        return 2
    from stacks import config, overrides
    from stacks.errors import ConfigError

    try:
        chosen = config.select(config.load(overrides.read_context(PROJECT)), argv[0])
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if (line := problem(chosen)) is not None:
        print(f"error: {line}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
