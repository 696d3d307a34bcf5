"""The golden lists of Terraform addresses per stack (tests/golden/<stack>.txt).

An address is a resource's identity in the state: renaming one destroys and recreates the
resource. The test compares the synthesized addresses with these files, so every such change is
deliberate. After a reviewed change: `pipenv run update-golden`, then commit the files.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"


def addresses(document: dict[str, Any]) -> list[str]:
    found = [f"{kind}.{name}" for kind, items in document.get("resource", {}).items() for name in items]
    found += [f"data.{kind}.{name}" for kind, items in document.get("data", {}).items() for name in items]
    return sorted(found)


def golden_path(stack_name: str) -> Path:
    return GOLDEN_DIR / f"{stack_name}.txt"


def read_golden(stack_name: str) -> list[str]:
    return golden_path(stack_name).read_text().splitlines()


def main() -> int:
    sys.path.insert(0, str(GOLDEN_DIR.parent.parent))
    from stacks import config, runtime

    runtime.prepare()
    from stacks.app import build_app

    with tempfile.TemporaryDirectory() as outdir:
        build_app(config.load({}), outdir=outdir).synth()
        for stack_dir in sorted((Path(outdir) / "stacks").iterdir()):
            document = json.loads((stack_dir / "cdk.tf.json").read_text())
            golden_path(stack_dir.name).write_text("\n".join(addresses(document)) + "\n")
            print(f"wrote {golden_path(stack_dir.name).relative_to(Path.cwd())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
