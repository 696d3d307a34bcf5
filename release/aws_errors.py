"""One line instead of a traceback when AWS, or the way to it, fails a release script (preflight, migrate, rollback).

The line names the step, where it asked (Region, and the account when the configuration allows one), what AWS or
botocore said, and what to do; the scripts exit 2 with it. The kinds (botocore's exceptions and AWS's error codes,
docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html for the throttling codes):

  no credentials      NoCredentialsError, PartialCredentialsError, a profile that does not exist, an SSO token expired
  expired session     ExpiredToken, ExpiredTokenException, RequestExpired
  access denied       AccessDenied, AccessDeniedException, UnauthorizedOperation, UnrecognizedClientException
  throttling          Throttling, ThrottlingException, RequestLimitExceeded, TooManyRequestsException
  no endpoint         EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, an unknown Region
  wrong account       ClusterNotFoundException, ServiceNotFoundException: the stack's resources are not where the
                      credentials point
"""

from __future__ import annotations

from collections.abc import Callable

from stacks.config import EnvironmentConfig

HINTS: dict[str, tuple[str, ...]] = {
    "your session expired: sign in again (e.g. aws sso login) and run this again": (
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
    ),
    "these credentials may not do this: use the role for this step (docs/runbook.md#prerequisites-for-real-deployments)": (
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
    ),
    "AWS is throttling the account: wait a minute and run this again": (
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
    ),
    "not found where the credentials point: check that they are for the stack's account and Region, and that it is deployed": (
        "ClusterNotFoundException",
        "ServiceNotFoundException",
    ),
}
HINT_BY_CODE = {code: hint for hint, codes in HINTS.items() for code in codes}


def where(config: EnvironmentConfig) -> str:
    """``account 123456789012, us-east-1``, or the Region alone when the configuration allows any account."""
    accounts = ", ".join(config.allowed_account_ids)
    return f"account {accounts}, {config.region}" if accounts else config.region


def describe(step: str, place: str, error: Exception) -> str:
    """The one line for ``error``, raised while ``step`` asked AWS at ``place`` (see :func:`where`)."""
    from botocore.exceptions import (
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        ProfileNotFound,
        ReadTimeoutError,
        SSOTokenLoadError,
        TokenRetrievalError,
        UnknownRegionError,
    )

    head = f"{step} ({place})"
    if isinstance(error, (NoCredentialsError, PartialCredentialsError, ProfileNotFound)):
        return f"{head}: no AWS credentials ({error}); sign in (e.g. aws sso login, or set AWS_PROFILE) and run this again"
    if isinstance(error, (SSOTokenLoadError, TokenRetrievalError)):
        return f"{head}: the sign-in session expired ({error}); sign in again (aws sso login) and run this again"
    if isinstance(error, (NoRegionError, UnknownRegionError)):
        return f"{head}: {error}; set region in cdktf.json's context to an AWS Region such as us-east-1"
    if isinstance(error, (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError)):
        return f"{head}: AWS cannot be reached ({error}); check the network, proxy or AWS_ENDPOINT_URL, then run this again"
    if isinstance(error, ClientError):
        code, message = error.response.get("Error", {}).get("Code", "?"), error.response.get("Error", {}).get("Message", "")
        hint = HINT_BY_CODE.get(code, "read AWS's message, fix the cause, and run this again")
        return f"{head}: AWS said {code}: {message}; {hint}"
    return f"{head}: {type(error).__name__}: {error}; run this again, and report it if it stays"


def guarded(step: str, place: str, call: Callable[[], int], *, report: Callable[[str], None]) -> int:
    """``call()``'s exit status; 2, with the one line given to ``report``, when AWS or botocore fails it."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return call()
    except (BotoCoreError, ClientError) as error:
        report(f"error: {describe(step, place, error)}")
        return 2
