"""Running a target's seeds, arm by arm, each in its own run directory.

Owns the layout and the order of work. Seed S of arm A of target T runs as
`optsearch run configs/rediscover/T.yaml seed=S [arm overrides] --run-dir
RUNS/T[-A]/seed-S` in a child process (its output in `seed-S.log` beside it),
resumed with `--resume` if the directory exists, so a killed benchmark picks up
where it stopped. A finished seed is archived to `OUT/T/A/seed-S` and is never
run again (delete its archive to redo it); `verify_seed` reruns an archived
seed from scratch and compares the walks. The controls keep every setting of
the search but selection, and skip the funnel.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from dsl.library import configs_dir
from optsearch.rediscovery.arms import ARMS, walk_changes
from optsearch.rediscovery.archive import (
    commit_of, is_archived, read_archive, walk_differences, write_archive,
)
from optsearch.rediscovery.rows import seed_row
from optsearch.rediscovery.targets import Target
from search.errors import UserError
from search.store import DB_FILE, RunStore

Log = Callable[[str], None]


def run_dir_for(runs: Path, target: Target, arm: str, seed: int) -> Path:
    folder = target.name if arm == "search" else f"{target.name}-{arm}"
    return runs / folder / f"seed-{seed}"


def archive_dir_for(out: Path, target: Target, arm: str, seed: int) -> Path:
    return out / target.name / arm / f"seed-{seed}"


def run_seed(target: Target, arm: str, seed: int, runs: Path, out: Path,
             extra: list[str], log: Log, poll_s: float = 60.0) -> dict | None:
    """Run (or resume) one seed of one arm, archive it and return its row; None
    (after a line to `log`) if the run did not finish."""
    archive = archive_dir_for(out, target, arm, seed)
    overrides = [*ARMS[arm].overrides, *extra]
    if is_archived(archive):
        archived = read_archive(archive)
        if walk_changes(archived.meta.get("overrides", [])) != walk_changes(overrides):
            raise UserError(
                f"{archive}: archived with overrides {archived.meta.get('overrides', [])}, "
                f"asked for {overrides}; use another --out and --runs (or an arm) for a variant")
        return seed_row(archived, target)
    run_dir = run_dir_for(runs, target, arm, seed)
    if not run_to_end(target, arm, seed, run_dir, extra, log, poll_s):
        return None
    meta = {"target": target.name, "arm": arm, "seed": seed,
            "overrides": overrides, "commit": commit_of(configs_dir().parent)}
    write_archive(run_dir, archive, meta)
    return seed_row(read_archive(archive), target)


def verify_seed(target: Target, arm: str, seed: int, runs: Path, out: Path,
                log: Log, poll_s: float = 60.0) -> list[str] | None:
    """Rerun an archived seed from scratch (in `RUNS/verify/`) with the overrides
    it was archived with, and return where the rerun's walk and funnel differ
    from the archive (empty: reproduced); None if the rerun did not finish.

    Raises:
        UserError: the seed has no archive to verify against.
    """
    archive_path = archive_dir_for(out, target, arm, seed)
    if not is_archived(archive_path):
        raise UserError(f"{archive_path}: no archive of this seed to verify against")
    archived = read_archive(archive_path)
    extra = [o for o in archived.meta.get("overrides", []) if o not in ARMS[arm].overrides]
    run_dir = run_dir_for(runs / "verify", target, arm, seed)
    if not run_to_end(target, arm, seed, run_dir, extra, log, poll_s):
        return None
    rerun = run_dir.with_name(run_dir.name + "-archive")
    write_archive(run_dir, rerun, dict(archived.meta))
    return walk_differences(archived, read_archive(rerun))


def run_to_end(target: Target, arm: str, seed: int, run_dir: Path, extra: list[str],
               log: Log, poll_s: float) -> bool:
    """Start or resume the seed's run in `run_dir` and wait for it, with a
    progress line every `poll_s`; False (after a line) if it did not finish."""
    if run_dir.exists():
        cmd = ["run", "--resume", str(run_dir)]
    else:
        cmd = ["run", str(target.config_path()), f"seed={seed}", *ARMS[arm].overrides, *extra,
               "--run-dir", str(run_dir)]
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    logfile = run_dir.with_suffix(".log")
    label = f"{target.name} {arm} seed {seed}"
    log(f"{label}: running in {run_dir} (output in {logfile})")
    started = time.monotonic()
    with open(logfile, "a") as out_file:
        process = subprocess.Popen([sys.executable, "-m", "optsearch", *cmd],
                                   stdout=out_file, stderr=subprocess.STDOUT)
        while True:
            try:
                code = process.wait(timeout=poll_s)
                break
            except subprocess.TimeoutExpired:
                log(f"{label}: {_told(run_dir)} candidates told, "
                    f"{(time.monotonic() - started) / 60:.1f} min")
            except KeyboardInterrupt:
                process.terminate()  # the run checkpoints and stops, as after a kill
                process.wait()
                raise
    if code:
        log(f"{label}: optsearch run exited {code}; see {logfile} (rerun to resume)")
        return False
    return True


def _told(run_dir: Path) -> int:
    """Candidates the run has told so far (0 before its database exists)."""
    if not (run_dir / DB_FILE).is_file():
        return 0
    store = RunStore(run_dir, read_only=True)
    try:
        return store.told_count()
    finally:
        store.close()


def describe(row: dict) -> str:
    """One line per finished seed, for the progress output."""
    first, funnel = row["first"], row["funnel"]
    found = (f"first hit at candidate {first['told']} ({first['cpu_s'] / 60:.1f} CPU-min)"
             if first else f"no hit in {row['candidates']} candidates")
    if funnel is not None:
        found += (f"; funnel kept a hit: {'yes' if funnel['kept'] else 'no'}; winner "
                  f"ablated to the target: {'yes' if funnel['winner_hit'] else 'no'}")
    return (f"{row['target']} {row['arm']} seed {row['seed']}: {found}; "
            f"{'success' if row['success'] else 'no success'}")
