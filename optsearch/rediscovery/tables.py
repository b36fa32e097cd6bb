"""The benchmark's tables: markdown for people, JSON for programs.

Owns the layout: a summary (one line per target and arm: seeds, successes, median
CPU and candidates to the first hit) and one table per target and arm (one row
per seed, from `rows.seed_row`, its final program as a one-liner). Seeds without a hit count as slower than any
with one in the medians.
"""

from __future__ import annotations

import json
import math

from dsl.one_liner import one_liner
from dsl.parser import parse
from optsearch.rediscovery.arms import arm_title, walk_changes


def summary_table(rows: list[dict], titles: dict[str, str]) -> str:
    """One line per (target, arm) present in `rows`."""
    lines = [
        "| target | arm | seeds | first hit | success | median CPU min to first hit "
        "| median candidates to first hit |",
        "|---|---|---|---|---|---|---|",
    ]
    for (target, arm), group in _groups(rows):
        hits = [r for r in group if r["first"]]
        lines.append(
            f"| {titles.get(target, target)} | {arm_title(arm)} | "
            f"{_seeds(group)} | {len(hits)} of {len(group)} | "
            f"{sum(r['success'] for r in group)} of {len(group)} | "
            f"{_median(group, lambda f: f['cpu_s'] / 60)} | "
            f"{_median(group, lambda f: f['told'], digits=0)} |"
        )
    return "\n".join(lines)


def seed_table(group: list[dict]) -> str:
    """One row per seed of one target and arm."""
    lines = [
        "| seed | candidates | first hit: told / evaluated / CPU / wall | its constants "
        "| funnel kept a hit | winner ablated to the target | success | final program |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(group, key=lambda r: r["seed"]):
        first, funnel = r["first"], r["funnel"]
        hit = (f"{first['told']} / {first['evaluated']} / {first['cpu_s'] / 60:.1f} min / "
               f"{first['wall_s'] / 60:.1f} min" if first else "never")
        consts = _constants(first["constants"]) if first else "-"
        if funnel is None:
            kept = ablated = "not run"
        else:
            kept = f"yes ({', '.join(map(str, funnel['kept']))})" if funnel["kept"] else "no"
            ablated = ("yes: " + _constants(funnel["winner_constants"])
                       if funnel["winner_hit"] else "no")
        final = (f"`{one_liner(parse(funnel['final_program']))}`"
                 if funnel and funnel["final_program"] else "-")
        lines.append(f"| {r['seed']} | {r['candidates']} | {hit} | {consts} | {kept} | "
                     f"{ablated} | {'yes' if r['success'] else 'no'} | {final} |")
    return "\n".join(lines)


def markdown(rows: list[dict], titles: dict[str, str]) -> str:
    """The summary, then every target and arm's seed table."""
    parts = ["## Summary", "", summary_table(rows, titles)]
    for (target, arm), group in _groups(rows):
        changes = (walk_changes(r["overrides"]) for r in group)
        overrides = sorted({" ".join(c) for c in changes if c})
        note = f" (overrides: {'; '.join(overrides)})" if overrides else ""
        parts += ["", f"## {titles.get(target, target)}: {arm_title(arm)}{note}",
                  "", seed_table(group)]
    return "\n".join(parts) + "\n"


def as_json(rows: list[dict]) -> str:
    return json.dumps({"rows": rows}, indent=1, sort_keys=True) + "\n"


def _groups(rows: list[dict]):
    order = {"search": 0, "random": 1, "shuffled": 2}
    keys = sorted({(r["target"], r["arm"]) for r in rows},
                  key=lambda k: (k[0], order.get(k[1], 9), k[1]))
    return [(k, [r for r in rows if (r["target"], r["arm"]) == k]) for k in keys]


def _seeds(group: list[dict]) -> str:
    seeds = sorted(r["seed"] for r in group)
    if seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2:
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(map(str, seeds))


def _median(group: list[dict], value, digits: int = 1) -> str:
    found = sorted(value(r["first"]) for r in group if r["first"])
    ordered = found + [math.inf] * (len(group) - len(found))
    n = len(ordered)
    middle = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    return "never" if math.isinf(middle) else f"{middle:.{digits}f}"


def _constants(constants: dict) -> str:
    shown = []
    for key, value in constants.items():
        shown.append(f"{key} {value:.3g}" if isinstance(value, float) else f"{key} {value}")
    return ", ".join(shown) or "-"
