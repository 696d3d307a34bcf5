"""WAF in front of every environment's load balancer: association, rate limit, managed rule groups, logs."""

from __future__ import annotations

from typing import Any

from tests.expected import EXPECTED
from tests.helpers import resources


def test_web_acl_protects_the_load_balancer(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    document = parsed[env_stack]
    name = f"wallet-service-{EXPECTED[env_stack].environment}"
    [association] = resources(document, "aws_wafv2_web_acl_association").values()
    assert association == {
        **association,
        "resource_arn": "${aws_lb.load_balancer_alb.arn}",
        "web_acl_arn": "${aws_wafv2_web_acl.waf_acl.arn}",
    }
    acl = resources(document, "aws_wafv2_web_acl")["waf_acl"]
    assert (acl["name"], acl["scope"], acl["default_action"]) == (name, "REGIONAL", {"allow": {}})
    rules = sorted(acl["rule"], key=lambda rule: rule["priority"])
    assert [rule["name"] for rule in rules] == [
        "rate-limit",
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    ]
    assert rules[0]["action"] == {"block": {}}
    assert rules[0]["statement"] == {"rate_based_statement": {"limit": 2000, "aggregate_key_type": "IP"}}
    for rule in rules[1:]:
        assert rule["override_action"] == {"none": {}}  # the groups' own block actions apply
        assert rule["statement"] == {"managed_rule_group_statement": {"name": rule["name"], "vendor_name": "AWS"}}
    assert all(rule["visibility_config"]["cloudwatch_metrics_enabled"] for rule in rules)


def test_waf_logs_are_kept_and_redact_credentials(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    document = parsed[env_stack]
    c = EXPECTED[env_stack]
    group = resources(document, "aws_cloudwatch_log_group")["waf_logs"]
    assert (group["name"], group["retention_in_days"]) == (f"aws-waf-logs-wallet-service-{c.environment}", c.log_days)
    [logging] = resources(document, "aws_wafv2_web_acl_logging_configuration").values()
    assert logging["log_destination_configs"] == ["${aws_cloudwatch_log_group.waf_logs.arn}"]
    assert logging["redacted_fields"] == [{"single_header": {"name": "authorization"}}, {"single_header": {"name": "cookie"}}]
    # Only blocked requests are written: customers' allowed requests stay out of a log kept up to a year.
    assert logging["logging_filter"] == {
        "default_behavior": "DROP",
        "filter": [{"behavior": "KEEP", "requirement": "MEETS_ANY", "condition": [{"action_condition": {"action": "BLOCK"}}]}],
    }


def test_waf_can_be_switched_off(customized: dict[str, Any]) -> None:
    assert not resources(customized, "aws_wafv2_web_acl")
    assert not resources(customized, "aws_wafv2_web_acl_association")
