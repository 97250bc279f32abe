"""Use cases shared by the CLI, the API and the console (above the store, below the adapters)."""
