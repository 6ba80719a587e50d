"""Make this checkout importable as ansible_collections.buildkit.fleet for pytest and Ansible; give molecule
scenarios (pytest items with --molecule) their timeout; end the run with one summary line per part."""
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _collections_root():
    parts = REPO.split(os.sep)
    if parts[-3:-1] == ['ansible_collections', 'buildkit'] and parts[-1] == 'fleet':
        return os.sep.join(parts[:-3])
    root = os.path.join(REPO, 'tests', 'output', 'collections')
    link = os.path.join(root, 'ansible_collections', 'buildkit', 'fleet')
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(REPO, link)
    return root


COLLECTIONS_ROOT = _collections_root()
if COLLECTIONS_ROOT not in sys.path:
    sys.path.insert(0, COLLECTIONS_ROOT)
# Leave the variable alone when it already names the root: ansible-test units sets it to exactly one
# directory, and its pytest plugin (also in xdist workers) breaks on a list.
_paths = [p for p in os.environ.get('ANSIBLE_COLLECTIONS_PATH', '').split(os.pathsep) if p]
if COLLECTIONS_ROOT not in _paths:
    os.environ['ANSIBLE_COLLECTIONS_PATH'] = os.pathsep.join([COLLECTIONS_ROOT] + _paths)


# A molecule scenario is one pytest item (pytest-ansible's --molecule): a whole `molecule test -s` run, which
# takes up to 11 min for sshfleet on a loaded machine; every other test keeps pytest.ini's timeout.
MOLECULE_TIMEOUT = 2400
PARTS = ('tests/unit/', 'tests/integration/', 'extensions/molecule/')
_TIMES = {}


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker('molecule'):
            item.add_marker(pytest.mark.timeout(MOLECULE_TIMEOUT))


def pytest_runtest_logreport(report):
    part = next((p for p in PARTS if report.nodeid.startswith(p)), None)
    if part is not None:
        seconds, counts = _TIMES.setdefault(part, [0.0, {}])
        _TIMES[part][0] = seconds + report.duration
        if report.when == 'call' or report.outcome != 'passed':
            counts[report.outcome] = counts.get(report.outcome, 0) + 1


def pytest_terminal_summary(terminalreporter):
    """One line per part of the run (unit, integration, molecule): outcomes and time spent in it."""
    for part in PARTS:
        if part in _TIMES:
            seconds, counts = _TIMES[part]
            outcomes = ', '.join('%d %s' % (n, outcome) for outcome, n in sorted(counts.items()))
            terminalreporter.write_line('[pytest] %s: %s in %ds' % (part.rstrip('/'), outcomes, seconds))


@pytest.fixture(autouse=True)
def _valid_stdin():
    """Every test starts with a usable file descriptor 0 (/dev/null if it was closed): an in-process Ansible run
    (pytest-ansible's fixtures) may leave it closed, and ansible-core 2.21's workers then fail to start in every
    ansible-playbook a later test runs ("Could not detach from stdio: [Errno 9] Bad file descriptor")."""
    try:
        os.fstat(0)
    except OSError:
        fd = os.open(os.devnull, os.O_RDONLY)
        if fd != 0:
            os.dup2(fd, 0)
            os.close(fd)
    yield
