"""The Jinja sandbox for template packs, with limits on what one render may cost.

Jinja's sandbox stops templates reaching Python internals, but not from spending the
machine: ``{{ 'a' * 300000000 }}`` allocates 300 MB, nested ``range`` loops run for
hours and a template that includes itself recurses until Python gives up. Here every
string or list a template builds is capped in size (checked before it is built where
the size is known in advance), loop iterations are counted, calls are bounded in depth,
the output is capped and a render has a wall-clock limit. A limit reached raises
:class:`RenderLimit`, which the caller reports in one line.

This module imports Jinja at the top; it is itself imported only when rendering.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Template, nodes, pass_context
from jinja2.compiler import CodeGenerator, Frame
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from smpolicy.errors import TemplateError

__all__ = ["GuardedSandbox", "RenderLimit", "limits", "render_limited"]

MAX_OUTPUT_CHARS = 8_000_000
"""Largest rendered Markdown (the built-in policy is about 100,000 characters)."""
MAX_VALUE_CHARS = 2_000_000
"""Largest string or list a template may build along the way."""
MAX_ITERATIONS = 500_000
"""Loop iterations (and range items) in one render, all loops together."""
MAX_CALL_DEPTH = 60
"""Nested macro and function calls."""
MAX_SECONDS = 30.0
"""Wall-clock time for one render."""
MAX_POWER_BITS = 64_000
"""Largest integer ``**`` may produce, in bits."""

_DIGITS = re.compile(r"\d+")
_ITER_FILTER = "smpolicy_counted"


class RenderLimit(TemplateError):
    """A template exceeded one of the render limits; the message says which.

    A :class:`~smpolicy.errors.TemplateError`, so it is a one-line error (exit code 6)
    wherever a template is rendered.
    """


@dataclass
class _Budget:
    deadline: float
    iterations: int = 0
    depth: int = 0
    output: int = 0
    ticks: int = field(default=0)

    def tick(self) -> None:
        self.ticks += 1
        if self.ticks % 256 == 0 and time.monotonic() > self.deadline:
            raise RenderLimit(
                f"rendering took longer than {MAX_SECONDS:g} seconds; simplify the template's loops"
            )

    def spend(self, items: int) -> None:
        self.iterations += items
        if self.iterations > MAX_ITERATIONS:
            raise RenderLimit(
                f"more than {MAX_ITERATIONS:,} loop iterations; a policy needs far fewer "
                "(look for nested loops over large ranges)"
            )
        self.tick()


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "smpolicy_render_budget", default=None
)


def _budget() -> _Budget:
    budget = _BUDGET.get()
    if budget is None:  # compile-time constant folding: sizes are checked, nothing accrues
        return _Budget(deadline=time.monotonic() + MAX_SECONDS)
    return budget


@contextlib.contextmanager
def limits() -> Iterator[None]:
    """A fresh budget for one render: ``with limits(): ...``."""
    token = _BUDGET.set(_Budget(deadline=time.monotonic() + MAX_SECONDS))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _size(value: Any) -> int:
    """Characters and items ``value`` stands for, nested containers counted in full.

    A list holding the same long string a million times is small in memory but enormous
    once printed, so shared references count each time. The walk stops once past the cap,
    so it costs at most about ``MAX_VALUE_CHARS`` steps.
    """
    if isinstance(value, str | bytes):
        return len(value)
    total = 0
    stack = [value]
    while stack and total <= MAX_VALUE_CHARS:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, list | tuple | set | frozenset):
            total += len(item)
            stack.extend(item)
        elif isinstance(item, dict):
            total += len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
    return total


def _too_big(what: str) -> RenderLimit:
    return RenderLimit(
        f"{what} would exceed {MAX_VALUE_CHARS:,} characters or items; "
        "templates may not build values that large"
    )


def _check_size(value: Any) -> Any:
    if _size(value) > MAX_VALUE_CHARS:
        raise _too_big("a value")
    return value


def _check_numbers(values: Iterable[Any]) -> None:
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_VALUE_CHARS:
            raise RenderLimit(
                f"a number argument is larger than {MAX_VALUE_CHARS:,}; "
                "templates may not ask for sizes that large"
            )


def _check_format(spec: str) -> None:
    """Refuse a %- or {}-format string whose widths or precisions add up past the cap."""
    total = 0
    for run in _DIGITS.findall(spec):
        if len(run) > 9:
            raise _too_big("a format width")
        total += int(run)
    if total > MAX_VALUE_CHARS:
        raise _too_big("a format width")


def _estimate_replace(text: str, args: tuple[Any, ...]) -> int:
    old = args[0] if args and isinstance(args[0], str) else ""
    new = args[1] if len(args) > 1 and isinstance(args[1], str) else ""
    return len(text) + (len(text) // max(1, len(old)) + 1) * len(new)


def _estimate_join(separator: str, items: Any) -> int:
    if not isinstance(items, list | tuple | dict | set | frozenset | str):
        return 0  # an iterator: the caller made it a list first
    return len(separator) * len(items) + _size(items)


def _listed(value: Any) -> Any:
    """An iterator as a list (so its size can be checked before joining), else ``value``."""
    if isinstance(value, str | bytes | list | tuple | dict | set | frozenset):
        return value
    items = []
    total = 0
    for item in value:
        items.append(item)
        total += 1 + _size(item)
        if total > MAX_VALUE_CHARS:
            raise _too_big("a listed sequence")
    return items


def _check_str_method(method: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Estimate what a str method will build before it builds it; the arguments to use."""
    text = getattr(method, "__self__", None)
    name = getattr(method, "__name__", "")
    if not isinstance(text, str):
        return args
    if name in ("format", "format_map"):
        _check_format(text)
        estimate = len(text) + sum(_size(a) for a in args)
    elif name == "join":
        if args:
            args = (_listed(args[0]), *args[1:])
        estimate = _estimate_join(text, args[0] if args else ())
    elif name == "replace":
        estimate = _estimate_replace(text, args)
    else:
        widths = [a for a in args if isinstance(a, int) and not isinstance(a, bool)]
        estimate = len(text) * max([1, *widths]) + sum(len(a) for a in args if isinstance(a, str))
    if estimate > MAX_VALUE_CHARS:
        raise _too_big(f"str.{name}")
    return args


