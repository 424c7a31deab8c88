"""Differential random-program test: every gradient is right, or the compiler raises a located ad.ADError.

A fixed (derandomized) set of programs from tests/progen.py: each is run in plain Python, differentiated by
central finite differences, and by ad.grad; the test fails on any WRONG gradient or CRASH (an exception that
is not an ad.ADError), printing the shrunk program. Refusals (ADError) and discarded programs are allowed.
CI-sized (a few hundred programs, well under a minute); for a wide search run
`python tests/explore.py --n 20000 --seed 1`. A smaller sample runs forward mode (ad.jvp) and Hessian-vector
products (ad.hvp, checked against differences of the compiled gradient): `explore.py --mode jvp|hvp`.

Skip it by name: `pytest -k "not random_programs"`, or set AD_SKIP_RANDOM_PROGRAMS=1.
"""
import collections
import os
import re
import time

import pytest

import progen

SEED = 2024                 # fixed: the same programs on every run
N_PROGRAMS = 600
CHUNKS = 4                  # reported separately, so one failing area does not hide the others
SHRINK_PER_CHUNK = 3        # failures shrunk per chunk (the others are listed with their messages)
SHRINK_BUDGET = 5.0         # seconds per shrunk program
SHRINK_TOTAL = 25.0         # seconds of shrinking in the whole module (messages only; outcomes are fixed)
OTHER_MODES = {"jvp": 150, "hvp": 50}   # programs per mode (about 10 s each on a loaded 2-core machine)
OLD = {"state": 0.0}        # the fixed set above: the programs of before the "state" feature (reproducible)
STATE = {"state": 0.4}      # a small set with many of tests/progen_state.py's constructs
STATE_SEED, STATE_MODES = 2026, {"grad": 74, "jvp": 30}  # (74: the loop-state constructs cost as much)
FLOW = {"state": 0.0, "flow": 0.5}  # tests/progen_flow.py: adjoints sharing a buffer across branches and loops
FLOW_SEED, FLOW_MODES = 2027, {"grad": 50, "hvp": 12}
VECTOR = {"vector": True}   # tests/progen_vector.py: f returns an array (vjp, jvp, jacrev, jacfwd)
VECTOR_SEED, VECTOR_COUNT = 2028, 24

_skip = pytest.mark.skipif(bool(os.environ.get("AD_SKIP_RANDOM_PROGRAMS")),
                           reason="AD_SKIP_RANDOM_PROGRAMS is set")
_shrink_spent = [0.0]
_results = {}               # index -> (source, Result): computed once per session


def _result(index):
    if index not in _results:
        import ad_compiler as ad
        src = progen.generate(progen.program_seed(SEED, index), OLD)
        _results[index] = (src, progen.check_source(src, ad, timeout=20.0))
    return _results[index]


def _failure_report(failures, chunk, mode="grad", seed=SEED, state=0.0):
    import ad_compiler as ad
    lines = [f"{len(failures)} wrong/crash program(s) in chunk {chunk} (seed {seed}, mode {mode}); "
             f"re-run one with: python tests/explore.py --state {state} --mode {mode} --show {seed} INDEX"]
    shown = 0
    for index, src, res in failures:
        if shown < SHRINK_PER_CHUNK and _shrink_spent[0] < SHRINK_TOTAL:
            t0 = time.monotonic()
            shrunk = progen.shrink(src, res, ad, budget=min(SHRINK_BUDGET, SHRINK_TOTAL - _shrink_spent[0]),
                                   mode=mode)
            _shrink_spent[0] += time.monotonic() - t0
            final = progen.check_source(shrunk, ad, mode=mode)
            out = dict(final, outcome=res.outcome, seed=seed, index=index, shrunk=shrunk, mode=mode,
                       category=progen.category(res, shrunk))
            lines += ["", f"--- program {index}: {res.outcome} {res.kind}: {res.message}", progen.describe(out)]
            shown += 1
        else:
            lines.append(f"--- program {index}: {res.outcome} {res.kind}: {res.message} (not shrunk)")
    return "\n".join(lines)


