"""What a policy scanner cannot see: every network path and every IAM permission, walked and justified."""

from __future__ import annotations

import fnmatch
from typing import Any

from tests.conftest import ENV_STACKS, Build
from tests.expected import EXPECTED
from tests.helpers import data_sources, resources

LB_GROUP = "${aws_security_group.load_balancer_security_group.id}"
# "*" is a resource only where AWS offers nothing narrower.
STAR_RESOURCE_ACTIONS = {
    "ecr:GetAuthorizationToken",  # authorizes against the whole registry
    "ssmmessages:CreateControlChannel",  # ECS Exec (dev): Session Manager channels have no resource ARNs
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
    # The traffic-shift role (canary environments): ELB's Describe actions have no resource-level permissions.
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
}


def rules(document: dict[str, Any], direction: str) -> dict[str, dict[str, Any]]:
    return resources(document, f"aws_vpc_security_group_{direction}_rule")


def listener_ports(stack: str) -> set[int]:
    return {80, 443} if EXPECTED[stack].https else {80}


def test_internet_reaches_only_the_load_balancer_listeners(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    document = parsed[env_stack]
    open_rules = [rule for rule in rules(document, "ingress").values() if "cidr_ipv4" in rule or "cidr_ipv6" in rule]
    assert {(rule["security_group_id"], rule["from_port"], rule["to_port"]) for rule in open_rules} == {
        (LB_GROUP, port, port) for port in listener_ports(env_stack)
    }


def test_every_other_rule_names_a_security_group_or_an_endpoint_path(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    document = parsed[env_stack]
    for direction in ("ingress", "egress"):
        for name, rule in rules(document, direction).items():
            assert rule["description"], name
            assert rule["ip_protocol"] == "tcp" and rule["from_port"] == rule["to_port"], name
            if direction == "ingress" and rule["security_group_id"] == LB_GROUP:
                continue
            peer = rule.get("referenced_security_group_id") or rule.get("prefix_list_id")
            assert peer in {
                "${aws_security_group.load_balancer_security_group.id}",
                "${aws_security_group.service_task_security_group.id}",
                "${aws_security_group.migration_task_security_group.id}",
                "${aws_security_group.database_security_group.id}",
                "${aws_security_group.endpoints_security_group.id}",
                "${aws_vpc_endpoint.endpoints_s3.prefix_list_id}",
            }, name


def test_the_expected_paths_and_no_others(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    def short(reference: str) -> str:
        return reference.removeprefix("${aws_security_group.").removesuffix("_security_group.id}").removeprefix("${aws_vpc_endpoint.")

    document = parsed[env_stack]
    paths = {
        (
            short(rule["security_group_id"]),
            direction,
            short(rule.get("referenced_security_group_id") or rule.get("prefix_list_id") or "internet"),
            rule["from_port"],
        )
        for direction in ("ingress", "egress")
        for rule in rules(document, direction).values()
    }
    expected = {("load_balancer", "ingress", "internet", port) for port in listener_ports(env_stack)} | {
        ("load_balancer", "egress", "service_task", 8080),
        ("service_task", "ingress", "load_balancer", 8080),
        ("database", "ingress", "service_task", 5432),
        ("database", "ingress", "migration_task", 5432),
        ("endpoints", "ingress", "service_task", 443),
        ("endpoints", "ingress", "migration_task", 443),
    }
    for task in ("service_task", "migration_task"):
        expected |= {
            (task, "egress", "database", 5432),
            (task, "egress", "endpoints", 443),
            (task, "egress", "endpoints_s3.prefix_list_id}", 443),
        }
    assert paths == expected


def test_security_groups_have_no_inline_rules(any_build: Build, env_stack: str) -> None:
    for name, group in resources(any_build.parsed[env_stack], "aws_security_group").items():
        assert "ingress" not in group and "egress" not in group, name
        assert group["description"], name


def statements(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, statement) for name, policy in data_sources(document, "aws_iam_policy_document").items() for statement in policy["statement"]
    ]


# In a KMS key policy "*" as resource means the key itself.
KEY_POLICIES = {"alarms_key_policy", "logs_key_policy", "database_key_policy", "backup_vault_key_policy", "backup_copy_vault_key_policy"}


def is_account_root_key_admin(name: str, statement: dict[str, Any]) -> bool:
    """The one kms:* grant: the account root in a key policy, as AWS's default key policy has it (else the key
    can become unmanageable). It delegates to IAM; it grants no service and no other account anything."""
    principals = statement.get("principals", [])
    return (
        name in KEY_POLICIES
        and statement["actions"] == ["kms:*"]
        and len(principals) == 1
        and principals[0]["type"] == "AWS"
        and principals[0]["identifiers"] == ["arn:aws:iam::${data.aws_caller_identity.account.account_id}:root"]
    )


def test_no_star_action_in_any_allow(any_build: Build, env_stack: str) -> None:
    for name, statement in statements(any_build.parsed[env_stack]):
        if statement.get("effect", "Allow") == "Deny" or is_account_root_key_admin(name, statement):
            continue  # the TLS-only bucket policies deny s3:* on purpose
        assert not [action for action in statement.get("actions", []) if action == "*" or action.endswith(":*")], name
        assert "not_actions" not in statement, name


# Services of which no action may ever hold on every resource (keys, secrets, identities, the database).
NEVER_ON_EVERY_RESOURCE = ("iam:", "sts:", "kms:", "secretsmanager:", "ssm:", "rds-db:", "rds:", "organizations:", "sso:")


def test_star_resource_only_where_aws_allows_nothing_narrower(any_build: Build, env_stack: str) -> None:
    """STAR_RESOURCE_ACTIONS; and the sidecars' declared actions (their own policy), exact ones, never of a service
    that holds keys, secrets, identities or the database."""
    for name, statement in statements(any_build.parsed[env_stack]):
        if "*" not in statement.get("resources", []) or name in KEY_POLICIES:
            continue
        if name == "service_task_iam_sidecar_policy_document":
            assert not [a for a in statement["actions"] if "*" in a or a.startswith(NEVER_ON_EVERY_RESOURCE)], statement["actions"]
        else:
            assert set(statement["actions"]) <= STAR_RESOURCE_ACTIONS, name


def test_execution_roles_are_scoped_to_exact_arns(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    """Both pull the image and write their own logs; only the migration task's reads the master secret, and decrypts
    it with the database key through Secrets Manager only."""
    policies = data_sources(parsed[env_stack], "aws_iam_policy_document")
    for task in ("service", "migration"):
        by_sid = {s["sid"]: s for s in policies[f"{task}_task_iam_execution_policy_document"]["statement"]}
        assert by_sid["EcrPull"]["resources"] == ["${data.aws_ecr_repository.image_repository.arn}"]
        assert by_sid["EcrPull"]["actions"] == ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
        assert by_sid["Logs"]["resources"] == [f"${{aws_cloudwatch_log_group.{task}_task_log_group.arn}}:log-stream:*"]
        trust = policies[f"{task}_task_iam_trust"]["statement"][0]
        assert trust["principals"] == [{"type": "Service", "identifiers": ["ecs-tasks.amazonaws.com"]}]
        assert trust["condition"] == [
            {"test": "StringEquals", "variable": "aws:SourceAccount", "values": ["${data.aws_caller_identity.account.account_id}"]}
        ]
    service = {s["sid"] for s in policies["service_task_iam_execution_policy_document"]["statement"]}
    assert service == {"EcrLogin", "EcrPull", "Logs"}  # no Secrets, no key: the service cannot read the master secret
    migration = {s["sid"]: s for s in policies["migration_task_iam_execution_policy_document"]["statement"]}
    assert migration["Secrets"] == {
        "sid": "Secrets",
        "actions": ["secretsmanager:GetSecretValue"],
        "resources": ["${aws_db_instance.database_instance.master_user_secret[0].secret_arn}"],
    }
    assert migration["SecretsKey"] == {
        "sid": "SecretsKey",
        "actions": ["kms:Decrypt"],
        "resources": ["${aws_kms_key.database_key_key.arn}"],
        "condition": [{"test": "StringEquals", "variable": "kms:ViaService", "values": ["secretsmanager.us-east-1.amazonaws.com"]}],
    }


def test_the_service_connects_as_its_own_database_user_only(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    """rds-db:connect on exactly the application user of this instance, in the service's task role; the migration
    task's role has none."""
    document = parsed[env_stack]
    [statement] = data_sources(document, "aws_iam_policy_document")["service_task_iam_database_policy_document"]["statement"]
    assert statement == {
        "sid": "DatabaseConnect",
        "actions": ["rds-db:connect"],
        "resources": [
            "arn:aws:rds-db:us-east-1:${data.aws_caller_identity.account.account_id}:dbuser:"
            "${aws_db_instance.database_instance.resource_id}/wallet_app"
        ],
    }
    policy = resources(document, "aws_iam_role_policy")["service_task_iam_database_policy"]
    assert policy["role"] == "${aws_iam_role.service_task_iam_task_role.id}"
    assert "migration_task_iam_database_policy" not in resources(document, "aws_iam_role_policy")


def test_task_role_has_no_permissions_but_the_database_user_outside_dev(parsed: dict[str, dict[str, Any]]) -> None:
    for stack in [stack for stack in ENV_STACKS if not EXPECTED[stack].ecs_exec]:
        task_policies = [
            name
            for name, p in resources(parsed[stack], "aws_iam_role_policy").items()
            if p["role"] == "${aws_iam_role.service_task_iam_task_role.id}"
        ]
        assert task_policies == ["service_task_iam_database_policy"]
        attachments = {(p["role"], p["policy_arn"]) for p in resources(parsed[stack], "aws_iam_role_policy_attachment").values()}
        # AWS's managed policies go only to the roles of RDS monitoring, AWS Backup's backups and its restore tests.
        assert attachments <= {
            ("${aws_iam_role.database_monitoring_role.name}", "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"),
            ("${aws_iam_role.backup_role.name}", "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"),
            ("${aws_iam_role.backup_restore_role.name}", "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"),
        }


def test_without_endpoints_tasks_reach_aws_through_nat_only(customized: dict[str, Any]) -> None:
    without_endpoints = customized  # vpc_endpoints: false
    assert not resources(without_endpoints, "aws_vpc_endpoint")
    open_egress = [rule for rule in rules(without_endpoints, "egress").values() if "cidr_ipv4" in rule]
    assert {(rule["security_group_id"], rule["from_port"], rule["cidr_ipv4"]) for rule in open_egress} == {
        ("${aws_security_group.service_task_security_group.id}", 443, "0.0.0.0/0"),
        ("${aws_security_group.migration_task_security_group.id}", 443, "0.0.0.0/0"),
    }
    assert all("NAT" in rule["description"] for rule in open_egress)


def test_every_log_group_is_encrypted_with_the_logs_key(parsed: dict[str, dict[str, Any]], env_stack: str) -> None:
    document = parsed[env_stack]
    groups = resources(document, "aws_cloudwatch_log_group")
    assert len(groups) == 5
    assert {group["kms_key_id"] for group in groups.values()} == {"${aws_kms_key.logs_key_key.arn}"}
    environment = env_stack.removeprefix("wallet-")
    grant = next(
        s for s in data_sources(document, "aws_iam_policy_document")["logs_key_policy"]["statement"] if s["sid"] == "LogGroupsEncrypt"
    )
    assert grant["principals"] == [{"type": "Service", "identifiers": ["logs.us-east-1.amazonaws.com"]}]
    prefix = "arn:aws:logs:us-east-1:${data.aws_caller_identity.account.account_id}:log-group:"
    assert grant["condition"] == [
        {
            "test": "ArnLike",
            "variable": "kms:EncryptionContext:aws:logs:arn",
            "values": [
                f"{prefix}/aws/ecs/wallet-service/{environment}",
                f"{prefix}/aws/ecs/WalletMigrations/{environment}",
                f"{prefix}/aws/rds/instance/wallet-service-{environment}/*",
                f"{prefix}aws-waf-logs-wallet-service-{environment}",
            ],
        }
    ]
    # every log group the key serves is one of the stack's, and every one of the stack's is served
    names = {group["name"] for group in groups.values()}
    assert all(any(fnmatch.fnmatch(name, value.removeprefix(prefix)) for value in grant["condition"][0]["values"]) for name in names)
