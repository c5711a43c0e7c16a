"""Build a policy: profile + regulation packs + template pack -> Markdown -> DOCX / HTML."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import __version__
from ._context import answer_conflicts, build_context
from ._docx import DocxMeta, DocxWriter, Image
from ._flowchart import ALT_TEXT
from ._fsutil import Manifest, atomic_write, ensure_dir
from ._html import render_html
from ._mdtree import number_headings, parse_markdown, tidy_markdown
from ._packmodel import PackEntry
from ._paths import builtin_dir, output_stem
from ._profile import Profile, load_profile
from ._reference import HouseStyle
from ._regpack import FactSet, applicant_from, select_facts
from ._spelling import respell
from ._templates import ENTRY_TEMPLATE, TemplatePack, render_template
from ._workspace import Workspace
from .errors import OutputError, SmpolicyError

FORMATS = ("docx", "html", "md")


def data_dir(name: str) -> Path:
    """Built-in ``templates`` or ``regulations``: inside the wheel, else the source checkout."""
    found = builtin_dir(name)
    if not found.is_dir():  # pragma: no cover - a broken installation
        raise OutputError(f"built-in {name} not found; reinstall smpolicy")
    return found


def default_pack_dir() -> Path:
    """The regulation packs builds use: smpolicy-packs when newer, else the built-in ones."""
    from ._packset import current_pack_dir  # noqa: PLC0415

    return current_pack_dir()


def default_template_dir() -> Path:
    """The built-in template pack."""
    return data_dir("templates")


@dataclass(frozen=True)
class Rendered:
    """A policy rendered in memory: Markdown text plus what produced it."""

    profile: Profile
    markdown: str
    facts: FactSet
    cited: dict[str, PackEntry]
    template_pack: TemplatePack
    version: int
    fingerprint: str
    flowchart_name: str = "flowchart.png"
    documents: dict[str, str] = field(default_factory=dict)  # audience documents, by name


@dataclass
class BuildResult:
    """What one build wrote."""

    profile_path: Path
    outputs: dict[str, Path] = field(default_factory=dict)
    rendered: Rendered | None = None
    reasons: list[str] = field(default_factory=list)
    version: int = 1
    warnings: list[str] = field(default_factory=list)  # conflicting profile answers


def inputs_fingerprint(profile: Profile, facts: FactSet, pack: TemplatePack) -> str:
    """A short hash over every input of a build (profile, facts in force, templates, tool)."""
    digest = hashlib.sha256()
    digest.update(profile.model_dump_json().encode())
    for entry_id in sorted(facts.entries):
        digest.update(facts.entries[entry_id].model_dump_json().encode())
    digest.update(pack.fingerprint().encode())
    digest.update(__version__.encode())
    return digest.hexdigest()[:12]


def render_policy(
    profile: Profile,
    *,
    as_of: dt.date | None = None,
    pack_dir: Path | None = None,
    template_pack: TemplatePack | None = None,
    version: int = 1,
    history: list[dict[str, Any]] | None = None,
    source: str = "profile",
    flowchart_name: str = "flowchart.png",
    next_review: dt.date | None = None,
) -> Rendered:
    """Render the policy Markdown for ``profile`` (no files are written)."""
    as_of = as_of or profile.policy.effective_date
    pack = template_pack or TemplatePack.load(default_template_dir())
    facts = select_facts(
        pack_dir or default_pack_dir(),
        profile.organization.jurisdictions,
        as_of=as_of,
        org_type=profile.organization.type,
        public_sector=profile.organization.public_sector,
        source=source,
        applicant=applicant_from(_flat_org(profile)),
    )
    fingerprint = inputs_fingerprint(profile, facts, pack)
    context, citations = build_context(
        profile,
        facts,
        pack.controls_for(profile.risk_appetite),
        version=version,
        fingerprint=fingerprint,
        history=history or [],
        flowchart_name=flowchart_name,
        next_review=next_review,
    )
    env = pack.environment()
    markdown = render_template(env, ENTRY_TEMPLATE, context)
    markdown = tidy_markdown(number_headings(markdown))
    language, names = policy_language(facts), _proper_names(profile, facts)
    markdown = respell(markdown, language, names)
    markdown = "\n".join(line.rstrip() for line in markdown.splitlines()).strip() + "\n"
    from ._audience import render_documents  # noqa: PLC0415

    documents = {
        name: respell(tidy_markdown(number_headings(text)), language, names)
        for name, text in render_documents(pack, env, context, markdown).items()
    }
    return Rendered(
        profile,
        markdown,
        facts,
        dict(citations.used),
        pack,
        version,
        fingerprint,
        flowchart_name,
        documents,
    )


def _flat_org(profile: Profile) -> dict[str, object]:
    """The organization's answers as flat 'organization.<field>' values."""
    return {f"organization.{k}": v for k, v in profile.organization.model_dump().items()}


