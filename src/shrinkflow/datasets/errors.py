"""The one error type of :mod:`shrinkflow.datasets`: a dataset could not be obtained, verified or read.

It has a module of its own so that the fetch layer (:mod:`.fetch`) and the dataset layer (:mod:`.base`,
:mod:`.formats`, the dataset modules) can both raise it without importing each other.
"""

from __future__ import annotations


class DatasetError(RuntimeError):
    """A dataset could not be obtained or verified; the message says which file and why."""
