from __future__ import annotations

import pytest

from tests.operators.conftest import TaskRun


@pytest.fixture
def task_run() -> TaskRun:
    return TaskRun()
