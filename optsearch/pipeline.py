"""A whole run as named phases: validate, search, funnel, ablate, verdict, report.

Owns the order of the phases and what passes between them; each phase's work is
done by the package that owns it (`search` runs the evolution, `funnel` selects,
ablates and judges). `run` is what `optsearch run` does; `finish_run` (funnel,
ablate, verdict, report) is what `optsearch funnel RUN_DIR` does, and what `run`
does after the search when the config has a `funnel` section.

The final program is the funnel's winner, ablated on the configured task (if an
`ablation` section is given) and statically simplified. When no program beats
the baseline through every stage, the final program is the search's best (the
result says `passed_funnel: false`): a run always has something to report. With
`ablation.survivors` above 1, the last stage's next survivors are ablated and
judged the same way and listed under `survivors`. The final result is
`report/final.json` with `report/final.py`; `read_final` gives `optsearch show
RUN --json` its `final_program`, `lion_family` and `survivors`.
"""

from __future__ import annotations

import json
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from dsl.library import load_builtin
from dsl.parser import one_line, parse
from dsl.program import Program
from dsl.simplify import simplify
from funnel.ablation import ablate as ablate_program
from funnel.ablation import task_score
from funnel.config import RunConfig
from funnel.lion_family import match_lion
from funnel.metaval import MetavalHook, overfit_onset, read_points
from funnel.stages import FunnelOutcome, run_funnel
from search.errors import UserError
from search.fresh_run import check_fresh_target, note_before, remove_created
from search.loop import RunOutcome, SearchRunner, SeedFailed
from search.preflight import check_run_config
from search.programs import load_named
from search.progress import Progress
from search.run_lock import check_unlocked, run_lock
from search.store import (
    CHECKPOINT_FILE, DB_FILE, RunStore, atomic_write_text, disk_full_as_user_error,
)
from search.summary import top_programs

FINAL_FILE = "final.json"
FUNNEL_ERROR_FILE = "funnel_error.txt"

Log = Callable[[str], None]


@dataclass(frozen=True)
class PipelineOutcome:
    """How `run` ended: the search's outcome, and the funnel's failure (one line) if any."""

    search: RunOutcome
    funnel_error: str | None = None


def run(
    config, run_dir: Path, address: str | None = None, quiet: bool = False,
    source: str = "", log: Log = print, fresh: bool = False,
    connect_timeout_s: float | None = None, status_every_s: float | None = None,
    notify: Log | None = None,
) -> PipelineOutcome:
    """Run a search in `run_dir` (fresh or resumed), then the funnel if configured.

    The run directory is locked for the whole run (search, funnel, report): a
    second writer is one line. `source` names the config file in error messages
    (default: the run's copy); `fresh` refuses a directory that already holds a run.
    A resume must keep what defines the run's fitness and walk
    (`search.resume_config`); other changes are one line to `notify` (stderr).
    `status_every_s` spaces the status lines written when stderr is not a terminal.
    """
    notify = notify or (lambda line: print(line, file=sys.stderr, flush=True))
    source = source or str(run_dir / "config.yaml")
    validate(config, source)
    if fresh:
        check_fresh_target(run_dir)  # before the lock or anything else is written
    check_unlocked(run_dir)  # refuse a second writer before starting workers
    if not fresh:
        check_resumed_config(config, run_dir, source, notify)
    evaluator = make_evaluator(config, address, connect_timeout_s)
    # A fresh run whose seed fails on the tasks leaves nothing (`search.fresh_run`).
    before = note_before(run_dir) if fresh else None
    try:
        with run_lock(run_dir), disk_full_as_user_error(run_dir):
            check_run_dir(run_dir, fresh)
            store = RunStore(run_dir)
            undo = False
            try:
                store.write_config(config.to_dict())
                store.record_config(config.to_dict())
                outcome = search(config, store, evaluator, quiet, log, status_every_s)
                funnel_error = None
                if config.funnel and not outcome.interrupted:
                    funnel_error = finish_safely(store, config, evaluator, log)
            except SeedFailed as exc:
                undo = before is not None
                reason = one_line(" ".join(str(exc).split()))
                raise SeedFailed(
                    f"{source}: `seed_program` {one_line(config.seed_program)}: {reason}"
                ) from None
            finally:
                store.close()
                if undo:
                    remove_created(run_dir, before)
    finally:
        evaluator.close()
    return PipelineOutcome(outcome, funnel_error)


