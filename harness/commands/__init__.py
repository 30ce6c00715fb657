"""CLI command groups, one module each; every module exposes `register(app)`."""

MODULES = (
    "harness.commands.stack",    # up, down, smoke
    "harness.commands.faults",   # faults list|show, schedule check
    "harness.commands.run",      # run, audit, report
    "harness.commands.capacity", # capacity
)
