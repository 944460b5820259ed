"""``python -m sim``: the same as the ``cadre-sim`` command."""

from sim.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
