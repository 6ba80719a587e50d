# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """The serve and gc options of one builder (buildkit.fleet._builder).

    The argument specs are SERVE_ARGS and GC_ARGS in plugins/module_utils/_builder/options.py (item_options, used
    by buildkit_builder and by each item of buildkit_builders).

    Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
    """

    # Top-level options of buildkit_builder. buildkit_builders takes the same options inside each item of
    # O(builders), but a doc fragment can only add top-level options: ansible-core merges a fragment into a module's
    # documentation option by option (ansible.utils.plugin_docs.add_fragments / merge_fragment), never into an
    # option's suboptions. So buildkit_builders keeps a short nested copy (types, defaults and one line per
    # suboption) that points here through O(buildkit.fleet.buildkit_builder#module:serve) and
    # O(buildkit.fleet.buildkit_builder#module:gc); keep its types and defaults in step with these.
    DOCUMENTATION = r'''
options:
  serve:
    description:
      - Make the builder also listen on TCP with mutual TLS, so that remote buildx clients (a C(remote) driver
        builder, see C(buildkit.fleet.buildkit_remote_builder)) or C(buildctl --addr tcp://...) build on it.
        The unix socket stays, so C(docker buildx --builder NAME) on the host keeps working.
      - The module writes the C([grpc]) section of C(buildkitd.toml) into the container (addresses
        C(unix:///run/buildkit/buildkitd.sock) and C(tcp://0.0.0.0:<port>), C([grpc.tls]) with the files below).
        Your own O(buildkitd_config) or O(buildkitd_config_inline) must not have a C([grpc]) section. The store
        entry keeps your config without it (buildx would start a container from it without the TLS files).
      - The port is B(published on the host) (C(HostIp=address), C(HostPort=port), the same port inside the
        container) on the builder's network, the default bridge or a user network of O(driver_opts.network).
        With O(driver_opts.network=host) nothing is published and C(buildkitd) listens on O(serve.address) and
        O(serve.port) itself. Publishing works with the daemon's iptables rules or userland proxy; a daemon started
        with C(--iptables=false) and without userland proxy cannot publish; use O(driver_opts.network=host) there.
      - buildx copies only registry certificates into a builder, so the module places the three files into
        C(/etc/buildkit/tls/) of the container itself (the key with mode 0600) before C(buildkitd) first starts,
        with their digest. Their content is never shown in results, diffs or logs.
      - B(Rotation.) When the content of the files on the target differs from the container's (the digest), the
        module stops the container, places the new files and starts it again (C(buildkitd) reads certificates only
        at start) - the same container and the same state volume, so the build cache is kept. Check mode and
        C(--diff) report C(certificate would rotate) with the serial and notAfter before and after.
      - Checked before anything changes, each failure naming the option (nothing is created) - the files exist and
        are readable; the key matches O(serve.cert); O(serve.cert) is signed by O(serve.ca_cert); neither has
        expired; every entry of O(serve.names) is among the certificate's subject alternative names; for a
        local daemon, nothing else uses O(serve.port) on O(serve.address). This needs the Python
        C(cryptography) library on the target.
    type: dict
    version_added: 0.2.0
    suboptions:
      port:
        description: The host TCP port clients connect to (also the port C(buildkitd) listens on in the container).
        type: int
        required: true
      address:
        description: The host address the port is published on (with host networking, the address C(buildkitd) listens on).
        type: str
        default: 0.0.0.0
      ca_cert:
        description:
          - The CA certificate (PEM) on the target that signed the server certificate and the client certificates;
            clients without a certificate of this CA are refused.
        type: path
        required: true
      cert:
        description: The server certificate (PEM) on the target.
        type: path
        required: true
      key:
        description: The server's unencrypted private key (PEM) on the target; placed in the container with mode 0600.
        type: path
        required: true
      names:
        description: The DNS names and IP addresses clients use to reach the builder; each must be a subject alternative name of O(serve.cert).
        type: list
        elements: str
        default: []
  gc:
    description:
      - BuildKit's cache ceiling, written into C(buildkitd.toml) as one garbage collection rule for all records
        (C([[worker.oci.gcpolicy]]) with C(all = true), C(maxUsedSpace), C(reservedSpace), C(minFreeSpace),
        C(keepDuration)), the way BuildKit v0.32 reads it. It replaces BuildKit's default rules.
      - Changing it is a config change, so the container is re-created and the state volume kept.
      - Your own config must not set the OCI worker's GC policy too.
      - Sizes are BuildKit's - a size with binary units (V(20GB) is 20 GiB, V(512MB)) or a percentage of the
        disk (V(10%)). Durations are Go durations (V(48h), V(90m)) or seconds.
    type: dict
    version_added: 0.2.0
    suboptions:
      max_used_space:
        description: The cache is pruned down below this size (C(maxUsedSpace)).
        type: str
      reserved_space:
        description: The cache never prunes below this size (C(reservedSpace)).
        type: str
      min_free_space:
        description: The cache is pruned while less than this is free on the disk (C(minFreeSpace)).
        type: str
      keep_duration:
        description: Records used more recently than this are kept (C(keepDuration)).
        type: str
'''
