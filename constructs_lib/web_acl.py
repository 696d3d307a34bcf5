"""WebAcl: AWS WAF in front of the load balancer: a per-client rate limit, AWS's managed rule groups, and logs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.wafv2_web_acl import (
    Wafv2WebAcl,
    Wafv2WebAclDefaultAction,
    Wafv2WebAclDefaultActionAllow,
    Wafv2WebAclRule,
    Wafv2WebAclRuleAction,
    Wafv2WebAclRuleActionBlock,
    Wafv2WebAclRuleOverrideAction,
    Wafv2WebAclRuleOverrideActionNone,
    Wafv2WebAclRuleVisibilityConfig,
    Wafv2WebAclVisibilityConfig,
)
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from cdktf_cdktf_provider_aws.wafv2_web_acl_logging_configuration import (
    Wafv2WebAclLoggingConfiguration,
    Wafv2WebAclLoggingConfigurationLoggingFilter,
    Wafv2WebAclLoggingConfigurationLoggingFilterFilter,
    Wafv2WebAclLoggingConfigurationLoggingFilterFilterCondition,
    Wafv2WebAclLoggingConfigurationLoggingFilterFilterConditionActionCondition,
    Wafv2WebAclLoggingConfigurationRedactedFields,
    Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader,
)
from constructs import Construct

# Baseline protections for an HTTP API: OWASP-style common rules, known bad inputs (Log4Shell and the like),
# and addresses Amazon's threat intelligence lists as malicious.
MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList")
# Never written to the WAF logs: credentials and session tokens.
REDACTED_HEADERS = ("authorization", "cookie")


def log_group_name(name: str) -> str:
    """WAF delivers only to log groups whose name starts with aws-waf-logs-."""
    return f"aws-waf-logs-{name}"


@dataclass(frozen=True, kw_only=True)
class WebAclProps:
    name: str
    resource_arn: str
    """The load balancer to protect."""
    log_retention_days: int
    rate_limit_per_5_minutes: int = 2000
    """Requests one client IP may send in any 5 minutes before it is blocked. Default: 2000."""
    managed_rule_groups: Sequence[str] = MANAGED_RULE_GROUPS
    """AWS managed rule groups, evaluated after the rate limit. Default: MANAGED_RULE_GROUPS."""
    log_kms_key_arn: str | None = None
    """KMS key encrypting the WAF log group. Default: CloudWatch Logs' own encryption."""
    logged_actions: Sequence[Literal["BLOCK", "COUNT"]] = ("BLOCK",)
    """The requests written to the log, by the action WAF took; every other request is dropped from it (allowed
    customers' requests do not end up in a long-kept log). Default: blocked requests only."""


class WebAcl(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: WebAclProps) -> None:
        super().__init__(scope, id_)
        acl = Wafv2WebAcl(
            self,
            "acl",
            name=props.name,
            description=f"Protects the {props.name} load balancer",
            scope="REGIONAL",
            default_action=Wafv2WebAclDefaultAction(allow=Wafv2WebAclDefaultActionAllow()),
            visibility_config=_visibility(props.name),
            rule=[
                _rate_limit(props),
                *(_managed(props.name, group, priority) for priority, group in enumerate(props.managed_rule_groups, 1)),
            ],
        )
        Wafv2WebAclAssociation(self, "association", resource_arn=props.resource_arn, web_acl_arn=acl.arn)
        logs = CloudwatchLogGroup(
            self, "logs", name=log_group_name(props.name), retention_in_days=props.log_retention_days, kms_key_id=props.log_kms_key_arn
        )
        Wafv2WebAclLoggingConfiguration(
            self,
            "logging",
            resource_arn=acl.arn,
            log_destination_configs=[logs.arn],
            # docs.aws.amazon.com/waf/latest/APIReference/API_LoggingFilter.html: drop by default, keep what matches.
            logging_filter=Wafv2WebAclLoggingConfigurationLoggingFilter(
                default_behavior="DROP",
                filter=[
                    Wafv2WebAclLoggingConfigurationLoggingFilterFilter(
                        behavior="KEEP",
                        requirement="MEETS_ANY",
                        condition=[
                            Wafv2WebAclLoggingConfigurationLoggingFilterFilterCondition(
                                action_condition=Wafv2WebAclLoggingConfigurationLoggingFilterFilterConditionActionCondition(action=action)
                            )
                            for action in props.logged_actions
                        ],
                    )
                ],
            ),
            redacted_fields=[
                Wafv2WebAclLoggingConfigurationRedactedFields(
                    single_header=Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader(name=header)
                )
                for header in REDACTED_HEADERS
            ],
        )
        self.arn: str = acl.arn


def _visibility(metric_name: str) -> Wafv2WebAclVisibilityConfig:
    return Wafv2WebAclVisibilityConfig(cloudwatch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True)


def _rule_visibility(metric_name: str) -> Wafv2WebAclRuleVisibilityConfig:
    return Wafv2WebAclRuleVisibilityConfig(cloudwatch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True)


def _rate_limit(props: WebAclProps) -> Wafv2WebAclRule:
    return Wafv2WebAclRule(
        name="rate-limit",
        priority=0,
        action=Wafv2WebAclRuleAction(block=Wafv2WebAclRuleActionBlock()),
        statement={"rate_based_statement": {"limit": props.rate_limit_per_5_minutes, "aggregate_key_type": "IP"}},
        visibility_config=_rule_visibility(f"{props.name}-rate-limit"),
    )


def _managed(name: str, group: str, priority: int) -> Wafv2WebAclRule:
    return Wafv2WebAclRule(
        name=group,
        priority=priority,
        override_action=Wafv2WebAclRuleOverrideAction(none=Wafv2WebAclRuleOverrideActionNone()),
        statement={"managed_rule_group_statement": {"name": group, "vendor_name": "AWS"}},
        visibility_config=_rule_visibility(f"{name}-{group}"),
    )
