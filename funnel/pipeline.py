"""After the search: funnel, ablation of the winner, Lion-family verdict, final report.

Owns `finish_run` (what `optsearch run` does after the search when the config
has a `funnel` section, and what `optsearch funnel RUN_DIR` does), the final
result file `report/final.json` with `report/final.py`, and `read_final`, which
`optsearch show RUN --json` reads `final_program` and `lion_family` from.

The final program is the funnel's winner, ablated on the configured task (if an
`ablation` section is given) and statically simplified. When no program beats
the baseline through every stage, the final program is the search's best (the
result says `passed_funnel: false`): a run always has something to report.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Callable

from dsl.library import load_builtin
from dsl.parser import parse
from dsl.simplify import simplify
from funnel.ablation import ablate, task_score
from funnel.config import funnel_config
from funnel.lion_family import match_lion
from funnel.metaval import overfit_onset, read_points
from funnel.stages import run_funnel
from search.store import RunStore, atomic_write_text
from search.summary import top_programs

FINAL_FILE = "final.json"


def finish_run(store: RunStore, config, evaluator, log: Callable[[str], None] = print) -> dict:
    """Run the funnel, ablate the winner, judge it, and write the final report.

    Returns:
        the final result (what `report/final.json` holds).
    """
    funnel = funnel_config(config.funnel, str(store.config_path))
    outcome = run_funnel(
        store, funnel, evaluator, config.tasks.executor_length, config.seed_program, log
    )
    if outcome.winner is not None:
        chosen_id, chosen_text = outcome.winner, outcome.programs[outcome.winner]
    else:
        best = top_programs(store, 1)
        chosen_id, chosen_text = (best[0].id, best[0].text) if best else (None, None)
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
    program = parse(chosen_text)
    if funnel.ablation is not None:
        a = funnel.ablation
        score = task_score(
            a.task, a.num_seeds, max(config.tasks.executor_length, 32),
            lr_multipliers=a.lr_multipliers,
        )
        import numpy as np

        ablation = ablate(
            program, score, a.tolerance, a.task, a.num_seeds, a.tune_rounds,
            rng=np.random.default_rng(config.seed),
        )
        final = simplify(ablation.final)
        result["ablation"] = ablation.to_dict()
        log(ablation.table())
    else:
        final = simplify(program)
    match = match_lion(final)
    result["final_program"] = final.to_text()
    result["lion_family"] = match.lion_family
    result["lion_match"] = {
        "reason": match.reason, "b1": match.b1, "b2": match.b2,
        "weight_decay": match.weight_decay, "lr_scale": match.lr_scale,
        "preprocess": list(match.preprocess), "distinct_betas": match.distinct_betas,
        "lion_with_found_constants": match.lion or None,
    }
    first = first_lion_family(store)
    result["first_lion_family"] = first
    if first is not None:
        ids = {first["candidate_id"]} | set(first.get("family_ids", []))
        result["funnel_kept_lion_family"] = {
            s["name"]: sorted(i for i in s["promoted"] if i in ids)
            for s in result["funnel"]["stages"]
        }
        first.pop("family_ids", None)
    points = read_points(store)
    if points and config.metaval:
        from funnel.config import metaval_config

        patience = metaval_config(config.metaval).patience
        result["meta_overfit_began_at"] = overfit_onset(points, patience)
    _write(store, result)
    log(final_report(result))
    return result


def first_lion_family(store: RunStore) -> dict | None:
    """The first successfully evaluated Lion-family candidate, in told order.

    Returns:
        its candidate id, the candidates told up to it, the seconds since the
        run's first candidate, and `family_ids` (every Lion-family candidate),
        or None if the search never produced one.
    """
    rows = store.query(
        "SELECT id, program, told_seq, created_at, COALESCE(fingerprint, hash) FROM candidates"
        " WHERE status = 'ok' AND told_seq IS NOT NULL ORDER BY told_seq"
    )
    if not rows:
        return None
    start = store.query("SELECT MIN(created_at) FROM candidates")[0][0]
    verdicts: dict[str, bool] = {}
    first, family = None, []
    for cid, text, told, created, key in rows:
        if key not in verdicts:
            verdicts[key] = match_lion(parse(text)).lion_family
        if verdicts[key]:
            family.append(cid)
            if first is None:
                first = {"candidate_id": cid, "told": told, "wall_s": created - start}
    if first is not None:
        first["family_ids"] = family
        first["num_family"] = len(family)
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
    match = result.get("lion_match") or {}
    if result.get("lion_family"):
        verdict = (
            f"IN the Lion family (b1 {match['b1']:g}, b2 {match['b2']:g}, weight decay "
            f"{match['weight_decay']:g}, lr x {match['lr_scale']:g}; equivalent to Lion "
            f"with these constants"
            + ("" if match.get("distinct_betas") else "; b1 = b2, i.e. signum")
            + ")"
        )
    else:
        verdict = f"NOT in the Lion family: {match.get('reason', 'no program')}"
    passed = "passed every funnel stage" if result.get("passed_funnel") else (
        "no program beat the baseline through every stage; this is the search's best")
    first = result.get("first_lion_family")
    found = (
        f"first Lion-family program: candidate {first['candidate_id']} after "
        f"{first['told']} candidates, {first['wall_s']:.0f} s"
        if first else "the search produced no Lion-family program"
    )
    return "\n".join([f"final program (candidate {result.get('winner_id')}, {passed}):",
                      *lines, f"verdict: {verdict}", found])


def read_final(run_dir: str | Path) -> dict | None:
    """The final result of a run, or None if the funnel has not finished there."""
    path = Path(run_dir) / "report" / FINAL_FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def _write(store: RunStore, result: dict) -> None:
    atomic_write_text(store.report_dir / FINAL_FILE, json.dumps(result, indent=1, default=_plain))
    if result.get("final_program"):
        header = f"# Final program of {store.dir.name} (lion_family: {result['lion_family']})\n"
        atomic_write_text(store.report_dir / "final.py", header + result["final_program"])
    told = store.query("SELECT COUNT(*) FROM candidates WHERE told_seq IS NOT NULL")[0][0]
    store.record_event("funnel", told, {
        "winner_id": result.get("winner_id"), "lion_family": result.get("lion_family"),
    })


def _plain(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)
