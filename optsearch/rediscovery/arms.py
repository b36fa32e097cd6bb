"""The benchmark's arms: the frozen config as is, its controls, its lever ablations.

Owns what each arm changes in a target's frozen config and how its seeds are
judged. An arm is a fixed list of overrides, so every row of an arm ran the same
config, and each arm has its own run and archive folders (a lever's seed never
resumes or replaces the frozen config's). Controls break selection and skip the
funnel, and a control seed succeeds on a hit alone; the search and the lever
ablations keep the funnel and are judged by the search's rule
(`optsearch.rediscovery.rows`).

The levers are those the Lion objective was built on (docs/rediscovery.md,
"Lever ablations"): the state-slot charge (frozen at 0.02), the mutation
weights (frozen towards change_op and duplicate), the ablation tolerance
(frozen at 0.005) and constant tuning at birth (frozen on, on a grid).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Arm:
    """One way of running a target's seeds.

    Attributes:
        name: for `--arms` and the folders.
        title: for tables.
        overrides: KEY=VALUE changes to the frozen config.
        control: selection is broken and there is no funnel (success is a hit).
    """

    name: str
    title: str
    overrides: tuple[str, ...] = ()
    control: bool = False


_EQUAL_WEIGHTS = tuple(f"mutation.{kind}=1.0"
                       for kind in ("insert", "delete", "modify", "change_op", "duplicate"))

ARMS: dict[str, Arm] = {
    arm.name: arm
    for arm in (
        Arm("search", "search"),
        Arm("random", "control: random search (no selection)",
            ("selection=none", "funnel=null"), control=True),
        Arm("shuffled", "control: selection on shuffled fitness",
            ("selection=shuffled", "funnel=null"), control=True),
        Arm("slot-cost-0", "lever: no state-slot charge", ("tasks.state_slot_cost=0.0",)),
        Arm("slot-cost-0.01", "lever: state-slot charge 0.01", ("tasks.state_slot_cost=0.01",)),
        Arm("slot-cost-0.04", "lever: state-slot charge 0.04", ("tasks.state_slot_cost=0.04",)),
        Arm("equal-weights", "lever: every mutation weight 1", _EQUAL_WEIGHTS),
        Arm("ablation-tol-0.001", "lever: ablation tolerance 0.001",
            ("funnel.ablation.tolerance=0.001",)),
        Arm("tuning-off", "lever: no constant tuning at birth",
            ("tasks.constant_tuning=draws", "tasks.constant_draws=0")),
    )
}


def is_control(arm_name: str) -> bool:
    """Whether `arm_name` is a control (unknown names, from newer archives, are
    judged as searches: the stricter rule)."""
    arm = ARMS.get(arm_name)
    return arm is not None and arm.control


def arm_title(arm_name: str) -> str:
    arm = ARMS.get(arm_name)
    return arm.title if arm else arm_name


def walk_changes(overrides: list[str]) -> list[str]:
    """The overrides that change a seed's walk: where candidates are scored
    (`evaluator.*`) does not, since they are told in ask order."""
    return [o for o in overrides if not o.startswith("evaluator.")]
