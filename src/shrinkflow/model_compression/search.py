"""Accuracy-targeted search for the most compression within ε of the reference accuracy (Condensa style).

Condensa searches the sparsity with Bayesian optimisation (its DR-UCB is not in the public code); here
Optuna's Gaussian-process sampler (``GPSampler``, seeded: the same inputs give the same points) maximises
the compression index over an ordered list of candidate amounts subject to the constraint
accuracy ≥ reference − ε (Optuna's trial constraints). A GP rather than TPE: on a synthetic curve with its
edge at s = 0.903 (the test's), the GP reached the edge exactly in 7–9 evaluations for every seed tried, TPE
(3 start-up trials) ended between 0.71 and 0.79 after 10. Every search also runs a plain bisection on the
same candidates (assuming accuracy falls as compression grows), so the two can be reported side by side.

Evaluations are cached across both searches (``evaluate`` usually includes fine-tuning): each method's
record lists the amounts it asked for (its own count), ``distinct_evaluations`` the calls of ``evaluate``.
The Optuna search stops after ``max_evaluations`` distinct amounts, when the sampler proposes amounts it
has already seen twice in a row after its start-up trials, or when monotonicity settles the answer (a
feasible amount next to an infeasible one, or the least compression infeasible). Not met = no evaluated
amount reached the target; then the chosen point is the most accurate one seen.

Torch-free at import; Optuna is imported when a search runs.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from . import get

SAMPLERS = ("gp", "tpe")
_STARTUP = 3  # random trials before the sampler models the results


def candidate_amounts(scheme: str, step: float = 0.01, max_sparsity: float = 0.99) -> list[float | int]:
    """Amounts of ``scheme`` in order of increasing compression: sparsities 0, step, …, ≤ max_sparsity
    (rounded to 6 decimals, so they name paths stably), or the allowed bit widths from most to fewest."""
    spec = get(scheme)
    if spec.amount_kind == "bits":
        return sorted(spec.allowed_bits, reverse=True)
    if not 0 < step < 1 or not 0 <= max_sparsity < 1:
        raise ValueError(f"step must be in (0, 1) and max_sparsity in [0, 1), got {step!r}, {max_sparsity!r}")
    count = int(max_sparsity / step + 1e-9) + 1
    return [round(i * step, 6) for i in range(count)]


class _Cache:
    """``evaluate`` called at most once per candidate index."""

    def __init__(self, evaluate: Callable[[Any], float], candidates: Sequence[Any], target: float) -> None:
        self.evaluate, self.candidates, self.target = evaluate, list(candidates), target
        self.accuracy: dict[int, float] = {}

    def __call__(self, index: int) -> float:
        if index not in self.accuracy:
            self.accuracy[index] = float(self.evaluate(self.candidates[index]))
        return self.accuracy[index]


def _record(cache: _Cache, asked: list[int], method: str) -> dict[str, Any]:
    points = [
        {
            "amount": cache.candidates[i],
            "accuracy": cache.accuracy[i],
            "feasible": cache.accuracy[i] >= cache.target,
        }
        for i in asked
    ]
    feasible = [i for i in asked if cache.accuracy[i] >= cache.target]
    best = max(feasible) if feasible else max(asked, key=lambda i: (cache.accuracy[i], -i), default=None)
    return {
        "method": method,
        "met": bool(feasible),
        "amount": None if best is None else cache.candidates[best],
        "accuracy": None if best is None else cache.accuracy[best],
        "num_evaluations": len(asked),
        "evaluations": points,
    }


def _settled(cache: _Cache, asked: set[int]) -> bool:
    """Monotone accuracy decides the answer: the least compression fails, or a feasible index's successor
    fails (or it is the last candidate)."""
    feasible = [i for i in asked if cache.accuracy[i] >= cache.target]
    if not feasible:
        return 0 in asked
    best = max(feasible)
    return best == len(cache.candidates) - 1 or (best + 1 in asked)


def bisection(cache: _Cache, max_evaluations: int) -> dict[str, Any]:
    """Binary search for the last feasible candidate, assuming feasibility falls with the index."""
    lo, hi, asked = -1, len(cache.candidates), []
    while hi - lo > 1 and len(asked) < max_evaluations:
        mid = (lo + hi) // 2
        asked.append(mid)
        if cache(mid) >= cache.target:
            lo = mid
        else:
            hi = mid
    return _record(cache, asked, "bisection")


def optuna_search(cache: _Cache, max_evaluations: int, seed: int, sampler: str = "gp") -> dict[str, Any]:
    """Optuna maximises the candidate index subject to accuracy ≥ target (see the module docstring)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deterministic_objective is marked experimental
        if sampler == "gp":
            chosen = optuna.samplers.GPSampler(
                seed=seed, n_startup_trials=_STARTUP, deterministic_objective=True
            )
        elif sampler == "tpe":
            chosen = optuna.samplers.TPESampler(seed=seed, n_startup_trials=_STARTUP)
        else:
            raise ValueError(f"sampler {sampler!r} is unknown; allowed: {list(SAMPLERS)}")
        study = optuna.create_study(direction="maximize", sampler=chosen)
        asked: list[int] = []
        repeats = 0
        for number in range(4 * max_evaluations):
            trial = study.ask()
            index = trial.suggest_int("index", 0, len(cache.candidates) - 1)
            # repeats of random start-up proposals say nothing about convergence
            repeats = repeats + 1 if index in asked and number >= _STARTUP else 0
            if index not in asked:
                asked.append(index)
            trial.set_constraint("accuracy_shortfall", cache.target - cache(index))
            study.tell(trial, index)
            if len(asked) >= max_evaluations or repeats >= 2 or _settled(cache, set(asked)):
                break
    return _record(cache, asked, f"optuna_{sampler}")


def search_amount(
    evaluate: Callable[[Any], float],
    candidates: Sequence[Any],
    reference_accuracy: float,
    tolerance: float,
    max_evaluations: int = 10,
    seed: int = 0,
    sampler: str = "gp",
) -> dict[str, Any]:
    """The most compressed candidate whose accuracy is ≥ reference − tolerance, by Optuna and by bisection.

    ``candidates`` go from least to most compressed (:func:`candidate_amounts`); ``evaluate(amount)`` returns
    the accuracy of the compressed (and usually fine-tuned) model. Returns the target, each method's
    result (``met``, ``amount``, ``accuracy``, ``num_evaluations``, every point asked for) and the number
    of distinct ``evaluate`` calls.
    """
    if not candidates:
        raise ValueError("candidates must not be empty")
    if max_evaluations < 1:
        raise ValueError(f"max_evaluations must be a positive integer, got {max_evaluations!r}")
    target = reference_accuracy - tolerance
    cache = _Cache(evaluate, candidates, target)
    result = optuna_search(cache, max_evaluations, seed, sampler)
    return {
        "reference_accuracy": reference_accuracy,
        "tolerance": tolerance,
        "target_accuracy": target,
        "max_evaluations": max_evaluations,
        "optuna": result,
        "bisection": bisection(cache, max_evaluations),
        "distinct_evaluations": len(cache.accuracy),
    }
