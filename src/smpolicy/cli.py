"""The ``smpolicy`` command: translates options into calls of the Python API.

Heavy modules are imported inside commands so ``--help`` and ``--version`` stay fast.
Every :class:`~smpolicy.errors.SmpolicyError` is caught in :func:`main`, nowhere else.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from smpolicy import __version__
from smpolicy.errors import ExitCode, SmpolicyError

FORMAT_CHOICES = ("docx", "html", "md", "pdf")


def _parse_formats(value: str) -> tuple[str, ...]:
    formats = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    unknown = [f for f in formats if f not in FORMAT_CHOICES]
    if unknown or not formats:
        raise click.BadParameter(
            f"unknown format {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMAT_CHOICES)}"
        )
    return formats


def _notes(lines: list[str]) -> None:
    """Print what a command did besides its work (a recovery, a migration), one line each."""
    for line in lines:
        click.echo(f"note: {line}", err=True)


def _parse_shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    from smpolicy.workspace._shard import parse_shard  # noqa: PLC0415

    try:
        return parse_shard(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--shard") from None


def _version_text() -> str:
    """Tool version and each built-in pack's version, read from the packs' top-level keys only.

    Kept free of heavy imports (pydantic, YAML) so ``--version`` stays instant.
    """
    from smpolicy.law._packset import current_packset  # noqa: PLC0415

    packset = current_packset()
    lines = [
        f"smpolicy {__version__}",
        f"regulation packs {packset.version} ({packset.origin}, released {packset.released})",
    ]
    for path in sorted(packset.path.glob("*.yaml")):
        header = {}
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("entries:"):
                    break
                key, _, value = line.partition(":")
                if key in ("version", "released") and not line[0].isspace():
                    header[key] = value.split("#")[0].strip().strip("'\"")
        lines.append(
            f"  regulation pack {path.stem} {header.get('version', '?')} "
            f"(released {header.get('released', '?')})"
        )
    return "\n".join(lines)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(_version_text())
    ctx.exit(0)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and the regulation pack versions, then exit.",
)
def cli() -> None:
    """Write social media policies for healthcare organizations.

    \b
    Examples:
      smpolicy wizard profiles/my-clinic.yaml
      smpolicy build profiles/examples/community-hospital.yaml --out out/
      smpolicy check
    """


@cli.command()
@click.argument("profiles", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Directory the policy files are written to [default: the workspace's output_dir, "
    "or ./out outside a workspace].",
)
@click.option(
    "--format",
    "formats",
    default=None,
    help="Comma-separated output formats: docx, html, md, pdf (pdf needs LibreOffice and also "
    "writes the docx) [default: the workspace's formats, or docx,html,md].",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Build the policy as it reads on this date (YYYY-MM-DD); "
    "defaults to the policy's effective date.",
)
@click.option(
    "--templates",
    "template_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Directory of template overrides, rendered in a sandbox.",
)
@click.option(
    "--packs",
    "pack_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Directory of regulation packs to use instead of the built-in ones.",
)
@click.option(
    "--reference-doc",
    type=click.Path(path_type=Path),
    default=None,
    help="A .docx whose styles (fonts, colours) the DOCX takes; overrides the profile's branding.",
)
@click.option("--force", is_flag=True, help="Overwrite output files smpolicy did not write.")
@click.option(
    "--shard",
    default=None,
    callback=lambda _ctx, _param, value: _parse_shard(value),
    metavar="K/N",
    help="Build only shard K of N (for CI matrix jobs); every profile is in exactly one shard.",
)
def build(
    profiles: tuple[Path, ...],
    out_dir: Path | None,
    formats: str | None,
    as_of: dt.datetime | None,
    template_dir: Path | None,
    pack_dir: Path | None,
    reference_doc: Path | None,
    force: bool,
    shard: tuple[int, int] | None,
) -> None:
    """Build the policy for each PROFILE as DOCX, HTML and Markdown.

    \b
    Examples:
      smpolicy build profiles/examples/community-hospital.yaml
      smpolicy build profiles/*.yaml --out policies/ --format docx
      smpolicy build profiles/clinic.yaml --as-of 2027-01-01
      smpolicy build profiles/*.yaml --shard 2/8
    """
    from smpolicy._build import build_many  # noqa: PLC0415
    from smpolicy.workspace._config import find_workspace  # noqa: PLC0415

    if shard is not None:
        from smpolicy._paths import output_stem  # noqa: PLC0415
        from smpolicy.workspace._shard import in_shard  # noqa: PLC0415

        profiles = tuple(p for p in profiles if in_shard(output_stem(p), shard))
    workspace = find_workspace()
    if formats is None:
        formats = ",".join(workspace.config.formats) if workspace else "docx,html,md"
    selected = _parse_formats(formats)
    options: dict[str, Any] = {
        "out_dir": out_dir,
        "formats": selected,
        "as_of": as_of.date() if as_of else None,
        "pack_dir": pack_dir,
        "template_dir": template_dir,
        "force": force,
        "workspace": workspace,
        "reference_doc": reference_doc,
    }
    if workspace is not None:
        from smpolicy.workspace._lock import LockStore  # noqa: PLC0415
        from smpolicy.workspace._txn import recover_all  # noqa: PLC0415

        store = LockStore(workspace.root)
        store.open()
        _notes([*store.notes, *recover_all(workspace.root, store)])
    results = build_many(list(profiles), **options)
    show_bar = len(profiles) > 1 and sys.stderr.isatty()
    failures: list[SmpolicyError] = []
    with click.progressbar(
        length=len(profiles), label="Building", file=sys.stderr, hidden=not show_bar
    ) as bar:
        for profile, result in zip(profiles, results, strict=True):
            bar.update(1)
            if isinstance(result, SmpolicyError):
                failures.append(result)
                continue
            _notes(result.notes)
            for line in result.warnings:
                click.echo(f"{profile}: warning: {line}", err=True)
            if result.reasons:
                click.echo(f"{profile}: issued version {result.version}:", err=True)
                for reason in result.reasons:
                    click.echo(f"  - {reason}", err=True)
            if not show_bar:
                for fmt, path in result.outputs.items():
                    if fmt.rsplit(".", 1)[-1] in FORMAT_CHOICES:  # documents, not images
                        click.echo(str(path))
    if show_bar:
        click.echo(f"built {len(profiles) - len(failures)} of {len(profiles)} policies", err=True)
    if failures:
        for failure in failures[:-1]:
            for line in failure.message.splitlines():
                click.echo(f"error: {line}", err=True)
        raise failures[-1]


@cli.command()
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the schema to this file instead of standard output.",
)
def schema(out_file: Path | None) -> None:
    """Print the JSON Schema of the profile format, for editors and CI.

    \b
    Example:
      smpolicy schema --out profile.schema.json
    """
    from smpolicy.profile._schema import profile_schema_json  # noqa: PLC0415

    text = profile_schema_json()
    if out_file is None:
        click.echo(text, nl=False)
        return
    from smpolicy._fsutil import atomic_write  # noqa: PLC0415

    atomic_write(out_file, text.encode())
    click.echo(str(out_file))


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path), default=Path())
@click.option(
    "--ci",
    "ci_kind",
    type=click.Choice(["github", "gitlab"]),
    default=None,
    help="Also write a weekly job that upgrades the packs, rebuilds stale policies and opens "
    "a pull (merge) request.",
)
def init(directory: Path, ci_kind: str | None) -> None:
    """Create a policy workspace in DIRECTORY: profiles/, smpolicy.yaml, .gitignore, README.

    \b
    Examples:
      smpolicy init policies-repo && cd policies-repo && git init
      smpolicy init --ci github
    """
    from smpolicy.workspace._config import init_workspace  # noqa: PLC0415

    for path in init_workspace(directory):
        click.echo(str(path))
    if ci_kind is not None:
        from smpolicy.workspace._ci import write_ci  # noqa: PLC0415

        for path in write_ci(directory, ci_kind):
            click.echo(str(path))


@cli.command()
@click.argument("profiles", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option(
    "--packs",
    "pack_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Directory of regulation packs to check against.",
)
@click.option(
    "--shard",
    default=None,
    callback=lambda _ctx, _param, value: _parse_shard(value),
    metavar="K/N",
    help="Check only shard K of N (for CI matrix jobs); the shards' --json reports merge.",
)
def check(
    profiles: tuple[Path, ...], as_json: bool, pack_dir: Path | None, shard: tuple[int, int] | None
) -> None:
    """Say which issued policies are stale and why, without rendering anything.

    Exits 0 when every policy is current and 1 when any is stale. With no PROFILE,
    checks every policy recorded in the workspace's lock file.

    \b
    Examples:
      smpolicy check
      smpolicy check profiles/clinic.yaml --json
    """
    from smpolicy.workspace._check import check_policies, report_json, report_text  # noqa: PLC0415

    notes: list[str] = []
    warnings: list[str] = []
    try:
        results = check_policies(
            list(profiles), pack_dir=pack_dir, warnings=warnings, notes=notes, shard=shard
        )
    finally:
        _notes(notes)
    for line in warnings:
        click.echo(f"warning: {line}", err=True)
    click.echo(report_json(results, warnings) if as_json else report_text(results), nl=False)
    if any(r.reasons for r in results):
        sys.exit(int(ExitCode.STALE))


@cli.command()
@click.argument("profile", type=click.Path(path_type=Path))
@click.option("--from", "from_version", type=int, required=True, help="Older issued version.")
@click.option(
    "--to",
    "to_version",
    type=int,
    default=None,
    help="Newer issued version [default: the current one].",
)
def diff(profile: Path, from_version: int, to_version: int | None) -> None:
    """Show the text changes between two issued versions of a policy.

    \b
    Example:
      smpolicy diff profiles/clinic.yaml --from 1 --to 2
    """
    from smpolicy.workspace._check import version_diff  # noqa: PLC0415

    notes: list[str] = []
    try:
        text = version_diff(profile, from_version, to_version, notes)
    finally:
        _notes(notes)
    click.echo(text, nl=False)


@cli.command()
@click.argument("profile", required=False, type=click.Path(path_type=Path))
@click.option(
    "--update", is_flag=True, help="Ask only the questions the existing PROFILE has no answer for."
)
@click.option("--resume", is_flag=True, help="Continue from the draft an interrupted run saved.")
@click.option(
    "--answers",
    "answers_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Non-interactive: read the answers from this YAML file (same keys as a profile).",
)
def wizard(profile: Path | None, update: bool, resume: bool, answers_file: Path | None) -> None:
    """Answer questions in the terminal and write (or edit) a profile.

    \b
    Examples:
      smpolicy wizard profiles/my-clinic.yaml
      smpolicy wizard --update profiles/my-clinic.yaml
      smpolicy wizard profiles/my-clinic.yaml --answers answers.yaml
    """
    from smpolicy.profile._wizard import run_wizard  # noqa: PLC0415

    written = run_wizard(profile, update=update, resume=resume, answers_file=answers_file)
    click.echo(str(written))
    from smpolicy.compose._context import profile_conflicts  # noqa: PLC0415

    for line in profile_conflicts(written):
        click.echo(f"{written}: warning: {line}", err=True)


def _register_packs() -> None:
    from smpolicy._cli_packs import packs  # noqa: PLC0415 - click is light; the commands import lazily

    cli.add_command(packs)


_register_packs()


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn every SmpolicyError into one message and an exit code."""
    try:
        cli.main(args=argv, prog_name="smpolicy", standalone_mode=False)
    except SmpolicyError as exc:
        for line in exc.message.splitlines() or [type(exc).__name__]:
            click.echo(f"error: {line}", err=True)
        sys.exit(int(exc.exit_code))
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(int(ExitCode.ABORTED))
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(int(ExitCode.ABORTED))
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(0)