def check_run_dir(run_dir: Path, fresh: bool) -> None:
    """Refuse a directory whose files say this run must not go ahead (lock held).

    Raises:
        UserError: a fresh run into a directory holding a run, or a resume whose
            database is gone while its checkpoint stays (resuming would silently
            start the search over).
    """
    if fresh and (run_dir / DB_FILE).exists():
        raise UserError(f"{run_dir}: a run is already there; resume it with --resume {run_dir}")
    if (run_dir / CHECKPOINT_FILE).exists() and not (run_dir / DB_FILE).exists():
        raise UserError(
            f"{run_dir}: {DB_FILE} is missing but {CHECKPOINT_FILE} is there; the "
            "candidates it recorded are gone, so the run cannot be resumed "
            "(restore the database, or start a new run elsewhere)"
        )


def check_resumed_config(config, run_dir: Path, source: str, notify: Log) -> None:
    """Refuse a resume whose config changes the run's fitness or walk, judged
    against the config the run last ran with (recorded in its database) and the
    seed program it started from (candidate 0); note any other change.

    Raises:
        ConfigChanged: one line naming the key, old -> new.
    """
    from search.resume_config import check_resume

    if not (run_dir / DB_FILE).is_file():
        return  # killed before its database existed: nothing was recorded
    store = RunStore(run_dir, read_only=True)
    try:
        recorded, first = store.recorded_config(), store.program_text(0)
    finally:
        store.close()
    seed = load_named(config.seed_program, config.max_length).to_text()
    note = check_resume(recorded, config.to_dict(), source, seed, first)
    if note:
        notify(f"{run_dir}: {note}")


def finish_run(store: RunStore, config, evaluator, log: Log = print) -> dict:
    """After the search: funnel, ablate the winner (and the survivors the config
    asks for), judge them, write the final report.

    Returns:
        the final result (what `report/final.json` holds).
    """
    outcome, chosen_id, chosen_text = funnel(store, config, evaluator, log)
    result: dict = {
        "winner_id": chosen_id,
        "passed_funnel": outcome.winner is not None,
        "funnel": outcome.to_dict(),
        "final_program": None,
        "lion_family": None,
    }
    if chosen_text is None:
        log("no program to report: the search has no successful evaluation")
        _write(store, result)
        return result
    final, ablation = ablate(parse(chosen_text), store, config, log)
    if ablation is not None:
        result["ablation"] = ablation
    result.update(verdict(final, store, config, result["funnel"]["stages"]))
    result["survivors"] = []
    _save(store, result)  # the winner's verdict is kept if a survivor's ablation fails
    for judged in judge_survivors(outcome, store, config, log):
        result["survivors"].append(judged)
        _save(store, result)
    report(store, result, log)
    return result


# -- phases ---------------------------------------------------------------------


def validate(config: RunConfig, source: str) -> None:
    """What the config's schema cannot check, before anything is created: the
    proxy tasks exist, and the seed program loads and fits the executor.

    Raises:
        ConfigError: one line naming `source` and the key.
    """
    check_run_config(config, source)


def make_evaluator(config, address: str | None, connect_timeout_s: float | None = None):
    """The evaluator the config asks for; unknown tasks are a user error.

    Joining a cluster (`address`) that does not answer within `connect_timeout_s`
    (default 15 s) is one line.
    """
    from search.scoring import ScorerSpec, validate_tasks

    spec = ScorerSpec.from_config(config)
    try:
        validate_tasks(spec)
    except KeyError as exc:
        raise UserError(f"tasks.proxy: {exc.args[0]}") from None
    if config.evaluator.kind == "ray" or address:
        from search.ray_evaluator import RayEvaluator

        timeout = {} if connect_timeout_s is None else {"connect_timeout_s": connect_timeout_s}
        return RayEvaluator(
            spec, config.evaluator, address=address or config.evaluator.address, **timeout
        )
    from search.evaluators import SerialEvaluator

    return SerialEvaluator(spec)


def search(
    config, store: RunStore, evaluator, quiet: bool, log: Log = print,
    status_every_s: float | None = None,
) -> RunOutcome:
    """Regularized evolution to the config's budget (resuming what `store` holds),
    meta-validating the best as it goes if the config has a `metaval` section."""
    metaval = config.metaval
    hooks = [] if metaval is None else [MetavalHook(metaval, config.tasks.executor_length)]
    every = {} if status_every_s is None else {"status_every_s": status_every_s}
    progress = Progress(config.max_candidates, enabled=not quiet, **every)
    runner = SearchRunner(config, store, evaluator, progress, hooks=hooks)
    log(f"run directory: {store.dir}")
    return runner.run()


