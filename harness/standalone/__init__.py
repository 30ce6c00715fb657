"""The local stack alone, for exploring (`dinerush up|down|smoke`): its state file, foreground and detached modes."""
