"""Headless subcommands of the ``nanotui`` CLI; each has add_parser() and run()."""
