"""The error ``glassnet.compile`` raises when a function cannot be recorded as a plan."""

from __future__ import annotations

from glassnet.errors import GlassnetError


class CompileError(GlassnetError, RuntimeError):
    """A function that cannot be traced once and replayed (it reads tensor values in Python,
    draws random numbers outside glassnet's dropout, uses hooks...); the message names the
    line and the fix."""
