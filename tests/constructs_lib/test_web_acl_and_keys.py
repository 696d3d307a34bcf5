"""WebAcl and EncryptionKey alone."""

from __future__ import annotations

import json

from cdktf import Testing as CdktfTesting
from cdktf_cdktf_provider_aws.kms_key import KmsKey

from constructs_lib.database_backup import DatabaseBackup, DatabaseBackupProps
from constructs_lib.encryption_key import EncryptionKey, EncryptionKeyProps, ServiceGrant, log_groups_grant, same_account
from constructs_lib.web_acl import WebAcl, WebAclProps
from tests.helpers import bare_stack, data_sources, resources


def test_web_acl_rate_limit_and_groups_are_configurable() -> None:
    stack = bare_stack()
    WebAcl(
        stack,
        "waf",
        props=WebAclProps(
            name="example", resource_arn="arn:aws:elasticloadbalancing:lb", log_retention_days=14, rate_limit_per_5_minutes=300,
            managed_rule_groups=["AWSManagedRulesSQLiRuleSet"],
        ),
    )  # fmt: skip
    document = json.loads(CdktfTesting.synth(stack))
    [acl] = resources(document, "aws_wafv2_web_acl").values()
    assert [(r["priority"], r["name"]) for r in acl["rule"]] == [(0, "rate-limit"), (1, "AWSManagedRulesSQLiRuleSet")]
    assert acl["rule"][0]["statement"]["rate_based_statement"]["limit"] == 300
    [group] = resources(document, "aws_cloudwatch_log_group").values()
    assert (group["name"], group["retention_in_days"], "kms_key_id" in group) == ("aws-waf-logs-example", 14, False)
    [association] = resources(document, "aws_wafv2_web_acl_association").values()
    assert association["resource_arn"] == "arn:aws:elasticloadbalancing:lb"


def test_key_rotates_and_grants_only_what_is_asked() -> None:
    stack = bare_stack()
    EncryptionKey(
        stack,
        "key",
        props=EncryptionKeyProps(
            alias="example",
            description="Example",
            account_id="123456789012",
            partition="aws-us-gov",
            grants=[
                ServiceGrant(sid="Plain", services=["events.amazonaws.com"], actions=["kms:Decrypt"]),
                ServiceGrant(
                    sid="Guarded", services=["cloudwatch.amazonaws.com"], actions=["kms:Decrypt"], conditions=[same_account("123456789012")]
                ),
                log_groups_grant(region="us-gov-west-1", account_id="123456789012", log_groups=["/a"], partition="aws-us-gov"),
            ],
        ),
    )
    text = CdktfTesting.synth(stack)
    assert CdktfTesting.to_have_resource_with_properties(
        text, KmsKey.TF_RESOURCE_TYPE, {"enable_key_rotation": True, "deletion_window_in_days": 30}
    )
    [policy] = data_sources(json.loads(text), "aws_iam_policy_document").values()
    by_sid = {statement["sid"]: statement for statement in policy["statement"]}
    assert by_sid["AccountAdministers"]["principals"] == [{"type": "AWS", "identifiers": ["arn:aws-us-gov:iam::123456789012:root"]}]
    assert "condition" not in by_sid["Plain"]
    assert by_sid["Guarded"]["condition"] == [{"test": "StringEquals", "variable": "aws:SourceAccount", "values": ["123456789012"]}]
    assert by_sid["LogGroupsEncrypt"]["condition"][0]["values"] == ["arn:aws-us-gov:logs:us-gov-west-1:123456789012:log-group:/a"]
    assert by_sid["LogGroupsEncrypt"]["principals"] == [{"type": "Service", "identifiers": ["logs.us-gov-west-1.amazonaws.com"]}]


def test_compliance_lock_and_a_copy_to_another_account() -> None:
    stack = bare_stack()
    other = "arn:aws:backup:us-east-1:210987654321:backup-vault:wallet-copies"
    DatabaseBackup(
        stack,
        "backup",
        props=DatabaseBackupProps(
            name="example", account_id="123456789012", partition="aws", resource_arns=["arn:db"], retention_days=14,
            lock_min_days=10, lock_max_days=730, lock_mode="compliance", copy_vault_arn=other,
        ),
    )  # fmt: skip
    document = json.loads(CdktfTesting.synth(stack))
    [lock] = resources(document, "aws_backup_vault_lock_configuration").values()
    # The bounds are the lock's own, not the retention's. No prevent_destroy: it would stop governance -> compliance;
    # AWS itself refuses to delete a compliance lock past its 3 days of cooling-off.
    assert (lock["min_retention_days"], lock["max_retention_days"], lock["changeable_for_days"]) == (10, 730, 3)
    assert "lifecycle" not in lock
    [plan] = resources(document, "aws_backup_plan").values()
    assert plan["rule"][0]["copy_action"] == [{"destination_vault_arn": other, "lifecycle": {"delete_after": 14}}]
    assert len(resources(document, "aws_backup_vault")) == 1  # no copy Region given


def test_counted_requests_can_be_logged_too() -> None:
    stack = bare_stack()
    WebAcl(stack, "waf", props=WebAclProps(name="example", resource_arn="arn:lb", log_retention_days=30, logged_actions=("BLOCK", "COUNT")))
    [logging] = resources(json.loads(CdktfTesting.synth(stack)), "aws_wafv2_web_acl_logging_configuration").values()
    conditions = logging["logging_filter"]["filter"][0]["condition"]
    assert conditions == [{"action_condition": {"action": "BLOCK"}}, {"action_condition": {"action": "COUNT"}}]
