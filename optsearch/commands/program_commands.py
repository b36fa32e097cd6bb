"""Commands about single programs: `ops`, `show`, `export`.

`show` also accepts a run directory; that path is dispatched to
`optsearch.commands.run_commands` when the argument is a directory.
"""

from __future__ import annotations

import argparse
import json
import os

from optsearch.targets import is_program_name, load, resolve_run
from search.errors import UserError


def register(subparsers) -> None:
    p = subparsers.add_parser("ops", help="print the op table")
    p.add_argument("--json", action="store_true", help="machine-readable list of ops")
    p.set_defaults(func=cmd_ops)

    p = subparsers.add_parser("show", help="pretty-print a program (file or built-in name) or summarize a run directory")
    p.add_argument("target", help="a program file, a built-in name (e.g. adamw), RUN_DIR:ID, or a run directory")
    p.add_argument("--json", action="store_true", help="machine-readable summary")
    p.add_argument("--top", type=int, default=5, help="for a run: how many top programs")
    p.add_argument(
        "--csv", action="store_true", help="for a run: the hall of fame as CSV"
    )
    p.set_defaults(func=cmd_show)

    p = subparsers.add_parser("export", help="export a program for use in training code")
    p.add_argument("program", help="a program file, built-in name, or RUN_DIR:ID")
    p.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        default="python",
        help="python: a jax/optax module; torch: a torch.optim.Optimizer module; "
        "latex: an algorithm box; text: the program",
    )
    p.set_defaults(func=cmd_export)


def cmd_ops(args: argparse.Namespace) -> int:
    from dsl.ops import OPS

    rows = [
        {
            "name": op.name,
            "arity": op.arity,
            "args": [k.value for k in op.arg_kinds],
            "result": op.result.value,
            "group": op.group,
            "infix": op.infix,
            "commutative": op.commutative,
        }
        for op in OPS.values()
    ]
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{'op':<20} {'arity':>5}  {'arguments':<24} {'result':<10} group")
    for r in rows:
        name = f"{r['name']} ({r['infix']})" if r["infix"] else r["name"]
        print(f"{name:<20} {r['arity']:>5}  {', '.join(r['args']) or '-':<24} {r['result']:<10} {r['group']}")
    print(f"{len(rows)} ops")
    return 0


def program_summary(program, facts=None) -> dict:
    """The facts `show --json` reports about one program (`facts`: its `analyze`
    result, if the caller has it already).

    `hash` is the semantic hash (`dsl.hashing`), `fingerprint` the behavioural
    fingerprint (`dsl.fingerprint`): the two duplicate keys the search can use.
    """
    from dsl.analysis import analyze
    from dsl.fingerprint import fingerprint_unchecked
    from dsl.hashing import semantic_hash_unchecked

    facts = facts or analyze(program)
    return {
        "hash": semantic_hash_unchecked(program),
        "fingerprint": fingerprint_unchecked(program),
        "statements": facts.num_statements,
        "live_statements": facts.num_live,
        "state_slots_used": len(facts.state_slots_used),
        "state_slots": list(facts.state_slots_used),
        "redundant_fraction": round(facts.redundant_fraction, 4),
        "text": program.to_text(),
    }


def lion_summary(program) -> dict:
    """The Lion-family verdict on any program, with the constants it found."""
    from funnel.lion_family import match_lion

    match = match_lion(program)
    return {
        "lion_family": match.lion_family,
        "distinct_betas": match.distinct_betas,
        "reason": match.reason,
        "b1": match.b1,
        "b2": match.b2,
        "weight_decay": match.weight_decay if match.b1 is not None else None,
        "lr_scale": match.lr_scale,
    }


def cmd_show(args: argparse.Namespace) -> int:
    # A directory, or a run's name (`latest`, a prefix) that is not a program's.
    target = args.target
    if os.path.isdir(target) or (not is_program_name(target) and resolve_run(target)):
        from optsearch.commands import run_commands

        return run_commands.show_run(args)
    if getattr(args, "csv", False):
        raise UserError(f"{target}: --csv is for a run directory, not a program")
    from dsl.analysis import analyze

    program = load(args.target)
    facts = analyze(program)
    summary = program_summary(program, facts)
    summary["lion"] = lion_summary(program)
    if args.json:
        print(json.dumps(summary, indent=1))
        return 0
    live = facts.live
    lines = program.to_text().splitlines()
    print(lines[0])
    for st_line, is_live in zip(lines[1:-1], live):
        print(st_line if is_live else f"{st_line:<44}  # dead")
    print(lines[-1])
    print(
        f"# {summary['statements']} statements, {summary['live_statements']} live; "
        f"state slots used: {summary['state_slots_used']} "
        f"({', '.join(summary['state_slots']) or 'none'})"
    )
    lion = summary["lion"]
    if lion["lion_family"]:
        print(
            f"# Lion family: b1 {lion['b1']:g}, b2 {lion['b2']:g}, weight decay "
            f"{lion['weight_decay']:g}, lr x {lion['lr_scale']:g}"
            + ("" if lion["distinct_betas"] else " (b1 = b2: signum)")
        )
    else:
        print(f"# not in the Lion family: {lion['reason']}")
    return 0


#: `export --format` choices. Generated code holds only what the program
#: determines, never the file name it came from.
EXPORT_FORMATS = ("python", "torch", "latex", "text")


def cmd_export(args: argparse.Namespace) -> int:
    program = load(args.program)
    if args.format == "text":
        text = program.to_text()
    elif args.format == "latex":
        from dsl.export_latex import to_latex

        text = to_latex(program)
    elif args.format == "torch":
        from dsl.export_torch import to_torch_source

        text = to_torch_source(program)
    else:
        from dsl.export import to_python_source

        text = to_python_source(program)
    print(text, end="")
    return 0
