#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: buildkit_python_info
short_description: Whether a Python can run the collection's modules, and whether the distro's Docker SDK would do
version_added: 0.2.0
description:
  - Reports, for the Python that runs it (set C(ansible_python_interpreter) to probe another one), its version,
    the Docker SDK for Python it has, whether it reads TOML (Python 3.11+ or C(tomli)) and which of
    O(requirements) are missing.
  - Reports the version of the distro's Docker SDK package (O(distro_package)) installed and available (APT's
    candidate), and whether installing it would be enough.
  - Needs only the Python standard library (no pip, no C(packaging)); the C(buildkit.fleet.builder) role runs it on
    a host whose interpreter lacks the Docker SDK, to choose between the distro package and a virtualenv.
author:
  - buildkit.fleet contributors (@buildkit-fleet)
extends_documentation_fragment:
  - buildkit.fleet._attributes
  - buildkit.fleet._attributes.actiongroup_buildkit
attributes:
  check_mode:
    support: full
    details: Reads the same facts.
  diff_mode:
    support: N/A
    details: Nothing changes.
  idempotent:
    support: full
    details: Reading changes nothing.
options:
  requirements:
    description:
      - What the modules need from the interpreter, as pip takes them (C(name), optional C(<op> version) specifiers
        and a C(python_version) marker).
    type: list
    elements: str
    default: ['docker>=7', "tomli; python_version < '3.11'"]
  distro_package:
    description: The distro package of the Docker SDK for Python, looked up with C(apt-cache policy). Empty skips it.
    type: str
    default: python3-docker
'''

EXAMPLES = r'''
- name: Can the target's Python run buildkit.fleet modules, and would python3-docker do?
  buildkit.fleet.buildkit_python_info:
  register: target_python

- name: Install the distro's Docker SDK where it qualifies (Debian 13)
  ansible.builtin.package:
    name: python3-docker
  when: not target_python.ok and target_python.distro_package_qualifies
'''

RETURN = r'''
python:
  description: The interpreter that ran the module.
  returned: always
  type: str
  sample: /usr/bin/python3
python_version:
  description: Its version.
  returned: always
  type: str
  sample: 3.11.2
docker_sdk:
  description: The version of the Docker SDK for Python it imports, or null.
  returned: always
  type: str
  sample: 5.0.3
toml:
  description: Whether it reads TOML (C(tomllib) or C(tomli)).
  returned: always
  type: bool
requirements:
  description: The requirements of O(requirements) that apply to this Python (markers evaluated and dropped).
  returned: always
  type: list
  elements: str
  sample: ['docker>=7']
missing:
  description: Those of RV(requirements) that are not installed in a matching version.
  returned: always
  type: list
  elements: str
  sample: ['docker>=7']
ok:
  description: True when the interpreter has the Docker SDK >= 7, TOML support and every requirement.
  returned: always
  type: bool
distro_package:
  description: The distro package (O(distro_package)), its C(installed) and C(candidate) version (null when none).
  returned: always
  type: dict
  sample: {name: python3-docker, installed: null, candidate: 7.1.0-2}
venv:
  description: Whether the interpreter can make a virtualenv with pip (C(venv) and C(ensurepip); Debian's python3-venv).
  returned: always
  type: bool
packaging:
  description: Whether C(packaging) (or C(pkg_resources)) is importable, which M(ansible.builtin.pip) needs.
  returned: always
  type: bool
distro_package_qualifies:
  description:
    - True when installing the distro package would make the interpreter ready - its candidate satisfies the
      C(docker) requirement, the interpreter reads TOML and nothing else is missing.
  returned: always
  type: bool
'''

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.buildkit.fleet.plugins.module_utils._common.code_cache import install_code_cache
install_code_cache()  # the imports below load code compiled once on this host, not again on every run

from ansible_collections.buildkit.fleet.plugins.module_utils._common.python_requirements import (
    RequirementError, interpreter_state, parse, satisfies)


def _apt_versions(module, package):
    """(installed, candidate) of an APT package, each None when there is none (or no APT)."""
    apt_cache = module.get_bin_path('apt-cache')
    if not package or not apt_cache:
        return None, None
    rc, out, _err = module.run_command([apt_cache, 'policy', package], environ_update={'LANG': 'C', 'LC_ALL': 'C'})
    if rc != 0:
        return None, None
    found = dict(re.findall(r'^\s*(Installed|Candidate):\s*(\S+)', out, re.M))

    def plain(version):
        return None if version in (None, '(none)') else version.split(':', 1)[-1]
    return plain(found.get('Installed')), plain(found.get('Candidate'))


def _importable(*names):
    for name in names:
        try:
            __import__(name)
            return True
        except Exception:  # ImportError, or a broken install
            continue
    return False


def main():
    module = AnsibleModule(argument_spec=dict(
        requirements=dict(type='list', elements='str', default=['docker>=7', "tomli; python_version < '3.11'"]),
        distro_package=dict(type='str', default='python3-docker'),
    ), supports_check_mode=True)
    try:
        state = interpreter_state(module.params['requirements'])
    except RequirementError as exc:
        module.fail_json(msg='requirements: %s' % exc)
    installed, candidate = _apt_versions(module, module.params['distro_package'])
    docker_requirements = [r for r in state['requirements'] if parse(r)[0].lower() == 'docker'] or ['docker>=7']
    others_missing = [r for r in state['missing'] if parse(r)[0].lower() != 'docker']
    qualifies = bool(candidate and all(satisfies(candidate, r) for r in docker_requirements + ['docker>=7'])
                     and state['toml'] and not others_missing)
    module.exit_json(changed=False, distro_package=dict(name=module.params['distro_package'], installed=installed,
                                                        candidate=candidate),
                     distro_package_qualifies=qualifies, venv=_importable('ensurepip') and _importable('venv'),
                     packaging=_importable('packaging.requirements', 'pkg_resources'), **state)


if __name__ == '__main__':
    main()
