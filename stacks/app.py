"""Builds the cdktf App: one WalletStack per environment and the wallet-state bootstrap stack."""

from __future__ import annotations

import json
import os
from pathlib import Path

from cdktf import App, TerraformStack

from constructs_lib.secure_bucket import KeyGrant
from stacks import accounts
from stacks.config import STATE_STACK, EnvironmentConfig, state_account
from stacks.roles_stack import RolesStack
from stacks.state_stack import StateStack
from stacks.wallet_stack import WalletStack


def build_app(configs: list[EnvironmentConfig], outdir: str | None = None) -> App:
    """``outdir`` None: cdktf's own choice (CDKTF_OUTDIR from the CLI, else cdktf.out)."""
    app = App(outdir=outdir)
    for config in configs:
        WalletStack(app, config.stack_name, config=config)
    shared = configs[0]
    tags = {key: value for key, value in shared.tags.items() if key != "Environment"}
    StateStack(
        app,
        STATE_STACK,
        bucket_name=shared.state_bucket,
        account=state_account(configs),
        region=shared.state_region,
        tags=tags,
        key_grants=[KeyGrant(sid=s, principal_arns=p, actions=a, keys=k) for s, p, a, k in accounts.state_grants(configs)],
    )
    for account in accounts.accounts(configs):
        environments = [config for config in configs if config.account_id == account]
        RolesStack(app, accounts.roles_stack_name(account), environments=environments, tags=tags)
    return app


def summary(app: App) -> list[str]:
    """After ``app.synth()``: one line per stack, in the app's order, with its resource count and Terraform JSON."""
    outdir = Path(app.outdir)
    manifest = json.loads((outdir / "manifest.json").read_text())["stacks"]
    lines = []
    for stack in app.node.children:
        if not TerraformStack.is_stack(stack):
            continue
        name = stack.node.id
        path = outdir / manifest[name]["synthesizedStackPath"]
        count = sum(len(blocks) for blocks in json.loads(path.read_text()).get("resource", {}).values())
        shown = os.path.relpath(path)
        lines.append(f"{name:<16}{count:>4} resources  {path if shown.startswith('..') else shown}")
    return lines
