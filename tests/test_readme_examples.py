"""The README's reference section is run, not just read.

Every ```python block of "## Reference: operators, sensors, notifier" is executed inside a
DAG with only the imports it carries itself (users copy-paste one block), so every
constructor runs with exactly the keywords shown: a misspelled or unknown keyword raises.
The send operators' own content checks (``check_content``, pure and without network) then
run on the rendered values, so an example that the operator would refuse at run time
fails here too. Finally every public operator, sensor and notifier of the modules
``get_provider_info()`` lists must be constructed by at least one block.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import pendulum
import pytest
from airflow.providers.common.compat.notifier import BaseNotifier
from airflow.providers.common.compat.sdk import BaseOperator
from airflow.sdk import DAG

from airflow_provider_nxcloud.exceptions import InvalidInputError
from airflow_provider_nxcloud.get_provider_info import get_provider_info
from airflow_provider_nxcloud.operators.campaign import CampaignSendOperator
from airflow_provider_nxcloud.operators.nxcloud import NXCloudSendVoiceOperator

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## Reference: operators, sensors, notifier"
START = pendulum.datetime(2026, 1, 1, tz="UTC")
CALLBACKS = (
    "on_failure_callback",
    "on_success_callback",
    "on_retry_callback",
    "on_execute_callback",
    "on_skipped_callback",
)


@dataclass(frozen=True)
class Block:
    line: int  # README line of the block's first code line
    code: str

    @property
    def name(self) -> str:
        return f"README.md:{self.line}"


@dataclass
class Ran:
    dag: DAG
    namespace: dict[str, Any]
    constructed: set[type] = field(default_factory=set)


def section_blocks(text: str) -> list[Block]:
    """The ```python blocks between the section heading and the next ``## `` heading."""
    lines = text.splitlines()
    try:
        start = lines.index(SECTION)
    except ValueError:
        raise AssertionError(f"README.md has no line {SECTION!r}") from None
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    blocks: list[Block] = []
    i = start + 1
    while i < end:
        if lines[i].strip() == "```python":
            close = next(j for j in range(i + 1, end) if lines[j].strip() == "```")
            blocks.append(Block(line=i + 2, code="\n".join(lines[i + 1 : close])))
            i = close
        i += 1
    return blocks


BLOCKS = section_blocks(README.read_text(encoding="utf-8"))


def run_code(code: str, *, dag_id: str, first_line: int = 1) -> Ran:
    """Execute ``code`` as a DAG's body; the padding makes tracebacks name the README's line numbers."""
    namespace: dict[str, Any] = {"__name__": dag_id}
    with DAG(dag_id=dag_id, schedule=None, start_date=START) as dag:
        exec(compile("\n" * (first_line - 1) + code, str(README), "exec"), namespace)
    ran = Ran(dag, namespace)
    ran.constructed = {type(obj) for obj in provider_objects(ran)}
    return ran


@functools.cache
def run_block(index: int) -> Ran:
    block = BLOCKS[index]
    return run_code(block.code, dag_id=f"readme_block_{index}", first_line=block.line)


def provider_objects(ran: Ran) -> Iterator[Any]:
    """The tasks the block created, and notifiers it named or attached as callbacks."""
    for task in ran.dag.tasks:
        yield task
        for name in CALLBACKS:
            value = getattr(task, name, None)
            for callback in value if isinstance(value, list | tuple) else [value]:
                if isinstance(callback, BaseNotifier):
                    yield callback
    for value in ran.namespace.values():
        if isinstance(value, BaseNotifier):
            yield value


def is_base(cls: type) -> bool:
    """The codebase's convention for a class users do not construct ("Base of the delivery sensors; ...")."""
    return (cls.__doc__ or "").lstrip().startswith("Base of")


def defined_classes(module_name: str, kind: type) -> set[type]:
    module = importlib.import_module(module_name)
    return {
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if cls.__module__ == module_name and not cls.__name__.startswith("_") and issubclass(cls, kind)
    }


def listed_classes() -> set[type]:
    """Every operator, sensor and notifier class defined in the modules the provider registers."""
    info = get_provider_info()
    found: set[type] = set()
    for layer in ("operators", "sensors"):
        for entry in info[layer]:
            for module_name in entry["python-modules"]:
                found |= defined_classes(module_name, BaseOperator)
    for entry in info["transfers"]:
        found |= defined_classes(entry["python-module"], BaseOperator)
    for path in info["notifications"]:
        module_name, _, name = path.rpartition(".")
        found |= defined_classes(module_name, BaseNotifier)
        found.add(getattr(importlib.import_module(module_name), name))
    return found


def public_classes() -> set[type]:
    listed = listed_classes()
    bases = {cls for cls in listed if is_base(cls)}
    public = listed - bases
    for base in bases:
        # a concrete class mislabelled as a base would otherwise escape the coverage check
        assert any(issubclass(cls, base) for cls in public), (
            f"{base.__name__} says it is a base class, but no public class derives from it"
        )
    return public


def template_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from template_strings(item)
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from template_strings(item)


