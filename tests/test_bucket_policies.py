"""sandbox/bucket_policies.py, the emulator's evaluation of S3 bucket policies for the caller, without a server: the
state bucket's grants as examples/accounts' wallet-state writes them (the emulated stage runs them for real)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sandbox import bucket_policies

DEV_DEPLOY = "arn:aws:iam::111111111111:role/wallet-service/wallet-service-deploy-dev"
DEV_PLAN = "arn:aws:iam::111111111111:role/wallet-service/wallet-service-plan-dev"
PROD_DEPLOY = "arn:aws:iam::222222222222:role/wallet-service/wallet-service-deploy-prod"
BUCKET = "arn:aws:s3:::state"
KEY = f"{BUCKET}/wallet-service/dev/terraform.tfstate"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "TLS", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [BUCKET, f"{BUCKET}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "Deploy", "Effect": "Allow", "Principal": {"AWS": DEV_DEPLOY}, "Action": ["s3:GetObject", "s3:PutObject"], "Resource": KEY},
        {"Sid": "Plan", "Effect": "Allow", "Principal": {"AWS": [DEV_PLAN]}, "Action": "s3:GetObject", "Resource": KEY},
        {"Sid": "Only", "Effect": "Deny", "Principal": "*", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": KEY,
         "Condition": {"ArnNotEquals": {"aws:PrincipalArn": [DEV_DEPLOY, DEV_PLAN]}, "StringNotEquals": {"aws:PrincipalAccount": "333333333333"}}},
    ],
}  # fmt: skip


class Bucket:
    """What get_permission reads of moto's FakeBucket."""

    def __init__(self, policy: dict[str, Any] | None) -> None:
        self.policy = json.dumps(policy).encode() if policy is not None else None
        self.account_id = "333333333333"


@pytest.mark.parametrize(
    ("caller", "action", "expected"),
    [
        ((DEV_DEPLOY, "111111111111"), "s3:PutObject", "PERMITTED"),
        ((DEV_PLAN, "111111111111"), "s3:GetObject", "PERMITTED"),
        ((DEV_PLAN, "111111111111"), "s3:HeadObject", "PERMITTED"),  # authorized as s3:GetObject
        ((DEV_PLAN, "111111111111"), "s3:PutObject", "DENIED"),  # another account: no Allow is a refusal
        ((PROD_DEPLOY, "222222222222"), "s3:GetObject", "DENIED"),  # the Deny of every other principal
        (("arn:aws:iam::333333333333:root", "333333333333"), "s3:PutObject", "NEUTRAL"),  # the bucket's own account
    ],
)
def test_the_state_bucket_policy_is_evaluated_for_the_caller(
    caller: tuple[str, str], action: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bucket_policies, "caller", lambda key: caller)
    bucket_policies.CALLER_KEY.set("ASIAEXAMPLE")
    assert bucket_policies.get_permission(Bucket(POLICY), action, KEY).name == expected


def test_a_plain_deny_holds_for_the_buckets_own_account_and_no_policy_leaves_it_to_iam(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bucket_policies, "caller", lambda key: ("arn:aws:iam::333333333333:root", "333333333333"))
    bucket_policies.CALLER_KEY.set("testing")
    deny = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": KEY}]}
    assert bucket_policies.get_permission(Bucket(deny), "s3:GetObject", KEY).name == "DENIED"
    assert bucket_policies.get_permission(Bucket(None), "s3:GetObject", KEY).name == "NEUTRAL"


def test_an_unknown_condition_applies_to_a_deny_and_not_to_an_allow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bucket_policies, "caller", lambda key: (DEV_DEPLOY, "111111111111"))
    bucket_policies.CALLER_KEY.set("ASIAEXAMPLE")
    unknown = {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
    allow = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": DEV_DEPLOY}, "Action": "s3:GetObject", "Resource": KEY, "Condition": unknown}
        ]
    }
    deny = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": KEY, "Condition": unknown}]}
    assert bucket_policies.get_permission(Bucket(allow), "s3:GetObject", KEY).name == "DENIED"  # cross-account, no Allow
    assert bucket_policies.get_permission(Bucket(deny), "s3:GetObject", KEY).name == "DENIED"


def test_an_unsigned_request_is_moto_s_own_answer() -> None:
    bucket_policies.CALLER_KEY.set(None)
    assert bucket_policies.get_permission(Bucket(POLICY), "s3:GetObject", KEY).name == "NEUTRAL"


def test_the_access_key_is_read_from_the_signature() -> None:
    header = "AWS4-HMAC-SHA256 Credential=testing/20261208/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc"
    found = bucket_policies.CREDENTIAL.search(header)
    assert found is not None and found[1] == "testing"
