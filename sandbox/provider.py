"""Which AWS provider the tests run Terraform with, and what a test's copy of a stack needs for it.

The stacks pin hashicorp/aws at the version of the prebuilt bindings (6.25.0). Terraform installs that version when a
registry or a local mirror has it. This machine reaches no Terraform registry; its image carries a filesystem mirror
with 5.100.0. Then the tests use the newest version in the mirror and remove, in the test's copy only, exactly the
arguments of REMOVALS, which that version's schema lacks (tests/test_emulated_account.py proves both: the mirror's
provider validates every stack after the removals, and not without them). What the removals take out is verified
only by a plan with the pinned version (docs/verification.md).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SOURCE = "registry.terraform.io/hashicorp/aws"
MIRROR_ENV = "WALLET_TF_PROVIDER_MIRROR"
"""A filesystem mirror to use instead of the ones searched (MIRRORS)."""
# Terraform's implied local mirror directories on Linux (developer.hashicorp.com/terraform/cli/config/config-file,
# "Implied Local Mirror Directories"), and where this machine's image puts its mirror.
MIRRORS = (
    Path.home() / ".terraform.d" / "plugins",
    Path.home() / ".local" / "share" / "terraform" / "plugins",
    Path("/usr/local/share/terraform/plugins"),
    Path("/usr/share/terraform/plugins"),
    Path("/opt/tf-plugins"),
)
PLATFORM = "linux_amd64"
OVERRIDE_FILE = "emulator_override.tf.json"


@dataclass(frozen=True)
class Removal:
    """An argument or block that the pinned provider has and an older one lacks, removed from the test's copy."""

    resource_type: str
    path: tuple[str, ...]
    """Keys from the resource down to what is removed; a list on the way is followed into every element."""
    reason: str


REMOVALS = (
    Removal(
        "aws_ecs_service",
        ("deployment_configuration",),
        "the ECS deployment strategy block (rolling, canary, linear, blue/green; provider 6.x): 5.100.0 knows no such "
        "block, and without it ECS rolls (its default), so the plan differs only in the strategy",
    ),
    Removal(
        "aws_ecs_service",
        ("load_balancer", "advanced_configuration"),
        "the second target group, production rule and traffic-shift role of that strategy (provider 6.x)",
    ),
)
REMOVED_BELOW_MAJOR = 6


@dataclass(frozen=True)
class ProviderChoice:
    version: str
    mirror: Path | None
    """The filesystem mirror that has ``version``; None: Terraform installs it from the registry."""

    @property
    def removes(self) -> bool:
        return int(self.version.split(".")[0]) < REMOVED_BELOW_MAJOR

    def cli_config(self) -> str:
        """A Terraform CLI configuration file (TF_CLI_CONFIG_FILE) that installs the provider from its mirror only."""
        if self.mirror is None:
            return ""
        return (
            "provider_installation {\n"
            f'  filesystem_mirror {{\n    path    = "{self.mirror}"\n    include = ["{SOURCE}"]\n  }}\n'
            f'  direct {{\n    exclude = ["{SOURCE}"]\n  }}\n'
            "}\n"
        )


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def mirrored_versions(mirrors: tuple[Path, ...] | None = None) -> dict[str, Path]:
    """Version -> the mirror holding a linux_amd64 build of hashicorp/aws (the unpacked layout)."""
    if mirrors is None:
        mirrors = (Path(os.environ[MIRROR_ENV]),) if os.environ.get(MIRROR_ENV) else MIRRORS
    found: dict[str, Path] = {}
    for mirror in mirrors:
        for build in sorted((mirror / SOURCE).glob(f"*/{PLATFORM}/terraform-provider-aws_v*")):
            if re.fullmatch(r"\d+\.\d+\.\d+", build.parent.parent.name):  # releases only
                found.setdefault(build.parent.parent.name, mirror)
    return found


def choose(pinned: str, mirrored: dict[str, Path]) -> ProviderChoice:
    """The pinned version where a mirror has it, else the newest mirrored one, else the pinned one from the registry."""
    if pinned in mirrored:
        return ProviderChoice(pinned, mirrored[pinned])
    if mirrored:
        newest = max(mirrored, key=_version_key)
        return ProviderChoice(newest, mirrored[newest])
    return ProviderChoice(pinned, None)


def pinned_version(document: dict[str, Any]) -> str:
    return str(document["terraform"]["required_providers"]["aws"]["version"])


def remove(document: dict[str, Any]) -> list[str]:
    """Takes REMOVALS out of ``document`` (in place); the addresses and paths removed."""
    removed = []
    for removal in REMOVALS:
        for name, resource in document.get("resource", {}).get(removal.resource_type, {}).items():
            if _remove_path(resource, removal.path):
                removed.append(f"{removal.resource_type}.{name}.{'.'.join(removal.path)}")
    return removed


def _remove_path(node: Any, path: tuple[str, ...]) -> bool:
    if isinstance(node, list):
        return any([_remove_path(item, path) for item in node])
    if not isinstance(node, dict) or path[0] not in node:
        return False
    if len(path) == 1:
        del node[path[0]]
        return True
    return _remove_path(node[path[0]], path[1:])


def adapt(stack_dir: Path, choice: ProviderChoice, *, removals: bool = True) -> None:
    """The test's copy of a synthesized stack, for ``choice`` and the emulator: the provider version it requires, the
    REMOVALS where that version lacks them (``removals`` False: not, to show what the version makes of them), path-style
    S3 addresses for the backend, and an override file with what the emulator needs of the provider."""
    path = stack_dir / "cdk.tf.json"
    document = json.loads(path.read_text())
    if removals and choice.removes:
        remove(document)
    document["terraform"]["required_providers"]["aws"]["version"] = choice.version
    # S3 on 127.0.0.1 needs path-style addresses (no <bucket>.127.0.0.1 host names), for the backend as for the provider.
    if "s3" in document["terraform"].get("backend", {}):
        document["terraform"]["backend"]["s3"]["use_path_style"] = True
    path.write_text(json.dumps(document, indent=2))
    aliases = [block.get("alias") for block in document.get("provider", {}).get("aws", [])]
    # The endpoint and credentials come from the environment (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...), as for the
    # S3 backend and the scripts' boto3.
    blocks = [{**({"alias": alias} if alias else {}), "s3_use_path_style": True} for alias in aliases]
    (stack_dir / OVERRIDE_FILE).write_text(json.dumps({"provider": {"aws": blocks}}, indent=2))
