"""What a user sees of an exception that leaves ad_compiler: their own code, the generated code, not the
compiler's internals.

- An `ADError` leaves the public functions (`ad.grad`, a derivative's call, `.source`, `ad.export`, ...)
  with a traceback that ends at the user's call: the compiler's frames are cut off (`boundary`).
- Any other exception raised while a derivative runs (a shape mismatch in the user's code, on the forward or
  the adjoint sweep) keeps the frames of the generated code (its lines are in `linecache`) and of the
  libraries it called, and gets a note naming the user's line that generated code comes from (Python 3.11+:
  `add_note`; on 3.10 the traceback alone).
- Before 3.13, Python prints an uncaught exception's frames with the source read from files, not from
  `linecache`: for exceptions passing through generated code an exception hook prints them with the
  `traceback` module instead, which shows the generated lines.

Set the environment variable AD_COMPILER_DEBUG=1 to see every frame (for debugging ad_compiler itself).
"""
import functools
import os
import sys
import traceback

from .errors import ADError

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
GENERATED_PREFIX = "<ad_compiler:"  # the filenames of generated code (codegen.py)
DISPATCHER_PREFIX = "<ad_compiler dispatcher"


def debugging():
    return os.environ.get("AD_COMPILER_DEBUG", "").strip() not in ("", "0")


def _internal(filename):
    return filename.startswith(_PACKAGE_DIR) or filename.startswith(DISPATCHER_PREFIX)


def surface(exc):
    """Prepare `exc`, about to leave ad_compiler through a public function (re-raised by a bare `raise`
    right after, which does not add the current frame again), for the user to read."""
    if debugging():
        return
    if isinstance(exc, ADError):
        if exc.where is None:  # (raised by a runtime helper the generated code called: at the user's line)
            _locate(exc)
        exc.__suppress_context__ = True  # an internal exception it was raised while handling
        exc.__traceback__ = None  # the user's frames are added as it propagates
        return
    _add_note(exc)
    entries, tb = [], exc.__traceback__
    while tb is not None:
        if not _internal(tb.tb_frame.f_code.co_filename):
            entries.append(tb)
        tb = tb.tb_next
    rebuilt = None
    for entry in reversed(entries):
        rebuilt = type(entry)(rebuilt, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    exc.__traceback__ = rebuilt


# A bare `raise` re-raises with the exception's own (prepared) traceback from Python 3.11 on; before, it
# restores the traceback the handler saved, so `raise exc` is used, which adds the public function's frame.
BARE_RAISE_KEEPS_TRACEBACK = sys.version_info >= (3, 11)


def boundary(func):
    """Decorate a public function: exceptions leave it as `surface` prepares them."""
    @functools.wraps(func)
    def public(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            surface(exc)
            if BARE_RAISE_KEEPS_TRACEBACK:
                raise
            raise exc  # noqa: TRY201  (Python 3.10, see above)
    return public


# -- the note: which line of the user's code ----------------------------------------------------------------
def _add_note(exc):
    if not hasattr(exc, "add_note") or getattr(exc, "_ad_noted", False):
        return
    note = describe_origin(exc.__traceback__)
    if note:
        exc.add_note(note)
        try:
            exc._ad_noted = True
        except AttributeError:
            pass


def _locate(exc):
    """Give an ADError raised inside generated code the location of the user's statement it comes from."""
    found = _origin(exc.__traceback__)
    if found is None or str(exc.message).startswith('File "'):  # (runtime.check_view: located by its text)
        return
    origin = found[3]
    exc.where = origin.unit.location(origin.node if origin.node is not None else origin.stmt)
    exc.args = (exc._format(),)


def describe_origin(tb):
    """'In the adjoint of <statement> (File ..., line N, in f), at line 12 of the generated dloss_dw.' for
    the innermost frame of generated code in `tb`, or None."""
    found = _origin(tb)
    if found is None:
        return None
    compiled, line, phase, origin = found
    unit = origin.unit
    return (f"ad_compiler: raised by line {line} of the generated {compiled.__name__}, {phase} of\n"
            f"    {unit.statement_text(origin.stmt)}\n"
            f'  (File "{unit.filename}", line {unit.file_line(origin.stmt)}, in {unit.name})')


def _origin(tb):
    """(compiled function, its line, phase, the user's statement's origin) of the innermost frame of generated
    code in `tb`, or None."""
    innermost = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith(GENERATED_PREFIX):
            innermost = tb
        tb = tb.tb_next
    if innermost is None:
        return None
    from .codegen import compiled_from

    compiled = compiled_from(innermost.tb_frame.f_code.co_filename)
    origins = getattr(compiled, "_ad_origins", None)
    if not origins:
        return None
    line = innermost.tb_lineno
    phase, origin = origin_of_line(compiled._ad_text.splitlines(), origins, line)
    if origin is None:
        return None
    return compiled, line, phase, origin


ORIGIN_COMMENTS = {"# adjoint of:": "the adjoint", "# tangent of:": "the tangent"}  # heads of generated blocks


def origin_of_line(lines, origins, line):
    """(phase, origin) of generated line `line` (1-based): 'the adjoint' / 'the tangent' for a line under a
    `# adjoint of:` / `# tangent of:` comment (the comment's origin), else 'the forward sweep'."""
    for j in range(min(line, len(lines)) - 1, -1, -1):
        text = lines[j].strip()
        for head, phase in ORIGIN_COMMENTS.items():
            if text.startswith(head):
                return phase, origins[j]
        if text == "# forward" or text.startswith("def "):
            break
    return "the forward sweep", origins[line - 1] if 0 < line <= len(origins) else None


# -- uncaught exceptions before Python 3.13 -----------------------------------------------------------------
def _passes_generated_code(exc, seen=None):
    seen = seen if seen is not None else set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename.startswith(GENERATED_PREFIX):
                return True
            tb = tb.tb_next
        if exc.__cause__ is not None and _passes_generated_code(exc.__cause__, seen):
            return True
        exc = None if exc.__suppress_context__ else exc.__context__
    return False


def excepthook(exc_type, exc, tb):
    """sys.excepthook: an exception that passed through generated code is printed by the traceback module
    (which reads the generated lines from linecache); any other by the hook that was there before."""
    if _passes_generated_code(exc):
        traceback.print_exception(exc_type, exc, tb)
    else:
        _previous_hook(exc_type, exc, tb)


_previous_hook = sys.excepthook


def install_excepthook():
    """Install `excepthook` where the interpreter's own printing would not show generated lines (before
    Python 3.13), unless another hook (IPython's, say) is in place."""
    global _previous_hook
    if sys.version_info < (3, 13) and sys.excepthook is sys.__excepthook__:
        _previous_hook = sys.excepthook
        sys.excepthook = excepthook
