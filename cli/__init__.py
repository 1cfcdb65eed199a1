"""Command-line batch runs that fill the dashboard's result store: ``python -m cli --help``.

Only argparse is imported at start-up; every subcommand imports what it needs when it runs, so
``--help`` is instant.
"""
