"""The test and lint sessions of xsoar.connector (``nox -l`` lists them, ``nox`` runs them all).

antsibull-nox.toml configures the ecosystem's standard sessions (lint, docs-check, extra-checks,
build-import-check, ansible-lint). The sessions below run what those cannot run on machines
without a container engine or access to GitHub: ansible-test sanity, units and integration with
ansible-core from the package index, in the session's own venv, after the offline pip bootstrap
(scripts/ansible-test-offline.py). Integration runs once per simulator profile, each against its own
simulator, followed by the check that the API key is in no output. New integration targets, unit
tests and simulator tests are found by ansible-test and pytest themselves. What sessions share across
runs: uv's package cache, and the venvs ansible-test makes for each sanity test (~/.ansible/test/venv).

    nox -e sanity-2.21                           one session
    nox -e integration-2.21-xsoar6 -- xsoar_incident   one target (arguments go to ansible-test)
    nox -t integration                           every integration session (also: sanity, units)
"""

import fcntl
import glob
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nox

try:
    import antsibull_nox
    from antsibull_nox.sessions import prepare_collections
except ImportError:
    print("You need to install antsibull-nox in the same Python environment as nox.")
    raise SystemExit(1)

antsibull_nox.load_antsibull_nox_toml()

# uv makes a session's venv and installs its packages in seconds where virtualenv and pip take a
# minute (tests/nox-requirements.txt installs it beside nox); without uv, virtualenv and pip as before
nox.options.default_venv_backend = "uv|virtualenv"
# uv trusts the system's certificates, as pip does through its configuration here (without, a TLS
# proxy's certificate fails with "invalid peer certificate: UnknownIssuer")
os.environ.setdefault("UV_NATIVE_TLS", "1")

ROOT = Path(__file__).resolve().parent
# The ansible-core releases tested, each on the controller Python it is tested with, and the
# simulator profiles its integration tests run against (the README's support table says the same).
# The first profile of a release runs every target; the others leave out the targets aliased
# xsoar/one_profile, whose behaviour does not depend on the deployment (bad input, faults, network,
# the name lock, secrets, the callback, the README's commands). Between the three releases those run
# on XSOAR 6 (standard key, plain HTTP), XSOAR 8 on-premises (key id, TLS) and SaaS (advanced key,
# index lag). sanity and units run on every release.
CORE_PYTHON = {
    "2.16": "3.11",
    "2.17": "3.11",
    "2.18": "3.11",
    "2.19": "3.11",
    "2.20": "3.12",
    "2.21": "3.12",
}
# Each deployment once, with every target: SaaS (advanced key, index lag) on the oldest ansible-core,
# XSOAR 8 on-premises (key id, TLS) on 2.19, which rewrote templating (roles, filters, extra vars), and
# XSOAR 6 on the newest. A second profile on 2.21 (SaaS) added 14 minutes of a lane to CI and covered
# nothing the other three do not; so did XSOAR 8 on-premises on 2.21 before it.
PROFILES = {
    "2.16": ["xsoar8-saas-advanced"],
    "2.19": ["xsoar8"],
    "2.21": ["xsoar6"],
}
ONE_PROFILE_ALIAS = "xsoar/one_profile/"
# the Python of the sessions that need no particular ansible-core
TOOLS_CORE = "2.21"
# ansible-test's reports, copied out of the collection copy (tests/output/.tmp is its scratch space)
REPORT_DIRS = ("junit", "bot", "data", "coverage")


