"""Template files for the fields that are templates: ``text="reminder.txt"`` renders that file with Jinja.

Airflow reads a templated field as a template file when its value ends with one of the
class's ``template_ext`` (found on the DAG folder / ``template_searchpath``), and it does
so for *every* templated field. Here a recipients or suppression file is data that the
operator streams, and ``recipients="audience.txt"`` must stay a path: so only the fields
named in ``template_files`` are read as template files, each with its own extensions;
every other field ending in ``.txt`` renders as the plain string it is, exactly as
without ``template_ext``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

#: the extensions that make a message text a template file (as SQL operators use ".sql")
MESSAGE_TEMPLATE_EXT: tuple[str, ...] = (".txt", ".j2")


class MessageTextFiles:
    """``template_ext`` for the fields that are templates only; mix in before ``BaseOperator`` / ``BaseNotifier``.

    A class adding a field (a SQL query) extends :attr:`template_files` and sets
    ``template_ext`` to the union of their extensions (Airflow's UI reads ``template_ext``).
    """

    template_ext: Sequence[str] = MESSAGE_TEMPLATE_EXT
    #: field -> the extensions that make its value a template file; other fields are never opened
    template_files: ClassVar[Mapping[str, tuple[str, ...]]] = {"text": MESSAGE_TEMPLATE_EXT}

    def resolve_template_files(self) -> None:
        """At DAG parse: read the template files of the fields that are templates, and no other field's."""
        env = self.get_template_env()  # type: ignore[attr-defined]
        for name in self.template_files:
            value = getattr(self, name, None)
            if name in self.template_fields and self._names_template_file(value):  # type: ignore[attr-defined]
                # not found now (another worker's folder): the render at run time names the file
                with contextlib.suppress(Exception):
                    setattr(self, name, env.loader.get_source(env, value)[0])
        self.prepare_template()  # type: ignore[attr-defined]

    def render_template(
        self, content: Any, context: Any, jinja_env: Any = None, seen_oids: set[int] | None = None
    ) -> Any:
        ends_like_a_file = isinstance(content, str) and content.endswith(tuple(self.template_ext))
        if ends_like_a_file and not self._names_template_file(content):
            # a path to data that happens to end in .txt: rendered as a string, never opened
            jinja_env = jinja_env or self.get_template_env()  # type: ignore[attr-defined]
            return self._render(jinja_env.from_string(content), context)  # type: ignore[attr-defined]
        return super().render_template(content, context, jinja_env, seen_oids)  # type: ignore[misc]

    def _names_template_file(self, value: Any) -> bool:
        """Whether ``value`` is a template field's own value, ending in one of that field's extensions.

        The rendering passes the attribute's own object: identity names the field it came from.
        """
        if not isinstance(value, str):
            return False
        text: str = value
        return any(
            getattr(self, name, None) is text and text.endswith(extensions)
            for name, extensions in self.template_files.items()
        )


__all__ = ["MESSAGE_TEMPLATE_EXT", "MessageTextFiles"]