def render_context(dag: DAG) -> dict[str, Any]:
    """What a scheduled run's templates see, for the variables the send examples use."""
    from airflow.sdk.execution_time import macros

    end = pendulum.now("UTC")
    start = end.subtract(days=1)
    return {
        "dag": dag,
        "ds": start.to_date_string(),
        "ds_nodash": start.format("YYYYMMDD"),
        "logical_date": start,
        "data_interval_start": start,
        "data_interval_end": end,
        "run_id": f"scheduled__{start.isoformat()}",
        "params": {},
        "macros": macros,
    }


def check_send_operator(operator: CampaignSendOperator, dag: DAG) -> None:
    """Render the operator's templates as a run would, then its own pure content check."""
    context = render_context(dag)
    operator.render_template_fields(context=context)  # type: ignore[arg-type]
    operator.check_content()


@pytest.mark.parametrize("index", range(len(BLOCKS)), ids=[block.name for block in BLOCKS])
def test_example_block_runs_and_passes_the_operators_checks(index):
    ran = run_block(index)
    name = BLOCKS[index].name
    provider = {cls for cls in ran.constructed if cls.__module__.startswith("airflow_provider_nxcloud.")}
    assert provider, f"the block at {name} constructs no operator, sensor or notifier of the provider"
    env = ran.dag.get_template_env()
    for task in ran.dag.tasks:
        for attr in task.template_fields:
            for text in template_strings(getattr(task, attr)):
                try:
                    env.parse(text)
                except jinja2.TemplateSyntaxError as exc:
                    pytest.fail(f"{name}: {task.task_id}.{attr} is not a valid template ({exc}): {text!r}")
    for task in ran.dag.tasks:
        if isinstance(task, CampaignSendOperator):
            try:
                check_send_operator(task, ran.dag)
            except InvalidInputError as exc:
                pytest.fail(f"{name}: {type(task).__name__}(task_id={task.task_id!r}) would refuse: {exc}")
            except jinja2.TemplateError as exc:
                pytest.fail(f"{name}: {task.task_id}'s templates do not render in a scheduled run: {exc}")


def test_every_public_operator_sensor_and_notifier_has_an_example():
    public = public_classes()
    # a floor, so that a broken discovery (nothing imported) cannot pass as "all covered"
    assert len(public) >= 30, sorted(cls.__name__ for cls in public)
    shown: set[type] = set()
    for index in range(len(BLOCKS)):
        shown |= run_block(index).constructed
    missing = sorted(cls.__name__ for cls in public - shown)
    assert not missing, f"no example in README.md's {SECTION!r} constructs: {', '.join(missing)}"


def test_every_class_name_in_the_lists_has_an_example():
    """A class the prose names is one the examples construct (catches a renamed or misspelled entry)."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(SECTION)
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("## "))
    named = set(re.findall(r"`([A-Z][A-Za-z]+(?:Operator|Sensor|Notifier))`", "\n".join(lines[start:end])))
    shown = {cls.__name__ for index in range(len(BLOCKS)) for cls in run_block(index).constructed}
    assert named, "the section names no class"
    assert not named - shown, f"named in the section but in no example: {sorted(named - shown)}"


def github_anchor(heading: str) -> str:
    text = heading.lstrip("#").strip().lower()
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text))


def test_the_sections_links_point_at_headings_or_guides():
    text = README.read_text(encoding="utf-8")
    anchors = {github_anchor(line) for line in text.splitlines() if line.startswith("#")}
    section = text[text.index(SECTION) :]
    section = section[: section.index("\n## ")]
    links = re.findall(r"\]\(([^)#\s]*)(?:#([^)]+))?\)", section)
    assert links, "the section links to no README section or guide"
    broken = [
        f"{path}#{anchor}" if anchor else path
        for path, anchor in links
        if (path and not (README.parent / path).exists()) or (not path and anchor not in anchors)
    ]
    assert not broken, f"links to nothing: {broken}"


def test_a_keyword_the_class_does_not_take_fails_the_block():
    code = (
        "from airflow_provider_nxcloud.operators.buka import BukaSendSmsOperator\n"
        "BukaSendSmsOperator(task_id='send', recipients=['6591234567'], txt='Hello')\n"
    )
    with pytest.raises(TypeError, match="txt"):
        run_code(code, dag_id="readme_misspelled_keyword")


def test_a_block_without_its_import_fails():
    with pytest.raises(NameError, match="BukaSendSmsOperator"):
        run_code(
            "BukaSendSmsOperator(task_id='send', recipients='6591234567', text='Hi')", dag_id="no_import"
        )


def test_a_value_the_operator_refuses_fails_its_check():
    code = (
        "from airflow_provider_nxcloud.operators.nxcloud import NXCloudSendVoiceOperator\n"
        "NXCloudSendVoiceOperator(task_id='call', recipients=['6591234567'], text='Hi {{ ds }}',\n"
        "                         language='English')\n"
    )
    ran = run_code(code, dag_id="readme_refused_value")
    [operator] = ran.dag.tasks
    assert isinstance(operator, NXCloudSendVoiceOperator)
    with pytest.raises(InvalidInputError, match="language"):
        check_send_operator(operator, ran.dag)
    assert operator.text == f"Hi {render_context(ran.dag)['ds']}"  # rendered before the check ran
