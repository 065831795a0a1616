"""The lookup shared by the analysis, table and figure registries: a name, or an error listing the names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

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
