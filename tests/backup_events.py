"""AWS's own example events of AWS Backup restore jobs, as the tests match the restore-test rule against them.

docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html, "Restore Job events": "if your restore job is part of
a restore testing plan, the parameter restoreTestingPlanArn is included" (in ``detail``, beside ``status``; the API's
DescribeRestoreJob has it as CreatedBy.RestoreTestingPlanArn, the event does not nest it); the page's examples are of
restore jobs outside any plan, so ``of_restore_test`` adds the field as the page says. The restore testing validation
page (restore-testing-validation.html) filters on the same ``detail.restoreTestingPlanArn``.
"""

from __future__ import annotations

import copy
from typing import Any

COMPLETED: dict[str, Any] = {
    "version": "0",
    "id": "ab32977c-378d-2122-e985-fgh4596f0709",
    "detail-type": "Restore Job State Change",
    "source": "aws.backup",
    "account": "1112233445566",
    "time": "2020-07-15T03:14:58Z",
    "region": "us-west-2",
    "resources": ["arn:aws:rds:us-west-2:1112233445566:snapshot:awsbackup:job-1a2bcd34-567e-8901-23f4-5g6hijkl7890"],
    "detail": {
        "restoreJobId": "AB123456-78C9-0123-456D-789012E34567",
        "backupVaultArn": "arn:aws:backup:us-west-2:1112233445566:backup-vault:ExampleVault",
        "recoveryPointArn": "arn:aws:backup:us-west-2:1112233445566:recovery-point:6f7fc1f8-2f2e-40ac-943b-8f8efa9ba99d",
        "sourceResourceArn": "arn:aws:rds:us-west-2:1112233445566:db:example-database",
        "backupSizeInBytes": "0",
        "creationDate": "2020-07-15T03:10:01.742Z",
        "iamRoleArn": "arn:aws:iam::1112233445566:role/RestoreTestRole",
        "percentDone": 0,
        "resourceType": "RDS",
        "status": "COMPLETED",
        "createdResourceArn": "arn:aws:rds:us-west-2:1112233445566:db:testinginstance1a2bcd34-567e-8901-23f4-5g6hijkl7890",
        "completionDate": "2020-07-15T03:14:53.128Z",
    },
}
"""The page's "State: COMPLETED" example (an RDS restore)."""

FAILED: dict[str, Any] = {
    "version": "0",
    "id": "ab32977c-378d-2122-e985-fgh4596f0709",
    "detail-type": "Restore Job State Change",
    "source": "aws.backup",
    "account": "1112233445566",
    "time": "2020-07-15T20:19:29Z",
    "region": "us-west-2",
    "resources": ["arn:aws:ec2:us-west-2::image/ami-12b3456dfb7f8cf90"],
    "detail": {
        "restoreJobId": "1B234A56-789B-01CD-2A34-4567A08901FD",
        "backupSizeInBytes": "22548578304",
        "creationDate": "2020-07-15T20:19:07.303Z",
        "iamRoleArn": "arn:aws:iam::1112233445566:role/TestAWSBackupRole",
        "percentDone": 0,
        "resourceType": "EC2",
        "status": "FAILED",
        "statusMessage": "AWS Backup does not permit attaching a new instance profile to an EC2 instance. Please restore using the "
        "backed up instance profile.",
    },
}
"""The page's "State: FAILED" example."""

RUNNING: dict[str, Any] = {
    "version": "0",
    "id": "ab32977c-378d-2122-e985-fgh4596f0709",
    "detail-type": "Restore Job State Change",
    "source": "aws.backup",
    "account": "1112233445566",
    "time": "2020-07-29T20:26:06Z",
    "region": "us-west-2",
    "resources": ["arn:aws:ec2:us-west-2::snapshot/snap-0fe123ca456cfad7c"],
    "detail": {
        "restoreJobId": "1B234A56-789B-01CD-2A34-4567A08901FD",
        "backupSizeInBytes": "3221225472",
        "creationDate": "2020-07-29T20:26:00.098Z",
        "iamRoleArn": "arn:aws:iam::1112233445566:role/RestoreTestRole",
        "percentDone": 0,
        "resourceType": "EBS",
        "status": "RUNNING",
    },
}
"""The page's "State: RUNNING" example (not an end: no message)."""

OTHER_PLAN = "arn:aws:backup:us-west-2:1112233445566:restore-testing-plan:other_team_restore_test-8a3f0b21-5c4d-4e6f-9a7b-1c2d3e4f5a6b"
"""A restore testing plan of somebody else in the same account."""


def of_restore_test(event: dict[str, Any], plan_arn: str) -> dict[str, Any]:
    """``event`` as a job of restore testing plan ``plan_arn`` sends it."""
    made = copy.deepcopy(event)
    made["detail"]["restoreTestingPlanArn"] = plan_arn
    return made
