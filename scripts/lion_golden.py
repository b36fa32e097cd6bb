"""Does the search re-derive Lion? Run a config over several seeds and say, per seed,
when the first Lion-family program with b1 != b2 appeared and what the funnel did.

    python scripts/lion_golden.py configs/lion.yaml --seeds 0,1,2,3,4 --runs runs/golden
    python scripts/lion_golden.py configs/lion.yaml --seeds 0,1 --parallel 2 max_candidates=20000
    python scripts/lion_golden.py configs/lion.yaml --seeds 0,1,2 --report-only
    python scripts/lion_golden.py configs/lion.yaml --until-first-lion funnel=null

`--until-first-lion` measures time to Lion alone: each seed's run is watched (its
database read every `--poll` seconds) and stopped, as a kill would, once it has
told a Lion-family program with b1 != b2; a `seed-S.stopped` file marks it done,
and the run's later candidates and funnel are never spent.

Each seed is one `optsearch run CONFIG seed=S --run-dir RUNS/seed-S` (resumed if
its directory exists, skipped if it finished). The table then reads each run's
database: candidates told, evaluations and wall time up to the first Lion-family
program (any, and with b1 != b2: Lion proper rather than signum), and from
`report/final.json` whether the funnel kept a Lion-family program with b1 != b2
(it beat the seed at every stage by more than the seed spreads) and which of the
programs the run ablated (the winner and the survivors
`funnel.ablation.survivors` asks for) ablation turned into one, confirmed by the
equivalence check. Wall time is seconds of search since the run's first
candidate was recorded (compile included; the funnel and the pauses between
sessions of a resumed run left out). A run keeps the config it started with, so
rerun the funnel of a run begun under an older config (`optsearch funnel RUN`
after copying the new `funnel` section into `RUN/config.yaml`).
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dsl.parser import parse
from funnel.lion_family import match_lion
from optsearch.pipeline import first_lion_family
from search.store import RunStore


def run_seed(config: str, seed: int, run_dir: Path, overrides: list[str],
             until_lion: bool = False, poll: float = 30.0) -> int:
    """Start or resume one seed's run; returns its exit status.

    With `until_lion` the run is stopped (SIGTERM: it checkpoints and ends, as
    after a kill) once it has told a Lion with b1 != b2.
    """
    log = run_dir.with_suffix(".log")
    stopped = run_dir.with_suffix(".stopped")
    if (run_dir / "report" / "final.json").is_file() or stopped.is_file():
        return 0
    if run_dir.exists():
        cmd = [sys.executable, "-m", "optsearch", "run", "--resume", str(run_dir)]
    else:
        cmd = [sys.executable, "-m", "optsearch", "run", config, f"seed={seed}",
               *overrides, "--run-dir", str(run_dir)]
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        verdicts: dict = {}  # kept between polls: each behaviour is matched once
        while True:
            try:
                return process.wait(timeout=poll)
            except subprocess.TimeoutExpired:
                pass
            if until_lion and _has_distinct_lion(run_dir, verdicts):
                process.send_signal(signal.SIGTERM)
                code = process.wait()
                stopped.write_text(f"stopped at {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
                return code


def _has_distinct_lion(run_dir: Path, verdicts: dict) -> bool:
    """Whether the run has told a Lion-family program with b1 != b2 yet."""
    if not (run_dir / "candidates.sqlite").is_file():
        return False
    store = RunStore(run_dir, read_only=True)
    try:
        first = first_lion_family(store, verdicts)
    finally:
        store.close()
    return bool(first and first.get("first_distinct"))


def first_lion(store: RunStore) -> dict:
    """The first told Lion-family program, any ("any") and with b1 != b2
    ("distinct"), as `optsearch.pipeline.first_lion_family` finds them."""
    first = first_lion_family(store)
    if first is None:
        return {}
    found = {"any": first}
    if first.get("first_distinct"):
        found["distinct"] = first["first_distinct"]
    return found


def funnel_outcome(store: RunStore, run_dir: Path) -> dict:
    """Which b1 != b2 Lions the funnel's last stage kept, and which programs
    ablation turned into one (the winner and the survivors the run ablated)."""
    path = run_dir / "report" / "final.json"
    if not path.is_file():
        return {"finished": False}
    final = json.loads(path.read_text())
    stages = final.get("funnel", {}).get("stages", [])
    kept = []
    if stages and stages[-1].get("promoted"):
        for cid in stages[-1]["promoted"]:
            text = store.kept_program(int(cid))
            match = match_lion(parse(text)) if text else None
            if match is not None and match.lion_family and match.distinct_betas:
                kept.append(int(cid))
    # The winner and the other survivors the run ablated, each judged after ablation.
    winner = {**final, "candidate_id": final.get("winner_id")}
    judged = [winner, *(final.get("survivors") or [])]
    lions = [j for j in judged if j.get("lion_family")
             and (j.get("lion_match") or {}).get("distinct_betas")]
    lion = (lions[0]["lion_match"] if lions else None) or {}
    return {
        "finished": True,
        "funnel_kept": kept,
        "ablated_to_lion": [j["candidate_id"] for j in lions],
        "lion_constants": {k: lion.get(k) for k in ("b1", "b2", "weight_decay", "lr_scale")},
    }


def constants(found: dict) -> str:
    """b1 / b2 / decay / lr scale of a Lion match, to 3 significant digits."""
    return " / ".join(f"{found[k]:.3g}" if isinstance(found.get(k), (int, float)) else "?"
                      for k in ("b1", "b2", "weight_decay", "lr_scale"))


def ids_cell(ids: list[int] | None, finished: bool) -> str:
    """A yes/no column of the table: "yes (ids)", "no", or "not run"."""
    if not finished:
        return "not run"
    return "yes (" + ", ".join(map(str, ids)) + ")" if ids else "no"


def table(rows: list[dict]) -> str:
    lines = [
        "| seed | candidates | first Lion family (told / evaluated / wall) | first b1 != b2 "
        "(told / evaluated / scoring CPU / wall) | funnel kept b1 != b2 | ablated to Lion "
        "| its b1 / b2 / decay / lr scale |",
        "|---|---|---|---|---|---|---|",
    ]

    def cell(hit, cpu=False):
        if not hit:
            return "never"
        spent = f" / {hit.get('eval_cpu_s', 0.0) / 60:.1f} min" if cpu else ""
        return f"{hit['told']} / {hit['evaluated']}{spent} / {hit['wall_s'] / 60:.1f} min"

    for r in rows:
        out = r["funnel"]
        kept = ids_cell(out.get("funnel_kept"), out["finished"])
        final = ids_cell(out.get("ablated_to_lion"), out["finished"])
        lines.append(
            f"| {r['seed']} | {r['candidates']} | {cell(r['first'].get('any'))} | "
            f"{cell(r['first'].get('distinct'), cpu=True)} | {kept} | {final} | "
            f"{constants(out['lion_constants']) if out.get('ablated_to_lion') else '-'} |"
        )
    walls = sorted(r["first"]["distinct"]["wall_s"] / 60 for r in rows
                   if r["first"].get("distinct"))
    reached = len(walls)
    lines.append(f"\n{reached} of {len(rows)} seeds reached a Lion-family program with b1 != b2.")
    if rows:
        # Seeds that never reached one count as slower than any that did.
        ordered = walls + [float("inf")] * (len(rows) - reached)
        middle = ordered[(len(ordered) - 1) // 2] if len(ordered) % 2 else (
            (ordered[len(ordered) // 2 - 1] + ordered[len(ordered) // 2]) / 2)
        lines.append(f"Median wall time to it: {middle:.1f} min" if middle != float("inf")
                     else "Median wall time to it: never (most seeds did not reach it)")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("overrides", nargs="*", help="KEY=VALUE config overrides")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--runs", default="runs/golden", help="folder of the seeds' runs")
    parser.add_argument("--parallel", type=int, default=1, help="seeds run at once")
    parser.add_argument("--report-only", action="store_true", help="only read the runs")
    parser.add_argument("--until-first-lion", action="store_true",
                        help="stop each seed once it has told a Lion with b1 != b2")
    parser.add_argument("--poll", type=float, default=30.0,
                        help="seconds between reads of a watched run's database")
    args = parser.parse_intermixed_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    runs = Path(args.runs)
    if not args.report_only:
        with ThreadPoolExecutor(args.parallel) as pool:
            codes = list(pool.map(
                lambda s: run_seed(args.config, s, runs / f"seed-{s}", args.overrides,
                                   args.until_first_lion, args.poll), seeds
            ))
        for seed, code in zip(seeds, codes):
            if code:
                print(f"seed {seed}: optsearch run exited {code} (see {runs}/seed-{seed}.log)")
    rows = []
    for seed in seeds:
        run_dir = runs / f"seed-{seed}"
        if not (run_dir / "candidates.sqlite").is_file():
            print(f"seed {seed}: no run in {run_dir}")
            continue
        store = RunStore(run_dir, read_only=True)
        try:
            rows.append({
                "seed": seed, "candidates": store.told_count(),
                "first": first_lion(store), "funnel": funnel_outcome(store, run_dir),
            })
        finally:
            store.close()
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
