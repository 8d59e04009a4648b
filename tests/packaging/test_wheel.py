"""The package a user installs: what the wheel and the sdist hold, and what Airflow sees once the
wheel is installed into a fresh virtual environment, away from this checkout.

The archives are the ones ``make dist`` left in dist/ (``make test`` builds them just before the
suite) when they match the checkout's version and are newer than its sources; otherwise they are
built the same way into a temporary directory, so this file also runs on its own. Expected values
come from the checkout's ``get_provider_info()`` (the single source), plus a few literals so that
an empty answer cannot pass.
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import airflow
import pytest

from airflow_provider_nxcloud import __version__
from airflow_provider_nxcloud.get_provider_info import get_provider_info

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "airflow_provider_nxcloud"
DIST_NAME = "airflow-provider-nxcloud"
DOCS_URL = "https://github.com/airflow-provider-nxcloud/airflow-provider-nxcloud#readme"
PIP_TIMEOUT = 600


def _require(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.fail(f"the packaging test needs `{module}` (in the `test` extra): run `make venv`")


@dataclass(frozen=True)
class Archives:
    wheel: Path
    sdist: Path


def _archive_names(outdir: Path) -> Archives:
    from packaging.utils import canonicalize_version

    # hatchling names both archives after the normalised project name and version
    stem = f"{PACKAGE}-{canonicalize_version(__version__, strip_trailing_zero=False)}"
    return Archives(outdir / f"{stem}-py3-none-any.whl", outdir / f"{stem}.tar.gz")


def _sources() -> Iterator[Path]:
    """Every file whose change makes an archive stale."""
    yield from (REPO / name for name in ("pyproject.toml", "README.md", "CHANGELOG.md"))
    for path in (REPO / PACKAGE).rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            yield path


def _build(outdir: Path, source: Path, *only: str) -> None:
    """What `make dist` runs (``*only``: e.g. ``--wheel``)."""
    _require("build")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", *only, "--outdir", str(outdir), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, (
        f"building {source.name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> Archives:
    made = _archive_names(REPO / "dist")
    if made.wheel.is_file() and made.sdist.is_file():
        built_at = min(made.wheel.stat().st_mtime, made.sdist.stat().st_mtime)
        if built_at >= max(path.stat().st_mtime for path in _sources()):
            return made
    # none, another version's, or older than the checkout: testing it would test something else
    outdir = tmp_path_factory.mktemp("dist")
    _build(outdir, REPO)
    return _archive_names(outdir)


@pytest.fixture(scope="module")
def wheel(archives: Archives) -> Iterator[zipfile.ZipFile]:
    assert archives.wheel.is_file(), f"no wheel {archives.wheel.name} in {archives.wheel.parent}"
    with zipfile.ZipFile(archives.wheel) as opened:
        yield opened


def _dist_info(wheel: zipfile.ZipFile, name: str) -> str:
    [path] = [n for n in wheel.namelist() if n.endswith(f".dist-info/{name}")]
    return wheel.read(path).decode()


# ----- the archives ----------------------------------------------------------------------------


def test_wheel_holds_the_package_and_nothing_else(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    dist_info = f"{PACKAGE}-{__version__}.dist-info/"
    strays = [n for n in names if not n.startswith((f"{PACKAGE}/", dist_info))]
    assert strays == [], f"the wheel holds files outside the package: {strays}"
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]

    shipped = {n.removeprefix(f"{PACKAGE}/") for n in names if n.startswith(f"{PACKAGE}/")}
    in_checkout = {
        path.relative_to(REPO / PACKAGE).as_posix()
        for path in _sources()
        if path.is_relative_to(REPO / PACKAGE) and path.suffix != ".pyc"
    }
    assert shipped == in_checkout, (
        f"missing from the wheel: {sorted(in_checkout - shipped)}; not in the checkout: {sorted(shipped - in_checkout)}"
    )
    # users type-check against it and test their DAGs offline with the simulator
    # the delivery view's page is a data file the app serves from the package
    for required in (
        "py.typed",
        "testing/server.py",
        "testing/pytest_plugin.py",
        "get_provider_info.py",
        "delivery_view/page.html",
    ):
        assert required in shipped, required


def test_wheel_registers_the_provider_and_the_pytest_plugin(wheel: zipfile.ZipFile) -> None:
    points = configparser.ConfigParser()
    points.read_string(_dist_info(wheel, "entry_points.txt"))
    assert {group: dict(points[group]) for group in points.sections()} == {
        "apache_airflow_provider": {
            "provider_info": "airflow_provider_nxcloud.get_provider_info:get_provider_info"
        },
        "pytest11": {"nxcloud_simulator": "airflow_provider_nxcloud.testing.pytest_plugin"},
        "airflow.plugins": {
            "nxcloud_delivery_view": "airflow_provider_nxcloud.delivery_view.plugin:DeliveryViewPlugin"
        },
    }


def test_wheel_metadata_is_valid_and_complete(wheel: zipfile.ZipFile) -> None:
    _require("trove_classifiers")
    import trove_classifiers
    from packaging.metadata import Metadata

    # validate=True is the check twine and PyPI apply on upload
    meta = Metadata.from_email(_dist_info(wheel, "METADATA"), validate=True)
    assert (meta.name, str(meta.version)) == (DIST_NAME, __version__)
    assert meta.requires_python is not None
    assert any(req.name == "apache-airflow" for req in meta.requires_dist or [])
    assert meta.description_content_type == "text/markdown"
    assert meta.description and meta.description.startswith("# airflow-provider-nxcloud")

    classifiers = meta.classifiers or []
    for wanted in (
        "Framework :: Apache Airflow",
        "Framework :: Apache Airflow :: Provider",
        "Typing :: Typed",
    ):
        assert wanted in classifiers, wanted
    unknown = [c for c in classifiers if c not in trove_classifiers.classifiers]
    assert unknown == [], f"PyPI refuses unknown or deprecated classifiers: {unknown}"
    # PEP 639: the SPDX expression replaces the License :: classifiers, and PyPI refuses both together
    assert meta.license_expression == "Apache-2.0"
    assert not [c for c in classifiers if c.startswith("License ::")]

    urls = meta.project_urls or {}
    assert urls.get("Documentation") == DOCS_URL, "Airflow shows this link for the provider"
    assert {"Homepage", "Source", "Changelog", "Issues"} <= set(urls), urls
    assert urls["Changelog"].endswith("/CHANGELOG.md")


def test_changelog_has_a_section_for_this_version() -> None:
    changelog = (REPO / "CHANGELOG.md").read_text()
    assert f"## [{__version__}] - " in changelog, f"CHANGELOG.md has no section for {__version__}"


def test_sdist_has_what_the_wheel_is_built_from_and_builds_the_same_wheel(
    archives: Archives, wheel: zipfile.ZipFile, tmp_path: Path
) -> None:
    top = archives.sdist.name.removesuffix(".tar.gz")
    with tarfile.open(archives.sdist) as sdist:
        names = {n.removeprefix(f"{top}/") for n in sdist.getnames()}
        needed = ["PKG-INFO", "pyproject.toml", "README.md", "CHANGELOG.md", f"{PACKAGE}/py.typed"]
        needed += [p.name for p in REPO.glob("LICEN[CS]E*")]
        assert [n for n in needed if n not in names] == []
        # the "data" filter (no absolute paths, links out or devices) where this Python has it
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        sdist.extractall(tmp_path, **safe)

    _build(tmp_path / "out", tmp_path / top, "--wheel")
    [rebuilt] = (tmp_path / "out").glob("*.whl")
    with zipfile.ZipFile(rebuilt) as again:
        assert sorted(again.namelist()) == sorted(wheel.namelist())
        assert _dist_info(again, "METADATA") == _dist_info(wheel, "METADATA")


# ----- installed into a fresh virtual environment ------------------------------------------------


@dataclass(frozen=True)
class FreshVenv:
    root: Path
    prefix: Path
    env: dict[str, str]
    install_seconds: float

    def run(
        self, *args: str, cwd: Path | None = None, timeout: float = 180
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args,
            cwd=cwd or self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def airflow_json(self, *args: str) -> Any:
        done = self.run(str(self.prefix / "bin" / "airflow"), *args, "-o", "json")
        assert done.returncode == 0, (
            f"airflow {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}"
        )
        try:
            return json.loads(done.stdout)
        except json.JSONDecodeError:
            pytest.fail(f"airflow {' '.join(args)} printed no JSON:\n{done.stdout[-3000:]}")


def _isolated_env(prefix: Path, home: Path) -> dict[str, str]:
    """Nothing from this checkout's interpreter or Airflow settings: no PYTHONPATH, no AIRFLOW_*."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW", "PYTHON", "VIRTUAL_ENV", "PYTEST"))
    }
    env.update(
        {
            "PATH": os.pathsep.join([str(prefix / "bin"), env.get("PATH", "")]),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        }
    )
    return env


