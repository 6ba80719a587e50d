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
os.environ['ANSIBLE_COLLECTIONS_PATH'] = os.pathsep.join(
    [COLLECTIONS_ROOT] + [p for p in [os.environ.get('ANSIBLE_COLLECTIONS_PATH')] if p])
