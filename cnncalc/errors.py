"""One exception hierarchy for everything a person can get wrong.

The core raises these; only the command line turns them into a one-line message and exit status 2.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Where:
    """Where a node came from: the file, the line, and its place in the YAML
    (`layers[3].body[2]`)."""

    file: str
    line: int
    yaml_path: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


class CnnCalcError(Exception):
    """Base of every error cnncalc reports to a person (never a bug of cnncalc itself)."""

    def __init__(self, message: str, where: Where | None = None, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.path = path  # the layer path, e.g. `layer1.0.conv2`, when known

    def located(self, where: Where | None, path: str = "") -> CnnCalcError:
        """Fill in the location if the raiser did not know it."""
        if self.where is None:
            self.where = where
        if not self.path:
            self.path = path
        return self

    def __str__(self) -> str:
        """`file:line layer.path (layers[3].body[2]): message` — whatever of it is known."""
        parts = []
        if self.where is not None:
            parts.append(str(self.where))
        if self.path:
            parts.append(self.path)
        if self.where is not None and self.where.yaml_path and self.where.yaml_path != self.path:
            parts.append(f"({self.where.yaml_path})" if self.path else self.where.yaml_path)
        prefix = " ".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message


class SpecError(CnnCalcError):
    """The architecture file (or a command-line value) is malformed."""


class ShapeError(CnnCalcError):
    """The architecture is well formed but a tensor shape does not work out."""


class LimitError(SpecError):
    """A hostile or runaway input crossed one of cnncalc's safety limits."""
