"""`python -m szagents.cli` runs the command line."""

from szagents.cli.app import main

main()
