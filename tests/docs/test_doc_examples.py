"""The how-to pages' own code blocks run, as the README's reference blocks do.

The examples quoted from ``dags_examples/`` run end to end in the suite already; the blocks
written into ``docs/guides/*.rst`` are run here as a DAG's body, with only their own
imports: every constructor runs with exactly the keywords shown, templates must parse, and
the send operators' content checks run on the rendered values. A block counts as a DAG body
when its first line imports one of the provider's operators, sensors or notifiers (the
others, such as the simulator's pytest example, are not DAG code).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import jinja2
import pytest

from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.operators.campaign import CampaignSendOperator
from tests.test_readme_examples import check_send_operator, run_code, template_strings

GUIDES = Path(__file__).resolve().parents[2] / "docs" / "guides"
DAG_BODY_IMPORTS = tuple(
    f"from airflow_provider_nxcloud.{layer}." for layer in ("operators", "sensors", "notifications")
)


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # the page's line of the block's first code line
    code: str

    @property
    def name(self) -> str:
        return f"{self.page.name}:{self.line}"


def python_blocks(page: Path) -> list[Block]:
    """The ``.. code-block:: python`` blocks of a page, dedented."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    for i, line in enumerate(lines):
        if line.strip() != ".. code-block:: python":
            continue
        j = i + 1
        while j < len(lines) and lines[j].strip().startswith(":"):  # the directive's options
            j += 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        first, body = j, []
        while j < len(lines) and (not lines[j].strip() or lines[j].startswith("   ")):
            body.append(lines[j])
            j += 1
        blocks.append(Block(page, first + 1, textwrap.dedent("\n".join(body)).strip() + "\n"))
    return blocks


BLOCKS = [
    block
    for page in sorted(GUIDES.glob("*.rst"))
    for block in python_blocks(page)
    if block.code.startswith(DAG_BODY_IMPORTS)
]


def test_the_pages_have_dag_blocks():
    # a changed directive spelling would otherwise leave nothing to run
    assert len(BLOCKS) >= 6, [block.name for block in BLOCKS]


@pytest.mark.parametrize("block", BLOCKS, ids=[block.name for block in BLOCKS])
def test_block_runs_and_passes_the_operators_checks(block):
    ran = run_code(block.code, dag_id=f"docs_{block.page.stem}_{block.line}".replace("-", "_"))
    provider = {cls for cls in ran.constructed if cls.__module__.startswith("airflow_provider_nxcloud.")}
    assert provider, f"{block.name} constructs no operator, sensor or notifier of the provider"
    env = ran.dag.get_template_env()
    for task in ran.dag.tasks:
        for attr in task.template_fields:
            for text in template_strings(getattr(task, attr)):
                try:
                    env.parse(text)
                except jinja2.TemplateSyntaxError as exc:
                    pytest.fail(f"{block.name}: {task.task_id}.{attr} is not a valid template ({exc})")
        if isinstance(task, CampaignSendOperator):
            try:
                check_send_operator(task, ran.dag)
            except InvalidInputError as exc:
                pytest.fail(
                    f"{block.name}: {type(task).__name__}(task_id={task.task_id!r}) would refuse: {exc}"
                )


def test_a_keyword_the_class_does_not_take_fails_the_block():
    code = (
        "from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator\n"
        "BukaSendSmsOperator(task_id='t', recipients=['6591234567'], text='hi', colour='red')\n"
    )
    with pytest.raises(TypeError, match="colour"):
        run_code(code, dag_id="docs_bad_keyword")
