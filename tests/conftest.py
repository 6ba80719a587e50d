"""Make this checkout importable as ansible_collections.buildkit.fleet for pytest and Ansible."""
import os
import sys

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
