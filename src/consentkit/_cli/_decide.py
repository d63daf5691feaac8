"""Deciding: `check` a plan against a ledger, list the `envelope`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, cast

from consentkit._cli._common import (
    EXIT_ALLOW,
    EXIT_CODES,
    EXIT_DENY,
    EXIT_RENEGOTIATE,
    BadInput,
    Commands,
    add_ledger_source,
    load,
    out,
    read_all,
    read_ledger,
    subparser,
    time_argument,
)

if TYPE_CHECKING:
    from consentkit import Ledger

__all__ = ["register"]


def _check(args: argparse.Namespace) -> int:
    import attrs  # noqa: PLC0415  # keeps start-up fast

    from consentkit import Plan, Step, Verdict, check_plan, dumps  # noqa: PLC0415
    from consentkit._documents import kind_of  # noqa: PLC0415

    document, read = read_all(lambda: load(args.plan, None), lambda: read_ledger(args))
    ledger = cast("Ledger", read)
    if isinstance(document, Step):
        if args.at is not None:
            document = attrs.evolve(document, at=args.at)
        plan = Plan(steps=(document,))
    elif isinstance(document, Plan):
        if args.at is not None:
            raise BadInput(
                [
                    (
                        f"{args.plan}: --at re-times a single `step` document; "
                        "the steps of a `plan` keep their own times"
                    )
                ]
            )
        plan = document
    else:
        raise BadInput(
            [f"{args.plan}: kind: must be `plan` or `step`, got `{kind_of(document)}`"]
        )
    decision = check_plan(plan, ledger)
    out(dumps(decision) if args.format == "json" else decision.explain())
    return {
        Verdict.ALLOW: EXIT_ALLOW,
        Verdict.DENY: EXIT_DENY,
        Verdict.RENEGOTIATE: EXIT_RENEGOTIATE,
    }[decision.verdict]


def _envelope(args: argparse.Namespace) -> int:
    from datetime import datetime, timezone  # noqa: PLC0415  # keeps start-up fast

    from consentkit import envelope  # noqa: PLC0415
    from consentkit._terms import describe_condition as condition  # noqa: PLC0415
    from consentkit._time import format_time  # noqa: PLC0415

    ledger = read_ledger(args)
    moment = args.at
    if moment is None:
        moment = datetime.now(timezone.utc).replace(microsecond=0)
    allowances = envelope(ledger, args.actor, args.recipient, moment)
    lines = [
        f"{args.actor} -> {args.recipient} at {format_time(moment)}: "
        + (
            f"{len(allowances)} activities allowed"
            if allowances
            else "nothing is allowed"
        )
    ]
    width = max((len(a.activity) for a in allowances), default=0)
    for allowance in allowances:
        cap = (
            "no cap"
            if allowance.max_intensity is None
            else f"up to intensity {allowance.max_intensity}"
        )
        line = f"{allowance.activity:<{width}}  {cap}"
        if allowance.conditions:
            line += f"; needs {', '.join(condition(c) for c in allowance.conditions)}"
        lines.append(line)
    out("\n".join(lines))
    return EXIT_ALLOW


def register(commands: Commands) -> None:
    """Add `check` and `envelope`."""
    check = subparser(
        commands,
        "check",
        _check,
        "check a plan (or a single step) against the consent in a ledger",
        "Prints the plan's verdict, then each step with its verdict and the\n"
        "findings behind it, then plan-level advice.\n\n" + EXIT_CODES + "\nexamples:\n"
        "  consentkit check examples/first-session/plan.json \\\n"
        "      --ledger examples/first-session/ledger.json\n"
        "  consentkit check step.json --ledger ledger.json "
        "--at 2026-03-06T20:15:00Z\n"
        "  consentkit check plan.json --ledger ledger.json --format json",
    )
    check.add_argument("plan", metavar="PLAN", help="a `plan` or `step` document")
    add_ledger_source(check)
    check.add_argument(
        "--at",
        type=time_argument,
        metavar="TIME",
        help="check a single step at this RFC 3339 time instead of its own",
    )
    check.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (default) or a `plan_decision` document",
    )

    envelope = subparser(
        commands,
        "envelope",
        _envelope,
        "list what an actor may do to a recipient at a time, with the caps",
        "For each activity of the catalog that a step by ACTOR on RECIPIENT at\n"
        "TIME would be allowed (zero duration, nobody else present, intensity 1):\n"
        "the highest intensity allowed and the conditions later steps must meet.\n\n"
        "example:\n"
        "  consentkit envelope --ledger examples/first-session/ledger.json \\\n"
        "      --actor mistress --recipient client --at 2026-03-06T19:30:00Z",
    )
    add_ledger_source(envelope)
    envelope.add_argument("--actor", required=True, help="who would act")
    envelope.add_argument("--recipient", required=True, help="who would receive")
    envelope.add_argument(
        "--at", type=time_argument, metavar="TIME", help="RFC 3339 time (default: now)"
    )
