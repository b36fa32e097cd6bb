"""The benchmark's targets, and the behavioural test of whether a program hits one.

Owns what a target is (a frozen config under `configs/rediscover/`, the seed the
config starts from, a reference optimizer) and `Target.match`: constants are
read off the candidate by a structural reading (`propose`), the reference is
written with them, and `dsl.equivalence.check_equivalence` decides. The reading
only proposes; a proposal that does not behave as the program is a miss, so a
hit never rests on the pattern code alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from dsl.analysis import InvalidProgram
from dsl.equivalence import check_equivalence
from dsl.library import configs_dir
from dsl.parser import parse
from dsl.program import Program
from funnel.lion_family import lion_text, match_lion
from optsearch.rediscovery.second_moment import read_second_moment, second_moment_text
from search.errors import UserError

#: A proposal: (constants, reference text written with them), or why there is none.
Proposal = tuple[dict, str] | str


@dataclass(frozen=True)
class TargetMatch:
    """The verdict of `Target.match`.

    Attributes:
        hit: the reference written with `constants` behaves as the program.
        reason: why not (empty on a hit).
        constants: the constants read off the program (empty if none were).
        reference: the reference program text with those constants.
    """

    hit: bool
    reason: str = ""
    constants: dict = field(default_factory=dict)
    reference: str = ""


@dataclass(frozen=True)
class Target:
    """A known optimizer the search should re-derive from `seed_program`.

    Attributes:
        name: the command-line name; the frozen config is
            `configs/rediscover/<name>.yaml`.
        title: for tables ("Lion from AdamW").
        seed_program: the program the frozen config starts from.
        reference: the built-in program of the target with its usual constants.
        propose: reads constants off a program for the reference (see module doc).
        near_miss: whether a program is one step short of the target, for the
            walk view (`optsearch.rediscovery.walks`): where walks stall. None
            when the target names no such form.
        near_miss_title: what `near_miss` finds, for tables.
    """

    name: str
    title: str
    seed_program: str
    reference: str
    propose: Callable[[Program], Proposal]
    near_miss: Callable[[Program], bool] | None = None
    near_miss_title: str = ""

    def config_path(self) -> Path:
        return configs_dir() / "rediscover" / f"{self.name}.yaml"

    def frozen(self) -> bool:
        """Whether the config says it is frozen (its first line starts `# FROZEN`);
        a draft's rows are not benchmark results yet."""
        try:
            with self.config_path().open() as f:
                return f.readline().startswith("# FROZEN")
        except OSError:
            return False

    def match(self, program: Program) -> TargetMatch:
        """Whether `program` behaves as the reference with constants read off it."""
        try:
            proposal = self.propose(program)
        except InvalidProgram as exc:
            return TargetMatch(False, f"invalid program: {exc}")
        if isinstance(proposal, str):
            return TargetMatch(False, proposal)
        constants, reference = proposal
        try:
            verdict = check_equivalence(program, parse(reference))
        except InvalidProgram as exc:
            return TargetMatch(False, f"invalid program: {exc}", constants, reference)
        if not verdict.equivalent:
            return TargetMatch(False, f"constants read but {verdict.describe()}",
                               constants, reference)
        return TargetMatch(True, "", constants, reference)


def signum_text(beta: float, lr_scale: float, preprocess: tuple[str, ...] = ()) -> str:
    """signSGD with momentum (Bernstein et al. 2018) with the given constants:
    the sign of an EMA of the gradient (of g' when `preprocess` lines, the last
    assigning `gp`, transform it first)."""
    grad = "gp" if preprocess else "g"
    lines = [f"    {line}" for line in preprocess] + [
        f"    m = interp({grad}, m, {float(beta)!r})",
        "    update = sign(m)",
        f"    lr = lr * {float(lr_scale)!r}",
        "    update = update * lr",
    ]
    return "def train(w, g, m, v, lr):\n" + "\n".join(lines) + "\n    return update, m, v\n"


def _lion_reading(program: Program):
    """The Lion-family reading of `program` (`funnel.lion_family`), or why none."""
    match = match_lion(program)
    if match.b1 is None:
        return match.reason
    return match


def propose_lion(program: Program) -> Proposal:
    """Lion (Chen et al. 2023, Program 1) with b1 != b2; b1 = b2 is signum."""
    match = _lion_reading(program)
    if isinstance(match, str):
        return match
    if not match.distinct_betas:
        return f"b1 = b2 = {match.b1:g}: signum, not Lion"
    constants = {"b1": match.b1, "b2": match.b2, "weight_decay": match.weight_decay,
                 "lr_scale": match.lr_scale}
    if match.preprocess:
        constants["preprocess"] = "; ".join(match.preprocess)
    return constants, lion_text(match.b1, match.b2, match.weight_decay,
                                match.lr_scale, match.preprocess)


def lion_with_one_beta(program: Program) -> bool:
    """Lion's structure with b1 = b2, the equivalence check agreeing: the sign of
    one EMA of the gradient, with or without decay (signum's family). From AdamW
    it is one change of op away; Lion is one duplicated EMA further."""
    try:
        match = match_lion(program)
    except InvalidProgram:
        return False
    return match.lion_family and not match.distinct_betas


def propose_signum(program: Program) -> Proposal:
    """signum: the sign of an EMA of the gradient, no weight decay."""
    match = _lion_reading(program)
    if isinstance(match, str):
        return match
    if match.distinct_betas:
        return f"b1 {match.b1:g} != b2 {match.b2:g}: Lion, not signum"
    if match.weight_decay:
        return f"weight decay {match.weight_decay:g}: signum has none"
    constants = {"beta": match.b1, "lr_scale": match.lr_scale}
    if match.preprocess:
        constants["preprocess"] = "; ".join(match.preprocess)
    return constants, signum_text(match.b1, match.lr_scale, match.preprocess)


def propose_second_moment(program: Program) -> Proposal:
    """RMSProp, Adagrad or Adam (with or without decoupled decay): the gradient
    or its EMA over the root of a running second moment
    (`optsearch.rediscovery.second_moment`)."""
    reading = read_second_moment(program)
    if isinstance(reading, str):
        return reading
    return reading.constants(), second_moment_text(reading)


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("lion", "Lion from AdamW", "adamw", "lion", propose_lion,
               lion_with_one_beta, "Lion with b1 = b2"),
        # The same target on clean labels (a draft method change, not a new
        # optimizer): its own config, so the frozen one's archives stay its own.
        Target("lion-clean", "Lion from AdamW, clean labels", "adamw", "lion",
               propose_lion, lion_with_one_beta, "Lion with b1 = b2"),
        Target("adaptive", "RMSProp, Adagrad or Adam from SGD with momentum",
               "sgd_momentum", "rmsprop", propose_second_moment),
    )
}


def get_target(name: str) -> Target:
    """The target named `name`.

    Raises:
        UserError: no such target; the message lists them.
    """
    if name not in TARGETS:
        raise UserError(f"no rediscovery target {name!r}; targets: {', '.join(TARGETS)}")
    return TARGETS[name]
