# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The TLS files of a remote builder: checked at the source, digested, copied into the store and removed.

Nothing here returns or logs file contents: callers get paths and SHA-256 digests only.

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import os
import shutil
import ssl
import tempfile
import time

from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError
from ansible_collections.buildkit.fleet.plugins.module_utils._remote.spec import TLS_DIR, tls_dir

_PEM_MARKERS = {
    'ca_cert': (b'-----BEGIN CERTIFICATE-----',),
    'cert': (b'-----BEGIN CERTIFICATE-----',),
    'key': (b'-----BEGIN PRIVATE KEY-----', b'-----BEGIN EC PRIVATE KEY-----', b'-----BEGIN RSA PRIVATE KEY-----',
            b'-----BEGIN ENCRYPTED PRIVATE KEY-----'),
}


def digest(data):
    return 'sha256:' + hashlib.sha256(data).hexdigest()


def _read(option, path):
    if not os.path.exists(path):
        raise SpecError("%s: '%s' does not exist" % (option, path))
    if not os.path.isfile(path):
        raise SpecError("%s: '%s' is not a file" % (option, path))
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        raise SpecError("%s: '%s' cannot be read: %s" % (option, path, exc.strerror or exc))


def _decode(path):
    """The first certificate of a PEM file as Python's ssl module decodes it, or None where it cannot."""
    decode = getattr(getattr(ssl, '_ssl', None), '_test_decode_cert', None)
    if decode is None:
        return None
    try:
        return decode(path)
    except (ssl.SSLError, ValueError, OSError):
        return None


_RDN_NAMES = {'commonName': 'CN', 'organizationName': 'O', 'organizationalUnitName': 'OU', 'countryName': 'C',
              'localityName': 'L', 'stateOrProvinceName': 'ST'}


def _subject(decoded):
    parts = []
    for rdn in decoded.get('subject') or ():
        for key, value in rdn:
            parts.append('%s=%s' % (_RDN_NAMES.get(key, key), value))
    return ','.join(reversed(parts))  # RFC 4514 order, as cryptography's rfc4514_string()


def hex_serial(text):
    """A serial number as lower-case hex without leading zeros (how the builder modules show serials)."""
    try:
        return format(int(text, 16), 'x')
    except (TypeError, ValueError):
        return text


def utc_text(cert_time):
    """'Jan  4 23:46:19 2027 GMT' (Python's ssl) as 2027-01-04T23:46:19Z."""
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(ssl.cert_time_to_seconds(cert_time)))


