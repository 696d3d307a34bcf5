"""release/credentials.py as the environment's role (docs/accounts.md): moto's STS, which maps the credentials of
AssumeRole into the role's account, answers; a refusal comes from botocore's Stubber."""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from release import credentials
from stacks import config

A, B, C = "111111111111", "222222222222", "333333333333"
ACCOUNTS = {
    "wallet": {"state_account_id": C},
    "wallet-dev": {"account_id": A},
    "wallet-staging": {"account_id": A},
    "wallet-prod": {"account_id": B},
}
DEPLOY_PROD = f"arn:aws:iam::{B}:role/wallet-service/wallet-service-deploy-prod"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    with mock_aws():
        yield


def prod(context: dict[str, Any] | None = None) -> config.EnvironmentConfig:
    return config.select(config.load(ACCOUNTS if context is None else context), "prod")


def test_the_caller_becomes_the_deploy_role_of_the_environments_account(aws: None) -> None:
    assumed: list[dict[str, str]] = []
    assert credentials.problem(prod(), "deploy", assumed) is None
    [keys] = assumed
    assert set(keys) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}
    session = boto3.session.Session(**{name.lower(): value for name, value in keys.items()})
    identity = session.client("sts", region_name="us-east-1").get_caller_identity()
    assert identity["Account"] == B
    assert identity["Arn"] == f"arn:aws:sts::{B}:assumed-role/wallet-service-deploy-prod/wallet-prod-deploy"


def test_the_exports_make_the_role_the_shells_credentials(aws: None) -> None:
    lines = credentials.exports({"AWS_ACCESS_KEY_ID": "ASIA1", "AWS_SECRET_ACCESS_KEY": "s/e cret", "AWS_SESSION_TOKEN": "t"}).splitlines()
    assert lines == [
        "export AWS_ACCESS_KEY_ID=ASIA1",
        "export AWS_SECRET_ACCESS_KEY='s/e cret'",
        "export AWS_SESSION_TOKEN=t",
        "unset AWS_PROFILE",
    ]
    assert shlex.split(lines[1]) == ["export", "AWS_SECRET_ACCESS_KEY=s/e cret"]


def test_a_caller_that_already_is_the_role_assumes_nothing(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    answer = boto3.client("sts", region_name="us-east-1").assume_role(RoleArn=DEPLOY_PROD, RoleSessionName="github-actions")
    for name, key in (
        ("AWS_ACCESS_KEY_ID", "AccessKeyId"),
        ("AWS_SECRET_ACCESS_KEY", "SecretAccessKey"),
        ("AWS_SESSION_TOKEN", "SessionToken"),
    ):
        monkeypatch.setenv(name, answer["Credentials"][key])
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    assumed: list[dict[str, str]] = []
    assert credentials.problem(prod(), "deploy", assumed) is None
    assert assumed == []


def test_act_as_goes_on_as_the_role(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, os.environ.get(name, ""))  # act_as changes this process's environment: undone after
    assert credentials.act_as(prod(), "plan") is None
    assert (
        boto3.client("sts", region_name="us-east-1")
        .get_caller_identity()["Arn"]
        .startswith(f"arn:aws:sts::{B}:assumed-role/wallet-service-plan-prod/")
    )


def test_without_an_account_of_its_own_nothing_is_assumed(aws: None) -> None:
    assumed: list[dict[str, str]] = []
    assert credentials.problem(prod({}), "deploy", assumed) is None
    assert assumed == []


def test_a_refused_role_is_one_line_with_what_to_do(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    client = boto3.client("sts", region_name="us-east-1")
    stub = Stubber(client)
    stub.add_response("get_caller_identity", {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/ana", "UserId": "AIDA"})
    stub.add_client_error(
        "assume_role", service_error_code="AccessDenied", http_status_code=403,
        service_message=f"User: arn:aws:iam::123456789012:user/ana is not authorized to perform: sts:AssumeRole on resource: {DEPLOY_PROD}",
        expected_params={"RoleArn": DEPLOY_PROD, "RoleSessionName": "wallet-prod-deploy"},
    )  # fmt: skip
    stub.activate()
    monkeypatch.setattr(boto3, "client", lambda *args, **kwargs: client)
    assert credentials.problem(prod(), "deploy", []) == (
        f"wallet-prod: credentials (account {B}, us-east-1): cannot assume the deploy role {DEPLOY_PROD} (AccessDenied: User: "
        f"arn:aws:iam::123456789012:user/ana is not authorized to perform: sts:AssumeRole on resource: {DEPLOY_PROD}); sign in "
        f"as a principal of account {B} that may assume it (docs/accounts.md#who-may-assume-the-roles)"
    )
    stub.assert_no_pending_responses()


def test_the_command_prints_the_exports_for_eval(aws: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from stacks import overrides

    monkeypatch.setattr(overrides, "read_context", lambda project: ACCOUNTS)
    assert credentials.main(["prod", "--as", "deploy"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split("=", 1)[0] for line in out] == [
        "export AWS_ACCESS_KEY_ID", "export AWS_SECRET_ACCESS_KEY", "export AWS_SESSION_TOKEN", "unset AWS_PROFILE",
    ]  # fmt: skip
    assert credentials.main(["prod", "--as", "admin"]) == 2
    assert "usage: python -m release.credentials <environment> [--as deploy|plan]" in capsys.readouterr().err
