"""CLI command groups, one module each; every module exposes `register(app)`; their options are declared once in options.py."""

MODULES = (
    "harness.commands.stack",      # up, down, smoke
    "harness.commands.faults",     # faults list|show, schedule check
    "harness.commands.run_audit",  # run, audit, report
    "harness.commands.capacity",   # capacity
    "harness.commands.init",       # init DIR: an adapter skeleton for your own stack
)
