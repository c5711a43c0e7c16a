"""The law: regulation pack models, loading and selecting facts, pack sets and overlays, pack tools."""
