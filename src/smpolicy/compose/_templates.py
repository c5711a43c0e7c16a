"""Template packs and the sandboxed Jinja environment that renders them to Markdown.

A pack a user brings is untrusted: every file it holds must be a regular file inside
the pack (a symbolic link out of it, to a file or a folder, is refused when the pack
is loaded and again when a template is read), and rendering runs under the limits of
:mod:`smpolicy.compose._sandbox`.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from smpolicy._types import RISK_APPETITES
from smpolicy._yaml import load_yaml
from smpolicy.compose._mdescape import finalize
from smpolicy.errors import TemplateError
from smpolicy.profile._model import format_validation_error

if TYPE_CHECKING:  # pragma: no cover
    import jinja2

    from smpolicy.compose._clauses import ClauseFile

ENTRY_TEMPLATE = "policy.md.j2"
MAX_TEMPLATE_BYTES = 1024 * 1024
"""Largest single file in a template pack."""
_CHECKED: set[Path] = set()
_PACK_INFO: dict[tuple[Path, int], PackInfo] = {}
_FINGERPRINTS: dict[tuple[str, Path, Path | None], str | dict[str, str]] = {}
_ENVIRONMENTS: dict[tuple[Path, Path | None], jinja2.Environment] = {}


class ControlSpec(BaseModel):
    """One control whose setting depends on the risk appetite."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str
    conservative: str | int | bool
    balanced: str | int | bool
    permissive: str | int | bool


class PackInfo(BaseModel):
    """templates/pack.yaml: the template pack's identity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    description: str = ""
    controls: dict[str, ControlSpec] = Field(default_factory=dict)


@dataclass(frozen=True)
class TemplatePack:
    """A directory of Jinja templates producing Markdown, plus its pack.yaml."""

    root: Path
    info: PackInfo
    overlay: Path | None = None

    @classmethod
    def load(cls, root: Path, overlay: Path | None = None) -> TemplatePack:
        """Load the pack at ``root``; ``overlay`` holds user templates that override files."""
        if overlay is not None and overlay.is_dir():
            check_pack_files(overlay)
        check_pack_files(root)
        meta = root / "pack.yaml"
        if not meta.is_file():
            raise TemplateError(f"{meta}: template pack has no pack.yaml")
        key = (meta, meta.stat().st_mtime_ns)
        info = _PACK_INFO.get(key)
        if info is None:
            try:
                info = _PACK_INFO[key] = PackInfo.model_validate(load_yaml(meta))
            except ValidationError as exc:
                raise TemplateError(format_validation_error(str(meta), exc)) from None
        if overlay is not None and not overlay.is_dir():
            raise TemplateError(f"{overlay}: template directory not found")
        return cls(root=root, info=info, overlay=overlay)

    def controls_for(self, appetite: str) -> dict[str, Any]:
        """The control settings for one risk appetite."""
        if appetite not in RISK_APPETITES:  # pragma: no cover - validated by the profile
            raise TemplateError(f"unknown risk appetite {appetite!r}")
        return {key: getattr(spec, appetite) for key, spec in self.info.controls.items()}

    def clauses(self) -> tuple[ClauseFile, ...]:
        """The pack's rules (clause files), overlay files replacing those of the same name."""
        from smpolicy.compose._clauses import clause_files  # noqa: PLC0415

        return clause_files([p for p in (self.overlay, self.root) if p is not None])

    def section_fingerprints(self) -> dict[str, str]:
        """A short hash per template file (relative name), overlay files winning (memoized)."""
        key = ("sections", self.root, self.overlay)
        if key not in _FINGERPRINTS:
            _FINGERPRINTS[key] = self._section_fingerprints()
        return dict(_FINGERPRINTS[key])  # type: ignore[arg-type]

    def _section_fingerprints(self) -> dict[str, str]:
        result: dict[str, str] = {}
        for base in (self.root, self.overlay):
            if base is None:
                continue
            clauses = (
                sorted((base / "clauses").rglob("*.yaml")) if (base / "clauses").is_dir() else []
            )
            for path in [*sorted(base.rglob("*.j2")), *clauses]:
                rel = path.relative_to(base).as_posix()
                result[rel] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        return dict(sorted(result.items()))

    def fingerprint(self) -> str:
        """A short hash of every file in the pack (memoized per process)."""
        key = ("all", self.root, self.overlay)
        if key not in _FINGERPRINTS:
            _FINGERPRINTS[key] = self._fingerprint()
        return str(_FINGERPRINTS[key])

    def _fingerprint(self) -> str:
        digest = hashlib.sha256()
        for base in (self.root, self.overlay):
            if base is None:
                continue
            for path in sorted(p for p in base.rglob("*") if p.is_file()):
                digest.update(path.relative_to(base).as_posix().encode())
                digest.update(b"\0")
                digest.update(path.read_bytes())
        return digest.hexdigest()[:16]

    def environment(self) -> jinja2.Environment:
        """A sandboxed, strict environment whose loader is confined to the pack (cached)."""
        key = (self.root, self.overlay)
        env = _ENVIRONMENTS.get(key)
        if env is None:
            env = _ENVIRONMENTS[key] = self._new_environment()
        return env

    def _new_environment(self) -> jinja2.Environment:
        import jinja2  # noqa: PLC0415 - imported on first render: check and --help stay fast

        from smpolicy.compose._sandbox import GuardedSandbox  # noqa: PLC0415

        search = [str(self.overlay)] if self.overlay else []
        search.append(str(self.root))
        return GuardedSandbox(
            loader=_confined_loader(search),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            finalize=finalize,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
            bytecode_cache=_bytecode_cache(),
        )