@pytest.fixture(scope="module")
def fresh(archives: Archives) -> Iterator[FreshVenv]:
    # not tmp_path_factory: pytest keeps the last three base temp dirs, and this one is ~300 MB
    root = Path(tempfile.mkdtemp(prefix="nxcloud-wheel-"))
    try:
        prefix = root / "venv"
        # the interpreter this venv was made from, not the venv's (which would inherit its packages)
        base_python = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base_python, "-m", "venv", "--without-pip", str(prefix)], check=True)
        (root / "airflow-home").mkdir()
        env = _isolated_env(prefix, root / "airflow-home")
        # this interpreter's pip installs into the new one (--python), which spares bootstrapping pip
        # there; the pins are what this suite runs on, so the packages come from pip's cache
        started = time.monotonic()
        pip = [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(prefix / "bin" / "python"),
            "--disable-pip-version-check",
        ]
        pins = [f"apache-airflow=={airflow.__version__}", f"pytest=={pytest.__version__}"]
        done = subprocess.run(
            [*pip, "install", "--quiet", str(archives.wheel), *pins],
            env=env,
            capture_output=True,
            text=True,
            timeout=PIP_TIMEOUT,
            check=False,
        )
        assert done.returncode == 0, f"pip install of the wheel failed:\n{done.stderr[-4000:]}"
        yield FreshVenv(root, prefix, env, time.monotonic() - started)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_providers_list_shows_the_package_version_and_description(fresh: FreshVenv) -> None:
    info = get_provider_info()
    ours = [p for p in fresh.airflow_json("providers", "list") if p["package_name"] == DIST_NAME]
    assert ours == [
        {
            "package_name": DIST_NAME,
            "version": __version__,
            # Airflow strips the trailing full stop and any RST markup characters
            "description": info["description"].strip(" \n."),
        }
    ]
    assert "Fone Dynamics" in ours[0]["description"]


