"""torch's SGD and Adam without the ``torch._dynamo`` import that ``torch.optim.Optimizer`` pays in eager
mode.

In torch 2.x, ``Optimizer.add_param_group`` (called by ``__init__``), ``zero_grad`` and every optimizer's
``step`` are wrapped so that they import ``torch._dynamo`` on their first call, to cooperate with
``torch.compile``. The import takes ~0.9 s of CPU here, once per process, i.e. once per training job of the
study; shrinkflow never compiles. :class:`SGD` and :class:`Adam` are torch's own classes with those three
methods replaced by the functions the wrappers enclose (``inspect.unwrap``), called as the wrappers call
them in eager mode: ``step`` with gradients off (``defaults["differentiable"]`` is False) and no
graph breaks, which only matter while compiling. The state, the kernels and so the updated weights are
torch's, bit for bit (``tests/test_optim.py``); ``state_dict`` and every other method are unchanged.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import torch

# resolved once, not per step: the functions inside torch's wrappers
_add_param_group = inspect.unwrap(torch.optim.Optimizer.add_param_group)
_zero_grad = inspect.unwrap(torch.optim.Optimizer.zero_grad)


class _EagerMethods:
    """Mixin for a ``torch.optim`` optimizer: ``add_param_group``, ``zero_grad`` and ``step`` without the
    wrappers that import ``torch._dynamo``. List it before the torch class, and set ``_torch_step`` to that
    class's unwrapped ``step``."""

    _torch_step: Callable[..., Any]

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        _add_param_group(self, param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        _zero_grad(self, set_to_none)

    def step(self, closure: Any = None) -> Any:
        # under the grad mode torch's wrapper sets (Optimizer.__init__ wraps this method in turn with the
        # profiler/hook wrapper, as for any optimizer; that one imports nothing)
        with torch.set_grad_enabled(self.defaults["differentiable"]):
            return self._torch_step(self, closure)


class SGD(_EagerMethods, torch.optim.SGD):
    """``torch.optim.SGD`` (same arguments, same updates) without importing ``torch._dynamo``."""

    _torch_step = staticmethod(inspect.unwrap(torch.optim.SGD.step))


class Adam(_EagerMethods, torch.optim.Adam):
    """``torch.optim.Adam`` (same arguments, same updates, ``fused=True`` included) without importing
    ``torch._dynamo``."""

    _torch_step = staticmethod(inspect.unwrap(torch.optim.Adam.step))
