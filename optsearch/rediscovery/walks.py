"""A seed's search cut into its walks, from the seed's archive alone.

Owns the walk view of a run. A config with `restarts.seed_every_candidates`
restarts the population from the seed program every that many told
candidates, and `restarts.best_for_last_candidates` spends the last candidates
from the best program so far, so a run is a row of short walks and one
exploiting tail. How often a single walk reaches the target says what budget a
success rate needs: were the walks independent, with a chance p per walk a run
of n walks would succeed with 1 - (1 - p)^n. They are not quite: children asked
before a restart (`ask_ahead`) are told after it and join the new population,
so a fit lineage can cross a restart, and a rate pooled over walks overstates
what more walks buy.

Per walk: which candidates it told, how many the cache answered, its best
fitness, the told number of its first candidate that hits the target and of
that hit's oldest ancestor after the seed (before the walk's start: the lineage
crossed a restart), and of its first near miss (`Target.near_miss`, e.g. Lion
with b1 = b2), and how many children the near misses had and how many of those
were duplicates: a walk that
reaches the near miss and stops there says which step the method lacks, and
its children say how often the method tried that step (for Lion, the split of
one beta into two is a `duplicate` of the interp).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from funnel.config import load_run_config
from dsl.parser import parse
from optsearch.rediscovery.archive import CONFIG_FILE, Archive, read_archive
from optsearch.rediscovery.report import archive_dirs
from optsearch.rediscovery.rows import programs_by_key, verdict
from optsearch.rediscovery.targets import Target, TargetMatch, get_target


@dataclass(frozen=True)
class Walk:
    """One walk of a run: told candidates `start` to `end`, both included."""

    index: int
    kind: str  # "seed" (from the seed program) or "best" (the exploiting tail)
    start: int
    end: int


def walks_of(archive: Archive) -> list[Walk]:
    """The walks of the archived run, cut where its config restarts it."""
    config = load_run_config(archive.path / CONFIG_FILE)
    told = len(archive.rows)
    every = config.restarts.seed_every_candidates or told or 1
    tail = config.restarts.best_for_last_candidates
    tail_from = config.max_candidates - tail if tail else told
    walks, start = [], 1
    while start <= min(told, tail_from):
        end = min(start + every - 1, tail_from, told)
        walks.append(Walk(len(walks), "seed", start, end))
        start = end + 1
    if tail and told > tail_from:
        walks.append(Walk(len(walks), "best", tail_from + 1, told))
    return walks


def walk_rows(archive: Archive, target: Target) -> list[dict]:
    """One dict per walk of the archive (see the module docstring)."""
    programs = programs_by_key(archive.rows)
    verdicts: dict[str, TargetMatch] = {}
    near: dict[str, bool] = {}

    def is_near(key: str) -> bool:
        if key not in near:
            text = programs.get(key)
            near[key] = bool(target.near_miss and text and target.near_miss(parse(text)))
        return near[key]

    near_by_id = {r["id"]: r["status"] == "ok" and is_near(r["key"]) for r in archive.rows}
    by_id = {r["id"]: r for r in archive.rows}
    rows = []
    for walk in walks_of(archive):
        told = archive.rows[walk.start - 1:walk.end]
        scored = [r["fitness"] for r in told if r["status"] == "ok"]
        first = next(
            (r for r in told
             if r["status"] == "ok" and verdict(r["key"], programs, target, verdicts).hit),
            None,
        )
        first_near = next((r["told"] for r in told if near_by_id[r["id"]]), None)
        children = [r for r in told if near_by_id.get(r["parent"], False)]
        rows.append({
            "walk": walk.index, "from": walk.kind, "told": [walk.start, walk.end],
            "cache_hits": sum(r["cache_hit"] for r in told),
            "best": max(scored) if scored else None,
            "first_hit": first["told"] if first else None,
            "first_hit_lineage_from": lineage_start(first, by_id) if first else None,
            "first_near_miss": first_near,
            "near_miss_children": len(children),
            "near_miss_duplicates": sum(r["mutation"] == "duplicate" for r in children),
        })
    return rows


def lineage_start(row: dict, by_id: dict[int, dict]) -> int:
    """The told number of `row`'s oldest ancestor other than the seed (id 0),
    or its own if the seed is its parent: how far back its lineage reaches."""
    start = row
    while start["parent"] != 0 and start["parent"] in by_id:  # the seed's parent is None
        start = by_id[start["parent"]]
    return start["told"]


def collect_walks(out: Path, target: str | None = None
                  ) -> dict[tuple[str, str], list[tuple[str, list[dict]]]]:
    """{(target, arm): [(seed, its walk rows)]} for every archive under `out`
    (of `target` only, if given)."""
    groups: dict[tuple[str, str], list[tuple[str, list[dict]]]] = {}
    for path in archive_dirs(out, target):
        archive = read_archive(path)
        name = archive.meta.get("target", path.parent.parent.name)
        arm = archive.meta.get("arm", "search")
        rows = walk_rows(archive, get_target(name))
        groups.setdefault((name, arm), []).append((str(archive.meta.get("seed")), rows))
    return groups


def hit_rate(rows: list[dict]) -> tuple[int, int]:
    """(walks from the seed that hit the target, walks from the seed)."""
    from_seed = [r for r in rows if r["from"] == "seed"]
    return sum(r["first_hit"] is not None for r in from_seed), len(from_seed)


def walks_needed(hits: int, walks: int, success: float) -> float:
    """Walks a run needs to hit with probability `success` at the measured
    per-walk rate (inf when no walk hit)."""
    if hits == 0:
        return math.inf
    if hits >= walks:
        return 1.0
    return math.log(1.0 - success) / math.log(1.0 - hits / walks)


def walks_markdown(seeds: list[tuple[str, list[dict]]], near_title: str = "",
                   success: float = 0.8) -> str:
    """Per seed a line of walk counts, the walks that hit and (given
    `near_title`) the walks that reached the near miss and the children the near
    misses had (duplicates among them), then the pooled per-walk
    rate and the walks a run needs to succeed at `success`."""
    near_head = (f" walks that reached {near_title} | children of those programs"
                 " (duplicates) |" if near_title else "")
    lines = ["| seed | walks from the seed | walks that hit (told of the first hit, of its"
             " oldest ancestor after the seed) |"
             f"{near_head} tail from the best hit | mean cache hits per walk |",
             "|---|---|---|" + ("---|---|" if near_title else "") + "---|---|"]
    pooled_hits = pooled_walks = pooled_near = crossed = 0
    for name, rows in seeds:
        hits, walks = hit_rate(rows)
        pooled_hits, pooled_walks = pooled_hits + hits, pooled_walks + walks
        hits_from_seed = [r for r in rows if r["from"] == "seed" and r["first_hit"] is not None]
        hit_list = ", ".join(f"{r['walk']} ({r['first_hit']}, {r['first_hit_lineage_from']})"
                             for r in hits_from_seed)
        crossed += sum(r["first_hit_lineage_from"] < r["told"][0] for r in hits_from_seed)
        near = sum(r["from"] == "seed" and r["first_near_miss"] is not None for r in rows)
        pooled_near += near
        children = sum(r["near_miss_children"] for r in rows)
        duplicates = sum(r["near_miss_duplicates"] for r in rows)
        near_cell = f" {near} | {children} ({duplicates}) |" if near_title else ""
        tail = [r for r in rows if r["from"] == "best"]
        tail_text = ("yes" if tail[0]["first_hit"] is not None else "no") if tail else "-"
        mean_cache = sum(r["cache_hits"] for r in rows) / len(rows) if rows else 0.0
        lines.append(f"| {name} | {walks} | {hits}: {hit_list or 'none'} |{near_cell} "
                     f"{tail_text} | {mean_cache:.0f} |")
    needed = walks_needed(pooled_hits, pooled_walks, success)
    rate = pooled_hits / pooled_walks if pooled_walks else 0.0
    pooled = (f"Pooled: {pooled_hits} of {pooled_walks} walks from the seed hit "
              f"({rate:.1%} a walk)")
    if math.isinf(needed):
        pooled += "; with no hit, no budget can be read off."
    else:
        pooled += (f"; were the walks independent, a run would need {math.ceil(needed)} "
                   f"walks to hit with probability {success:.0%}.")
    if pooled_hits:
        pooled += (f" {crossed} of those {pooled_hits} first hits descend from a candidate"
                   " told before their walk began (a lineage that crossed a restart).")
    if near_title:
        pooled += f" {pooled_near} of {pooled_walks} reached {near_title}."
    lines += ["", pooled]
    return "\n".join(lines) + "\n"
