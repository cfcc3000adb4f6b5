"""The `action-recognition` command line: one entry point, one module per subcommand."""