def _filter_value(args: tuple[Any, ...]) -> Any:
    """The value a filter is applied to: its first argument after any context."""
    for arg in args:
        if not isinstance(arg, Context | EvalContext | ImmutableSandboxedEnvironment):
            return arg
    return None


# Filters whose number arguments are sizes of what they build (a width, a count of lists).
_SIZED_FILTERS = frozenset({"center", "indent", "batch", "slice", "wordwrap"})


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _budget().tick()
        value = _filter_value(args)
        at = next((i for i, arg in enumerate(args) if arg is value), len(args))
        if isinstance(value, Iterator) or (name in ("join", "sum") and value is not None):
            # A generator (from map, select, ...) is listed first, its size checked item by
            # item, so a filter such as list or join never builds an unbounded result.
            value = _listed(value)
            args = (*args[:at], value, *args[at + 1 :])
        rest = args[at + 1 :]
        if _size(value) > MAX_VALUE_CHARS:
            raise _too_big(f"the value given to {name}")
        if name in _SIZED_FILTERS:
            _check_numbers((*rest, *kwargs.values()))
        if name == "sum":
            start = kwargs.get("start", rest[1] if len(rest) > 1 else 0)
            if not isinstance(start, int | float):  # adding lists one by one is quadratic
                raise RenderLimit("sum adds numbers only; use a loop to combine lists")
        if isinstance(value, str):
            if name == "replace":
                if _estimate_replace(value, rest) > MAX_VALUE_CHARS:
                    raise _too_big("replace")
            elif name == "indent":
                width = rest[0] if rest else kwargs.get("width", 4)
                step = len(width) if isinstance(width, str) else int(width or 0)
                if len(value) * (1 + step) > MAX_VALUE_CHARS:
                    raise _too_big("indent")
            elif name == "format":
                _check_format(value)
        elif name == "join" and value is not None:
            separator = rest[0] if rest and isinstance(rest[0], str) else ""
            if _estimate_join(separator, value) > MAX_VALUE_CHARS:
                raise _too_big("join")
        return _check_size(func(*args, **kwargs))

    return guarded