def test_providers_get_shows_the_documentation_link_and_versions(fresh: FreshVenv) -> None:
    [full] = fresh.airflow_json("providers", "get", DIST_NAME, "--full")
    assert full["package-name"] == DIST_NAME
    assert full["versions"] == [__version__]
    assert [c["connection-type"] for c in full["connection-types"]] == [
        c["connection-type"] for c in get_provider_info()["connection-types"]
    ]
    # Airflow reads Project-URL Documentation into "documentation-url" (apache/airflow issue 59576);
    # releases from before that have no such key, and then the METADATA test above covers the link
    if _airflow_reads_documentation_url(fresh.prefix):
        # Airflow 3.1 keeps the space after "Documentation," of the metadata line
        assert full["documentation-url"].strip() == DOCS_URL


def _airflow_reads_documentation_url(prefix: Path) -> bool:
    [site] = (prefix / "lib").glob("python3*/site-packages")
    return any(
        "documentation-url" in path.read_text(errors="replace")
        for path in (site / "airflow").rglob("providers_*.py")
    )


def test_providers_hooks_map_each_connection_type_to_our_hook(fresh: FreshVenv) -> None:
    expected = {c["connection-type"]: c["hook-class-name"] for c in get_provider_info()["connection-types"]}
    assert set(expected) == {"nxcloud", "buka", "fonedynamics"}
    listed = {h["connection_type"]: h for h in fresh.airflow_json("providers", "hooks")}
    for conn_type, hook_class in expected.items():
        assert conn_type in listed, f"`airflow providers hooks` does not list {conn_type}"
        assert listed[conn_type]["class"] == hook_class
        assert listed[conn_type]["package_name"] == DIST_NAME
        assert listed[conn_type]["conn_id_attribute_name"] == f"{conn_type}_conn_id"