def cert_facts(option, path, now=None):
    """{'subject', 'serial', 'not_after', 'days_left'} of a certificate file; SpecError when it is expired or not
    yet valid. Empty where the certificate cannot be decoded (the TLS checks still run)."""
    decoded = _decode(path)
    if not decoded or 'notAfter' not in decoded:
        return {}
    now = time.time() if now is None else now
    not_after = ssl.cert_time_to_seconds(decoded['notAfter'])
    not_before = ssl.cert_time_to_seconds(decoded['notBefore']) if decoded.get('notBefore') else None
    stamp = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(not_after))
    if not_after < now:
        raise SpecError("%s: the certificate in '%s' (%s) expired on %s" % (option, path, _subject(decoded), stamp))
    if not_before is not None and not_before > now:
        raise SpecError("%s: the certificate in '%s' (%s) is not valid before %s"
                        % (option, path, _subject(decoded), time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(not_before))))
    return {'subject': _subject(decoded), 'serial': hex_serial(decoded.get('serialNumber')), 'not_after': stamp,
            'days_left': int((not_after - now) // 86400)}


def check_sources(spec):
    """Every node's TLS files readable PEM, certificates valid now, the CA loadable, the key matching the certificate.

    Returns ({node name: {tls option: digest}}, {node name: {tls option: cert_facts}}); raises SpecError naming
    nodes[i].<option> and the path."""
    digests, facts = {}, {}
    for node in spec['nodes']:
        files = node['tls_files']
        found = {}
        for opt in ('ca_cert', 'cert', 'key'):
            if opt not in files:
                continue
            option = 'nodes[%d].%s' % (node['index'], opt)
            path = files[opt]['source']
            data = _read(option, path)
            if not any(marker in data for marker in _PEM_MARKERS[opt]):
                raise SpecError("%s: '%s' is not a PEM %s" % (option, path, 'private key' if opt == 'key' else 'certificate'))
            found[opt] = digest(data)
            if opt != 'key':
                facts.setdefault(node['name'], {})[opt] = cert_facts(option, path)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if 'ca_cert' in files:
            try:
                context.load_verify_locations(cafile=files['ca_cert']['source'])
            except (ssl.SSLError, ValueError) as exc:
                raise SpecError("nodes[%d].ca_cert: '%s' holds no usable CA certificate: %s"
                                % (node['index'], files['ca_cert']['source'], exc))
        if 'cert' in files:
            try:
                context.load_cert_chain(files['cert']['source'], files['key']['source'])
            except (ssl.SSLError, ValueError) as exc:
                raise SpecError("nodes[%d].key: '%s' does not belong to the certificate '%s' (or one of them cannot "
                                "be loaded, an encrypted key is not supported): %s"
                                % (node['index'], files['key']['source'], files['cert']['source'], exc))
        digests[node['name']] = found
    return digests, facts


def stored_digests(driver_opts):
    """Digests of the files a stored node's driver options name ({tls option: digest or None if unreadable})."""
    result = {}
    for opt, driver_opt in (('ca_cert', 'cacert'), ('cert', 'cert'), ('key', 'key')):
        path = (driver_opts or {}).get(driver_opt)
        if not path:
            continue
        try:
            with open(path, 'rb') as handle:
                result[opt] = digest(handle.read())
        except (IOError, OSError):
            result[opt] = None
    return result


def _atomic_copy(source, target):
    directory = os.path.dirname(target)
    with open(source, 'rb') as handle:
        data = handle.read()
    fd, tmp = tempfile.mkstemp(prefix='.buildkit-fleet-', dir=directory)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.close(fd)
        os.rename(tmp, target)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _makedirs(path):
    """Each missing directory of `path` with mode 0700 (os.makedirs gives the parents the umask's mode)."""
    if os.path.isdir(path):
        return
    _makedirs(os.path.dirname(path))
    os.mkdir(path, 0o700)


def write_copies(spec):
    """Copy each node's TLS files to their targets in the store (mode 0600, directories 0700, atomic)."""
    for node in spec['nodes']:
        for entry in node['tls_files'].values():
            if entry['source'] == entry['target']:
                continue
            _makedirs(os.path.dirname(entry['target']))
            _atomic_copy(entry['source'], entry['target'])


def _wanted(spec):
    """{node name: set of file names} the spec copies into the store."""
    result = {}
    for node in (spec or {}).get('nodes') or []:
        names = set(os.path.basename(e['target']) for e in node['tls_files'].values() if e['source'] != e['target'])
        if names:
            result[node['name']] = names
    return result


def _stale_paths(root, builder, spec):
    base = tls_dir(root, builder)
    if not os.path.isdir(base):
        return []
    wanted = _wanted(spec)
    stale = []
    for entry in sorted(os.listdir(base)):
        path = os.path.join(base, entry)
        if entry not in wanted or not os.path.isdir(path) or os.path.islink(path):
            stale.append(path)
            continue
        stale.extend(os.path.join(path, name) for name in sorted(os.listdir(path)) if name not in wanted[entry])
    return stale


def has_stale(root, builder, spec=None):
    """Whether the builder's TLS directory in the store holds files the spec (None: nothing) does not copy."""
    return bool(_stale_paths(root, builder, spec)) or (os.path.isdir(tls_dir(root, builder)) and not _wanted(spec))


def remove_stale(root, builder, spec=None):
    """Remove what the builder's TLS directory holds beyond the spec's copies (all of it for None)."""
    for path in _stale_paths(root, builder, spec):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    base = tls_dir(root, builder)
    if not _wanted(spec) and os.path.isdir(base):
        os.rmdir(base)
        parent = os.path.join(root, TLS_DIR)
        if os.path.isdir(parent) and not os.listdir(parent):
            os.rmdir(parent)
