"""Small training problems that score optimizer programs, and their fitness.

Public API:
    get_task(name) -> Task, task_names(tier=None)     the task registry
                                                     (experiment tasks: by name only)
    TaskScorer(task_name, ...).score(program, seed)  one task's fitness -> Evaluation
    MultiTaskScorer(task_weights, ...)               a weighted mix of tasks
    load_task_mix(path) -> dict[str, float]          a mix declared in YAML
    Evaluation, WORST_FITNESS                        the result record

Tiers mirror the paper's funnel: `proxy` tasks (<= ~100 ms per evaluation), and
`metaval-10x` / `metaval-100x` versions of each. See docs/tasks.md.
"""

from proxy_tasks.fitness import WORST_FITNESS, Evaluation, TaskScorer
from proxy_tasks.multitask import MultiTaskScorer
from proxy_tasks.mix import load_task_mix
from proxy_tasks.registry import TIERS, Task, get_task, task_names
# Registers the experiment log's tasks, so their names resolve wherever the
# package is imported (old runs' configs, the log's commands).
from proxy_tasks import experiment_tasks  # noqa: F401

__all__ = [
    "TIERS",
    "WORST_FITNESS",
    "Evaluation",
    "MultiTaskScorer",
    "Task",
    "TaskScorer",
    "get_task",
    "load_task_mix",
    "task_names",
]
