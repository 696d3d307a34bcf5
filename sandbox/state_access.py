"""Takes read access to one state object away, and gives it back, in the emulated account: a state that exists but
cannot be read (a missing permission).

    python -m sandbox.state_access deny|allow <bucket> <key>     # AWS_ENDPOINT_URL and test credentials set

deny adds to the bucket policy a statement that denies s3:GetObject on the key to everyone; allow removes it.
"""

from __future__ import annotations

import json
import sys

import boto3

SID = "TestDeniesStateRead"


def main(argv: list[str]) -> int:
    action, bucket, key = argv
    s3 = boto3.client("s3", region_name="us-east-1")
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    statements = [statement for statement in policy["Statement"] if statement.get("Sid") != SID]
    if action == "deny":
        statements.append(
            {"Sid": SID, "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/{key}"}
        )
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({**policy, "Statement": statements}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