def policy_language(facts: FactSet) -> str:
    """The policy's language: that of the first selected country (or the EU)."""
    terms = next(iter(facts.packs.values())).terms
    return terms.language if terms else "en-US"


def _proper_names(profile: Profile, facts: FactSet) -> list[str]:
    """Text that keeps its own spelling: every profile string and the packs' names and titles."""
    from ._mdescape import md_escape  # noqa: PLC0415

    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.extend((value, str(md_escape(value))))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(profile.model_dump(mode="json"))
    for entry in facts.entries.values():
        for text in (entry.title, entry.citation, entry.source.title, entry.source.publisher):
            found.extend((text, str(md_escape(text))))
    for pack in facts.packs.values():
        found.append(pack.name)
    return found


def docx_meta(rendered: Rendered) -> DocxMeta:
    """Document properties, all taken from the profile and the build (never the clock)."""
    profile = rendered.profile
    org = profile.organization
    language = policy_language(rendered.facts)
    title = profile.policy.title
    return DocxMeta(
        title=f"{title} ({profile.policy.number})",
        subject=f"Social media policy for {org.name}",
        author=profile.contacts.policy_owner.title,
        keywords="; ".join(["social media", "policy", "privacy", *rendered.facts.packs]),
        description=f"Version {rendered.version}; build {rendered.fingerprint}",
        language=language,
        date=profile.policy.effective_date.isoformat(),
        organization=org.name,
        header_text=f"{org.name}\t{title}",
        footer_text=f"{profile.policy.number} · version {rendered.version}",
        version=rendered.version,
        generator=f"smpolicy {__version__}",
    )


def flowchart_png(rendered: Rendered) -> bytes:
    """The Appendix C flowchart for this policy, drawn from its controls and contacts."""
    from ._context import effective_controls, misinformation_tiers  # noqa: PLC0415
    from ._flowchart import Tier, draw_flowchart  # noqa: PLC0415

    profile = rendered.profile
    controls = effective_controls(
        profile, rendered.template_pack.controls_for(profile.risk_appetite)
    )
    comms = profile.contacts.communications_lead.title
    tiers = [
        Tier(t["name"], t["timing"][:1].upper() + t["timing"][1:], t["approver"])
        for t in misinformation_tiers(profile, controls)
    ]
    return draw_flowchart(tiers, monitor=str(controls["monitoring"]), decider=comms)


def resolve_style(profile: Profile, profile_path: Path, reference_doc: Path | None) -> HouseStyle:
    """The reference document and logo for a build: option, then profile branding, then built-in."""
    from ._reference import house_style  # noqa: PLC0415

    base = profile_path.parent
    branding = profile.branding
    reference = reference_doc or (base / branding.reference_doc if branding.reference_doc else None)
    logo = base / branding.logo if branding.logo else None
    default = default_template_dir() / "styles" / "reference.docx"
    return house_style(reference, logo, default, root=base, named=reference_doc)


