"""The workspace: configuration, lock records, check, transactions, CI job and shards."""
