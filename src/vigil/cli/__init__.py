"""The ``vigil`` command line: one small function per subcommand (contract in shared/spec/cli.md)."""
