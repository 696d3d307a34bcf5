"""What an operator does by hand in the console, in the emulated account: docs/runbook.md#3-destroy-rules, pre-production's
"switch deletion protection off deliberately, then destroy"; a log group's retention changed outside Terraform (what
the nightly drift check must name).

    python -m sandbox.console unprotect-database <region> <identifier>   # AWS_ENDPOINT_URL, test credentials set
    python -m sandbox.console log-retention <region> <log group> <days>  # prints the retention it had
"""

from __future__ import annotations

import sys

import boto3


def main(argv: list[str]) -> int:
    action, region, identifier, *values = argv
    if action == "unprotect-database":
        boto3.client("rds", region_name=region).modify_db_instance(
            DBInstanceIdentifier=identifier, DeletionProtection=False, ApplyImmediately=True
        )
    elif action == "log-retention":
        logs = boto3.client("logs", region_name=region)
        [group] = [
            item for item in logs.describe_log_groups(logGroupNamePrefix=identifier)["logGroups"] if item["logGroupName"] == identifier
        ]
        logs.put_retention_policy(logGroupName=identifier, retentionInDays=int(values[0]))
        print(group["retentionInDays"])
    else:
        raise SystemExit(f"unknown action {action!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
