"""Built-in diner adapters (the reference stack's); a user's own adapter lives in its own file."""

REFERENCE = "scenarios.adapters.reference:ReferenceAdapter"   # the default diner adapter (no import needed to name it)
