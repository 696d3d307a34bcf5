"""What an operator does by hand in the console, in the emulated account: docs/runbook.md#3-destroy-rules, pre-production's
"switch deletion protection off deliberately, then destroy".

    python -m tests.emulator.console unprotect-database <region> <identifier>   # AWS_ENDPOINT_URL, test credentials set
"""

from __future__ import annotations

import sys

import boto3


def main(argv: list[str]) -> int:
    action, region, identifier = argv
    if action != "unprotect-database":
        raise SystemExit(f"unknown action {action!r}")
    boto3.client("rds", region_name=region).modify_db_instance(
        DBInstanceIdentifier=identifier, DeletionProtection=False, ApplyImmediately=True
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
