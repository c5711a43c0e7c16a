"""Build a policy: profile + regulation packs + template pack -> Markdown -> DOCX / HTML."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from . import __version__
from ._context import build_context
from ._docx import DocxMeta, DocxWriter, Image
from ._html import render_html
from ._mdtree import parse_markdown
from ._packmodel import PackEntry
from ._profile import Profile, load_profile
from ._regpack import FactSet, select_facts
from ._templates import ENTRY_TEMPLATE, TemplatePack, render_template
from .errors import OutputError

FORMATS = ("docx", "html", "md")


def data_dir(name: str) -> Path:
    """Built-in ``templates`` or ``regulations``: inside the wheel, else the source checkout."""
    packaged = Path(str(resources.files("smpolicy"))) / "_data" / name
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / name
    if checkout.is_dir():
        return checkout
    raise OutputError(f"built-in {name} not found; reinstall smpolicy")  # pragma: no cover


def default_pack_dir() -> Path:
    """The built-in regulation packs."""
    return data_dir("regulations")


def default_template_dir() -> Path:
    """The built-in template pack."""
    return data_dir("templates")


def output_stem(profile_path: Path) -> str:
    """A safe file-name stem derived from the profile's file name."""
    text = unicodedata.normalize("NFKD", profile_path.stem).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._")
    return text[:80] or "policy"


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


@dataclass
class BuildResult:
    """What one build wrote."""

    profile_path: Path
    outputs: dict[str, Path] = field(default_factory=dict)
    rendered: Rendered | None = None


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
    )
    fingerprint = inputs_fingerprint(profile, facts, pack)
    context, citations = build_context(
        profile,
        facts,
        pack.controls_for(profile.risk_appetite),
        version=version,
        fingerprint=fingerprint,
        history=history or [],
    )
    markdown = render_template(pack.environment(), ENTRY_TEMPLATE, context)
    markdown = "\n".join(line.rstrip() for line in markdown.splitlines()).strip() + "\n"
    return Rendered(profile, markdown, facts, dict(citations.used), pack, version, fingerprint)


def docx_meta(rendered: Rendered) -> DocxMeta:
    """Document properties, all taken from the profile and the build (never the clock)."""
    profile = rendered.profile
    org = profile.organization
    terms = next(iter(rendered.facts.packs.values())).terms
    language = terms.language if terms else "en-US"
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
        footer_text=f"{profile.policy.number} · version {rendered.version} · build {rendered.fingerprint}",
        version=rendered.version,
        generator=f"smpolicy {__version__}",
    )


def write_formats(
    rendered: Rendered, formats: tuple[str, ...], images: dict[str, Image] | None = None
) -> dict[str, bytes]:
    """Produce the bytes of each requested format from the rendered Markdown."""
    results: dict[str, bytes] = {}
    if "md" in formats:
        results["md"] = rendered.markdown.encode("utf-8")
    if "docx" in formats or "html" in formats:
        root, _html_body = parse_markdown(rendered.markdown)
        meta = docx_meta(rendered)
        if "docx" in formats:
            results["docx"] = DocxWriter(meta, images).write(root)
        if "html" in formats:
            results["html"] = render_html(
                root,
                title=meta.title,
                language=meta.language,
                header=meta.header_text.replace("\t", " — "),
                footer=meta.footer_text,
            ).encode("utf-8")
    return results


def build_policy(
    profile_path: str | Path,
    out_dir: str | Path = "out",
    *,
    formats: tuple[str, ...] = FORMATS,
    as_of: dt.date | None = None,
    pack_dir: Path | None = None,
    template_dir: Path | None = None,
    force: bool = False,
) -> BuildResult:
    """Build one profile's policy into ``out_dir``; every file is written atomically."""
    from ._fsutil import Manifest, atomic_write, ensure_dir  # noqa: PLC0415

    profile_path = Path(profile_path)
    profile = load_profile(profile_path)
    pack = TemplatePack.load(default_template_dir(), overlay=template_dir)
    rendered = render_policy(
        profile, as_of=as_of, pack_dir=pack_dir, template_pack=pack, source=str(profile_path)
    )
    payloads = write_formats(rendered, formats)
    out = Path(out_dir)
    ensure_dir(out)
    manifest = Manifest(out)
    stem = output_stem(profile_path)
    targets = {fmt: out / f"{stem}.{fmt}" for fmt in payloads}
    for target in targets.values():
        manifest.check_writable(target, force=force)
    result = BuildResult(profile_path, rendered=rendered)
    for fmt, target in targets.items():
        atomic_write(target, payloads[fmt])
        manifest.record(target, payloads[fmt])
        result.outputs[fmt] = target
    manifest.save()
    return result
