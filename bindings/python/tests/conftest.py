import os
import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # softauth


def source_dir() -> pathlib.Path:
    """The keyward source tree (test data): $KEYWARD_SOURCE_DIR or this file's checkout."""
    env = os.environ.get("KEYWARD_SOURCE_DIR")
    return pathlib.Path(env) if env else HERE.parents[2]


@pytest.fixture
def src() -> pathlib.Path:
    return source_dir()