@pass_context  # never folded at compile time: it must run inside the render
def _counted(_context: Context, value: Any) -> Iterator[Any]:
    """A loop's iterable, charging each iteration to the render's budget."""
    budget = _budget()
    for item in value:
        budget.spend(1)
        yield item


def _range(*args: int) -> range:
    _check_numbers(args)
    result = range(*args)
    if len(result) > MAX_VALUE_CHARS:
        raise _too_big("range")
    _budget().spend(len(result) // 16)
    return result


def _concat(join: Callable[[Iterable[Any]], str], parts: tuple[Any, ...]) -> str:
    """``a ~ b ~ c`` with the total length checked before joining."""
    _budget().tick()
    if sum(_size(part) for part in parts) > MAX_VALUE_CHARS:
        raise _too_big("a ~ concatenation")
    pieces = [part if isinstance(part, str) else str(part) for part in parts]
    if sum(len(p) for p in pieces) > MAX_VALUE_CHARS:
        raise _too_big("a ~ concatenation")
    return join(pieces)


class _GuardedCodeGenerator(CodeGenerator):
    """Concatenation (``~``) goes through :func:`_concat`, so it is size-checked too."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            func_name = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            func_name = "markup_join"
        else:
            func_name = "str_join"
        self.write(f"environment.smpolicy_concat({func_name}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _LimitedTemplate(Template):
    """A template whose every ``render`` runs with a fresh budget and a capped output."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        return render_limited(self, dict(*args, **kwargs))


class GuardedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with size, iteration, depth and time limits."""

    code_generator_class = _GuardedCodeGenerator
    template_class = _LimitedTemplate
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.globals["range"] = _range
        self.globals.pop("lipsum", None)  # builds up to megabytes of text from one call
        self.filters = {name: _guard_filter(name, f) for name, f in self.filters.items()}
        self.filters[_ITER_FILTER] = _counted
        self.smpolicy_concat = _concat
        inner = self.finalize

        def finalize(value: Any) -> Any:
            """Refuse a value too large to print before it is turned into text."""
            if _size(value) > MAX_VALUE_CHARS:
                raise _too_big("a printed value")
            return inner(value) if inner is not None else value

        self.finalize = finalize

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Parse, then route every ``for`` loop's iterable through the iteration counter."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(
                loop.iter, _ITER_FILTER, [], [], None, None, lineno=loop.lineno
            )
        return tree

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _budget().tick()
        if operator == "*":
            count, sequence = (right, left) if _size(left) else (left, right)
            if isinstance(count, int) and _size(sequence) * max(count, 0) > MAX_VALUE_CHARS:
                raise _too_big("a * repetition")
        elif operator == "**":
            if (
                isinstance(left, int)
                and isinstance(right, int)
                and right > 0
                and max(left.bit_length(), 1) * right > MAX_POWER_BITS
            ):
                raise RenderLimit(f"a ** power would exceed {MAX_POWER_BITS:,} bits")
        elif operator == "%" and isinstance(left, str):
            _check_format(left)
            if len(left) + _size(right) > MAX_VALUE_CHARS:
                raise _too_big("a % format")
        return _check_size(super().call_binop(context, operator, left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.tick()
        args = _check_str_method(getattr(__obj, "__wrapped__", __obj), args)
        budget.depth += 1
        try:
            if budget.depth > MAX_CALL_DEPTH:
                raise RenderLimit(
                    f"calls nested more than {MAX_CALL_DEPTH} deep; "
                    "a macro probably calls itself without end"
                )
            return _check_size(super().call(__context, __obj, *args, **kwargs))
        finally:
            budget.depth -= 1


def render_limited(template: Any, context: dict[str, Any]) -> str:
    """Render with a fresh budget, capping the output as it is produced."""
    with limits():
        budget = _budget()
        chunks: list[str] = []
        for chunk in template.generate(context):
            budget.output += len(chunk)
            if budget.output > MAX_OUTPUT_CHARS:
                raise RenderLimit(
                    f"the rendered policy would exceed {MAX_OUTPUT_CHARS:,} characters"
                )
            budget.tick()
            chunks.append(chunk)
        return "".join(chunks)
