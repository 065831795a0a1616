"""What the analysis, table and figure registries share: the lookup of a name (or an error listing the names)
and the plain form of a job's named inputs."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")


class UnknownNameError(KeyError, ValueError):
    """A name no registry entry has; the message lists the allowed names (a KeyError and a ValueError)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def lookup(entries: Mapping[str, T], name: str, what: str) -> T:
    """``entries[name]``, or :class:`UnknownNameError` naming ``what`` was asked for and what exists."""
    try:
        return entries[name]
    except KeyError:
        raise UnknownNameError(f"unknown {what} {name!r}; allowed: {list(entries)}") from None


def plain_inputs(inputs: Mapping[str, Any]) -> dict[str, str | list[str]]:
    """Named inputs as plain values: a path (str or PathLike) stays one path, anything else (Snakemake's
    ``Namedlist``, a list) becomes a list of paths."""
    return {
        k: os.fspath(v) if isinstance(v, str | os.PathLike) else [os.fspath(p) for p in v]
        for k, v in inputs.items()
    }


def lazy_attributes(package: str, attributes: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` (PEP 562) that loads ``attributes`` (name → submodule of ``package``) on first
    access, so a registry package imports no torch until a torch function is used."""

    def __getattr__(name: str) -> Any:
        if name in attributes:
            return getattr(importlib.import_module(f"{package}.{attributes[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
