"""Build a policy: profile + regulation packs + template pack -> Markdown -> DOCX / HTML."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from smpolicy import __version__, _fsutil
from smpolicy._fsutil import Manifest, confined, ensure_dir
from smpolicy._paths import builtin_dir, output_stem
from smpolicy.compose._clauses import ClausePlan
from smpolicy.compose._context import answer_conflicts, build_context
from smpolicy.compose._spelling import respell
from smpolicy.compose._templates import ENTRY_TEMPLATE, TemplatePack, render_template
from smpolicy.errors import InputFileError, OutputError, SmpolicyError
from smpolicy.law._model import PackEntry
from smpolicy.law._packs import FactSet, applicant_from, select_facts
from smpolicy.profile._model import Profile, load_profile
from smpolicy.render._docx import DocxMeta, DocxWriter, Image
from smpolicy.render._flowchart import ALT_TEXT
from smpolicy.render._html import render_html
from smpolicy.render._mdtree import number_headings, parse_markdown, tidy_markdown
from smpolicy.render._reference import HouseStyle
from smpolicy.workspace._config import Workspace
from smpolicy.workspace._txn import Transaction, writing

FORMATS = ("docx", "html", "md")


def data_dir(name: str) -> Path:
    """Built-in ``templates`` or ``regulations``: inside the wheel, else the source checkout."""
    found = builtin_dir(name)
    if not found.is_dir():  # pragma: no cover - a broken installation
        raise OutputError(f"built-in {name} not found; reinstall smpolicy")
    return found


def default_pack_dir() -> Path:
    """The regulation packs builds use: smpolicy-packs when newer, else the built-in ones."""
    from smpolicy.law._packset import current_pack_dir  # noqa: PLC0415

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
    notes: list[str] = field(default_factory=list)
    """One line for each thing done besides the build (a recovery, a migration)."""
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


def _facts_for(profile: Profile, as_of: dt.date, pack_dir: Path | None, source: str) -> FactSet:
    return select_facts(
        pack_dir or default_pack_dir(),
        profile.organization.jurisdictions,
        as_of=as_of,
        org_type=profile.organization.type,
        public_sector=profile.organization.public_sector,
        source=source,
        applicant=applicant_from(_flat_org(profile)),
    )


def clause_plan(
    profile: Profile,
    *,
    as_of: dt.date,
    pack_dir: Path | None = None,
    template_pack: TemplatePack | None = None,
    source: str = "profile",
) -> ClausePlan:
    """Which rules the policy of ``profile`` states, with their numbers (nothing rendered)."""
    from smpolicy.compose._context import condition_inputs  # noqa: PLC0415

    pack = template_pack or TemplatePack.load(default_template_dir())
    facts = _facts_for(profile, as_of, pack_dir, source)
    return ClausePlan.make(pack.clauses(), condition_inputs(profile, facts))


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
    facts = _facts_for(profile, as_of, pack_dir, source)
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
        clause_files=pack.clauses(),
    )
    env = pack.environment()
    markdown = render_template(env, ENTRY_TEMPLATE, context)
    markdown = tidy_markdown(number_headings(markdown))
    language, names = policy_language(facts), _proper_names(profile, facts)
    markdown = respell(markdown, language, names)
    markdown = "\n".join(line.rstrip() for line in markdown.splitlines()).strip() + "\n"
    from smpolicy.compose._audience import render_documents  # noqa: PLC0415

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
    from smpolicy.compose._mdescape import md_escape  # noqa: PLC0415

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
    from smpolicy.compose._context import effective_controls, misinformation_tiers  # noqa: PLC0415
    from smpolicy.render._flowchart import Tier, draw_flowchart  # noqa: PLC0415

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
    from smpolicy.render._reference import house_style  # noqa: PLC0415

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
    """Produce the bytes of each requested format: the policy, then each audience document."""
    from smpolicy.compose._audience import DOCUMENTS  # noqa: PLC0415

    results: dict[str, bytes] = {}
    images = dict(images or {})
    if rendered.flowchart_name in rendered.markdown:
        images[rendered.flowchart_name] = Image(flowchart_png(rendered), ALT_TEXT)
        if "md" in formats:
            results["flowchart.png"] = images[rendered.flowchart_name].data
    if "pdf" in formats and "docx" not in formats:
        formats = (*formats, "docx")
    meta = docx_meta(rendered)
    results.update(_formats_of(rendered.markdown, "", meta, formats, images, style, toc=True))
    for name, text in rendered.documents.items():
        label = DOCUMENTS[name][1]
        title = f"{rendered.profile.policy.title}: {label.lower()}"
        doc_meta = replace(meta, title=title, subject=f"{label}: {meta.subject}")
        results.update(_formats_of(text, f"{name}.", doc_meta, formats, {}, style, toc=False))
    if "pdf" in formats:
        from smpolicy.render._pdf import docx_to_pdf  # noqa: PLC0415

        results["pdf"] = docx_to_pdf(results["docx"], "policy")
    return results


def _formats_of(
    markdown: str,
    prefix: str,
    meta: DocxMeta,
    formats: tuple[str, ...],
    images: dict[str, Image],
    style: HouseStyle | None,
    *,
    toc: bool,
) -> dict[str, bytes]:
    """One document's Markdown, DOCX and HTML (as requested), keyed '<prefix><format>'."""
    results: dict[str, bytes] = {}
    if "md" in formats:
        results[f"{prefix}md"] = markdown.encode("utf-8")
    if "docx" not in formats and "html" not in formats:
        return results
    root = parse_markdown(markdown)
    if "docx" in formats:
        writer = DocxWriter(
            meta,
            images,
            style.styles if style else None,
            theme=style.theme if style else None,
            logo=style.logo if style else None,
            toc=toc,
        )
        results[f"{prefix}docx"] = writer.write(root)
    if "html" in formats:
        results[f"{prefix}html"] = render_html(
            root,
            images={
                name: "data:image/png;base64," + base64.b64encode(img.data).decode()
                for name, img in images.items()
            },
            title=meta.title,
            language=meta.language,
            header=meta.header_text.replace("\t", " — "),
            footer=meta.footer_text,
            toc=toc,
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
    stem = output_stem(profile_path)
    if workspace is not None:
        cfg = workspace.config
        out = (
            _inside(workspace, Path(out_dir), "--out")
            if out_dir is not None
            else workspace.path(cfg.output_dir, "output_dir")
        )
        if pack_dir is None:
            pack_dir, _warnings = workspace.pack_dir()
        template_dir = template_dir or (
            workspace.input_path(cfg.templates) if cfg.templates else None
        )
    else:
        out = Path(out_dir) if out_dir is not None else Path("out")
    pack = TemplatePack.load(default_template_dir(), overlay=template_dir)
    result = BuildResult(profile_path)

    if workspace is not None:
        return _build_in_workspace(
            workspace, profile_path, stem, out, formats, as_of, pack_dir, pack, force, result,
            reference_doc,
        )  # fmt: skip
    profile = load_profile(profile_path)
    style = resolve_style(profile, profile_path, reference_doc)
    rendered = render_policy(
        profile,
        as_of=as_of,
        pack_dir=pack_dir,
        template_pack=pack,
        source=str(profile_path),
        flowchart_name=f"{stem}.flowchart.png",
    )
    payloads = write_formats(rendered, formats, style=style)
    ensure_dir(out)
    txn = Transaction(out, stem, None)
    with txn.lock():
        result.notes.extend(filter(None, [txn.recover()]))
        manifest, targets = _claim_outputs(out, stem, payloads, force=force)
        with writing(txn):
            txn.begin(1, None)
            for fmt, target in targets.items():
                txn.stage(target, payloads[fmt])
                result.outputs[fmt] = target
            txn.commit(None, manifest)
    result.rendered = rendered
    result.warnings = answer_conflicts(rendered.profile, rendered.facts)
    return result


def _inside(workspace: Workspace, path: Path, what: str) -> Path:
    """``path`` (named on the command line) when it is inside the workspace; else an error."""
    root = workspace.root.resolve()
    resolved = path.resolve()
    if resolved != root and root not in resolved.parents:
        raise OutputError(
            f"{what} {path}: outside the workspace {workspace.root}; a workspace keeps its "
            "profiles and policies inside it (move the file in, or work outside the workspace)"
        )
    return resolved


def read_profile_once(path: Path) -> tuple[Profile, bytes]:
    """The profile and the exact bytes it was parsed from.

    The file is read before and after parsing; the two reads must agree, so the values and
    the file hash recorded in the lock always come from the same saved file.
    """
    for attempt in range(5):
        before = _read_capped(path)
        try:
            profile = load_profile(path)
        except SmpolicyError:
            if attempt < 4 and _read_capped(path) != before:
                time.sleep(0.05)
                continue  # caught mid-save: read the saved file again
            raise
        if before is not None and _read_capped(path) == before:
            return profile, before
    raise InputFileError(f"{path}: kept changing while it was read; save it and build again")


def _read_capped(path: Path) -> bytes | None:
    from smpolicy._yaml import MAX_BYTES  # noqa: PLC0415

    try:
        with path.open("rb") as handle:
            return handle.read(MAX_BYTES + 1)
    except OSError:
        return None  # load_profile reports why, in its own words


def _claim_outputs(
    out: Path, stem: str, payloads: dict[str, bytes], *, force: bool
) -> tuple[Manifest, dict[str, Path]]:
    """The target path of each payload, after checking smpolicy may replace what is there."""
    ensure_dir(out)
    manifest = Manifest(out, stem)
    targets = {fmt: out / f"{stem}.{fmt}" for fmt in payloads}
    for target in targets.values():
        manifest.check_writable(target, force=force)
    return manifest, targets


def _build_in_workspace(
    workspace: Workspace,
    profile_path: Path,
    stem: str,
    out: Path,
    formats: tuple[str, ...],
    as_of: dt.date | None,
    pack_dir: Path | None,
    pack: TemplatePack,
    force: bool,
    result: BuildResult,
    reference_doc: Path | None,
) -> BuildResult:
    """Issue or rebuild one policy as a transaction under its lock (see ``_txn``)."""
    from smpolicy.workspace._lock import LockStore  # noqa: PLC0415

    store = LockStore(workspace.root)
    store.open(create=True)
    result.notes.extend(store.notes)
    txn = Transaction(workspace.root, stem, store)
    with txn.lock():
        result.notes.extend(filter(None, [txn.recover()]))
        return _issue(
            workspace, store, txn, profile_path, stem, out, formats, as_of, pack_dir, pack,
            force, result, reference_doc,
        )  # fmt: skip


def _issue(
    workspace: Workspace,
    store: Any,
    txn: Transaction,
    profile_path: Path,
    stem: str,
    out: Path,
    formats: tuple[str, ...],
    as_of: dt.date | None,
    pack_dir: Path | None,
    pack: TemplatePack,
    force: bool,
    result: BuildResult,
    reference_doc: Path | None,
) -> BuildResult:
    from smpolicy._fsutil import sha256  # noqa: PLC0415
    from smpolicy.workspace._config import issue_date  # noqa: PLC0415
    from smpolicy.workspace._lock import (  # noqa: PLC0415
        LockedEntry,
        LockedOutput,
        LockedPolicy,
        Revision,
        entry_sha,
        profile_values,
        staleness,
    )

    profile_rel = (
        _inside(workspace, profile_path, "profile").relative_to(workspace.root.resolve()).as_posix()
    )
    previous = store.read(stem)
    if (
        previous is not None
        and previous.profile != profile_rel
        and (workspace.root / previous.profile).is_file()
    ):
        raise OutputError(
            f"{profile_path}: policy '{stem}' was issued from {previous.profile}; two profiles "
            "with the same file name cannot share a workspace, so rename one"
        )
    profile, profile_bytes = read_profile_once(profile_path)
    style = resolve_style(profile, profile_path, reference_doc)
    packs = pack_dir or default_pack_dir()
    today = issue_date()
    reasons: list[str] = []
    if previous is None:
        version = 1
        legal_date = as_of or profile.policy.effective_date
        history = [Revision(version=1, date=today, reasons=["First issue."])]
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
    next_review = profile.next_review(None if version == 1 else history[-1].date)

    rendered = render_policy(
        profile,
        as_of=legal_date,
        pack_dir=packs,
        template_pack=pack,
        version=version,
        history=[h.model_dump() for h in history],
        source=str(profile_path),
        flowchart_name=f"{stem}.flowchart.png",
        next_review=next_review,
    )
    payloads = write_formats(rendered, formats, style=style)
    manifest, targets = _claim_outputs(out, stem, payloads, force=force)
    reissue = previous is not None and bool(reasons)

    def rel(path: Path) -> str:
        return path.resolve().relative_to(workspace.root.resolve()).as_posix()

    with writing(txn):
        archive_dir = None
        if previous is not None and reissue:
            archive_dir = (
                workspace.path(workspace.config.archive_dir, "archive_dir")
                / stem
                / f"v{previous.version}"
            )
        txn.begin(version, archive_dir if archive_dir and not archive_dir.exists() else None)
        archived = list(previous.archived) if previous is not None else []
        outputs = {
            fmt: LockedOutput(path=rel(t), sha256=sha256(payloads[fmt])[:16])
            for fmt, t in sorted(targets.items())
        }
        if previous is not None and archive_dir is not None:
            kept, old_markdown, old_images = _archive_previous(
                workspace, store, stem, previous, archive_dir, force=force, notes=result.notes
            )
            archived.append(kept)
            for fmt, output in previous.outputs.items():
                old = confined(workspace.root, output.path, f"{store.record_path(stem)}")
                if fmt not in targets and old.exists():
                    txn.remove_on_commit(old)
            _stage_redline(
                txn, manifest, previous, stem, rendered, reasons, today, out, old_markdown,
                old_images, style,
            )  # fmt: skip
        elif previous is not None:
            outputs = {**previous.outputs, **outputs}  # formats not rebuilt stay current
        for fmt, target in targets.items():
            txn.stage(target, payloads[fmt])
            result.outputs[fmt] = target

        facts = rendered.facts
        record = LockedPolicy(
            profile=profile_rel,
            profile_sha256=sha256(profile.model_dump_json().encode())[:16],
            profile_file_sha256=sha256(profile_bytes)[:16],
            profile_values=profile_values(profile),
            tool_version=__version__,
            template_version=pack.info.version,
            template_sha256=pack.fingerprint(),
            template_sections=pack.section_fingerprints(),
            as_of=legal_date,
            next_review=next_review,
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
            outputs=outputs,
            archived=archived,
        )
        txn.commit(record, manifest)
    result.rendered = rendered
    result.warnings = answer_conflicts(rendered.profile, rendered.facts)
    result.warnings = answer_conflicts(rendered.profile, rendered.facts)
    result.reasons = reasons
    result.version = version
    return result


def _archive_previous(
    workspace: Workspace,
    store: Any,
    stem: str,
    previous: Any,
    archive: Path,
    *,
    force: bool,
    notes: list[str],
) -> tuple[Any, str, dict[str, Image]]:
    """Copy the superseded version into the archive, checking every byte against its record.

    Runs before anything replaces the current files. A current file that no longer matches its
    record (edited or damaged) is refused, or with ``--force`` left out of the archive.
    """
    from smpolicy._fsutil import sha256  # noqa: PLC0415
    from smpolicy.workspace._lock import ArchivedVersion, LockedOutput  # noqa: PLC0415

    number = previous.version
    kept: dict[str, LockedOutput] = {}
    old_markdown = ""
    old_images: dict[str, Image] = {}
    for fmt, output in sorted(previous.outputs.items()):
        source = confined(
            workspace.root, output.path, f"{store.record_path(stem)}: outputs.{fmt}.path"
        )
        if not source.is_file():
            continue
        data = source.read_bytes()
        digest = output.sha256
        if not sha256(data).startswith(digest):
            if not force:
                raise OutputError(
                    f"{source}: differs from version {number} as issued (edited or damaged), so "
                    f"it cannot be archived as version {number}; restore it from git, or pass "
                    f"--force to issue version {number + 1} without archiving it"
                )
            notes.append(f"{output.path}: not archived, it differs from version {number} (--force)")
            continue
        target = archive / source.name
        if target.exists():
            if not sha256(target.read_bytes()).startswith(digest):
                raise OutputError(
                    f"{target}: already exists and is not version {number} as issued; move it "
                    "away and build again"
                )
        else:
            _fsutil.atomic_write(target, data)
            if not sha256(target.read_bytes()).startswith(digest):
                raise OutputError(f"{target}: the archived copy reads back wrong; check the disk")
        rel = target.resolve().relative_to(workspace.root.resolve()).as_posix()
        kept[fmt] = LockedOutput(path=rel, sha256=digest)
        if fmt == "md":
            old_markdown = data.decode("utf-8", errors="replace")
        elif fmt == "flowchart.png":
            old_images[source.name] = Image(data)
    if kept:
        _fsutil.fsync_dir(archive)
    return ArchivedVersion(version=number, outputs=kept), old_markdown, old_images


def _stage_redline(
    txn: Transaction,
    manifest: Manifest,
    previous: Any,
    stem: str,
    rendered: Rendered,
    reasons: list[str],
    today: dt.date,
    out: Path,
    old_markdown: str,
    old_images: dict[str, Image],
    style: HouseStyle | None,
) -> None:
    """Stage the redline DOCX and the change summary of a re-issued policy."""
    from smpolicy.render._redline import changes_markdown, redline  # noqa: PLC0415

    target = out / f"{stem}.redline.docx"
    summary_path = out / f"{stem}.changes.md"
    if not old_markdown:
        for stale in (target, summary_path):
            if stale.name in manifest.files and stale.exists():
                txn.remove_on_commit(stale)  # they describe an older change
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
    manifest.check_writable(target, force=True)
    txn.stage(target, tracked.docx)
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
    txn.stage(summary_path, summary.encode())


def _build_quietly(args: tuple[Path, dict[str, Any]]) -> BuildResult | SmpolicyError:
    """Worker: one build, returning the error instead of raising it (results stay small)."""
    profile_path, options = args
    try:
        result = build_policy(profile_path, **options)
    except SmpolicyError as exc:
        return exc
    result.rendered = None
    return result


def _end_with_parent(parent: int) -> None:
    """Worker initializer: the worker dies with the process that started the batch.

    On Linux the kernel sends SIGKILL when the parent dies (``PR_SET_PDEATHSIG``); elsewhere,
    and as a second guard, a thread polls the parent. A killed worker is harmless: its build
    is rolled back or completed from the journal by the next command.
    """
    import signal  # noqa: PLC0415
    import sys  # noqa: PLC0415
    import threading  # noqa: PLC0415
    import time  # noqa: PLC0415

    if sys.platform.startswith("linux"):
        import ctypes  # noqa: PLC0415

        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent and not _parent_alive(parent):
        os._exit(1)

    def watch() -> None:
        while _parent_alive(parent):
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="smpolicy-parent-watch", daemon=True).start()


def _parent_alive(parent: int) -> bool:
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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

    with ProcessPoolExecutor(
        max_workers=jobs, initializer=_end_with_parent, initargs=(os.getpid(),)
    ) as pool:
        yield from pool.map(_build_quietly, work, chunksize=max(1, len(work) // (jobs * 8)))