def test_providers_notifications_list_the_sms_notifier(fresh: FreshVenv) -> None:
    listed = {n["notification_class_name"] for n in fresh.airflow_json("providers", "notifications")}
    expected = set(get_provider_info()["notifications"])
    assert "airflow_provider_nxcloud.notifications.sms.SmsNotifier" in expected
    assert expected <= listed, f"missing: {expected - listed}"


def test_providers_triggers_list_our_trigger_modules(fresh: FreshVenv) -> None:
    listed = {
        (t["integration_name"], t["class"])
        for t in fresh.airflow_json("providers", "triggers")
        if t["package_name"] == DIST_NAME
    }
    expected = {
        (entry["integration-name"], module)
        for entry in get_provider_info()["triggers"]
        for module in entry["python-modules"]
    }
    assert ("Fone Dynamics", "airflow_provider_nxcloud.triggers.wait") in expected
    assert listed == expected


def test_the_installed_package_imports_from_the_fresh_venv(fresh: FreshVenv) -> None:
    probe = textwrap.dedent(
        """
        import importlib.metadata, importlib.resources, json
        import airflow_provider_nxcloud.testing as testing
        from airflow_provider_nxcloud.hooks.buka import BukaHook
        import airflow_provider_nxcloud.hooks.buka as hook_module
        print(json.dumps({
            "files": [testing.__file__, hook_module.__file__],
            "conn_type": BukaHook.conn_type,
            "version": importlib.metadata.version("airflow-provider-nxcloud"),
            "typed": importlib.resources.files("airflow_provider_nxcloud").joinpath("py.typed").is_file(),
        }))
        """
    )
    done = fresh.run(str(fresh.prefix / "bin" / "python"), "-c", probe)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    for file in found["files"]:
        assert Path(file).resolve().is_relative_to(fresh.prefix.resolve()), (
            f"{file} is not the installed copy"
        )
    assert (found["conn_type"], found["version"], found["typed"]) == ("buka", __version__, True)


def test_a_users_dag_tests_run_offline_on_the_installed_simulator_fixture(fresh: FreshVenv) -> None:
    # the README's example, as a user writes it: the fixture comes from the wheel's pytest11 entry point
    tests = fresh.root / "user_tests"
    tests.mkdir()
    (tests / "test_alert.py").write_text(
        textwrap.dedent(
            """
            import sys
            from pathlib import Path

            import pytest
            import airflow_provider_nxcloud
            from airflow_provider_nxcloud.exceptions import AmbiguousSendError
            from airflow_provider_nxcloud.hooks.buka import BukaHook


            def send_alert(text):
                hook = BukaHook()
                body = {"appId": hook.app_id("sms"), "numbers": "61400000001", "content": text, "orderId": "alert-1"}
                return hook.call("sms_send", body, client_reference="alert-1")["array"][0]["msgId"]


            def test_alert_is_sent_once(nxcloud_simulator):
                assert Path(airflow_provider_nxcloud.__file__).is_relative_to(sys.prefix)
                send_alert("Build done")
                [sms] = nxcloud_simulator.ledger.entries(platform="buka", kind="sms")
                assert (sms.recipient, sms.content, sms.client_reference) == ("61400000001", "Build done", "alert-1")


            def test_a_lost_reply_is_not_resent(nxcloud_simulator):
                nxcloud_simulator.faults.next("reset_after", endpoint="sms_send", platform="buka")
                with pytest.raises(AmbiguousSendError):
                    send_alert("Build done")
                assert nxcloud_simulator.ledger.count() == 1
            """
        )
    )
    pytest_run = [str(fresh.prefix / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    done = fresh.run(*pytest_run, "test_alert.py", cwd=tests)
    assert done.returncode == 0, f"the user's tests failed:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}"
    assert "2 passed" in done.stdout
