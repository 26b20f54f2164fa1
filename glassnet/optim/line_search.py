"""The strong-Wolfe line search LBFGS uses, with cubic interpolation between trial steps.

Along a direction ``d`` from the current point, the search looks for a step length ``t`` where
the loss has dropped enough (sufficient decrease, the Armijo condition
``f(t) <= f(0) + c1 * t * f'(0)``) and the slope has flattened enough (curvature,
``|f'(t)| <= c2 * |f'(0)|``). It first moves outwards until an interval is known to hold such
a point (bracketing), then shrinks that interval (zoom). Each new trial step is the minimiser
of the cubic through the two end points' values and slopes. This is the scheme of Nocedal and
Wright, Numerical Optimization, algorithms 3.5 and 3.6, in the variant of minFunc and of
PyTorch's LBFGS, whose decisions it follows so that both take the same steps.

>>> f = lambda t: (t - 2.0) ** 2            # the minimum of a parabola is found exactly
>>> slope = lambda t: 2.0 * (t - 2.0)
>>> cubic_minimum(0.0, f(0.0), slope(0.0), 3.0, f(3.0), slope(3.0))
2.0
"""

from __future__ import annotations

import math

# Constants of the search: c1 (sufficient decrease) and c2 (curvature), the usual choices for
# quasi-Newton methods (Nocedal and Wright, section 3.1), and the width below which an interval
# counts as shrunk to a point. PyTorch's LBFGS passes this 1e-9 whatever the optimizer's own
# tolerance_change, and so does glassnet's.
C1, C2, BRACKET_TOLERANCE = 1e-4, 0.9, 1e-9


def cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic with values f1, f2 and slopes g1, g2 at x1, x2, clipped to
    ``bounds`` (the interval between the points by default). Where the cubic has no minimum
    (a negative discriminant), the middle of the bounds."""
    if bounds is None:
        bounds = (x1, x2) if x1 <= x2 else (x2, x1)
    low, high = bounds
    # Name the points so that a is on the left and b on the right; the formula steps back from b.
    (xa, ga), (xb, gb) = ((x1, g1), (x2, g2)) if x1 <= x2 else ((x2, g2), (x1, g1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    discriminant = d1 * d1 - g1 * g2
    if discriminant >= 0:  # False for NaN too: then bisect
        d2 = math.sqrt(discriminant)
        t = xb - (xb - xa) * ((gb + d2 - d1) / (gb - ga + 2 * d2))
        return min(max(t, low), high)
    return (low + high) / 2.0


class _Point:
    """One trial step: its length, loss, gradient and slope along the direction."""

    __slots__ = ("t", "f", "g", "slope")

    def __init__(self, t, f, g, slope):
        self.t, self.f, self.g, self.slope = t, f, g, slope


def strong_wolfe(evaluate, d, t, f, g, slope, max_evals=25):
    """Search along ``d`` from the point with loss ``f``, gradient ``g`` and slope
    ``slope = g . d`` (negative: a descent direction), starting with step ``t``.

    ``evaluate(t)`` returns the loss and the flat gradient at the point moved by ``t * d``.
    ``max_evals`` bounds the number of evaluations. Returns ``(loss, gradient, t, evaluations)``
    at the step chosen (the best one seen if the conditions could not be met in time)."""
    xp_dot = _dot_of(d)
    d_norm = float(abs(d).max())
    start = _Point(0, f, g.copy(), slope)
    f_new, g_new = evaluate(t)
    evals = 1
    new = _Point(t, f_new, g_new, xp_dot(g_new, d))

    # Written as the failing comparison so that a NaN loss counts as no failure, as in PyTorch.
    def too_high(p):  # the Armijo condition fails
        return p.f > f + C1 * p.t * slope

    def flat_enough(p):
        return abs(p.slope) <= -C2 * slope

    # Bracketing: grow the step until an interval must hold a point that meets both conditions.
    previous, bracket, done, tries = start, None, False, 0
    while tries < max_evals:
        if too_high(new) or (tries > 1 and new.f >= previous.f):
            bracket = [previous, new]
            break
        if flat_enough(new):
            bracket, done = [new], True
            break
        if new.slope >= 0:  # the loss rises again beyond: the minimum lies in between
            bracket = [previous, new]
            break
        # Still going down steeply: extrapolate, at least 1% further and at most 10 times as far.
        lower, upper = new.t + 0.01 * (new.t - previous.t), new.t * 10
        t = cubic_minimum(
            previous.t, previous.f, previous.slope, new.t, new.f, new.slope, (lower, upper)
        )
        previous = new
        f_new, g_new = evaluate(t)
        evals += 1
        new = _Point(t, f_new, g_new, xp_dot(g_new, d))
        tries += 1
    if tries == max_evals:  # out of evaluations: choose between the start and the last try
        bracket = [_Point(0, f, g, None), _Point(new.t, new.f, new.g, None)]

    # Zoom: shrink the bracket, keeping `low` at its lower-loss end, until a point is found.
    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    stalled = False
    while not done and tries < max_evals:
        a, b = bracket
        if abs(b.t - a.t) * d_norm < BRACKET_TOLERANCE:
            break
        t = cubic_minimum(a.t, a.f, a.slope, b.t, b.f, b.slope)
        t, stalled = _away_from_ends(t, min(a.t, b.t), max(a.t, b.t), stalled)
        f_new, g_new = evaluate(t)
        evals += 1
        tries += 1
        new = _Point(t, f_new, g_new, xp_dot(g_new, d))
        if too_high(new) or new.f >= bracket[low].f:
            bracket[high] = new  # the new point replaces the high end
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
        else:
            if flat_enough(new):
                done = True
            elif new.slope * (bracket[high].t - bracket[low].t) >= 0:
                bracket[high] = bracket[low]  # the slope points back: the old low becomes high
            bracket[low] = new
    best = bracket[low]
    return best.f, best.g, best.t, evals


def _away_from_ends(t, left, right, stalled):
    """Keep a trial step out of the outer tenths of the bracket: a step that lands there twice
    in a row (or beyond an end) is moved to 10% inside the nearer end, so the bracket shrinks."""
    margin = 0.1 * (right - left)
    if not min(right - t, t - left) < margin:
        return t, False
    if not (stalled or t >= right or t <= left):
        return t, True
    return (right - margin if abs(t - right) < abs(t - left) else left + margin), False


def _dot_of(array):
    from glassnet.backend import get_array_module

    xp = get_array_module(array)
    return lambda a, b: float(xp.dot(a, b))


__all__ = ["strong_wolfe", "cubic_minimum"]
