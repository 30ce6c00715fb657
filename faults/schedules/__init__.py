"""Built-in fault schedules (TOML files shipped with the package)."""
