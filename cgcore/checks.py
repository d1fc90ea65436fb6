"""Argument checks shared by every module: a bad choice fails with a message that names
the parameter, the value given and the values accepted."""

from __future__ import annotations


def check_choice(name: str, value, allowed) -> None:
    """Raise a ValueError naming the parameter, the bad value and the accepted ones."""
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}; accepted: {', '.join(map(str, allowed))}")
