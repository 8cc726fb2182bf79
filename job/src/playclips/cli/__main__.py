"""`python -m playclips.cli`: the same command as the `playclips` console script."""

from . import main

main()