@_skip
@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_random_programs(chunk):
    counts = collections.Counter()
    failures = []
    for index in range(chunk, N_PROGRAMS, CHUNKS):
        src, res = _result(index)
        counts[res.outcome] += 1
        if res.outcome in ("wrong", "crash"):
            failures.append((index, src, res))
    print(f"chunk {chunk}: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    if failures:
        pytest.fail(_failure_report(failures, chunk), pytrace=False)


def _check_set(seed, features, count, mode, label, options):
    """Programs 0..count-1 of `seed` with `features`, checked in `mode`: fails on any wrong or crash (shrunk in
    the report; `options`: explore.py's options that make them again) and on any refusal without a location;
    returns the outcomes' counts."""
    import ad_compiler as ad
    counts = collections.Counter()
    failures, unlocated = [], []
    for index in range(count):
        src = progen.generate(progen.program_seed(seed, index), features)
        res = progen.check_source(src, ad, timeout=20.0, mode=mode)
        counts[res.outcome] += 1
        if res.outcome in ("wrong", "crash"):
            failures.append((index, src, res))
        elif res.outcome == "refused" and not res.located:
            unlocated.append(f"program {index} ({res.stage}): {res.full}")
    print(f"{label}: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    if failures:
        pytest.fail(_failure_report(failures, label, mode, seed, options), pytrace=False)
    assert not unlocated, "refusals without a file and line:\n" + "\n\n".join(unlocated[:5])
    return counts


@_skip
@pytest.mark.parametrize("mode", sorted(OTHER_MODES))
def test_random_programs_forward_and_second_order(mode):
    """The first programs of the fixed set in forward mode (jvp) and as Hessian-vector products (hvp): no
    wrong, no crash, every refusal located."""
    _check_set(SEED, OLD, OTHER_MODES[mode], mode, mode, "0")


@_skip
@pytest.mark.parametrize("mode", sorted(STATE_MODES))
def test_random_programs_with_state_constructs(mode):
    """A small set rich in the "state" constructs (tests/progen_state.py: views that may be the array itself,
    lazy iterators, mutable defaults, module state, closures, objects, one of several arrays...): no wrong, no
    crash, every refusal located."""
    counts = _check_set(STATE_SEED, STATE, STATE_MODES[mode], mode, f"state {mode}", STATE["state"])
    assert counts["pass"] >= STATE_MODES[mode] // 4, f"too few programs pass: {dict(counts)}"


@_skip
@pytest.mark.parametrize("mode", sorted(FLOW_MODES))
def test_random_programs_with_flow_constructs(mode):
    """A small set rich in the "flow" constructs (tests/progen_flow.py: recurrences through np.minimum, sums
    used unevenly by branches, loops that may run no iteration): no wrong, no crash, every refusal located."""
    counts = _check_set(FLOW_SEED, FLOW, FLOW_MODES[mode], mode, f"flow {mode}", "0 --flow 0.5")
    assert counts["pass"] >= FLOW_MODES[mode] // 2, f"too few programs pass: {dict(counts)}"
    sources = "\n".join(progen.generate(progen.program_seed(FLOW_SEED, i), FLOW) for i in range(FLOW_MODES[mode]))
    for pattern in (r"np\.minimum\(|np\.maximum\(", r"for \w+ in range\(", r"^    if ", r"while "):
        assert re.search(pattern, sources, re.M), f"the 'flow' feature no longer produces {pattern}"


@_skip
def test_random_programs_with_array_outputs():
    """A small set whose f returns an array (tests/progen_vector.py): ad.vjp with a random seed, ad.jvp, and
    ad.jacrev / ad.jacfwd against a Jacobian of differences; no wrong, no crash, every refusal located."""
    features = dict(progen.FEATURES, **VECTOR)
    counts = _check_set(VECTOR_SEED, features, VECTOR_COUNT, "vector", "vector", "--mode vector")
    assert counts["pass"] >= VECTOR_COUNT // 3, f"too few programs pass: {dict(counts)}"


@_skip
@pytest.mark.parametrize("name", sorted(progen.KNOWN_CASES))
def test_random_programs_known_case(name):
    """Hand-written programs of the kinds the first compiler got wrong: right, or a located refusal."""
    import ad_compiler as ad
    res = progen.check_source(progen.KNOWN_CASES[name], ad)
    if res.outcome not in ("pass", "refused"):
        pytest.fail(f"{name}: {res.outcome} {res.kind}: {res.message}\n  expected {res.expected}\n"
                    f"  got      {res.got}\n{res.where or ''}\n" + progen.KNOWN_CASES[name], pytrace=False)
    if res.outcome == "refused":
        assert res.located, f"{name}: the refusal names no file and line:\n{res.full}"


@_skip
def test_random_programs_refusals_are_located():
    """Every refusal among the fixed programs names the program's file and a line."""
    unlocated = []
    for index in range(N_PROGRAMS):
        _, res = _result(index)
        if res.outcome == "refused" and not res.located:
            unlocated.append(f"program {index} ({res.stage}): {res.full}")
    assert not unlocated, "refusals without a file and line:\n" + "\n\n".join(unlocated[:5])


def test_random_programs_generator_covers_the_known_kinds():
    """The generator keeps producing the constructs of the known bugs (generation only: fast)."""
    patterns = {
        "copy then slice assignment": r"= (\w+) \* 1\.0\n\s+(\w+)\[1:\] = 0\.0",
        "alias then augmented assignment": r"\n\s+(\w+) = (\w+)\n\s+\1 \+= ",
        "stored in a list, then mutated": r"\n\s+(\w+) = \[(\w+)\]\n\s+\2 \+= ",
        "list of tuples, unpacked": r"for a, b in \w+(\[:-1\])?:",
        "closure factory": r"return lambda t: t \* c",
        "rows mutated in a loop": r"for row in \w+:\n\s+row \*=",
        "same array passed twice": r"\n    return [^\n]*\b(\w+), \1\b",
    }
    sources = [progen.generate(progen.program_seed(SEED, i), OLD) for i in range(3000)]
    missing = [k for k, p in patterns.items() if not any(re.search(p, s) for s in sources)]
    assert not missing, f"the generator no longer produces: {missing}"
    for src in sources[:300]:
        compile(src, "<generated>", "exec")


def test_random_programs_generator_makes_the_state_constructs():
    """The "state" feature makes each construct the hand-written hunts found wrong (generation only: fast),
    in loops, branches and helpers; with the feature off a seed gives the program it gave before."""
    patterns = {
        "astype(copy=False)": r"\.astype\(\w+(\.float64)?, copy=False\)", "conj of a real array": r"\.conj(ugate)?\(\)",
        "np.asmatrix": r"np\.asmatrix\(", "generator expression": r"= \(t \* \w+ for t in \w+\)",
        "map": r"= map\(", "filter": r"= filter\(", "zip": r"= zip\(", "enumerate": r"= enumerate\(",
        "reversed": r"= reversed\(", "iter": r"= iter\(", "generator function": r"yield t \* c",
        "dict view": r"= \w+\.(values|items|keys)\(\)\n", "mutable default": r"def \w+\(v, (buf|cache|seen)=",
        "global dict item changed": r"\n    \w+ = (STATE|CACHE|MEMO)\w*\['k'\]\n",
        "one of several arrays": r"= \w+ if .* else \w+\n", "closure reading an array": r"lambda t: np\.sum\(t \* \w+\)",
        "method of an object": r"\w+ = (Acc|Cell|Holder)\w*\(", "tuples in a list": r"= \[\(\w+, [^)]*\), \(\w+, ",
        "overlapping slices": r"(\w+)\[1:\] = \1\[:-1\] \*", "view of a view": r"\.T\.reshape\(-1\)|\.ravel\(\)\[",
        "helper mutating a view of its argument": r"    v = a\[", "in a loop": r"for i in range\(\d\):\n        \w+ = ",
        "in a helper": r"def (stage|part|block)\w*\(a",
        # state known before a loop and changed by its body (h15-005, h15-007, tests/test_found_callees.py)
        "flag flipped by a method": r"def flip\(self\):", "memo on self": r"if self\.h is None:\n            self\.h = ",
        "switched activation": r"self\.act = np\.", "lazy momentum buffer": r"if self\.m is None:",
        "RNN cell hidden state on self": r"self\.h = np\.zeros_like\(v\)", "nonlocal number": r"nonlocal \w+\n",
        "closure changing a dict item": r"\['n'\] \+= 1", "generator changing the caller's object": r"o\.bump\(c\)",
        "recursive helper returning its argument": r"return (h|h\[1:\]|h\[0\])\n    return \w+\(",
        "recursive helper returning its list": r"return L\n    return collect", "checkpointed helper": r"@ad\.checkpoint",
    }
    sources = [progen.generate(progen.program_seed(STATE_SEED, i), STATE) for i in range(1000)]
    missing = [k for k, p in patterns.items() if not any(re.search(p, s) for s in sources)]
    assert not missing, f"the 'state' feature no longer produces: {missing}"
    for src in sources[:300]:
        compile(src, "<generated>", "exec")
    assert progen.generate(progen.program_seed(SEED, 5), OLD) == progen.generate(progen.program_seed(SEED, 5), {})


def test_random_programs_generator_makes_the_objects_constructs():
    """The "objects" feature (tests/progen_objects.py) makes each of its constructs (generation only: fast); with
    the feature off, or absent, a seed gives the program it gave before."""
    patterns = {
        "dataclass with a list field": r"items: list = field\(default_factory=list\)",
        "list attribute appended to": r"\.items\.append\(", "list attribute +=": r"\.items \+= \[",
        "item of a list attribute changed": r"\.items\[(0|-1)\]\[?[^\]]*\]? ?(\*|\+)?= ",
        "dict attribute": r"\.d\['a'\] = ", "tuple attribute": r"self\.p = \(a, b\)",
        "object holding an object": r"self\.log = \w+\(\)", "two objects sharing a list": r"\.items = (L|hs|parts|items|outs)\w*\n",
        "views kept in an object's list": r"\.add\(\w+\[(1:|:-1|0|-1)\]\)", "super()": r"super\(\)\.apply\(",
        "property setter": r"@s\.setter", "__setitem__": r"def __setitem__", "__iadd__": r"def __iadd__",
        "class attribute list": r"    seen = \[\]", "lazy read of the list": r"sum\(np\.sum\(t \* t\) for t in \w+\.items\)",
        "zip of the list": r"zip\(\w+\.items, \w+\.items\[1:\]\)", "ddof": r"ddof=1", "keepdims": r"keepdims=True",
        "tuple axis": r"axis=\(-?\d, -?\d\)", "order='F'": r"order='F'", "swapaxes": r"\.swapaxes\(",
        "transpose(axes)": r"\.transpose\(\(?\d, \d", "cumsum(axis=)": r"\.cumsum\(axis=", "dtype=np.float64": r"dtype=np\.float64",
    }
    feats = {"state": 0.0, "objects": 0.5}
    sources = [progen.generate(progen.program_seed(STATE_SEED, i), feats) for i in range(250)]
    missing = [k for k, p in patterns.items() if not any(re.search(p, s) for s in sources)]
    assert not missing, f"the 'objects' feature no longer produces: {missing}"
    for src in sources[:100]:
        compile(src, "<generated>", "exec")
    for i in (3, 5):
        assert progen.generate(progen.program_seed(SEED, i), {"state": 0.18, "objects": 0}) == \
            progen.generate(progen.program_seed(SEED, i), {"state": 0.18})
