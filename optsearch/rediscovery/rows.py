"""One table row per seed, computed from that seed's archive alone.

Owns what a row says and when a seed counts as a success:

- `first`: the first told candidate that hits the target (scored ok, and
  `Target.match` says the reference with its constants behaves as it), with
  the candidates told, the evaluations and the scoring CPU seconds up to it
  (cache hits cost none) and the seconds of search;
- `funnel`: which candidates that hit the target the funnel's last stage kept,
  whether ablation reduced the winner to the target, which ablated survivors
  became it, and the final program (the winner, ablated and simplified);
- `success`: for the search, the first hit came within the CPU budget, the
  funnel kept a hit and the winner was ablated to the target; for a control,
  whose run has no funnel, a hit within the budget (a bar lower than the
  search's, so a control is never judged more harshly than the search).
"""

from __future__ import annotations

from dsl.parser import parse
from optsearch.rediscovery.archive import Archive
from optsearch.rediscovery.arms import is_control
from optsearch.rediscovery.targets import Target, TargetMatch

#: Scoring CPU seconds a seed may spend before its first hit and still count.
CPU_BUDGET_S = 2 * 3600.0


def seed_row(archive: Archive, target: Target) -> dict:
    """The row of one archived seed (see the module docstring)."""
    verdicts: dict[str, TargetMatch] = {}
    programs = programs_by_key(archive.rows)
    first = first_hit(archive.rows, programs, target, verdicts)
    funnel = funnel_facts(archive, programs, target, verdicts)
    reached = first is not None and first["cpu_s"] <= CPU_BUDGET_S
    if not is_control(archive.meta.get("arm", "search")):
        success = bool(reached and funnel and funnel["kept"] and funnel["winner_hit"])
    else:
        success = reached
    return {
        "target": target.name, "arm": archive.meta.get("arm", "search"),
        "seed": archive.meta.get("seed"), "candidates": len(archive.rows),
        "evaluated": sum(not r["cache_hit"] for r in archive.rows),
        "cpu_s": round(sum(r["cpu_s"] for r in archive.rows), 1),
        "first": first, "funnel": funnel, "success": success,
        "overrides": archive.meta.get("overrides", []),
        "commit": archive.meta.get("commit", "unknown"),
    }


def programs_by_key(rows: list[dict]) -> dict[str, str]:
    """{cache key: program} from the rows that carry one."""
    return {r["key"]: r["program"] for r in rows if "program" in r}


def verdict(key: str, programs: dict[str, str], target: Target,
            verdicts: dict[str, TargetMatch]) -> TargetMatch:
    """The target verdict on the program of `key`, matched once per key."""
    if key not in verdicts:
        text = programs.get(key)
        verdicts[key] = (target.match(parse(text)) if text is not None
                         else TargetMatch(False, "no program archived for this key"))
    return verdicts[key]


def first_hit(rows: list[dict], programs: dict[str, str], target: Target,
              verdicts: dict[str, TargetMatch]) -> dict | None:
    """The first told candidate scored ok that hits the target, or None."""
    evaluated, cpu = 0, 0.0
    for row in rows:
        if not row["cache_hit"]:
            evaluated += 1
            cpu += row["cpu_s"]
        if row["status"] != "ok":
            continue
        match = verdict(row["key"], programs, target, verdicts)
        if match.hit:
            return {
                "candidate_id": row["id"], "told": row["told"], "evaluated": evaluated,
                "cpu_s": round(cpu, 1), "wall_s": round(row["wall_s"], 1),
                "constants": match.constants, "program": programs[row["key"]],
            }
    return None


def funnel_facts(archive: Archive, programs: dict[str, str], target: Target,
                 verdicts: dict[str, TargetMatch]) -> dict | None:
    """What the funnel and ablation did with the target, or None if they did not run."""
    final = archive.final
    if final is None:
        return None
    key_of = {r["id"]: r["key"] for r in archive.rows}
    stages = (final.get("funnel") or {}).get("stages") or []
    promoted = stages[-1].get("promoted", []) if stages else []
    kept = [int(c) for c in promoted
            if int(c) in key_of and verdict(key_of[int(c)], programs, target, verdicts).hit]
    final_text = final.get("final_program")
    winner = target.match(parse(final_text)) if final_text else TargetMatch(False, "none")
    ablated = [
        s["candidate_id"] for s in final.get("survivors") or []
        if s.get("final_program") and target.match(parse(s["final_program"])).hit
    ]
    return {
        "passed": bool(final.get("passed_funnel")), "winner_id": final.get("winner_id"),
        "kept": kept, "winner_hit": winner.hit, "winner_constants": winner.constants,
        "winner_reason": winner.reason, "survivors_hit": ablated,
        "final_program": final_text,
    }