def finish_safely(store: RunStore, config, evaluator, log: Log = print) -> str | None:
    """`finish_run`; on a crash return one line, keeping the details on disk.

    The search is already stored, so a funnel failure must not look like a lost
    run: the traceback goes to `report/funnel_error.txt` and the funnel can be
    re-run alone (it resumes from its recorded evaluations).
    """
    try:
        finish_run(store, config, evaluator, log)
    except Exception as exc:  # noqa: BLE001 - reported, with the traceback kept on disk
        store.report_dir.mkdir(parents=True, exist_ok=True)
        (store.report_dir / FUNNEL_ERROR_FILE).write_text(traceback.format_exc())
        return f"{type(exc).__name__}: {exc}; details in {store.report_dir / FUNNEL_ERROR_FILE}"
    return None


def funnel(
    store: RunStore, config, evaluator, log: Log = print
) -> tuple[FunnelOutcome, int | None, str | None]:
    """The funnel's stages; the chosen program (the winner, else the search's best)."""
    spec = config.funnel
    outcome = run_funnel(
        store, spec, evaluator, config.tasks.executor_length, config.seed_program, log
    )
    if outcome.winner is not None:
        return outcome, outcome.winner, outcome.programs[outcome.winner]
    best = top_programs(store, 1)
    return (outcome, best[0].id, best[0].text) if best else (outcome, None, None)


def ablate(
    program: Program, store: RunStore, config, log: Log = print
) -> tuple[Program, dict | None]:
    """Fitness-based removal (if the funnel has an `ablation` section), then simplify."""
    spec = config.funnel
    if spec.ablation is None:
        return simplify(program), None
    a = spec.ablation
    score = task_score(
        a.task, a.num_seeds, max(config.tasks.executor_length, 32),
        lr_multipliers=a.lr_multipliers,
    )
    import numpy as np

    ablation = ablate_program(
        program, score, a.tolerance, a.task, a.num_seeds, a.tune_rounds,
        rng=np.random.default_rng(config.seed), progress=log,
    )
    log(ablation.table())
    return simplify(ablation.final), ablation.to_dict()


def judge_survivors(
    outcome: FunnelOutcome, store: RunStore, config, log: Log = print
) -> Iterator[dict]:
    """The last stage's survivors other than the winner, best first, up to
    `ablation.survivors` in all (the winner counts as one), each ablated and
    judged as the winner is. Yields `candidate_id`, `final_program`,
    `lion_family`, `lion_match` and `ablation` per survivor, as each is done."""
    ablation = config.funnel.ablation
    if outcome.winner is None or ablation is None:
        return
    others = [c for c in outcome.stages[-1].promoted if c != outcome.winner]
    for cid in others[: ablation.survivors - 1]:
        log(f"ablating survivor {cid}...")
        final, record = ablate(parse(outcome.programs[cid]), store, config, log)
        match = match_lion(final)
        yield {
            "candidate_id": cid, "final_program": final.to_text(),
            "lion_family": match.lion_family, "lion_match": match_facts(match),
            "ablation": record,
        }


def match_facts(match) -> dict:
    """A `LionMatch` as the final report's JSON holds it."""
    return {
        "reason": match.reason, "b1": match.b1, "b2": match.b2,
        "weight_decay": match.weight_decay, "lr_scale": match.lr_scale,
        "preprocess": list(match.preprocess), "distinct_betas": match.distinct_betas,
        "lion_with_found_constants": match.lion or None,
    }


def verdict(final: Program, store: RunStore, config, stages: list[dict]) -> dict:
    """Is the final program in the Lion family; when did the search first reach it,
    and which Lion-family programs each funnel stage (`stages`) promoted."""
    match = match_lion(final)
    result: dict = {
        "final_program": final.to_text(),
        "lion_family": match.lion_family,
        "lion_match": match_facts(match),
    }
    first = first_lion_family(store)
    result["first_lion_family"] = first
    if first is not None:
        ids = {first["candidate_id"]} | set(first.get("family_ids", []))
        result["funnel_kept_lion_family"] = {
            s["name"]: sorted(i for i in s["promoted"] if i in ids)
            for s in stages
        }
        first.pop("family_ids", None)
    points = read_points(store)
    if points and config.metaval:
        patience = config.metaval.patience
        result["meta_overfit_began_at"] = overfit_onset(points, patience)
    return result


def report(store: RunStore, result: dict, log: Log = print) -> None:
    """Write `report/final.json` and `final.py`; print the verdict next to Lion."""
    _write(store, result)
    log(final_report(result))


