"""The DB instance classes the configuration accepts: those RDS for PostgreSQL offers, each family in its sizes."""

from __future__ import annotations

import pytest

from stacks import config
from stacks.errors import ConfigError

# Family -> (its smallest size, its largest size, the next size up, which RDS does not have in that family), as AWS's
# hardware specifications page lists them (Concepts.DBInstanceClass.Summary.html).
FAMILIES = {
    "t3": ("micro", "2xlarge", "4xlarge"),
    "t4g": ("micro", "2xlarge", "4xlarge"),
    "m5": ("large", "24xlarge", "32xlarge"),
    "m6g": ("large", "16xlarge", "24xlarge"),
    "m6i": ("large", "32xlarge", "48xlarge"),
    "m7g": ("large", "16xlarge", "24xlarge"),
    "m7i": ("large", "48xlarge", "64xlarge"),
    "m8g": ("large", "48xlarge", "64xlarge"),
    "r5": ("large", "24xlarge", "32xlarge"),
    "r6g": ("large", "16xlarge", "24xlarge"),
    "r6i": ("large", "32xlarge", "48xlarge"),
    "r7g": ("large", "16xlarge", "24xlarge"),
    "r7i": ("large", "48xlarge", "64xlarge"),
    "r8g": ("large", "48xlarge", "64xlarge"),
    # the NVMe (Optimized Reads) and network-optimized kinds, and x2g
    "m5d": ("large", "24xlarge", "32xlarge"),
    "m6gd": ("large", "16xlarge", "24xlarge"),
    "m6id": ("large", "32xlarge", "48xlarge"),
    "m6idn": ("large", "32xlarge", "48xlarge"),
    "m6in": ("large", "32xlarge", "48xlarge"),
    "m8gd": ("large", "48xlarge", "64xlarge"),
    "r5b": ("large", "24xlarge", "32xlarge"),
    "r5d": ("large", "24xlarge", "32xlarge"),
    "r6gd": ("large", "16xlarge", "24xlarge"),
    "r6id": ("large", "32xlarge", "48xlarge"),
    "r6idn": ("large", "32xlarge", "48xlarge"),
    "r6in": ("large", "32xlarge", "48xlarge"),
    "r8gd": ("large", "48xlarge", "64xlarge"),
    "x2g": ("large", "16xlarge", "24xlarge"),
}
FIELDS = ("db_instance_class", "restore_testing_db_instance_class")


def prod(override: dict[str, str]) -> config.EnvironmentConfig:
    return next(c for c in config.load({"wallet-prod": override}) if c.stack_name == "wallet-prod")


@pytest.mark.parametrize("field_name", FIELDS)
@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_is_accepted_from_its_smallest_to_its_largest_size(field_name: str, family: str) -> None:
    smallest, largest, _ = FAMILIES[family]
    for size in (smallest, largest):
        assert getattr(prod({field_name: f"db.{family}.{size}"}), field_name) == f"db.{family}.{size}"


@pytest.mark.parametrize("family", FAMILIES)
def test_a_size_the_family_does_not_have_is_refused(family: str) -> None:
    too_large = f"db.{family}.{FAMILIES[family][2]}"
    with pytest.raises(ConfigError, match=rf"^wallet-prod: db_instance_class: '{too_large}' is not valid; expected a DB instance class"):
        config.load({"wallet-prod": {"db_instance_class": too_large}})


def test_the_issues_realistic_prod_classes_are_accepted() -> None:
    for instance_class in ("db.m7g.large", "db.r7g.large", "db.m7i.xlarge", "db.r6i.2xlarge"):
        assert prod({"db_instance_class": instance_class}).db_instance_class == instance_class


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "db.m7g.lrage",
            "wallet-prod: db_instance_class: 'db.m7g.lrage' is not valid; expected a DB instance class RDS for PostgreSQL "
            "offers, did you mean 'db.m7g.large'? (list: RDS_POSTGRESQL_CLASSES in stacks/rules.py)",
        ),
        (
            "huge",
            "wallet-prod: db_instance_class: 'huge' is not valid; expected a DB instance class RDS for PostgreSQL "
            "offers, such as 'db.t4g.small' or 'db.m7g.large' (list: RDS_POSTGRESQL_CLASSES in stacks/rules.py)",
        ),
    ],
)
def test_a_class_rds_does_not_offer_is_one_line_with_the_closest_class(value: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config.load({"wallet-prod": {"db_instance_class": value}})
    assert str(raised.value) == message


@pytest.mark.parametrize(
    "value", ["db.t2.micro", "db.m4.large", "db.m6i.metal", "db.m7i.metal-24xl", "db.r5.large.tpc1.mem2x", "db.c6gd.large", "db.z1d.large"]
)
def test_previous_generations_metal_oracle_and_cluster_only_classes_are_refused(value: str) -> None:
    with pytest.raises(ConfigError, match=r"expected a DB instance class RDS for PostgreSQL offers"):
        config.load({"wallet-prod": {"db_instance_class": value}})
