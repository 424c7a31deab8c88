"""Errors raised by the compiler.

Every error derives from :class:`ADError`. When an error is about a place in the user's code, its message
names the file, line and column, shows the source line with a caret under the offending code, and ends
with a hint saying what to do.
"""


class ADError(Exception):
    """Base class of every error raised by ad_compiler."""

    def __init__(self, message, *, where=None, hint=None, deferred=False):
        self.message = message
        self.where = where  # a SourceLocation or None
        self.hint = hint
        # True when it may not happen for arguments of known kinds (reported at the first call, not by grad)
        self.deferred = deferred
        super().__init__(self._format())

    def _format(self):
        parts = []
        if self.where is not None:
            parts.append(self.where.describe())
        parts.append(self.message)  # the traceback already names the class
        if self.hint:
            parts.append(f"Hint: {self.hint}")
        return "\n".join(parts)


class UnsupportedError(ADError):
    """A language construct the compiler does not (yet) differentiate."""


class NoDerivativeError(ADError):
    """A call with no known derivative lies on a path from a `wrt` argument to the output."""


class NonScalarOutputError(ADError):
    """`grad` was asked for the gradient of a function whose output is not a scalar."""


class SourceUnavailableError(ADError):
    """The source of a function could not be read (built in, compiled, or defined in an interactive shell)."""


class SourceLocation:
    """A position in the user's file: used to point errors and comments at the original code."""

    __slots__ = ("filename", "line", "col", "end_col", "text", "function")

    def __init__(self, filename, line, col, end_col, text, function):
        self.filename = filename
        self.line = line
        self.col = col
        self.end_col = end_col
        self.text = text
        self.function = function

    def describe(self):
        head = f'File "{self.filename}", line {self.line}, column {self.col + 1}, in {self.function}:'
        if not self.text:
            return head
        stripped = self.text.lstrip()
        indent = len(self.text) - len(stripped)
        start = max(self.col - indent, 0)
        end = self.end_col - indent if self.end_col and self.end_col > self.col else start + 1
        end = min(max(end, start + 1), len(stripped.rstrip()) or start + 1)
        caret = " " * start + "^" * max(end - start, 1)
        return f"{head}\n    {stripped.rstrip()}\n    {caret}"