def first_lion_family(
    store: RunStore, verdicts: dict[str, tuple[bool, bool]] | None = None
) -> dict | None:
    """The first successfully evaluated Lion-family candidate, in told order.

    Returns:
        its candidate id, the candidates told and evaluated up to it, the seconds
        since the run's first candidate, `family_ids` (every Lion-family
        candidate) and `first_distinct` (the same facts for the first with
        b1 != b2, Lion proper rather than signum, or None), or None if the search
        never produced one.

    `verdicts` (cache key -> (Lion family, b1 != b2)) may be passed in and kept
    between calls, so a watcher polling a growing run matches each behaviour once.
    """
    verdicts = {} if verdicts is None else verdicts
    first, distinct, family = None, None, []
    for cid, text, told, since_start, key in store.told_ok():
        if key not in verdicts:
            match = match_lion(parse(text))
            verdicts[key] = (match.lion_family, match.lion_family and match.distinct_betas)
        in_family, proper = verdicts[key]
        if not in_family:
            continue
        family.append(cid)
        facts = None
        if first is None or (proper and distinct is None):
            facts = {
                "candidate_id": cid, "told": told, "wall_s": since_start,
                "evaluated": store.evaluations_up_to(told),
                "eval_cpu_s": store.eval_seconds_up_to(told),
            }
        if first is None:
            first = facts
        if proper and distinct is None:
            distinct = dict(facts)
    if first is not None:
        first["family_ids"] = family
        first["num_family"] = len(family)
        first["first_distinct"] = distinct
    return first


def final_report(result: dict) -> str:
    """The verdict and the final program next to the paper's Lion, as text."""
    final = result.get("final_program") or ""
    lion = load_builtin("lion").to_text()
    left, right = final.splitlines(), lion.splitlines()
    width = max([len(line) for line in left] + [len("final program")]) + 4
    lines = [f"{'final program':<{width}}Lion (Chen et al. 2023, Program 1)"]
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ""
        b = right[i] if i < len(right) else ""
        lines.append(f"{a:<{width}}{b}")
    verdict = family_verdict(result)
    passed = "passed every funnel stage" if result.get("passed_funnel") else (
        "no program beat the baseline through every stage; this is the search's best")
    first = result.get("first_lion_family")
    found = (
        f"first Lion-family program: candidate {first['candidate_id']} after "
        f"{first['told']} candidates, {first['wall_s']:.0f} s"
        if first else "the search produced no Lion-family program"
    )
    others = [
        f"survivor {s['candidate_id']}, ablated: {family_verdict(s)}\n"
        + "\n".join("    " + line for line in s["final_program"].splitlines())
        for s in result.get("survivors") or []
    ]
    return "\n".join([f"final program (candidate {result.get('winner_id')}, {passed}):",
                      *lines, f"verdict: {verdict}", *others, found])


def family_verdict(judged: dict) -> str:
    """One line: is a judged program (`lion_family`, `lion_match`) in the Lion
    family, with which constants, or why not."""
    match = judged.get("lion_match") or {}
    if judged.get("lion_family"):
        return (
            f"IN the Lion family (b1 {match['b1']:g}, b2 {match['b2']:g}, weight decay "
            f"{match['weight_decay']:g}, lr x {match['lr_scale']:g}; equivalent to Lion "
            f"with these constants"
            + ("" if match.get("distinct_betas") else "; b1 = b2, i.e. signum")
            + ")"
        )
    return f"NOT in the Lion family: {match.get('reason', 'no program')}"


def read_final(run_dir: str | Path) -> dict | None:
    """The final result of a run, or None if the funnel has not finished there."""
    path = Path(run_dir) / "report" / FINAL_FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def _write(store: RunStore, result: dict) -> None:
    """Save the final result and record the run's one `funnel` event."""
    _save(store, result)
    store.record_event("funnel", store.told_count(), {
        "winner_id": result.get("winner_id"), "lion_family": result.get("lion_family"),
    })


def _save(store: RunStore, result: dict) -> None:
    """Write `report/final.json` and `final.py` (atomically, so a crash keeps the
    previous version whole)."""
    atomic_write_text(store.report_dir / FINAL_FILE, json.dumps(result, indent=1, default=str))
    if result.get("final_program"):
        header = f"# Final program of {store.dir.name} (lion_family: {result['lion_family']})\n"
        atomic_write_text(store.report_dir / "final.py", header + result["final_program"])