def write_formats(
    rendered: Rendered,
    formats: tuple[str, ...],
    images: dict[str, Image] | None = None,
    style: HouseStyle | None = None,
) -> dict[str, bytes]:
    """Produce the bytes of each requested format from the rendered Markdown."""
    results: dict[str, bytes] = {}
    images = dict(images or {})
    if rendered.flowchart_name in rendered.markdown:
        images[rendered.flowchart_name] = Image(flowchart_png(rendered), ALT_TEXT)
        if "md" in formats:
            results["flowchart.png"] = images[rendered.flowchart_name].data
    if "pdf" in formats and "docx" not in formats:
        formats = (*formats, "docx")
    if "md" in formats:
        results["md"] = rendered.markdown.encode("utf-8")
    if "docx" in formats or "html" in formats:
        root, _html_body = parse_markdown(rendered.markdown)
        meta = docx_meta(rendered)
        if "docx" in formats:
            writer = DocxWriter(
                meta,
                images,
                style.styles if style else None,
                theme=style.theme if style else None,
                logo=style.logo if style else None,
            )
            results["docx"] = writer.write(root)
        if "html" in formats:
            results["html"] = render_html(
                root,
                images={
                    name: "data:image/png;base64," + base64.b64encode(img.data).decode()
                    for name, img in images.items()
                },
                title=meta.title,
                language=meta.language,
                header=meta.header_text.replace("\t", " — "),
                footer=meta.footer_text,
            ).encode("utf-8")
    for name, text in rendered.documents.items():
        results.update(_document_formats(rendered, name, text, formats, style))
    if "pdf" in formats:
        from ._pdf import docx_to_pdf  # noqa: PLC0415

        results["pdf"] = docx_to_pdf(results["docx"], "policy")
    return results


def _document_formats(
    rendered: Rendered,
    name: str,
    markdown: str,
    formats: tuple[str, ...],
    style: HouseStyle | None,
) -> dict[str, bytes]:
    """One audience document in each requested format, keyed '<name>.<format>'."""
    from ._audience import DOCUMENTS  # noqa: PLC0415

    results: dict[str, bytes] = {}
    if "md" in formats:
        results[f"{name}.md"] = markdown.encode("utf-8")
    if "docx" not in formats and "html" not in formats:
        return results
    root, _html_body = parse_markdown(markdown)
    base = docx_meta(rendered)
    title = f"{rendered.profile.policy.title}: {DOCUMENTS[name][1].lower()}"
    meta = replace(base, title=title, subject=f"{DOCUMENTS[name][1]}: {base.subject}")
    if "docx" in formats:
        writer = DocxWriter(
            meta,
            {},
            style.styles if style else None,
            theme=style.theme if style else None,
            logo=style.logo if style else None,
            toc=False,
        )
        results[f"{name}.docx"] = writer.write(root)
    if "html" in formats:
        results[f"{name}.html"] = render_html(
            root,
            images={},
            title=meta.title,
            language=meta.language,
            header=meta.header_text.replace("\t", " — "),
            footer=meta.footer_text,
            toc=False,
        ).encode("utf-8")
    return results


def build_policy(
    profile_path: str | Path,
    out_dir: str | Path | None = None,
    *,
    formats: tuple[str, ...] = FORMATS,
    as_of: dt.date | None = None,
    pack_dir: Path | None = None,
    template_dir: Path | None = None,
    force: bool = False,
    workspace: Workspace | None = None,
    reference_doc: Path | None = None,
) -> BuildResult:
    """Build one profile's policy; every file is written atomically.

    Inside a workspace (a directory with smpolicy.yaml) the build is recorded in the lock
    file: an unchanged policy is re-rendered identically, a stale one is issued as a new
    version with a revision-history row, an archived predecessor and a redline.
    """
    profile_path = Path(profile_path)
    profile = load_profile(profile_path)
    stem = output_stem(profile_path)
    if workspace is not None:
        cfg = workspace.config
        out = Path(out_dir) if out_dir is not None else workspace.path(cfg.output_dir)
        if pack_dir is None:
            pack_dir, _warnings = workspace.pack_dir()
        template_dir = template_dir or (workspace.path(cfg.templates) if cfg.templates else None)
    else:
        out = Path(out_dir) if out_dir is not None else Path("out")
    pack = TemplatePack.load(default_template_dir(), overlay=template_dir)
    style = resolve_style(profile, profile_path, reference_doc)
    result = BuildResult(profile_path)

    if workspace is None:
        rendered = render_policy(
            profile,
            as_of=as_of,
            pack_dir=pack_dir,
            template_pack=pack,
            source=str(profile_path),
            flowchart_name=f"{stem}.flowchart.png",
        )
        payloads = write_formats(rendered, formats, style=style)
        manifest, targets = _claim_outputs(out, stem, payloads, force=force)
        _write_outputs(manifest, targets, payloads, result)
        result.rendered = rendered
        result.warnings = answer_conflicts(rendered.profile, rendered.facts)
        return result

    return _build_in_workspace(
        workspace,
        profile_path,
        profile,
        stem,
        out,
        formats,
        as_of,
        pack_dir,
        pack,
        force,
        result,
        style,
    )


