"""Every release script that talks to AWS (preflight, migrate, rollback) meets each kind of AWS failure with one line
and exit 2, never a traceback: the failure is injected into the script's real boto3 clients, at their first call
(botocore's before-call event, where a credential, connection or service error would surface)."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable, Iterator
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
                      "do this: use the role for this step (docs/runbook.md#prerequisites-for-real-deployments)"),
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
                    "this: use the role for this step (docs/runbook.md#prerequisites-for-real-deployments)")  # fmt: skip


# A web page where AWS answers JSON or XML (a proxy, a firewall, a captive portal, an AWS_ENDPOINT_URL that is not AWS):
# a real HTTP server answers every request with it, and the scripts' real clients meet it the four ways botocore has
# (release/aws_errors.py): for ECS (JSON) a ClientError holding the whole page, or botocore's generic 5xx parse; for
# STS (query, XML) a ClientError without a code, or a ResponseParserError (the page not XML); a 2xx page an empty answer.
WELL_FORMED = "<html>\n<head><title>403 Forbidden</title></head>\n<body><center>Blocked by the proxy</center></body>\n</html>\n"
NOT_XML = "<!DOCTYPE html>\n<html><head><title>Access denied</title></head>\n<body><p>Blocked by policy<br></body></html>\n"
PAGES = {"403-well-formed": (403, WELL_FORMED), "502-well-formed": (502, WELL_FORMED), "503-not-xml": (503, NOT_XML),
         "200-not-xml": (200, NOT_XML)}  # fmt: skip


class Page(http.server.BaseHTTPRequestHandler):
    status, body = 403, ""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = self.body.encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def web_page(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[Page]]:
    """AWS_ENDPOINT_URL at a server answering the page set on the yielded class; one attempt (no retry delays)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("CDKTF_CONTEXT_JSON", json.dumps({"wallet-prod": {"region": "eu-west-1", "allowed_account_ids": ["123456789012"]}}))
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    yield Page
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(("script", "operation"), [("status", "ListServiceDeployments"), ("preflight", "GetCallerIdentity")])
def test_a_web_page_instead_of_an_answer_is_one_line_with_the_operation_and_status(
    script: str, *, operation: str, page: str, web_page: type[Page], tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    web_page.status, web_page.body = PAGES[page]
    run, step = scripts(tmp_path)[script]
    assert run() == 2
    captured = capsys.readouterr()
    status = {"403-well-formed": "403 Forbidden", "502-well-formed": "502 Bad Gateway", "503-not-xml": "503 Service Unavailable",
              "200-not-xml": "200 OK"}[page]  # fmt: skip
    title = "403 Forbidden" if "well-formed" in page else "Access denied"
    assert (captured.out, captured.err) == ("", (
        f"error: {step} (account 123456789012, eu-west-1): {operation} was answered with HTTP {status} and a web page "
        f"(\"{title}\"), not AWS's answer: a proxy, firewall or AWS_ENDPOINT_URL between here and AWS answered; check "
        "HTTPS_PROXY, AWS_ENDPOINT_URL and the network, then run this again\n"
    ))  # fmt: skip


def test_a_page_is_told_from_an_answer() -> None:
    assert aws_errors.web_page(b"  <!DOCTYPE HTML><html><title>\n Bad\n gateway </title>") == "Bad gateway"
    assert aws_errors.web_page("<html><body>no title</body></html>") == ""
    assert aws_errors.web_page(b'<?xml version="1.0"?><ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>') is None
    assert aws_errors.web_page(b'{"__type": "ThrottlingException", "message": "Rate exceeded"}') is None
