import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from hypothesis import settings  # noqa: E402

# The same examples on every run: CI results do not depend on luck (run with
# `--hypothesis-profile=explore` to search new random examples locally).
settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile("deterministic")


def pytest_addoption(parser):
    parser.addoption("--dask-all", action="store_true", default=False,
                     help="tests/test_dask_rules.py: every call of the rule table (default: one per rule)")
