"""``python -m parcels``: the operator's commands, in ``tools.cli``.

The tools sit above the core, so they are imported only here, when the command runs.
"""


def main() -> int:
    from tools.cli import main as run

    return run()


if __name__ == "__main__":  # also keeps multiprocessing's worker processes from running the command again
    raise SystemExit(main())