def find_python(version):
    """An interpreter of Python X.Y: $PYTHON_X_Y, then pyenv's versions, then pythonX.Y on PATH.

    pyenv's shims answer for every version but fail for one that is not selected, so each
    candidate is run before it is used.
    """
    candidates = [os.environ.get("PYTHON_" + version.replace(".", "_"), "")]
    pyenv = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob.glob(os.path.join(pyenv, "versions", version + ".*", "bin", "python")), reverse=True)
    candidates += [shutil.which("python" + version) or "", "/usr/bin/python" + version]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            probe = subprocess.run(
                [candidate, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                check=False,
            )
            if probe.returncode == 0 and probe.stdout.strip() == version:
                return candidate
    return version  # let nox report that it is missing


PYTHONS = {core: find_python(python) for core, python in CORE_PYTHON.items()}


def requirement_files(*names):
    """``-r FILE`` for each of names that exists (others may add requirements files later)."""
    args = []
    for name in names:
        if (ROOT / name).is_file():
            args += ["-r", str(ROOT / name)]
    return args


def install_core(session, core, *extra):
    """ansible-core X.Y.* from the package index, the test requirements, then extra."""
    session.install(f"ansible-core=={core}.*", *requirement_files("tests/requirements.txt"), *extra)


def collection_copy(session):
    """The collection copied into .../ansible_collections/xsoar/connector with its own git
    repository (ansible-test lists files with git), for ansible-test and ansible-doc."""
    setup = prepare_collections(session, install_in_site_packages=False)
    if setup is None:
        session.error("the collection could not be prepared (nox --no-venv is not supported)")
    # The copy lies inside this repository (.nox/ is ignored there): without a repository of its
    # own, git (and so ansible-test) would see the outer one and no file of the copy.
    git = ["git", "-c", "init.defaultBranch=main", "-c", "user.name=nox", "-c", "user.email=nox@localhost"]
    for args in (["init", "-q"], ["add", "-A"]):
        subprocess.run(git + args, cwd=setup.current_path, check=True)
    return setup


def offline_bootstrap(session):
    """ansible-test downloads a pip bootstrap from a host these machines cannot reach; write its stand-in."""
    session.run("python", str(ROOT / "scripts" / "ansible-test-offline.py"), silent=True)


def venv_python(session):
    return os.path.join(session.bin, "python")


def ansible_test(session, core, setup, command, *args, **kwargs):
    """ansible-test COMMAND in the collection copy, without containers, on the session's Python."""
    try:
        session.run(
            "ansible-test",
            command,
            "--color",
            "no",
            "--python",
            CORE_PYTHON[core],
            "--python-interpreter",
            venv_python(session),
            *args,
            env={"ANSIBLE_TEST_CONTENT_ROOT": str(setup.current_path)},
            **kwargs,
        )
    finally:
        keep_reports(session, setup)


def keep_reports(session, setup):
    """ansible-test's reports into tests/output/nox/<session>/ of the repository."""
    dest = ROOT / "tests" / "output" / "nox" / session.name
    for name in REPORT_DIRS:
        source = setup.current_path / "tests" / "output" / name
        if source.is_dir():
            shutil.rmtree(dest / name, ignore_errors=True)
            shutil.copytree(source, dest / name)


def shell_files():
    """The shell scripts git knows of: *.sh, and files whose first line names sh or bash."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    found = []
    for name in filter(None, listed):
        path = ROOT / name
        if not path.is_file() or path.is_symlink():
            continue
        with open(path, "rb") as handle:
            first = handle.readline()
        if name.endswith(".sh") or (first.startswith(b"#!") and first.split(b"/")[-1].split()[-1] in (b"sh", b"bash")):
            found.append(name)
    return found


def require_shellcheck(session):
    if not shutil.which("shellcheck"):
        session.error(
            "shellcheck is not installed (apt-get install shellcheck; .ci/run does it): "
            "ansible-test would skip its shellcheck test"
        )


@nox.session(python=False, tags=["lint"])
def shellcheck(session):
    """shellcheck over every shell script of the repository (ansible-test checks only *.sh of the collection)."""
    require_shellcheck(session)
    session.run("shellcheck", "--version", external=True, silent=True)
    session.run("shellcheck", *shell_files(), external=True)


MYPY_PACKAGES = [f"ansible-core=={TOOLS_CORE}.*", "mypy==2.4.1", "types-requests", "types-jsonschema"]


@nox.session(python=PYTHONS[TOOLS_CORE], tags=["lint"])
def mypy(session):
    """mypy over the typed files mypy.ini lists, in the collection copy (where ansible_collections.* imports resolve)."""
    session.install(*MYPY_PACKAGES)
    setup = collection_copy(session)
    with session.chdir(setup.current_place):
        session.run("mypy", "--config-file", str(ROOT / "mypy.ini"), *session.posargs)


def sanity_home(session, core):
    """A home of its own for each ansible-core's sanity runs.

    ansible-test builds its sanity venvs under ~/.ansible/test/venv, named by Python and requirements, so
    two sessions at once (scripts/ci_lanes.py's lanes) built the same venv together and broke it ("does
    not have pip available"). The path stays short: ansible-test's venv shebangs must fit in 127
    characters. pip's download cache, which is safe to share, stays in the real home.
    """
    home = Path(tempfile.gettempdir()) / f"xsoar-sanity-{os.getuid()}-{core}"
    home.mkdir(exist_ok=True)
    session.env["PIP_CACHE_DIR"] = os.environ.get("PIP_CACHE_DIR") or os.path.expanduser("~/.cache/pip")
    session.env["HOME"] = str(home)


def sanity(session, core):
    require_shellcheck(session)
    ignores = [path for path in sorted((ROOT / "tests" / "sanity").glob("ignore-*.txt")) if path.read_text().strip()]
    if ignores:
        session.error("sanity issues are fixed, not ignored: {} must be empty".format(", ".join(map(str, ignores))))
    install_core(session, core)
    sanity_home(session, core)
    offline_bootstrap(session)
    setup = collection_copy(session)
    with session.chdir(setup.current_path):
        ansible_test(session, core, setup, "sanity", *session.posargs)


def units(session, core):
    install_core(
        session, core, "pytest", "pytest-xdist", "pytest-mock", *requirement_files("tests/unit/requirements.txt")
    )
    offline_bootstrap(session)
    setup = collection_copy(session)
    with session.chdir(setup.current_path):
        ansible_test(session, core, setup, "units", *session.posargs)


def start_simulator(session, profile, workdir, config):
    """scripts/simulator.sh start: a simulator of that profile, its settings in workdir/env and config."""
    session.run(
        "bash",
        str(ROOT / "scripts" / "simulator.sh"),
        "start",
        profile,
        str(workdir),
        external=True,
        env={"XSOAR_INTEGRATION_CONFIG": str(config), "SIMULATOR_PYTHON": venv_python(session)},
    )


def stop_simulator(session, workdir):
    session.run("bash", str(ROOT / "scripts" / "simulator.sh"), "stop", str(workdir), external=True, silent=True)


def tee(session, args, log, cwd, env):
    """Run args with their output on the console and in log; the exit status."""
    env = dict(os.environ, PATH=session.bin + os.pathsep + os.environ.get("PATH", ""), **env)
    session.log(" ".join(args))
    with open(log, "w", encoding="utf-8") as handle:
        process = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in process.stdout:
            sys.stdout.write(line)
            handle.write(line)
        return process.wait()


def ansible_test_key_pair():
    """The SSH key pair ansible-test makes in ~/.ansible/test on its first integration run, made here once
    under a lock: two integration sessions starting together on a new machine both ran ssh-keygen, and
    the second failed ("id_rsa already exists. Overwrite (y/n)?")."""
    directory = Path.home() / ".ansible" / "test"
    directory.mkdir(parents=True, exist_ok=True)
    key = directory / "id_rsa"
    public = directory / "id_rsa.pub"
    with open(directory / "id_rsa.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if key.is_file() and public.is_file():
            return
        key.unlink(missing_ok=True)
        public.unlink(missing_ok=True)
        keygen = ["ssh-keygen", "-m", "PEM", "-q", "-t", "rsa", "-N", "", "-f", str(key)]
        subprocess.run(keygen, check=True, capture_output=True)


def integration(session, core, profile):
    install_core(session, core)
    offline_bootstrap(session)
    ansible_test_key_pair()
    setup = collection_copy(session)
    workdir = Path(session.create_tmp()) / ("simulator-" + profile)
    shutil.rmtree(workdir, ignore_errors=True)
    log = workdir.parent / (f"ansible-test-{profile}.log")
    targets = list(session.posargs)
    if not targets and profile != PROFILES[core][0]:
        targets = ["--exclude", ONE_PROFILE_ALIAS]
    start_simulator(session, profile, workdir, setup.current_path / "tests" / "integration" / "integration_config.yml")
    try:
        status = tee(
            session,
            [
                "ansible-test",
                "integration",
                "--continue-on-error",
                "--color",
                "no",
                "--python",
                CORE_PYTHON[core],
                "--python-interpreter",
                venv_python(session),
            ]
            + targets,
            log,
            setup.current_path,
            {"ANSIBLE_TEST_CONTENT_ROOT": str(setup.current_path)},
        )
        keep_reports(session, setup)
        # before the simulator stops: it is asked for the requests it received
        session.run("python", str(ROOT / "scripts" / "checks" / "secret_leak.py"), str(workdir), str(log))
    finally:
        stop_simulator(session, workdir)
    if status != 0:
        session.log("--- simulator log (last 40 lines) ---")
        session.log("\n".join((workdir / "simulator.log").read_text(errors="replace").splitlines()[-40:]))
        session.run("python", str(ROOT / "scripts" / "checks" / "integration_failures.py"), session.name, str(log))
        session.error(f"ansible-test integration failed (exit {status}); its output: {log}")


def add_session(name, python, tags, doc, func, **kwargs):
    """A session that calls func(session, **kwargs), described by doc in nox -l."""

    def session_func(session):
        func(session, **kwargs)

    session_func.__doc__ = doc
    nox.session(name=name, python=python, tags=tags)(session_func)


for _core, _python in PYTHONS.items():
    add_session(
        "sanity-" + _core,
        _python,
        ["sanity", "ansible-test"],
        f"ansible-test sanity, ansible-core {_core}, Python {CORE_PYTHON[_core]}",
        sanity,
        core=_core,
    )
for _core, _python in PYTHONS.items():
    add_session(
        "units-" + _core,
        _python,
        ["units", "ansible-test"],
        f"ansible-test units, ansible-core {_core}, Python {CORE_PYTHON[_core]}",
        units,
        core=_core,
    )
for _core, _profiles in PROFILES.items():
    _python = PYTHONS[_core]
    for _profile in _profiles:
        add_session(
            f"integration-{_core}-{_profile}",
            _python,
            ["integration", "ansible-test"],
            f"ansible-test integration against the simulator ({_profile}), ansible-core {_core}",
            integration,
            core=_core,
            profile=_profile,
        )


@nox.session(python=PYTHONS[TOOLS_CORE], tags=["pytest"])
def simulator(session):
    """The simulator's own tests (tests/simulator), so that the other tests test against the real API."""
    session.install(*requirement_files("tests/requirements.txt", "tests/simulator/requirements.txt"))
    session.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/simulator", *session.posargs)


@nox.session(python=PYTHONS[TOOLS_CORE], tags=["pytest"])
def scripts(session):
    """The tests of the project's own tools in scripts/ (tests/scripts)."""
    session.install(*requirement_files("tests/requirements.txt"))
    session.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/scripts", *session.posargs)


@nox.session(python=PYTHONS[TOOLS_CORE], tags=["pytest"])
def eda(session):
    """The Event-Driven Ansible tests (tests/eda, with tests/eda-requirements.txt), with the collection installed."""
    install_core(session, TOOLS_CORE, *requirement_files("tests/eda-requirements.txt"))
    setup = collection_copy(session)
    env = {
        # the directory that holds ansible_collections/xsoar/connector (tests/eda/conftest.py reads it)
        "XSOAR_EDA_COLLECTIONS": str(setup.current_place),
        "ANSIBLE_COLLECTIONS_PATH": str(setup.current_place),
    }
    java = shutil.which("java")
    if not os.environ.get("JAVA_HOME") and java:  # ansible-rulebook needs a Java 17 runtime
        env["JAVA_HOME"] = str(Path(os.path.realpath(java)).parent.parent)
    session.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *(session.posargs or ["tests/eda"]), env=env)


DOCS_PACKAGES = [f"ansible-core=={TOOLS_CORE}.*", "antsibull-docs==2.28.0", "antsibull-changelog", "docutils", "pyyaml"]


def generate_reference(session):
    """The reference pages as antsibull-docs writes them now (simplified RST, which GitHub renders), in a temp dir."""
    session.install(*DOCS_PACKAGES)
    setup = collection_copy(session)
    dest = Path(session.create_tmp()) / "reference"
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(mode=0o755)  # antsibull-docs wants a directory only its owner can write
    session.run(
        "antsibull-docs",
        "collection",
        "--use-current",
        "--squash-hierarchy",
        "--fail-on-error",
        "--output-format",
        "simplified-rst",
        "--no-add-antsibull-docs-version",
        "--dest-dir",
        str(dest),
        "xsoar.connector",
        env={"ANSIBLE_COLLECTIONS_PATH": str(setup.current_place)},
        silent=True,
    )
    return dest


@nox.session(python=PYTHONS[TOOLS_CORE], tags=["docs"])
def docs(session):
    """docs/reference/ is what the module docs generate, renders as on GitHub; links, troubleshooting rows, changelog."""
    generated = generate_reference(session)
    diff = subprocess.run(
        ["diff", "-ru", "docs/reference", str(generated)], capture_output=True, text=True, check=False
    )
    if diff.returncode != 0:
        print("\n".join(diff.stdout.splitlines()[:200]))
        session.error(
            "docs/reference/ is not what the module docs generate: run nox -e docs-fix and commit docs/reference/"
        )
    checks = ROOT / "scripts" / "checks"
    session.run("python", str(checks / "render_reference.py"), *sorted(glob.glob("docs/reference/*.rst")))
    session.run("python", str(checks / "markdown_links.py"), "README.md", *sorted(glob.glob("docs/*.md")))
    # every plugin type (modules, module_utils, filter, callback, ...), EDA plugins, roles, collection playbooks
    sources = [
        path
        for pattern in ("plugins/*/*.py", "extensions/eda/plugins/*/*.py", "roles/*/tasks/*.yml", "playbooks/*.yml")
        for path in sorted(glob.glob(pattern))
    ]
    session.run("python", str(checks / "troubleshooting_complete.py"), "docs/troubleshooting.md", *sources)
    session.run("antsibull-changelog", "lint")


@nox.session(name="docs-fix", python=PYTHONS[TOOLS_CORE], default=False)
def docs_fix(session):
    """Regenerate docs/reference/ from the module and role docs."""
    generated = generate_reference(session)
    shutil.rmtree(ROOT / "docs" / "reference")
    shutil.copytree(generated, ROOT / "docs" / "reference")
    pages = len(list(generated.glob("*.rst")))
    session.log(f"regenerated docs/reference/ ({pages} pages)")


@nox.session(python=PYTHONS[TOOLS_CORE], tags=["awx"])
def awx(session):
    """The built tarball, docs/quickstart.md as written, the execution environment and AWX jobs (scripts/awx-test.sh)."""
    install_core(session, TOOLS_CORE, *requirement_files("tests/tools-requirements.txt"))
    setup = collection_copy(session)
    session.run(
        "bash",
        str(ROOT / "scripts" / "awx-test.sh"),
        external=True,
        env={
            "XSOAR_TEST_COLLECTION": str(setup.current_path),
            "XSOAR_TEST_TMP": session.create_tmp(),
            "PATH": session.bin + os.pathsep + os.environ.get("PATH", ""),
        },
    )
