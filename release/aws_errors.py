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
  not AWS's answer    a web page (HTML) where AWS answers JSON or XML: a proxy, firewall or captive portal, or an
                      AWS_ENDPOINT_URL that is not AWS, answered; the line names the operation and the HTTP status

botocore meets such a page in one of four ways, by protocol and status (botocore/parsers.py,
ResponseParser._is_generic_error_response, which names the proxy as the cause): a ClientError whose code is the HTTP
status and whose message is the whole page (JSON protocols: ECS, CloudWatch Logs); a ClientError with the status and
its reason phrase (a 5xx page starting with <html>, and S3); a ClientError without an error code (query protocol:
STS, EC2, RDS, SNS, when the page happens to be well-formed XML); a ResponseParserError carrying the page but no
status or operation, and not a BotoCoreError (query protocol, the page not XML). A 2xx page is parsed as an empty answer. :func:`guarded`
watches every answer (botocore's before-parse event) so that each way ends in the same line, and stops a 2xx page
before the script reads the empty answer.
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class WebPage:
    """An answer that was a web page, not AWS's: the operation asked, the HTTP status, the page's <title> ('' if none)."""

    operation: str
    status: int
    title: str = ""

    def line(self) -> str:
        reason = http.client.responses.get(self.status, "")
        title = f' ("{self.title}")' if self.title else ""
        return (
            f"{self.operation} was answered with HTTP {self.status}{' ' + reason if reason else ''} and a web page{title}, not "
            "AWS's answer: a proxy, firewall or AWS_ENDPOINT_URL between here and AWS answered; check HTTPS_PROXY, "
            "AWS_ENDPOINT_URL and the network, then run this again"
        )


class WebPageError(Exception):
    """A successful (2xx) HTTP status with a web page: botocore would hand the script an empty answer."""

    def __init__(self, page: WebPage) -> None:
        super().__init__(page.line())
        self.page = page


def web_page(body: bytes | str) -> str | None:
    """The page's title ('' when it has none) when ``body`` is HTML, which no AWS API answers; None otherwise."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    start = text.lstrip()[:200].lower()
    if not (start.startswith("<!doctype html") or start.startswith("<html")):
        return None
    found = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    return " ".join(found.group(1).split())[:80] if found else ""


class Pages:
    """The last web page answered while :func:`watching` (None: none)."""

    last: WebPage | None = None


@contextmanager
def watching(pages: Pages | None = None) -> Iterator[Pages]:
    """Watches the answers of every client made from boto3's default session meanwhile (botocore's before-parse
    event, emitted with the raw HTTP answer before botocore parses it): a web page is remembered, and one with a
    2xx status raises WebPageError. Error statuses go on to botocore, which retries what it retries (5xx)."""
    import boto3

    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    events, pages = boto3.DEFAULT_SESSION.events, pages or Pages()

    def seen(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        title = web_page(response_dict.get("body") or b"")
        if title is None:
            return
        pages.last = WebPage(operation_model.name, int(response_dict.get("status_code", 0)), title)
        if 200 <= pages.last.status < 300:
            raise WebPageError(pages.last)

    events.register("before-parse", seen, unique_id="wallet-web-pages")
    try:
        yield pages
    finally:
        events.unregister("before-parse", unique_id="wallet-web-pages")


def _page_of(error: Exception, last: WebPage | None) -> WebPage | None:
    """The web page behind ``error``, from the error itself or the last one watched; None when AWS answered."""
    from botocore.exceptions import ClientError
    from botocore.parsers import ResponseParserError

    if isinstance(error, WebPageError):
        return error.page
    if isinstance(error, ResponseParserError):
        return last
    if isinstance(error, ClientError):
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        title = web_page(str(error.response.get("Error", {}).get("Message", "")))
        if title is not None:
            return WebPage(error.operation_name, status, title)
        if last is not None and last.operation == error.operation_name and last.status == status:
            return last
    return None


def describe(step: str, place: str, error: Exception, last: WebPage | None = None) -> str:
    """The one line for ``error``, raised while ``step`` asked AWS at ``place`` (see :func:`where`); ``last``: the
    last web page :func:`watching` saw, if any."""
    head = f"{step} ({place})"
    if (page := _page_of(error, last)) is not None:
        return f"{head}: {page.line()}"
    return f"{head}: {_cause(error)}"


def _cause(error: Exception) -> str:
    """What went wrong and what to do, for an error that is not a web page."""
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

    if isinstance(error, (NoCredentialsError, PartialCredentialsError, ProfileNotFound)):
        return f"no AWS credentials ({error}); sign in (e.g. aws sso login, or set AWS_PROFILE) and run this again"
    if isinstance(error, (SSOTokenLoadError, TokenRetrievalError)):
        return f"the sign-in session expired ({error}); sign in again (aws sso login) and run this again"
    if isinstance(error, (NoRegionError, UnknownRegionError)):
        return f"{error}; set region in cdktf.json's context to an AWS Region such as us-east-1"
    if isinstance(error, (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError)):
        return f"AWS cannot be reached ({error}); check the network, proxy or AWS_ENDPOINT_URL, then run this again"
    if isinstance(error, ClientError):
        code, message = error.response.get("Error", {}).get("Code", "?"), error.response.get("Error", {}).get("Message", "")
        hint = HINT_BY_CODE.get(code, "read AWS's message, fix the cause, and run this again")
        return f"AWS said {code}: {' '.join(str(message).split())}; {hint}"
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first}; run this again, and report it if it stays"


def guarded(step: str, place: str, call: Callable[[], int], *, report: Callable[[str], None]) -> int:
    """``call()``'s exit status; 2, with the one line given to ``report``, when AWS or botocore fails it (or what
    answered was a web page: :func:`watching`)."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError  # not a BotoCoreError

    pages = Pages()
    try:
        with watching(pages):  # inside: the default session itself fails on an AWS_PROFILE that does not exist
            return call()
    except (BotoCoreError, ClientError, ResponseParserError, WebPageError) as error:
        report(f"error: {describe(step, place, error, pages.last)}")
        return 2