def _claim_outputs(
    out: Path, stem: str, payloads: dict[str, bytes], *, force: bool
) -> tuple[Manifest, dict[str, Path]]:
    """The target path of each payload, after checking smpolicy may replace what is there."""
    ensure_dir(out)
    manifest = Manifest(out)
    targets = {fmt: out / f"{stem}.{fmt}" for fmt in payloads}
    for target in targets.values():
        manifest.check_writable(target, force=force)
    return manifest, targets


def _write_outputs(
    manifest: Manifest, targets: dict[str, Path], payloads: dict[str, bytes], result: BuildResult
) -> None:
    """Write every payload atomically and record it in the output manifest."""
    for fmt, target in targets.items():
        atomic_write(target, payloads[fmt])
        manifest.record(target, payloads[fmt])
        result.outputs[fmt] = target
    manifest.save()


def _build_in_workspace(
    workspace: Workspace,
    profile_path: Path,
    profile: Profile,
    stem: str,
    out: Path,
    formats: tuple[str, ...],
    as_of: dt.date | None,
    pack_dir: Path | None,
    pack: TemplatePack,
    force: bool,
    result: BuildResult,
    style: HouseStyle,
) -> BuildResult:
    from ._fsutil import locked, sha256  # noqa: PLC0415
    from ._lock import (  # noqa: PLC0415
        LockedEntry,
        LockedOutput,
        LockedPolicy,
        Revision,
        entry_sha,
        locked_policy,
        profile_values,
        read_lock_data,
        staleness,
        store_policy,
    )
    from ._workspace import issue_date  # noqa: PLC0415

    packs = pack_dir or default_pack_dir()
    previous = locked_policy(workspace.lock_path, read_lock_data(workspace.lock_path), stem)
    today = issue_date()
    reasons: list[str] = []
    if previous is None:
        version = 1
        legal_date = as_of or profile.policy.effective_date
        history = [
            Revision(version=1, date=profile.policy.effective_date, reasons=["First issue."])
        ]
    else:
        reasons = staleness(
            previous,
            profile,
            pack_dir=packs,
            template_pack=pack,
            today=today,
            outputs_root=workspace.root,
            source=str(profile_path),
        )
        if as_of is not None and as_of != previous.as_of:
            reasons.append(f"built as of {as_of.isoformat()} (was {previous.as_of.isoformat()})")
        if reasons:
            version = previous.version + 1
            legal_date = as_of or max(profile.policy.effective_date, today)
            history = [*previous.history, Revision(version=version, date=today, reasons=reasons)]
        else:
            version, legal_date, history = previous.version, previous.as_of, previous.history

    rendered = render_policy(
        profile,
        as_of=legal_date,
        pack_dir=packs,
        template_pack=pack,
        version=version,
        history=[h.model_dump() for h in history],
        source=str(profile_path),
        flowchart_name=f"{stem}.flowchart.png",
        next_review=profile.next_review(history[-1].date),
    )
    payloads = write_formats(rendered, formats, style=style)
    manifest, targets = _claim_outputs(out, stem, payloads, force=force)
    if previous is not None and reasons:
        _archive_and_redline(
            workspace, previous, stem, rendered, reasons, today, out, manifest, style
        )
    _write_outputs(manifest, targets, payloads, result)

    facts = rendered.facts
    entry = LockedPolicy(
        profile=workspace.relative(profile_path),
        profile_sha256=sha256(profile.model_dump_json().encode())[:16],
        profile_file_sha256=sha256(profile_path.read_bytes())[:16],
        profile_values=profile_values(profile),
        tool_version=__version__,
        template_version=pack.info.version,
        template_sha256=pack.fingerprint(),
        template_sections=pack.section_fingerprints(),
        as_of=legal_date,
        next_review=profile.next_review(history[-1].date),
        pack_versions={code: p.version for code, p in facts.packs.items()},
        entries={
            e.id: LockedEntry(
                title=e.title,
                jurisdiction=e.jurisdiction,
                effective_from=e.effective_from,
                effective_to=e.effective_to,
                values={k: str(v) for k, v in e.values.items()},
                sha256=entry_sha(e),
            )
            for e in sorted(rendered.cited.values(), key=lambda e: e.id)
        },
        in_force=sorted(facts.entries),
        upcoming={e.id: e.effective_from for e in facts.upcoming},
        version=version,
        history=history,
        outputs={
            fmt: LockedOutput(path=workspace.relative(t), sha256=sha256(payloads[fmt])[:16])
            for fmt, t in sorted(targets.items())
        },
    )
    with locked(workspace.root / ".smpolicy.lock.lock"):
        store_policy(workspace.lock_path, stem, entry)  # keeps what other builds stored meanwhile
    result.rendered = rendered
    result.warnings = answer_conflicts(rendered.profile, rendered.facts)
    result.reasons = reasons
    result.version = version
    return result


