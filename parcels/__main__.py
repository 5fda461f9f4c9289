"""``python -m parcels``: see ``parcels.cli``."""

from parcels.cli import main

if __name__ == "__main__":  # also keeps multiprocessing's worker processes from running the command again
    raise SystemExit(main())
