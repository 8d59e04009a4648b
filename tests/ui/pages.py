"""The Airflow UI's Connections page, as a person uses it: the Add/Edit dialog and each row's buttons.

Selectors are what the React/Chakra app keeps stable across Airflow 3.1-3.3: ``name``
attributes (``host``, ``login``, ``password`` for the standard fields, ``element_<name>``
for a provider's extra fields), Chakra's ``data-scope``/``data-part`` attributes, the
``role=combobox`` of the connection-type select, the ``aria-label`` of the row buttons and
the English texts of the dialog (the browser runs with ``--lang=en-US``).
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

DIALOG = "[role=dialog]"
FIELD_LABEL = "label[data-scope=field][data-part=label]"
TOAST = "[data-scope=toast][data-part=root]"
TEST_TOAST_TITLES = ("Test Connection Successful", "Test Connection Failed")
WAIT_S = 30.0
#: the browser window: the docs' screenshots are this wide
WINDOW_WIDTH = 1280
WINDOW_HEIGHT = 1600
MARGIN_PX = 24


@dataclass(frozen=True)
class Toast:
    type: str
    title: str
    description: str


class Page:
    """A page of the Airflow UI in the browser: waits that say what the page showed on failure."""

    def __init__(self, driver: Any, base_url: str, artifacts: Path) -> None:
        self.driver = driver
        self.base_url = base_url
        self.artifacts = artifacts

    # ----- waiting, with what the page showed when it did not happen ---------------------------

    def wait_for(self, condition: Callable[[Any], Any], what: str, timeout: float = WAIT_S) -> Any:
        try:
            return WebDriverWait(
                self.driver, timeout, ignored_exceptions=(StaleElementReferenceException,)
            ).until(condition)
        except TimeoutException:
            raise AssertionError(
                f"timed out after {timeout:.0f} s waiting for {what}\n{self.describe()}"
            ) from None

    def describe(self) -> str:
        """The page's URL and visible text, and a screenshot of it saved under the test's tmp dir."""
        self.artifacts.mkdir(parents=True, exist_ok=True)
        shot = self.artifacts / f"page-{len(list(self.artifacts.glob('page-*.png')))}.png"
        self.driver.save_screenshot(str(shot))
        text = self.driver.execute_script("return document.body ? document.body.innerText : ''")
        return f"page {self.driver.current_url} (screenshot {shot}); visible text:\n{text}"


class ConnectionsPage(Page):
    def button(self, scope: str, text: str) -> Callable[[Any], WebElement | bool]:
        def find(driver: Any) -> WebElement | bool:
            for button in driver.find_elements(By.CSS_SELECTOR, f"{scope} button"):
                if button.text.strip() == text and button.is_displayed() and button.is_enabled():
                    return button
            return False

        return find

    # ----- the list ---------------------------------------------------------------------------

    def open(self) -> None:
        url = f"{self.base_url}/connections"
        add = self.button("body", "Add Connection")
        self.driver.get(url)
        # Airflow 3.1 logs a first visit in and then lands on the home page, not the one asked for
        self.wait_for(lambda d: add(d) or "/connections" not in d.current_url, f"{url} to load")
        if "/connections" not in self.driver.current_url:
            self.driver.get(url)
        self.wait_for(add, "the Connections page's Add Connection button")

    def row(self, conn_id: str) -> WebElement:
        # the table row with a cell reading exactly conn_id (conn ids are plain, no quotes)
        xpath = f"//tr[td[normalize-space(.)='{conn_id}']]"
        rows = self.wait_for(lambda d: d.find_elements(By.XPATH, xpath), f"the row of connection {conn_id!r}")
        row: WebElement = rows[0]
        return row

    def click_row_button(self, conn_id: str, label: str) -> None:
        def enabled_button(_: Any) -> WebElement | bool:
            # found afresh on each try: the table re-renders while it refreshes its rows
            button = self.row(conn_id).find_element(By.CSS_SELECTOR, f"button[aria-label='{label}']")
            return button if button.is_enabled() else False

        self.wait_for(enabled_button, f"{label} of {conn_id!r} to be enabled").click()

    def test_connection(self, conn_id: str) -> Toast:
        """Click the row's Test button and return the toast that answers it."""
        before = self._toast_ids()
        self.click_row_button(conn_id, "Test Connection")

        def answered(driver: Any) -> Toast | bool:
            for element in driver.find_elements(By.CSS_SELECTOR, TOAST):
                if element.get_attribute("id") in before:
                    continue
                title = _text(element, "[data-part=title]")
                if title in TEST_TOAST_TITLES:
                    return Toast(
                        element.get_attribute("data-type") or "",
                        title,
                        _text(element, "[data-part=description]"),
                    )
            return False

        toast: Toast = self.wait_for(answered, f"the answer to Test Connection of {conn_id!r}", timeout=60)
        return toast

    def _toast_ids(self) -> set[str | None]:
        ids: set[str | None] = set()
        for toast in self.driver.find_elements(By.CSS_SELECTOR, TOAST):
            # one closed while we looked cannot be taken for the answer either
            with contextlib.suppress(StaleElementReferenceException):
                ids.add(toast.get_attribute("id"))
        return ids

    # ----- the dialog -------------------------------------------------------------------------

    def dialog(self) -> WebElement:
        dialog: WebElement = self.wait_for(lambda d: d.find_element(By.CSS_SELECTOR, DIALOG), "the dialog")
        return dialog

    def open_add_dialog(self) -> WebElement:
        self.wait_for(self.button("body", "Add Connection"), "Add Connection").click()
        self.wait_for(
            lambda d: d.find_elements(By.CSS_SELECTOR, f"{DIALOG} [name=connection_id]"), "the Add dialog"
        )
        return self.dialog()

    def open_edit_dialog(self, conn_id: str) -> WebElement:
        self.click_row_button(conn_id, "Edit Connection")
        self.wait_for(lambda d: d.find_elements(By.CSS_SELECTOR, f"{DIALOG} [name=login]"), "the Edit dialog")
        return self.dialog()

    def choose_type(self, hook_name: str) -> None:
        """Pick the connection type in the dialog's select (react-select: type to filter, click the option)."""
        combobox = self.dialog().find_element(By.CSS_SELECTOR, "input[role=combobox]")
        combobox.send_keys(hook_name)

        def option(driver: Any) -> WebElement | bool:
            for candidate in driver.find_elements(By.CSS_SELECTOR, "[role=option]"):
                if candidate.text.strip() == hook_name:
                    return candidate
            return False

        self.wait_for(option, f"the connection type option {hook_name!r}").click()
        self.wait_for(
            lambda d: d.find_elements(By.CSS_SELECTOR, f"{DIALOG} [name=login], {DIALOG} [name=host]"),
            f"the standard fields of {hook_name!r}",
        )

    def expand(self, section: str) -> None:
        """Open one of the dialog's accordion sections ("Extra Fields", ...)."""
        trigger = self.wait_for(self.button(DIALOG, section), f"the {section!r} section")
        if trigger.get_attribute("aria-expanded") != "true":
            trigger.click()
        self.wait_for(lambda _: trigger.get_attribute("aria-expanded") == "true", f"{section!r} to open")

    def fields(self, name: str) -> list[WebElement]:
        elements: list[WebElement] = self.dialog().find_elements(By.NAME, name)
        return elements

    def field(self, name: str) -> WebElement:
        found = self.wait_for(lambda _: self.fields(name), f"the field named {name!r}")
        element: WebElement = found[0]
        return element

    def extra_field(self, name: str) -> WebElement:
        """An extra field's element: the input itself, or the root of a select/number/switch widget."""
        css = f"[name='element_{name}'], [id='element_{name}'], [id$=':element_{name}']"
        found = self.wait_for(
            lambda _: self.dialog().find_elements(By.CSS_SELECTOR, css), f"the extra field {name!r}"
        )
        element: WebElement = found[0]
        return element

    def label_of(self, element: WebElement) -> str:
        """The text of the field's own label (extra fields' labels point at a wrapper, not the input)."""
        root = element.find_element(By.XPATH, "./ancestor::*[@data-scope='field' and @data-part='root'][1]")
        label = root.find_element(By.CSS_SELECTOR, FIELD_LABEL)
        # a section still opening renders its labels' text only once shown: wait for it
        return str(
            self.wait_for(lambda _: label.text.replace("*", "").strip(), "the field's label to be shown")
        )

    def helper_text_of(self, element: WebElement) -> str:
        root = element.find_element(By.XPATH, "./ancestor::*[@data-scope='field' and @data-part='root'][1]")
        return _text(root, "[data-scope=field][data-part=helper-text]")

    def type_into(self, element: WebElement, text: str) -> None:
        element.click()
        element.send_keys(Keys.CONTROL, "a")
        element.send_keys(Keys.DELETE)
        element.send_keys(text)
        # named, not quoted: the text may be a secret
        name = element.get_attribute("name")
        self.wait_for(
            lambda _: element.get_attribute("value") == text, f"the field {name!r} to take the text"
        )

    def save_dialog(self) -> None:
        self.wait_for(self.button(DIALOG, "Save"), "an enabled Save button").click()
        self.wait_for(
            lambda d: not d.find_elements(By.CSS_SELECTOR, DIALOG), "the dialog to close after Save"
        )

    # ----- screenshots ------------------------------------------------------------------------

    def section(self, title: str) -> WebElement:
        """The dialog's accordion item titled ``title``."""
        trigger = self.wait_for(self.button(DIALOG, title), f"the {title!r} section")
        item: WebElement = trigger.find_element(By.XPATH, "./ancestor::*[@data-part='item'][1]")
        return item

    def capture(self, top: WebElement | None, bottom: WebElement) -> Capture:
        """A screenshot of the page from the top of ``top`` (None: the page's top) to the bottom of
        ``bottom``, with the window tall enough for the dialog and focus and hover out of the way."""
        driver = self.driver
        driver.execute_script("document.activeElement && document.activeElement.blur()")
        dialog = self.dialog()
        ActionChains(driver).move_to_element(dialog.find_element(By.CSS_SELECTOR, "h2")).perform()
        edge = "return Math.round(arguments[0].getBoundingClientRect()[arguments[1]]);"
        # the dialog's positioner pads below it; short of that it scrolls, and its scrollbar shifts the layout
        needed = int(driver.execute_script(edge, dialog, "bottom")) + 4 * MARGIN_PX
        if needed > driver.execute_script("return window.innerHeight"):
            chrome = int(driver.execute_script("return window.outerHeight - window.innerHeight"))
            driver.set_window_size(driver.get_window_size()["width"], needed + chrome)
        return Capture(
            png=driver.get_screenshot_as_base64(),
            top=0 if top is None else int(driver.execute_script(edge, top, "top")) - MARGIN_PX // 2,
            bottom=int(driver.execute_script(edge, bottom, "bottom")) + MARGIN_PX // 2,
            left=int(driver.execute_script(edge, dialog, "left")) - MARGIN_PX // 2,
        )

    def save_stitched(self, captures: list[Capture], target: Path) -> None:
        """Stack the captured bands into one PNG (drawn on a canvas in the page: no image library)."""
        stitched = self.driver.execute_async_script(
            """
            const [bands, done] = arguments;
            Promise.all(bands.map((band) => new Promise((resolve) => {
                const image = new Image();
                image.onload = () => resolve(image);
                image.src = "data:image/png;base64," + band.png;
            }))).then((images) => {
                const canvas = document.createElement("canvas");
                canvas.width = images[0].width;
                canvas.height = bands.reduce((sum, band) => sum + band.bottom - band.top, 0);
                const context = canvas.getContext("2d");
                let y = 0;
                bands.forEach((band, i) => {
                    const height = band.bottom - band.top;
                    context.drawImage(images[i], 0, band.top, canvas.width, height, 0, y, canvas.width, height);
                    if (i > 0) {
                        // left of the dialog a later band would repeat a slice of the sidebar's icons:
                        // carry the first band's last row (sidebar and backdrop only) down instead
                        const first = bands[0];
                        context.drawImage(images[0], 0, first.bottom - 1, band.left, 1, 0, y, band.left, height);
                    }
                    y += height;
                });
                done(canvas.toDataURL("image/png").split(",")[1]);
            });
            """,
            [{"png": c.png, "top": c.top, "bottom": c.bottom, "left": c.left} for c in captures],
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(base64.b64decode(stitched))
        self.driver.set_window_size(WINDOW_WIDTH, WINDOW_HEIGHT)


@dataclass(frozen=True)
class Capture:
    png: str
    top: int
    bottom: int
    #: where the dialog (and a margin) starts: left of it is the page's sidebar and backdrop
    left: int


def _text(element: WebElement, css: str) -> str:
    found = element.find_elements(By.CSS_SELECTOR, css)
    return found[0].text.strip() if found else ""


class RequiredActionsPage(Page):
    """A task instance's Required Actions tab: the Human-in-the-loop question and its options."""

    def open_task_instance(self, dag_id: str, run_id: str, task_id: str) -> None:
        url = f"{self.base_url}/dags/{dag_id}/runs/{run_id}/tasks/{task_id}/required_actions"
        self.driver.get(url)
        # Airflow 3.1 logs a first visit in and then lands on the home page, not the one asked for
        self.wait_for(lambda d: "required_actions" in d.current_url or "/dags" not in d.current_url, url)
        if "required_actions" not in self.driver.current_url:
            self.driver.get(url)

    def wait_for_text(self, text: str) -> None:
        self.wait_for(
            lambda d: text in d.execute_script("return document.body ? document.body.innerText : ''"),
            f"{text!r} to show",
        )

    def option_button(self, option: str) -> Callable[[Any], WebElement | bool]:
        """The enabled button of one of the question's options (the UI shows one button per option)."""

        def find(driver: Any) -> WebElement | bool:
            for button in driver.find_elements(By.TAG_NAME, "button"):
                if button.text.strip() == option and button.is_displayed() and button.is_enabled():
                    return button
            return False

        return find

    def save_screenshot(self, options: list[str], target: Path) -> None:
        """The page from its top to a margin below the option buttons, the window's full width."""
        driver = self.driver
        buttons = [self.wait_for(self.option_button(o), f"the option button {o!r}") for o in options]
        driver.execute_script("document.activeElement && document.activeElement.blur()")
        ActionChains(driver).move_to_element_with_offset(
            driver.find_element(By.TAG_NAME, "body"), 0, 0
        ).perform()
        edge = "return Math.round(arguments[0].getBoundingClientRect().bottom);"
        bottom = max(int(driver.execute_script(edge, button)) for button in buttons) + MARGIN_PX
        save_cropped_screenshot(driver, bottom, target)

    def answer(self, option: str) -> None:
        """Click the option's button: for a single-choice question without parameters it is the answer."""
        self.wait_for(self.option_button(option), f"the option button {option!r}").click()


def save_cropped_screenshot(driver: Any, bottom: int, target: Path) -> None:
    """The window's screenshot from its top to ``bottom`` (CSS pixels), the window's full width, as PNG."""
    cropped = driver.execute_async_script(
        """
        const [png, bottom, done] = arguments;
        const image = new Image();
        image.onload = () => {
            const canvas = document.createElement("canvas");
            canvas.width = image.width;
            canvas.height = Math.min(bottom * window.devicePixelRatio, image.height);
            canvas.getContext("2d").drawImage(image, 0, 0);
            done(canvas.toDataURL("image/png").split(",")[1]);
        };
        image.src = "data:image/png;base64," + png;
        """,
        driver.get_screenshot_as_base64(),
        bottom,
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(base64.b64decode(cropped))