def _archive_and_redline(
    workspace: Workspace,
    previous: Any,
    stem: str,
    rendered: Rendered,
    reasons: list[str],
    today: dt.date,
    out: Path,
    manifest: Any,
    style: HouseStyle | None = None,
) -> None:
    """Keep the superseded version and write the redline DOCX and change summary."""
    from ._fsutil import atomic_write  # noqa: PLC0415
    from ._redline import changes_markdown, redline  # noqa: PLC0415

    archive = workspace.path(workspace.config.archive_dir) / stem / f"v{previous.version}"
    old_markdown = ""
    old_images = {}
    for fmt, output in sorted(previous.outputs.items()):
        source = workspace.root / output.path
        if source.is_file():
            data = source.read_bytes()
            atomic_write(archive / source.name, data)
            if fmt == "md":
                old_markdown = data.decode("utf-8")
            elif fmt == "flowchart.png":
                old_images[source.name] = Image(data)
    if not old_markdown:
        return
    images = {}
    if rendered.flowchart_name in rendered.markdown:
        images[rendered.flowchart_name] = Image(flowchart_png(rendered), ALT_TEXT)
    # One diff: the redline (the new DOCX with tracked changes) and the count of changes.
    tracked = redline(
        old_markdown,
        rendered.markdown,
        docx_meta(rendered),
        author="smpolicy",
        date=today.isoformat(),
        images=images,
        style=style,
        old_images=old_images,
    )
    target = out / f"{stem}.redline.docx"
    manifest.check_writable(target, force=True)
    atomic_write(target, tracked.docx)
    manifest.record(target, tracked.docx)
    changed = tracked.changed_paragraphs
    summary = (
        f"# Changes in {rendered.profile.policy.title} {rendered.profile.policy.number}, "
        f"version {rendered.version}\n\n"
        f"Issued {today.isoformat()}; replaces version {previous.version}. "
        f"{changed} paragraphs changed; the tracked changes are in `{target.name}`.\n\n"
        "## Why\n\n"
        + "".join(f"- {r}\n" for r in reasons)
        + "\n## What changed\n\n"
        + changes_markdown(tracked.changes)
    )
    summary_path = out / f"{stem}.changes.md"
    atomic_write(summary_path, summary.encode())
    manifest.record(summary_path, summary.encode())


def _build_quietly(args: tuple[Path, dict[str, Any]]) -> BuildResult | SmpolicyError:
    """Worker: one build, returning the error instead of raising it (results stay small)."""
    profile_path, options = args
    try:
        result = build_policy(profile_path, **options)
    except SmpolicyError as exc:
        return exc
    result.rendered = None
    return result


def build_many(
    profiles: list[Path], *, jobs: int | None = None, **options: Any
) -> Iterator[BuildResult | SmpolicyError]:
    """Build several profiles, in parallel worker processes; yields results in input order."""
    jobs = jobs or min(len(profiles), os.cpu_count() or 1)
    work: list[tuple[Path, dict[str, Any]]] = [(Path(p), options) for p in profiles]
    if jobs <= 1 or len(profiles) <= 1:
        yield from map(_build_quietly, work)
        return
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(_build_quietly, work, chunksize=max(1, len(work) // (jobs * 8)))
