"""`optsearch funnel RUN_DIR`: run or resume the funnel on a finished search."""

from __future__ import annotations

import argparse
from pathlib import Path

from optsearch.commands.run_commands import add_connect_timeout
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
    add_connect_timeout(p)
    p.set_defaults(func=cmd_funnel)


def cmd_funnel(args: argparse.Namespace) -> int:
    from optsearch import pipeline
    from optsearch.targets import open_store, resolve_run
    from funnel.config import load_run_config as load_config
    from search.run_lock import check_unlocked, run_lock
    from search.store import disk_full_as_user_error

    run_dir = resolve_run(args.run_dir) or Path(args.run_dir)
    config_path = run_dir / "config.yaml"
    if not config_path.is_file():
        raise UserError(f"{run_dir}: not a run directory (no config.yaml)")
    check_unlocked(run_dir)  # a run still writing this directory comes first
    config = load_config(config_path, args.overrides)
    if not config.funnel:
        raise UserError(f"{config_path}: the config has no `funnel` section")
    pipeline.validate(config, str(config_path))
    evaluator = pipeline.make_evaluator(config, args.address, args.connect_timeout)
    try:
        # The funnel writes the run (events, report): one writer at a time.
        with run_lock(run_dir), disk_full_as_user_error(run_dir):
            store = open_store(str(run_dir), writable=True)
            try:
                pipeline.finish_run(store, config, evaluator)
            finally:
                store.close()
    finally:
        evaluator.close()
    return 0
