"""Command line: ``python -m cgcore run EXPERIMENT --profile cpu`` and friends."""

from __future__ import annotations

import argparse

from .profiles import PROFILES, experiments


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="cgcore", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="compute an experiment and store its result")
    run.add_argument("experiments", nargs="+", choices=experiments() + ("all",))
    run.add_argument("--profile", default="cpu", choices=PROFILES)
    run.add_argument("--recompute", default="always", choices=("auto", "always", "never"))
    score = sub.add_parser("scorecard", help="write results/<profile>/scorecard.csv and print it")
    score.add_argument("--profile", default="cpu", choices=PROFILES)
    args = parser.parse_args(argv)

    # under torchrun (several ranks) join the process group; a no-op otherwise
    from . import distributed

    world = distributed.setup()
    try:
        if args.command == "run":
            from .experiments import run_or_load

            names = experiments() if "all" in args.experiments else args.experiments
            for name in names:
                stored = run_or_load(name, args.profile, recompute=args.recompute)
                if world.is_main:
                    print(f"{name} [{args.profile}]: {stored['manifest']['wall_time_s']} s"
                          + (f" on {world.size} ranks" if world.size > 1 else ""))
        if world.is_main:
            from .scorecard import write_scorecard

            print(write_scorecard(args.profile).to_string(index=False))
    finally:
        distributed.teardown()


if __name__ == "__main__":
    main()
