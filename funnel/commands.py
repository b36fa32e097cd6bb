"""`optsearch funnel RUN_DIR`: run or resume the funnel on a finished search.

Also owns the small integration points the `run` command calls (kept here so the
search package imports funnel in one place only, lazily): the meta-validation
hook, the post-search pipeline, and the smoke shrinking of a config.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from search.errors import UserError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "funnel",
        help="run (or resume) funnel selection, ablation and the Lion check on a finished run",
    )
    p.add_argument("run_dir", help="a run directory whose config has a `funnel` section")
    p.add_argument(
        "overrides", nargs="*",
        help="KEY=VALUE changes to the run's config for this funnel, e.g. funnel.metaval_top_k=2",
    )
    p.add_argument("--address", help="Ray cluster to join ('auto' or HOST:PORT)")
    p.set_defaults(func=cmd_funnel)


def cmd_funnel(args: argparse.Namespace) -> int:
    from search.commands.run_commands import make_evaluator, open_store
    from search.config import load_config

    run_dir = Path(args.run_dir)
    config_path = run_dir / "config.yaml"
    if not config_path.is_file():
        raise UserError(f"{run_dir}: not a run directory (no config.yaml)")
    config = load_config(config_path, args.overrides)
    if not config.funnel:
        raise UserError(f"{config_path}: the config has no `funnel` section")
    check_sections(config, str(config_path))
    store = open_store(str(run_dir))
    evaluator = make_evaluator(config, args.address)
    try:
        finish(store, config, evaluator)
    finally:
        evaluator.close()
        store.close()
    return 0


def check_sections(config, source: str) -> None:
    """Validate the `funnel` and `metaval` sections (ConfigError, one line)."""
    from funnel.config import funnel_config, metaval_config

    funnel_config(config.funnel, source)
    metaval_config(config.metaval, source)


def search_hooks(config, source: str = "<config>") -> list:
    """The `SearchRunner` hooks the config asks for (meta-validation)."""
    from funnel.config import metaval_config

    metaval = metaval_config(config.metaval, source)
    if metaval is None:
        return []
    from funnel.metaval import MetavalHook

    return [MetavalHook(metaval, config.tasks.executor_length)]


def finish(store, config, evaluator) -> dict:
    """The post-search pipeline (funnel, ablation, Lion check, final report)."""
    from funnel.pipeline import finish_run

    return finish_run(store, config, evaluator)


def smoke(config):
    from funnel.smoke import smoke_config

    return smoke_config(config)


def final_fields(run_dir) -> dict:
    """`final_program` and `lion_family` for `optsearch show RUN --json` (None if absent)."""
    from funnel.pipeline import read_final

    final = read_final(run_dir) or {}
    return {"final_program": final.get("final_program"), "lion_family": final.get("lion_family")}
