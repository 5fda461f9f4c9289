"""The sandbox: an immutable Jinja2 environment with StrictUndefined, bounded by ``templates.budget``.

A template may format what it is given, nothing more: it reads only the catalogue's ``*.j2`` files,
every loop and ``~`` goes through the budget (an AST transformer rewrites them at parse time), and the
operators, filters and methods that can grow a value are checked by ``templates.guards``.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from functools import cache, wraps
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, Template, TemplateNotFound, nodes, select_autoescape
from jinja2.environment import Environment
from jinja2.runtime import Context, LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from templates.budget import (
    CURRENT_BUDGET,
    MAX_DEPTH,
    Budget,
    UnsafeTemplate,
    bounded_concat,
    bounded_items,
    bounded_range,
    checked,
    tick,
)
from templates.filters import BABEL_FILTERS
from templates.guards import BINOPS, bounded_filter, check_format_string, precheck_method

TEMPLATES_DIR = Path(__file__).resolve().parent


class _BoundLoops(NodeTransformer):
    """Route every loop's items through ``environment.bounded_items`` and check every ``~`` concatenation."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _environment_call("bounded_items", node.iter)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _environment_call("checked", node)


def _environment_call(name: str, argument: nodes.Node) -> nodes.Call:
    return nodes.Call(nodes.EnvironmentAttribute(name), [argument], [], None, None, lineno=argument.lineno)


class _MessageLoader(FileSystemLoader):
    """Only the catalogue's Jinja files (``*.j2``), never the manifest or the Python beside them."""

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        if not template.endswith(".j2"):
            raise TemplateNotFound(template)
        return super().get_source(environment, template)


class BoundedTemplate(Template):
    """A template whose render() carries a budget (see MAX_*)."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        if CURRENT_BUDGET.get() is not None:  # an include or import inside a render: the same budget
            return super().render(*args, **kwargs)
        token = CURRENT_BUDGET.set(Budget())
        try:
            return super().render(*args, **kwargs)
        except RecursionError:
            raise UnsafeTemplate("the template calls itself too deeply") from None
        finally:
            CURRENT_BUDGET.reset(token)


class BoundedSandboxedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, bounded: see the MAX_* constants. Going over a bound raises UnsafeTemplate."""

    template_class = BoundedTemplate
    intercepted_binops = frozenset({"+", "*", "**", "%"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.binop_table.update(BINOPS)
        self.globals["range"] = bounded_range
        self.globals.pop("lipsum", None)  # lipsum(n=10**6) is a cheap way to burn CPU
        self.concat = bounded_concat  # type: ignore[method-assign]
        self.bounded_items = bounded_items
        self.checked = checked

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        template: nodes.Template = _BoundLoops().visit(super()._parse(source, name, filename))
        return template

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        tick()
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        check_format_string(value.__self__)

        @wraps(wrapper)
        def bounded(*args: Any, **kwargs: Any) -> str:
            return checked(wrapper(*args, **kwargs))

        return bounded

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = tick()
        if isinstance(__obj, types.BuiltinMethodType | types.MethodType):
            args = precheck_method(__obj, args)
        nests = isinstance(__obj, Macro | LoopContext)
        if isinstance(__obj, LoopContext) and args:  # a recursive loop's items count too
            args = (bounded_items(args[0]), *args[1:])
        if nests and budget is not None:
            budget.depth += 1
            if budget.depth > MAX_DEPTH:
                raise UnsafeTemplate(f"macros or loops call themselves more than {MAX_DEPTH} deep")
        try:
            return checked(super().call(__context, __obj, *args, **kwargs))
        finally:
            if nests and budget is not None:
                budget.depth -= 1


def _environment() -> BoundedSandboxedEnvironment:
    env = BoundedSandboxedEnvironment(
        loader=_MessageLoader(str(TEMPLATES_DIR)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(BABEL_FILTERS)
    env.filters = {name: bounded_filter(name, function) for name, function in env.filters.items()}
    return env


@cache
def environment() -> BoundedSandboxedEnvironment:
    return _environment()
