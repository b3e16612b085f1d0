"""The command line: one module per `python -m bot` subcommand, each with `add_parser` and `run`."""
