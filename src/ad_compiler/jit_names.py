"""`jit=True`: names of the compiled function that Numba's array expressions would confuse.

Numba gives a name assigned at several places the versions `v.1`, `v.2`, ... (its SSA form), and an
elementwise array expression spells its operands as Python parameters, with `.` made `_`: the version
`bx.1` of `bx` and the derivative's own `bx_1` both became `bx_1_1` there, and Numba stopped with
"'bx_1_1' not unique" (`bx = bx + bx_2; ...; bx = bx + bx_1` of arrays, hunt15 h15-001). A name assigned
at several places of the compiled function is renamed `v_r` (`v_r2`, ...) where another name of the function
begins with `v_`, so that no version of one name is spelled like another name.
"""
import ast
import re


def _defined(fn):
    """name -> how many places of `fn` assign it (a parameter counts once)."""
    count = {}
    for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs:
        count[a.arg] = count.get(a.arg, 0) + 1
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            count[node.id] = count.get(node.id, 0) + 1
    return count


def _renames(fn):
    count = _defined(fn)
    names = set(count) | {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)}
    out = {}
    for v in sorted(n for n, k in count.items() if k > 1):
        if not any(re.fullmatch(re.escape(v) + r"_\d.*", w) for w in names):
            continue
        k = 1
        while True:
            new = f"{v}_r" if k == 1 else f"{v}_r{k}"
            if not any(w == new or w.startswith(new + "_") for w in names):
                break
            k += 1
        out[v] = new
        names.add(new)
    return out


def apart(text, name):
    """`text` (printed functions) with the locals of the function `name` renamed as the docstring says;
    lines, comments and everything else as they are (the line origins stay right)."""
    tree = ast.parse(text)
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    renames = _renames(fn)
    if not renames:
        return text
    edits = [(n.lineno, n.col_offset, n.end_col_offset, renames[n.id]) for n in ast.walk(fn)
             if isinstance(n, ast.Name) and n.id in renames]
    edits += [(a.lineno, a.col_offset, a.col_offset + len(a.arg), renames[a.arg])
              for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs if a.arg in renames]
    lines = [line.encode() for line in text.splitlines(keepends=True)]
    for lineno, start, end, new in sorted(edits, reverse=True):
        line = lines[lineno - 1]
        lines[lineno - 1] = line[:start] + new.encode() + line[end:]
    return b"".join(lines).decode()
