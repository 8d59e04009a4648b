"""Message text from a template file: ``text="reminder.txt"`` renders that file with Jinja.

Airflow reads a templated field as a template file when its value ends with one of the
class's ``template_ext`` (found on the DAG folder / ``template_searchpath``), and it does
so for *every* templated field. Here a recipients or suppression file is data that the
operator streams, and ``recipients="audience.txt"`` must stay a path: so only the fields
named in ``message_text_fields`` are read as template files; every other field ending in
``.txt`` renders as the plain string it is, exactly as without ``template_ext``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any, ClassVar

#: the extensions that make a message text a template file (as SQL operators use ".sql")
MESSAGE_TEMPLATE_EXT: tuple[str, ...] = (".txt", ".j2")


class MessageTextFiles:
    """``template_ext`` for the message text only; mix in before ``BaseOperator`` / ``BaseNotifier``."""

    template_ext: Sequence[str] = MESSAGE_TEMPLATE_EXT
    #: the attributes that hold message text (others ending in ``.txt`` are paths, never templates)
    message_text_fields: ClassVar[tuple[str, ...]] = ("text",)

    def resolve_template_files(self) -> None:
        """At DAG parse: read the message text's template file, and no other field's."""
        env = self.get_template_env()  # type: ignore[attr-defined]
        for name in self.message_text_fields:
            value = getattr(self, name, None)
            if name in self.template_fields and self._is_template_file(value):  # type: ignore[attr-defined]
                # not found now (another worker's folder): the render at run time names the file
                with contextlib.suppress(Exception):
                    setattr(self, name, env.loader.get_source(env, value)[0])
        self.prepare_template()  # type: ignore[attr-defined]

    def render_template(
        self, content: Any, context: Any, jinja_env: Any = None, seen_oids: set[int] | None = None
    ) -> Any:
        if self._is_template_file(content) and not self._is_message_text(content):
            # a path to data that happens to end in .txt: rendered as a string, never opened
            jinja_env = jinja_env or self.get_template_env()  # type: ignore[attr-defined]
            return self._render(jinja_env.from_string(content), context)  # type: ignore[attr-defined]
        return super().render_template(content, context, jinja_env, seen_oids)  # type: ignore[misc]

    def _is_template_file(self, value: Any) -> bool:
        return isinstance(value, str) and value.endswith(tuple(self.template_ext))

    def _is_message_text(self, value: str) -> bool:
        # the rendering passes the attribute's own object: identity names the field it came from
        return any(getattr(self, name, None) is value for name in self.message_text_fields)


__all__ = ["MESSAGE_TEMPLATE_EXT", "MessageTextFiles"]