def check_pack_files(base: Path) -> None:
    """Refuse a pack holding a link that leads outside it, a device or pipe, or a huge file.

    Walks without following links; each link (to a file or a folder) must resolve inside
    ``base``. Memoized per folder for the life of the process.
    """
    if base in _CHECKED:
        return
    try:
        real_base = base.resolve(strict=True)
    except (OSError, RuntimeError):
        raise TemplateError(f"{base}: template directory not found") from None
    for folder, dirs, files in os.walk(base, followlinks=False):
        for name in sorted((*dirs, *files)):
            path = Path(folder) / name
            try:
                info = path.lstat()
                if stat.S_ISLNK(info.st_mode):
                    target = path.resolve(strict=True)
                    if not target.is_relative_to(real_base):
                        raise TemplateError(
                            f"{path}: symbolic link leads outside the template pack {base}; "
                            "copy the file into the pack instead"
                        )
                    info = target.stat()
            except (OSError, RuntimeError) as exc:
                raise TemplateError(f"{path}: cannot read template pack file ({exc})") from None
            if stat.S_ISDIR(info.st_mode):
                continue
            if not stat.S_ISREG(info.st_mode):
                raise TemplateError(
                    f"{path}: not a regular file (a device, pipe or socket); "
                    "a template pack holds only files and folders"
                )
            if info.st_size > MAX_TEMPLATE_BYTES:
                raise TemplateError(
                    f"{path}: larger than the {MAX_TEMPLATE_BYTES // 1024} KiB limit "
                    "for a template pack file"
                )
    _CHECKED.add(base)


def _confined_loader_class() -> type[jinja2.FileSystemLoader]:
    import jinja2  # noqa: PLC0415

    class ConfinedLoader(jinja2.FileSystemLoader):
        """A file loader that refuses a template whose real path leaves its search folder."""

        def get_source(
            self, environment: jinja2.Environment, template: str
        ) -> tuple[str, str, Any]:
            if template.startswith(CLAUSES_PREFIX):
                return _clause_source(self.searchpath, template)
            source, filename, uptodate = super().get_source(environment, template)
            real = Path(filename).resolve()
            if not any(real.is_relative_to(Path(p).resolve()) for p in self.searchpath):
                raise TemplateError(
                    f"{filename}: symbolic link leads outside the template pack; "
                    "copy the file into the pack instead"
                )
            if len(source) > MAX_TEMPLATE_BYTES:
                raise TemplateError(f"{filename}: template larger than the 1 MiB limit")
            return source, filename, uptodate

    return ConfinedLoader


CLAUSES_PREFIX = "clauses/"
"""Templates named ``clauses/NN-section`` (a section's rules), ``clauses/guide-GROUP`` (the
staff guide's short forms of one group) or ``clauses/audience-AUDIENCE`` (the rules addressed
to one audience) are assembled from the clause files."""


def _clause_source(search: list[str], template: str) -> tuple[str, str, Any]:
    from smpolicy.compose._clauses import (  # noqa: PLC0415
        audience_source,
        clause_files,
        guide_source,
        section_source,
    )

    files = clause_files([Path(p) for p in search])
    name = template[len(CLAUSES_PREFIX) :]
    if name.startswith("guide-"):
        source = guide_source(files, name[len("guide-") :])
    elif name.startswith("audience-"):
        source = audience_source(files, name[len("audience-") :])
    else:
        source = section_source(files, name)
    stamp = tuple((f.path, f.path.stat().st_mtime_ns) for f in files)
    return (
        source,
        f"{search[-1]}/clauses/{name}",
        lambda: stamp == tuple((f.path, f.path.stat().st_mtime_ns) for f in files),
    )


def _confined_loader(search: list[str]) -> jinja2.FileSystemLoader:
    return _confined_loader_class()(search, followlinks=False)


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs (keyed by Jinja on name and source checksum)."""
    import jinja2  # noqa: PLC0415

    from smpolicy._cache import cache_path  # noqa: PLC0415

    # Versioned: the guarded code generator compiles differently from plain Jinja.
    directory = cache_path("jinja-guarded-1", "")
    if directory is None:
        return None
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(directory))


def render_template(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    """Render ``name``; every Jinja failure becomes a one-line :class:`TemplateError`."""
    import jinja2  # noqa: PLC0415
    from jinja2.exceptions import SecurityError  # noqa: PLC0415

    from smpolicy.compose._sandbox import RenderLimit, render_limited  # noqa: PLC0415

    try:
        return render_limited(env.get_template(name), context)
    except RenderLimit as exc:
        raise TemplateError(f"{_where(exc)}template stopped: {exc}") from None
    except RecursionError as exc:
        raise TemplateError(
            f"{_where(exc)}template stopped: includes or calls nested too deeply "
            "(a template probably includes itself)"
        ) from None
    except MemoryError:
        raise TemplateError("template stopped: rendering ran out of memory") from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template not found: {exc.name}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"{exc.filename or exc.name}:{exc.lineno}: syntax error: {exc.message}"
        ) from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"{_where(exc)}undefined variable: {exc.message}") from None
    except SecurityError as exc:
        raise TemplateError(f"{_where(exc)}template tried an unsafe operation: {exc}") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{_where(exc)}template error: {exc}") from None
    except TemplateError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError, ArithmeticError, IndexError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TemplateError(f"{_where(exc)}template failed: {message[:300]}") from None


def _where(exc: BaseException) -> str:
    """``file:line: `` of the innermost template frame in ``exc``'s traceback, if any."""
    tb = exc.__traceback__
    where = ""
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename.endswith(".j2") or "/clauses/" in code.co_filename:
            where = f"{Path(code.co_filename).name}:{tb.tb_lineno}: "
        tb = tb.tb_next
    return where
