"""One build's writes as a transaction: staged, journalled, then switched in together.

A build of policy ``STEM`` holds ``.smpolicy/locks/STEM.lock`` from reading the policy's record
to writing the new one, so two builds of one policy take turns and never pick the same version.
Its files are written to ``.smpolicy/staging/STEM/`` first. When every file is staged (and the
superseded version is archived and verified), the journal ``.smpolicy/journal/STEM.json`` is
written with the planned renames and the new record: from that moment the build counts as done,
and the renames, the record and the output manifest follow. A build that dies before the
journal says ``commit`` is rolled back by the next command; one that dies after is completed.
Either way the current files are all of the old version or all of the new one.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from smpolicy import _fsutil
from smpolicy._fsutil import Manifest, confined, ensure_dir, locked, sha256
from smpolicy.errors import InputFileError, OutputError
from smpolicy.workspace._lock import LockedPolicy, LockStore, validate_record

STATE_DIR = ".smpolicy"
_JOURNAL_VERSION = 1


class _Journal(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    journal_version: Literal[1]
    stem: str
    phase: Literal["staging", "commit"]
    version: int = Field(ge=1, le=1_000_000)
    staging: str
    archive: str | None = None
    moves: list[tuple[str, str, str]] = Field(default_factory=list)
    remove: list[str] = Field(default_factory=list)
    record: dict[str, Any] | None = None
    manifest_dir: str | None = None
    manifest: dict[str, str] = Field(default_factory=dict)


def _rel(root: Path, path: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()


class Transaction:
    """The files and record one build of one policy writes."""

    def __init__(self, root: Path, stem: str, store: LockStore | None) -> None:
        self.root = root
        self.stem = stem
        self.store = store
        state = root / STATE_DIR
        self.lock_path = state / "locks" / f"{stem}.lock"
        self.journal = state / "journal" / f"{stem}.json"
        self.staging = state / "staging" / stem
        self.version = 1
        self.archive: Path | None = None
        self.moves: list[tuple[Path, Path, str]] = []
        self.removals: list[Path] = []
        self.committed = False

    def lock(self, *, wait: bool = True) -> contextlib.AbstractContextManager[bool]:
        """This policy's lock (held for the whole build)."""
        return locked(self.lock_path, wait=wait)

    # ----------------------------------------------------------------------------- writing

    def begin(self, version: int, archive: Path | None) -> None:
        """Announce the build (so a kill from here on is rolled back) and open the staging area.

        ``archive`` is the folder the superseded version goes to, when this build creates it.
        """
        self.version = version
        self.archive = archive
        if self.staging.exists():
            shutil.rmtree(self.staging, ignore_errors=True)
        ensure_dir(self.staging)
        self._write_journal("staging", None, None, {})

    def stage(self, target: Path, data: bytes) -> None:
        """Write ``data`` for ``target`` into the staging area."""
        staged = self.staging / target.name
        _fsutil.atomic_write(staged, data)
        self.moves.append((staged, target, sha256(data)))

    def remove_on_commit(self, target: Path) -> None:
        """Delete ``target`` when the build is switched in (a format not rebuilt)."""
        self.removals.append(target)

    def commit(self, record: LockedPolicy | None, manifest: Manifest) -> None:
        """Write the journal's commit entry, then switch everything in."""
        for _staged, target, digest in self.moves:
            manifest.changed[target.name] = digest
        for target in self.removals:
            manifest.changed[target.name] = ""
        _fsutil.fsync_dir(self.staging)
        self._write_journal(
            "commit",
            json.loads(record.model_dump_json()) if record is not None else None,
            manifest.directory,
            manifest.changed,
        )
        self.committed = True
        try:
            self._apply(self._read_journal())
        except (OSError, OutputError) as exc:
            message = exc.message if isinstance(exc, OutputError) else _fsutil.describe(exc)
            raise OutputError(
                f"{message}; version {self.version} of {self.stem} is complete in "
                f"{_rel(self.root, self.staging)}, and the next smpolicy command in "
                f"{self.root} will finish switching it in"
            ) from None

    def rollback(self) -> None:
        """Undo a build that did not reach its commit (in-process, after an error)."""
        if self.committed:
            return
        with contextlib.suppress(OSError, OutputError):
            self._roll_back(self.archive)

    def _write_journal(
        self,
        phase: str,
        record: dict[str, Any] | None,
        manifest_dir: Path | None,
        manifest: dict[str, str],
    ) -> None:
        journal = {
            "journal_version": _JOURNAL_VERSION,
            "stem": self.stem,
            "phase": phase,
            "version": self.version,
            "staging": _rel(self.root, self.staging),
            "archive": _rel(self.root, self.archive) if self.archive else None,
            "moves": [[_rel(self.root, s), _rel(self.root, t), d] for s, t, d in self.moves],
            "remove": [_rel(self.root, t) for t in self.removals],
            "record": record,
            "manifest_dir": _rel(self.root, manifest_dir) if manifest_dir else None,
            "manifest": dict(manifest),
        }
        _fsutil.atomic_write(self.journal, (json.dumps(journal, indent=1) + "\n").encode())
        _fsutil.fsync_dir(self.journal.parent)

    # ----------------------------------------------------------------------------- recovery

    def _read_journal(self) -> _Journal:
        name = _rel(self.root, self.journal)
        try:
            journal = _Journal.model_validate_json(self.journal.read_bytes(), strict=True)
        except (OSError, ValidationError, ValueError):
            raise InputFileError(
                f"{self.journal}: the journal of an interrupted build is damaged; compare "
                f"{STATE_DIR}/staging/{self.stem}/ with the policy's files, then delete it"
            ) from None
        for value in [
            journal.staging,
            *(m[0] for m in journal.moves),
            *(m[1] for m in journal.moves),
            *journal.remove,
            *([journal.archive] if journal.archive else []),
            *([journal.manifest_dir] if journal.manifest_dir else []),
        ]:
            confined(self.root, value, name)
        return journal

    def _apply(self, journal: _Journal) -> None:
        for staged_rel, target_rel, digest in journal.moves:
            staged, target = self.root / staged_rel, self.root / target_rel
            if staged.is_file():
                ensure_dir(target.parent)
                _fsutil.replace(staged, target)
            elif not (target.is_file() and sha256(target.read_bytes()) == digest):
                raise OutputError(
                    f"{self.journal}: cannot finish the interrupted build: {staged_rel} is "
                    f"gone and {target_rel} does not hold it; rebuild with --force"
                )
        for target_rel in journal.remove:
            _fsutil.remove(self.root / target_rel)
        if journal.moves:
            _fsutil.fsync_dir((self.root / journal.moves[0][1]).parent)
        if journal.record is not None:
            record = validate_record(journal.record, _rel(self.root, self.journal))
            (self.store or LockStore(self.root)).write(self.stem, record)
        if journal.manifest_dir is not None:
            manifest = Manifest(self.root / journal.manifest_dir, self.stem)
            manifest.changed = dict(journal.manifest)
            manifest.save()
        _fsutil.remove(self.journal)
        shutil.rmtree(self.root / journal.staging, ignore_errors=True)

    def _roll_back(self, archive: Path | None) -> None:
        if archive is not None:
            shutil.rmtree(archive, ignore_errors=True)
        shutil.rmtree(self.staging, ignore_errors=True)
        _fsutil.remove(self.journal)

    def recover(self) -> str | None:
        """Finish or undo an interrupted build of this policy; one line saying which."""
        if not self.journal.is_file():
            if self.staging.exists():
                shutil.rmtree(self.staging, ignore_errors=True)
            return None
        journal = self._read_journal()
        if journal.phase == "commit":
            self._apply(journal)
            return (
                f"{self.stem}: completed an interrupted build: version {journal.version} "
                "is now in place"
            )
        self._roll_back(self.root / journal.archive if journal.archive else None)
        return (
            f"{self.stem}: rolled back an interrupted build of version {journal.version}; "
            "the files of the version issued before are unchanged"
        )


def recover_all(root: Path, store: LockStore | None = None) -> list[str]:
    """Recover every interrupted build under ``root`` that no running build holds."""
    journals = root / STATE_DIR / "journal"
    staging = root / STATE_DIR / "staging"
    stems = (
        {p.name[: -len(".json")] for p in journals.glob("*.json")} if journals.is_dir() else set()
    )
    if staging.is_dir():
        stems |= {p.name for p in staging.iterdir()}
    messages = []
    for stem in sorted(stems):
        txn = Transaction(root, stem, store)
        with txn.lock(wait=False) as mine:
            if mine:
                message = txn.recover()
                if message:
                    messages.append(message)
    return messages


@contextlib.contextmanager
def writing(txn: Transaction) -> Iterator[None]:
    """Roll back on an error before the commit (the caller commits inside the block)."""
    try:
        yield
    except OutputError:
        txn.rollback()
        raise
    except OSError as exc:
        txn.rollback()
        raise OutputError(f"{txn.root}: cannot write: {_fsutil.describe(exc)}") from None
