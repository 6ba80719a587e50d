#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: buildkit_remote_builder
short_description: Give a buildx client a builder of the remote driver, for example a build farm reached over mutual TLS
version_added: 0.2.0
description:
  - Writes a builder of the C(remote) driver into a buildx store, the way C(docker buildx create --driver remote
    --driver-opt cacert=...,cert=...,key=...,servername=... tcp://HOST:PORT) and C(docker buildx create --append --node N
    --platform P ...) do, declaratively. Afterwards C(docker buildx build --builder NAME) and
    M(buildkit.fleet.buildkit_build) with O(buildkit.fleet.buildkit_build#module:builder=NAME) build on the remote
    BuildKit daemons.
  - One node per endpoint (O(nodes)), each with the platforms it serves natively. buildx sends each platform of a
    multi-platform build to the first node that declares it, so a platform is declared by one node only.
  - The store entry is byte for byte what buildx v0.36.1 writes (C(instances/<name>), C(activity/<name>)), so
    C(docker buildx ls), C(inspect), C(build) and C(rm) work with it, and the module adopts a remote builder that
    C(docker buildx create) made - no change when it is equal, an update of the differing nodes otherwise.
  - buildx itself keeps only the B(paths) of the TLS files and reads them at each connection. With
    O(copy_tls_files=true) (the default) the module copies the CA, client certificate and key into the store under
    C(remote-tls/<name>/<node>/) (directories mode 0700, files 0600) and the entry names the copies, so the builder
    keeps working when the source files move and a renewed certificate is a change. O(state=absent) removes the
    entry with those files.
  - Before writing, the module checks the TLS files (readable PEM, certificates not expired, the key belongs to the
    certificate, the CA loads)
    and, with O(check_reachable=true), that each C(tcp://) endpoint answers a TLS handshake with the node's client
    certificate. Every bad input fails naming the option and the value, and leaves nothing behind.
  - Key material never appears in results or diffs; they show paths and SHA-256 digests only.
  - The module needs no Docker daemon on the client; it writes the store of the user it runs as.
author:
  - buildkit.fleet contributors (@buildkit-fleet)
extends_documentation_fragment:
  - buildkit.fleet._buildx_store
  - buildkit.fleet._attributes
  - buildkit.fleet._attributes.actiongroup_buildkit
attributes:
  check_mode:
    support: full
    details:
      - Writes nothing; the checks of files and endpoints run and RV(differences) says what would change.
  diff_mode:
    support: full
    details: The store entry before and after, with TLS file paths and digests (never their contents).
  idempotent:
    support: full
    details: A second run with the same options and unchanged TLS files reports no change.
options:
  name:
    description:
      - Name of the builder, as in C(docker buildx create --name) and C(docker buildx build --builder). Starts with a
        letter; letters, digits, V(.), V(-) and V(_). V(default) is reserved.
    type: str
    required: true
  state:
    description:
      - V(present) writes the builder; V(absent) removes its store entry, its activity and history records and the
        TLS files the module copied.
    type: str
    choices: [present, absent]
    default: present
  nodes:
    description:
      - The remote BuildKit daemons of the builder, in the order buildx tries them for a platform.
      - Required with O(state=present).
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - Node name. Defaults to buildx's own, O(name) followed by the first free index (V(farm0), V(farm1), ...),
            in lower case.
        type: str
      endpoint:
        description:
          - Address of the BuildKit daemon, V(tcp://HOST:PORT) for a farm node. The other schemes of the remote
            driver (V(unix://), V(ssh://), V(docker-container://), V(kube-pod://), V(npipe://)) are accepted too.
          - Each node has its own endpoint.
        type: str
        required: true
      platforms:
        description:
          - Platforms this node serves, for example V(linux/amd64) or V(linux/arm64), normalised like buildx
            (V(arm64/v8) is V(linux/arm64)). A build for one of them goes to this node.
        type: list
        elements: str
        default: []
      servername:
        description:
          - Server name expected in the node's certificate, when it differs from the host in O(nodes[].endpoint)
            (for example the endpoint is an address and the certificate names a DNS name). buildx uses the endpoint's
            host when it is not set.
        type: str
      ca_cert:
        description:
          - CA certificate (PEM) that signed the node's server certificate, on the client. Required for TLS.
        type: path
      cert:
        description:
          - Client certificate (PEM) the node accepts, on the client. Goes with O(nodes[].key).
        type: path
      key:
        description:
          - Private key (PEM, not encrypted) of O(nodes[].cert), on the client. It is copied into the store with mode
            0600, never shown.
        type: path
  default_load:
    description:
      - Load build results into the client's Docker image store by default, like the C(default-load) driver option
        (only with a Docker daemon on the client).
    type: bool
    default: false
  use:
    description:
      - Make this the current builder of the client's Docker context, like C(docker buildx create --use).
      - V(false) leaves the current builder as it is.
    type: bool
    default: false
  copy_tls_files:
    description:
      - Copy the TLS files into the store and point the builder there (V(true)), or keep the paths as given like
        C(docker buildx create) does (V(false)); then the files must stay where they are.
    type: bool
    default: true
  check_reachable:
    description:
      - Before writing, connect to each V(tcp://) endpoint and, with TLS options, do a TLS handshake with the node's
        CA, client certificate and server name; connect to each V(unix://) socket. An endpoint that does not answer
        fails the task, naming the node and the connection or TLS error, and nothing is written.
      - Set V(false) to configure clients before the farm is up.
    type: bool
    default: true
  connect_timeout:
    description: Seconds to wait for each endpoint with O(check_reachable=true).
    type: int
    default: 10
notes:
  - The store is that of the remote user unless O(buildx_config) is given; run the task with C(become_user) for
    another user's C(docker buildx).
  - C(docker buildx rm NAME) removes the entry but not the files this module copied; O(state=absent) removes both.
seealso:
  - module: buildkit.fleet.buildkit_builder
  - module: buildkit.fleet.buildkit_build
  - name: Remote driver
    description: Docker's documentation of the buildx remote driver.
    link: https://docs.docker.com/build/builders/drivers/remote/
'''

EXAMPLES = r'''
- name: Give this client the build farm, one node per architecture
  buildkit.fleet.buildkit_remote_builder:
    name: farm
    nodes:
      - name: farm-amd64
        endpoint: tcp://farm-a.example:1234
        platforms: [linux/amd64]
        ca_cert: /etc/farm/ca.pem
        cert: /etc/farm/client.pem
        key: /etc/farm/client-key.pem
      - name: farm-arm64
        endpoint: tcp://192.0.2.20:1234
        platforms: [linux/arm64]
        servername: farm-b.example
        ca_cert: /etc/farm/ca.pem
        cert: /etc/farm/client.pem
        key: /etc/farm/client-key.pem
    use: true

- name: Build both platforms on the farm, each on its own node
  buildkit.fleet.buildkit_build:
    builder: farm
    context: /src/app
    platforms: [linux/amd64, linux/arm64]
    tags: [registry.example/app:1.0]
    outputs:
      - type: push

- name: Configure a CI runner before the farm answers, keeping the certificate paths as they are
  buildkit.fleet.buildkit_remote_builder:
    name: farm
    buildx_config: /home/ci/.docker/buildx
    copy_tls_files: false
    check_reachable: false
    nodes:
      - endpoint: tcp://farm-a.example:1234
        ca_cert: /home/ci/farm/ca.pem
        cert: /home/ci/farm/client.pem
        key: /home/ci/farm/client-key.pem

- name: Remove the builder and its certificate copies
  buildkit.fleet.buildkit_remote_builder:
    name: farm
    state: absent
'''

RETURN = r'''
changed:
  description: Whether the store entry, the TLS copies or the current builder changed (would change in check mode).
  returned: always
  type: bool
differences:
  description:
    - What differs between the store and the options; empty when nothing changes. TLS files appear as
      V(sha256:...) digests.
  returned: always
  type: list
  elements: dict
  sample:
    - {item: 'nodes[farm-arm64].endpoint', before: 'tcp://192.0.2.21:1234', after: 'tcp://192.0.2.20:1234'}
    - {item: 'nodes[farm-amd64].tls_files.cert', before: 'sha256:0c1f...', after: 'sha256:9ab2...'}
builder:
  description: The builder as written; V(null) with O(state=absent).
  returned: always
  type: dict
  contains:
    name:
      description: Builder name.
      type: str
      sample: farm
    driver:
      description: Always V(remote).
      type: str
      sample: remote
    entry:
      description: Path of the store entry.
      type: str
      sample: /home/dev/.docker/buildx/instances/farm
    tls_dir:
      description: Directory of the TLS copies in the store, V(null) without copies.
      type: str
      sample: /home/dev/.docker/buildx/remote-tls/farm
    current:
      description: Whether it is the current builder of the client's Docker context.
      type: bool
    nodes:
      description: One entry per node.
      type: list
      elements: dict
      contains:
        name:
          description: Node name.
          type: str
          sample: farm-amd64
        endpoint:
          description: Endpoint.
          type: str
          sample: tcp://farm-a.example:1234
        platforms:
          description: Platforms the node serves.
          type: list
          elements: str
          sample: [linux/amd64]
        servername:
          description: Server name checked in the node's certificate, V(null) for the endpoint's host.
          type: str
        tls_files:
          description:
            - Per TLS option (V(ca_cert), V(cert), V(key)) the path buildx reads (C(path)), the file it came from
              (C(source)) and its C(sha256) digest; for the certificates also C(subject), C(serial), C(not_after)
              and C(days_left).
          type: dict
          sample:
            ca_cert: {path: /home/dev/.docker/buildx/remote-tls/farm/farm-amd64/ca.pem, source: /etc/farm/ca.pem,
                      sha256: 'sha256:5d0e...', subject: CN=farm CA, serial: 3f2a..., not_after: '2036-01-01T00:00:00Z',
                      days_left: 3650}
            cert: {path: /home/dev/.docker/buildx/remote-tls/farm/farm-amd64/cert.pem, source: /etc/farm/client.pem,
                   sha256: 'sha256:9ab2...', subject: CN=dev-laptop, serial: 51c0..., not_after: '2027-01-01T00:00:00Z',
                   days_left: 340}
            key: {path: /home/dev/.docker/buildx/remote-tls/farm/farm-amd64/key.pem, source: /etc/farm/client-key.pem,
                  sha256: 'sha256:77e1...'}
reachable:
  description:
    - The reachability check of each node with O(check_reachable=true) (empty otherwise). C(checked) is V(false)
      for endpoints that are neither V(tcp://) nor V(unix://).
  returned: with O(state=present)
  type: list
  elements: dict
  sample:
    - {node: farm-amd64, endpoint: 'tcp://farm-a.example:1234', checked: true, ok: true, error: null,
       tls: {version: TLSv1.3, server_name: farm-a.example, server_not_after: '2027-01-01T00:00:00Z',
             server_serial: 6a01...}}
'''

from ansible_collections.buildkit.fleet.plugins.module_utils._common.code_cache import install_code_cache
install_code_cache()  # the imports below load code compiled once on this host, not again on every run

from ansible_collections.buildkit.fleet.plugins.module_utils._common.early_checks import CheckedModule
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError, TaskFailed
from ansible_collections.buildkit.fleet.plugins.module_utils._common.module_args import BUILDX_STORE_ARGS
from ansible_collections.buildkit.fleet.plugins.module_utils._remote.apply import run


def argument_spec():
    spec = dict(
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        nodes=dict(type='list', elements='dict', options=dict(
            name=dict(type='str'),
            endpoint=dict(type='str', required=True),
            platforms=dict(type='list', elements='str', default=[]),
            servername=dict(type='str'),
            ca_cert=dict(type='path'),
            cert=dict(type='path'),
            key=dict(type='path', no_log=False),
        )),
        default_load=dict(type='bool', default=False),
        use=dict(type='bool', default=False),
        copy_tls_files=dict(type='bool', default=True),
        check_reachable=dict(type='bool', default=True),
        connect_timeout=dict(type='int', default=10),
    )
    spec.update(BUILDX_STORE_ARGS)
    return spec


def main():
    module = CheckedModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_if=[('state', 'present', ['nodes'])])
    if module.params['connect_timeout'] <= 0:
        module.fail_json(msg="connect_timeout: must be a positive number of seconds, got '%s'"
                         % module.params['connect_timeout'])
    try:
        result = run(module.params, module.check_mode)
    except SpecError as exc:
        module.fail_json(msg=str(exc), changed=False)
    except TaskFailed as exc:
        module.fail_json(msg=exc.msg, changed=False, **exc.details)
    diff = result.pop('diff')
    if module._diff:
        result['diff'] = diff
    module.exit_json(**result)


if __name__ == '__main__':
    main()
