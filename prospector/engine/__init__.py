"""Use cases of the daemon and the commands: each reads config and the store, then acts."""
