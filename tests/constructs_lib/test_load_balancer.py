"""LoadBalancer alone: listeners by certificate, ingress CIDRs, egress, access logs, name limit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cdktf import Testing as CdktfTesting
from cdktf_cdktf_provider_aws.lb import Lb
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule

from constructs_lib.load_balancer import LoadBalancer, LoadBalancerProps
from tests.helpers import bare_stack, resources

BASE: dict[str, Any] = {"name": "example", "vpc_id": "vpc-12345678", "subnet_ids": ["subnet-1", "subnet-2"], "target_port": 8080}


def synth(**overrides: Any) -> dict[str, Any]:
    stack = bare_stack()
    balancer = LoadBalancer(stack, "lb", props=LoadBalancerProps(**{**BASE, **overrides}))
    balancer.allow_to("targets", security_group_id="sg-0123456789abcdef0", description="To the targets")
    return dict(json.loads(CdktfTesting.synth(stack)))


def listeners(document: dict[str, Any]) -> dict[int, str]:
    return {listener["port"]: listener["protocol"] for listener in resources(document, "aws_lb_listener").values()}


def test_certificate_arn_gives_https_and_a_redirect() -> None:
    document = synth(
        certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/x",
        ingress_cidrs=["203.0.113.0/24", "2001:db8::/32"],
        tls_policy="ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    )
    assert listeners(document) == {443: "HTTPS", 80: "HTTP"}
    assert "data" not in document or "aws_acm_certificate" not in document["data"]
    ingress = {
        (r["from_port"], r.get("cidr_ipv4") or r.get("cidr_ipv6"))
        for r in resources(document, "aws_vpc_security_group_ingress_rule").values()
    }
    assert ingress == {(80, "203.0.113.0/24"), (443, "203.0.113.0/24"), (80, "2001:db8::/32"), (443, "2001:db8::/32")}


def test_no_certificate_gives_plain_http() -> None:
    document = synth()
    assert listeners(document) == {80: "HTTP"}
    assert {(r["from_port"], r["cidr_ipv4"]) for r in resources(document, "aws_vpc_security_group_ingress_rule").values()} == {
        (80, "0.0.0.0/0")
    }
    assert "access_logs" not in next(iter(resources(document, Lb.TF_RESOURCE_TYPE).values()))


def test_egress_only_to_the_granted_targets() -> None:
    assert CdktfTesting.to_have_resource_with_properties(
        json.dumps(synth()),
        VpcSecurityGroupEgressRule.TF_RESOURCE_TYPE,
        {"referenced_security_group_id": "sg-0123456789abcdef0", "from_port": 8080, "to_port": 8080, "ip_protocol": "tcp"},
    )


def test_access_logs_bucket_and_deletion_protection() -> None:
    document = synth(access_logs_bucket="example-logs", deletion_protection=True)
    alb = next(iter(resources(document, Lb.TF_RESOURCE_TYPE).values()))
    assert alb["enable_deletion_protection"] is True
    assert alb["access_logs"]["enabled"] is True
    assert [b["bucket"] for b in resources(document, "aws_s3_bucket").values()] == ["example-logs"]


def test_name_longer_than_aws_allows_is_refused() -> None:
    with pytest.raises(ValueError, match="longer than 32 characters"):
        synth(name="x" * 33)


def test_traffic_shift_with_a_test_listener() -> None:
    """Two target groups; the serving (HTTPS) listener and the test listener each get one rule forwarding to both, all
    traffic to the first; only the test CIDRs reach the test port."""
    document = synth(
        certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/x",
        tls_policy="ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
        traffic_shift=True,
        test_listener_port=8443,
        test_ingress_cidrs=["10.20.0.0/16"],
        deregistration_delay_seconds=45,
        slow_start_seconds=60,
    )
    assert listeners(document) == {443: "HTTPS", 80: "HTTP", 8443: "HTTPS"}
    groups = resources(document, "aws_lb_target_group").values()
    assert sorted(g["name"] for g in groups) == ["example", "example-alt"]
    assert {(g["deregistration_delay"], g["slow_start"]) for g in groups} == {("45", 60)}
    rules = list(resources(document, "aws_lb_listener_rule").values())
    assert len(rules) == 2
    for rule in rules:
        assert [t["weight"] for t in rule["action"][0]["forward"]["target_group"]] == [100, 0]
        assert rule["lifecycle"] == {"ignore_changes": ["action"]}
    ingress = {(r["from_port"], r.get("cidr_ipv4")) for r in resources(document, "aws_vpc_security_group_ingress_rule").values()}
    assert ingress == {(80, "0.0.0.0/0"), (443, "0.0.0.0/0"), (8443, "10.20.0.0/16")}


def test_one_target_group_and_no_rule_without_traffic_shift() -> None:
    document = synth()
    assert [g["name"] for g in resources(document, "aws_lb_target_group").values()] == ["example"]
    assert not resources(document, "aws_lb_listener_rule")
    with pytest.raises(ValueError, match="a test listener needs traffic_shift"):
        synth(test_listener_port=8443, test_ingress_cidrs=["10.0.0.0/8"])


def test_https_takes_the_given_policy_on_every_listener_and_needs_one() -> None:
    document = synth(
        certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/x", tls_policy="ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
        traffic_shift=True, test_listener_port=8443, test_ingress_cidrs=["10.0.0.0/8"],
    )  # fmt: skip
    policies = {listener["port"]: listener.get("ssl_policy") for listener in resources(document, "aws_lb_listener").values()}
    assert policies == {443: "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09", 8443: "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09", 80: None}
    with pytest.raises(ValueError, match=r"^an HTTPS listener needs tls_policy$"):
        synth(certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/x")
