"""`python -m minprow`: the same as the `minprow` command."""

from minprow.cli import main

main()
