"""Builds the cdktf App: one WalletStack per environment and the wallet-state bootstrap stack."""

from __future__ import annotations

from cdktf import App

from stacks.config import STATE_STACK, EnvironmentConfig
from stacks.state_stack import StateStack
from stacks.wallet_stack import WalletStack


def build_app(configs: list[EnvironmentConfig], outdir: str | None = None) -> App:
    """``outdir`` None: cdktf's own choice (CDKTF_OUTDIR from the CLI, else cdktf.out)."""
    app = App(outdir=outdir)
    for config in configs:
        WalletStack(app, config.stack_name, config=config)
    shared = configs[0]
    StateStack(
        app,
        STATE_STACK,
        bucket_name=shared.state_bucket,
        region=shared.state_region,
        tags={key: value for key, value in shared.tags.items() if key != "Environment"},
    )
    return app
