"""``smpolicy packs ...``: the subcommands for regulation packs (registered by cli.py)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from smpolicy.errors import ExitCode, PackError


def _workspace_policies() -> dict[str, Any]:
    """name -> lock record (as plain data) of the current workspace's policies, if any."""
    from smpolicy.workspace._config import find_workspace  # noqa: PLC0415
    from smpolicy.workspace._lock import LockStore  # noqa: PLC0415

    workspace = find_workspace()
    if workspace is None:
        return {}
    store = LockStore(workspace.root)
    if not store.open():
        return {}
    return {name: record.model_dump(mode="json") for name, record in store.read_all().items()}


@click.group()
def packs() -> None:
    """List, show, compare and lint regulation packs.

    \b
    Examples:
      smpolicy packs list
      smpolicy packs show us.hipaa.marketing
      smpolicy packs diff built-in installed
      smpolicy packs lint my-overlays/
    """


@packs.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def list_cmd(as_json: bool) -> None:
    """Every pack builds use: jurisdiction, version, release date, origin."""
    from smpolicy.law._tools import list_packs, list_text  # noqa: PLC0415

    rows = list_packs()
    if as_json:
        click.echo(json.dumps([asdict(r) for r in rows], indent=2))
    else:
        click.echo(list_text(rows), nl=False)


@packs.command("show")
@click.argument("entry_id")
@click.option(
    "--packs",
    "pack_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder of packs to look in instead of the ones builds use.",
)
def show_cmd(entry_id: str, pack_dir: Path | None) -> None:
    """Show one pack entry with its sources, dates and evidence."""
    from smpolicy.law._tools import find_entry, show_text  # noqa: PLC0415

    click.echo(show_text(find_entry(entry_id, pack_dir)), nl=False)


@packs.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
def diff_cmd(old: str, new: str, as_json: bool) -> None:
    """Entries added, removed and changed from OLD to NEW, and the policies each touches.

    OLD and NEW are pack folders, 'built-in' (the packs smpolicy shipped with) or 'installed'
    (the smpolicy-packs distribution).
    """
    from smpolicy.law._tools import diff_packs, diff_text, resolve_packs_arg  # noqa: PLC0415

    changes = diff_packs(
        resolve_packs_arg(old), resolve_packs_arg(new), lock_policies=_workspace_policies()
    )
    if as_json:
        click.echo(json.dumps([asdict(c) for c in changes], indent=2))
    else:
        click.echo(diff_text(changes), nl=False)


@packs.command("lint")
@click.argument("directory", type=click.Path(path_type=Path))
def lint_cmd(directory: Path) -> None:
    """Check a folder of packs (for maintainers and overlay authors).

    Exits 5 when a pack is invalid; warnings (a date the note does not name, a value no
    summary uses) and unverified entries are listed but do not fail.
    """
    from smpolicy.law._tools import lint_folder, lint_text  # noqa: PLC0415

    report = lint_folder(directory)
    click.echo(lint_text(report), nl=False)
    if report.errors:
        sys.exit(int(ExitCode.INVALID_PACK))


__all__ = ["PackError", "packs"]
