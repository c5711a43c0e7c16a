"""Write src/smpolicy/_yaml_seed.json: the built-in YAML files parsed ahead of time.

A fresh install then skips the pure-Python YAML parse of the built-in packs and templates.
Entries are keyed by the SHA-256 of each file's text, so a file edited since is simply parsed
as usual; rerun this (``make yaml-seed``) after editing built-in YAML to keep first builds fast.
tests/test_perf_equivalence.py fails when the seed is out of date.
"""

from __future__ import annotations

from smpolicy._yaml import SEED_FILE, make_seed, seed_sources


def main() -> None:
    data = make_seed(seed_sources())
    tmp = SEED_FILE.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(SEED_FILE)
    print(f"{SEED_FILE.name}: {len(data):,} bytes")


if __name__ == "__main__":
    main()
