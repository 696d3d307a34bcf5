"""The rules configuration values must follow: AWS's formats and limits, and the checks that enforce them.

Each check raises ConfigError with one line: the field, the bad value, and what is allowed.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from stacks.errors import ConfigError

# CloudWatch Logs accepts exactly these retention periods (days).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)

# Fargate task sizes: CPU units -> the memory values (MiB) Fargate accepts with it.
FARGATE_MEMORY_BY_CPU: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}

MAX_TASKS = 100
DB_USER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
BACKUP_VAULT_ARN = re.compile(r"^arn:aws[a-z-]*:backup:[a-z]{2}(-[a-z]+)+-\d:\d{12}:backup-vault:[A-Za-z0-9_.-]{2,50}$")
# Where alarms may also go: an SNS topic, or an AWS Chatbot (Amazon Q Developer in chat) channel watching the topic.
NOTIFY_ARN = re.compile(
    r"^arn:aws[a-z-]*:(sns:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}|chatbot::\d{12}:chat-configuration/[a-z-]+/[A-Za-z0-9_.-]+)$"
)
MAX_AZS = 6  # the most Availability Zones a region has (us-east-1)
MIN_STORAGE_GIB = 20
MAX_STORAGE_GIB = 65536

# Environment names end physical names (wallet-service-<env> is a load balancer name: at most 32 characters).
ENVIRONMENT_NAME = re.compile(r"^[a-z][a-z0-9]{1,11}$")
VPC_ID = re.compile(r"^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
SUBNET_ID = re.compile(r"^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
REGION = re.compile(r"^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d$")
ACCOUNT_ID = re.compile(r"^[0-9]{12}$")  # [0-9]: Python's \d takes any Unicode digit
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
ACM_CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$")
# Docker's reference grammar for a tag; the same expression guards the Terraform variable.
IMAGE_TAG = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"
IMAGE_TAG_FORM = "a Docker tag: 1-128 of A-Z a-z 0-9 _ . -, not starting with . or -"
IMAGE_TAG_RULE = f"expected {IMAGE_TAG_FORM}"
# S3 bucket naming rules (no dots, so virtual-hosted TLS works).
BUCKET_NAME = re.compile(r"^(?!xn--)(?!sthree-)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
# ECR repository names: lowercase path segments.
ECR_REPOSITORY = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")
HEALTH_CHECK_PATH = re.compile(r"^/[A-Za-z0-9._~/-]{0,1023}$")
TAG_VALUE = re.compile(r"^[\w .:/=+\-@]{1,256}$")
# A tag key to look resources up by. "aws:" keys cannot be created (AWS reserves the prefix), but AWS sets them, e.g.
# CloudFormation's aws:cloudformation:stack-name, and a lookup may filter by them
# (docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html, "Tag naming limits and requirements").
TAG_FILTER_KEY = re.compile(r"^[\w .:/=+\-@]{1,128}$")
_BURSTABLE = ("micro", "small", "medium", "large", "xlarge", "2xlarge")
_TO_16XL = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
_TO_24XL = (*_TO_16XL, "24xlarge")
_TO_32XL = (*_TO_24XL, "32xlarge")
_TO_48XL = (*_TO_24XL, "48xlarge")
RDS_POSTGRESQL_CLASSES: frozenset[str] = frozenset(
    f"db.{family}.{size}"
    for family, sizes in {
        "t3": _BURSTABLE,
        "t4g": _BURSTABLE,
        "m5": _TO_24XL,
        "m5d": _TO_24XL,
        "m6g": _TO_16XL,
        "m6gd": _TO_16XL,
        "m6i": _TO_32XL,
        "m6id": _TO_32XL,
        "m6idn": _TO_32XL,
        "m6in": _TO_32XL,
        "m7g": _TO_16XL,
        "m7i": _TO_48XL,
        "m8g": _TO_48XL,
        "m8gd": _TO_48XL,
        "r5": _TO_24XL,
        "r5b": _TO_24XL,
        "r5d": _TO_24XL,
        "r6g": _TO_16XL,
        "r6gd": _TO_16XL,
        "r6i": _TO_32XL,
        "r6id": _TO_32XL,
        "r6idn": _TO_32XL,
        "r6in": _TO_32XL,
        "r7g": _TO_16XL,
        "r7i": _TO_48XL,
        "r8g": _TO_48XL,
        "r8gd": _TO_48XL,
        "x2g": _TO_16XL,
    }.items()
    for size in sizes
)
"""The current-generation DB instance classes of the families RDS for PostgreSQL runs on, in every size RDS has: the
general-purpose and memory-optimized families with their NVMe (d: Optimized Reads, docs.aws.amazon.com/AmazonRDS/
latest/UserGuide/USER_PostgreSQL.optimizedreads.html) and network-optimized (n) kinds, burstable t3/t4g and x2g; no
metal, no Oracle-only (tpc/mem) classes, no Multi-AZ-DB-cluster-only c6gd, none of x2idn/x2iedn/x2iezn/z1d. Sizes from
docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Summary.html, engines from
.../Concepts.DBInstanceClass.Support.html; recorded 2026-12-01. Which engine versions a class runs, and where, RDS
itself says, per Region (.../Concepts.DBInstanceClass.RegionSupport.html): `pipenv run preflight` asks it
(DescribeOrderableDBInstanceOptions). A class AWS adds later is added here, with the pages' date; costs/ prices what it
can of this list."""
# An AWS cron expression (docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html): minutes, hours,
# day-of-month, month, day-of-week, year, each with its own characters, and no step of 0.
CRON_EXPRESSION = re.compile(
    r"^cron\((?!.*/0(?![0-9]))[0-9,*/-]+ [0-9,*/-]+ (?P<day_of_month>[0-9,*/?LW-]+) [0-9A-Za-z,*/-]+ (?P<day_of_week>[0-9A-Za-z,*?L#-]+) [0-9,*/-]+\)$"
)
CRON_RULE = "expected an AWS cron expression such as 'cron(0 7 ? * MON *)': six fields, '?' in one of day-of-month and day-of-week"


def fail(field_name: str, value: object, allowed: str) -> None:
    raise ConfigError(f"{field_name}: {value!r} is not valid; {allowed}")


def check_pattern(field_name: str, value: str, pattern: re.Pattern[str] | str, allowed: str) -> None:
    if not re.fullmatch(pattern, value):
        fail(field_name, value, allowed)


def check_optional(field_name: str, value: str | None, pattern: re.Pattern[str] | str, allowed: str) -> None:
    """check_pattern for a setting whose None means "not set"."""
    if value is not None:
        check_pattern(field_name, value, pattern, allowed)


def check_range(field_name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        fail(field_name, value, f"expected a whole number from {low} to {high}")


def check_tag_filter(field_name: str, tags: Mapping[str, str]) -> None:
    """Tags a lookup filters by (subnets, the certificate): AWS's tag characters, "aws:" keys included."""
    for key, value in tags.items():
        check_pattern(f"{field_name} key", key, TAG_FILTER_KEY, "expected 1-128 tag characters")
        check_pattern(f"{field_name}[{key!r}]", value, TAG_VALUE, "expected 1-256 tag characters")


def check_db_instance_class(field_name: str, value: str) -> None:
    """A class of RDS_POSTGRESQL_CLASSES; the closest one is suggested for a misspelt class (db.m7g.lrage)."""
    if value not in RDS_POSTGRESQL_CLASSES:
        close = difflib.get_close_matches(value, sorted(RDS_POSTGRESQL_CLASSES), n=1)
        example = f"did you mean {close[0]!r}?" if close else "such as 'db.t4g.small' or 'db.m7g.large'"
        fail(
            field_name,
            value,
            f"expected a DB instance class RDS for PostgreSQL offers, {example} (list: RDS_POSTGRESQL_CLASSES in stacks/rules.py)",
        )


def check_cron(field_name: str, value: str) -> None:
    """CRON_EXPRESSION, and "?" in exactly one of day-of-month and day-of-week: "You can't use * in both the
    Day-of-month and Day-of-week fields. If you use it in one, you must use ? in the other" (eb-cron-expressions.html)."""
    match = CRON_EXPRESSION.fullmatch(value)
    if match is None or [match.group("day_of_month"), match.group("day_of_week")].count("?") != 1:
        fail(field_name, value, CRON_RULE)
