"""The history's schema changes, one numbered module each (``v2_suites`` takes a version 1
history to version 2). Each has ``upgrade(db)``, run inside one transaction by
:func:`nanotui.engine.history.schema.setup_connection`."""
