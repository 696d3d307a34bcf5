"""Every release script that talks to AWS (preflight, migrate, rollback) meets each kind of AWS failure with one line
and exit 2, never a traceback: the failure is injected into the script's real boto3 clients, at their first call
(botocore's before-call event, where a credential, connection or service error would surface)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ProfileNotFound,
    TokenRetrievalError,
)

from release import aws_errors, deployment, migrate, preflight


def refused(code: str, message: str = "denied by the test") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "AnyOperation")


KINDS: dict[str, tuple[Exception, str]] = {
    "no-credentials": (NoCredentialsError(), "no AWS credentials (Unable to locate credentials); sign in (e.g. aws sso login, or set "
                       "AWS_PROFILE) and run this again"),
    "unknown-profile": (ProfileNotFound(profile="payments"), "no AWS credentials (The config profile (payments) could not be found); "
                        "sign in (e.g. aws sso login, or set AWS_PROFILE) and run this again"),
    "sso-expired": (TokenRetrievalError(provider="sso", error_msg="Token has expired"), "the sign-in session expired (Error when "
                    "retrieving token from sso: Token has expired); sign in again (aws sso login) and run this again"),
    "expired-token": (refused("ExpiredTokenException", "The security token included in the request is expired"), "AWS said "
                      "ExpiredTokenException: The security token included in the request is expired; your session expired: sign in "
                      "again (e.g. aws sso login) and run this again"),
    "access-denied": (refused("AccessDeniedException"), "AWS said AccessDeniedException: denied by the test; these credentials may not "
                      "do this: use the role for this step (README, Prerequisites)"),
    "throttled": (refused("ThrottlingException", "Rate exceeded"), "AWS said ThrottlingException: Rate exceeded; AWS is throttling the "
                  "account: wait a minute and run this again"),
    "no-endpoint": (EndpointConnectionError(endpoint_url="https://ecs.us-east-1.amazonaws.com/"), 'AWS cannot be reached (Could not '
                    'connect to the endpoint URL: "https://ecs.us-east-1.amazonaws.com/"); check the network, proxy or '
                    "AWS_ENDPOINT_URL, then run this again"),
    "timeout": (ConnectTimeoutError(endpoint_url="https://sts.amazonaws.com/"), 'AWS cannot be reached (Connect timeout on endpoint URL: '
                '"https://sts.amazonaws.com/"); check the network, proxy or AWS_ENDPOINT_URL, then run this again'),
    "wrong-account": (refused("ClusterNotFoundException", "Cluster not found."), "AWS said ClusterNotFoundException: Cluster not "
                      "found.; not found where the credentials point: check that they are for the stack's account and Region, and "
                      "that it is deployed"),
    "no-region": (NoRegionError(), "You must specify a region.; set region in cdktf.json's context to an AWS Region such as us-east-1"),
    "other": (refused("InvalidParameterException", "bad value"), "AWS said InvalidParameterException: bad value; read AWS's message, fix "
              "the cause, and run this again"),
}  # fmt: skip

MIGRATE_OUTPUTS = {
    "cluster_name": {"value": "wallet-service-cluster-prod"},
    "migration_task_definition_arn": {"value": "arn:aws:ecs:us-east-1:123456789012:task-definition/wallet-service-migration-prod:7"},
    "private_subnet_ids": {"value": ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60712"]},
    "migration_security_group_id": {"value": "sg-0123456789abcdef0"},
}
ROLLBACK_OUTPUTS = {"cluster_name": {"value": "wallet-service-cluster-prod"}, "service_name": {"value": "wallet-service-prod"}}


def scripts(tmp_path: Path) -> dict[str, tuple[Callable[[], int], str]]:
    """Each script's command line (bad nothing, outputs from a file) and the step its line names."""
    (tmp_path / "migrate.json").write_text(json.dumps(MIGRATE_OUTPUTS))
    (tmp_path / "rollback.json").write_text(json.dumps(ROLLBACK_OUTPUTS))
    return {
        "preflight": (lambda: preflight.main(["wallet-prod", "v1.2.3"]), "wallet-prod: preflight"),
        "migrate": (lambda: migrate.main(["wallet-prod", "--outputs", str(tmp_path / "migrate.json"), "--poll", "6"]), "wallet-prod: migrations"),
        "rollback": (lambda: deployment.main(["rollback", "prod", "--outputs", str(tmp_path / "rollback.json"), "--poll", "6"]),
                     "wallet-prod: rollback"),
        "status": (lambda: deployment.main(["status", "wallet-prod", "--outputs", str(tmp_path / "rollback.json")]), "wallet-prod: status"),
    }  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("script", ["preflight", "migrate", "rollback", "status"])
def test_an_aws_failure_is_one_line_and_exit_2(
    script: str, kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    error, tail = KINDS[kind]
    real_client = boto3.client

    def client(service: str, region_name: str) -> Any:
        made = real_client(service, region_name=region_name, aws_access_key_id="testing", aws_secret_access_key="testing")

        def fail(**_: Any) -> None:
            raise error

        made.meta.events.register("before-call.*.*", fail)
        return made

    monkeypatch.setattr(boto3, "client", client)
    run, step = scripts(tmp_path)[script]
    assert run() == 2
    captured = capsys.readouterr()
    [line] = captured.err.splitlines()
    assert "Traceback" not in captured.err + captured.out
    assert line.startswith(f"error: {step} (") and line.endswith(f"): {tail}"), line


def test_the_line_says_where_it_asked() -> None:
    """The Region always; the account when the configuration allows exactly these."""
    from stacks import config

    [prod] = [
        c for c in config.load({"wallet-prod": {"allowed_account_ids": ["123456789012"], "region": "eu-west-1"}}) if c.environment == "prod"
    ]
    assert aws_errors.where(prod) == "account 123456789012, eu-west-1"
    [dev] = [c for c in config.load({"wallet-dev": {"region": "eu-central-1"}}) if c.environment == "dev"]
    assert aws_errors.where(dev) == "eu-central-1"
    line = aws_errors.describe("wallet-prod: migrations", aws_errors.where(prod), refused("AccessDenied", "no"))
    assert line == ("wallet-prod: migrations (account 123456789012, eu-west-1): AWS said AccessDenied: no; these credentials may not do "
                    "this: use the role for this step (README, Prerequisites)")  # fmt: skip
