# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A serving builder's TLS files and BuildKit's GC policy: checks, certificate facts, the buildkitd.toml
sections (pure: reads the given files, no Docker, no Ansible module).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import hashlib
import ipaddress
import re

from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import SpecError

# cryptography is imported on first use (about 0.1 s on the target): a builder without `serve` never pays it.
HAS_CRYPTOGRAPHY = None
x509 = serialization = ec = padding = rsa = None


def _have_cryptography():
    global HAS_CRYPTOGRAPHY, x509, serialization, ec, padding, rsa
    if HAS_CRYPTOGRAPHY is None:
        try:
            from cryptography import x509
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
            HAS_CRYPTOGRAPHY = True
        except ImportError:  # checked when serve is used
            HAS_CRYPTOGRAPHY = False
    return HAS_CRYPTOGRAPHY


# Where the module puts the listener's files in the container (buildx does not copy [grpc.tls] files).
TLS_DIR = '/etc/buildkit/tls'
TLS_FILES = (('ca_cert', 'ca.pem', 0o644), ('cert', 'cert.pem', 0o644), ('key', 'key.pem', 0o600))
DIGEST_FILE = 'digest'
UNIX_ADDRESS = 'unix:///run/buildkit/buildkitd.sock'

GC_KEYS = (('max_used_space', 'maxUsedSpace'), ('reserved_space', 'reservedSpace'),
           ('min_free_space', 'minFreeSpace'))
# BuildKit's DiskSpace: a percentage of the disk, or a size as docker/go-units RAMInBytes reads it (binary units).
_SIZE_RE = re.compile(r'^\s*\d+(\.\d+)?\s*([kKmMgGtTpP]([iI]?[bB])?|[bB])?\s*$')
_PERCENT_RE = re.compile(r'^\d+%$')
# BuildKit's Duration: a Go duration (48h, 90m, 1h30m) or whole seconds.
_DURATION_RE = re.compile(r'^(\d+|((\d+(\.\d+)?)(ns|us|ms|s|m|h))+)$')


def _utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def _not_after(cert):
    value = getattr(cert, 'not_valid_after_utc', None)
    if value is None:  # cryptography < 42
        value = cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    return value


def _not_before(cert):
    value = getattr(cert, 'not_valid_before_utc', None)
    if value is None:
        value = cert.not_valid_before.replace(tzinfo=datetime.timezone.utc)
    return value


def _sans(cert):
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    names = ['DNS:%s' % n for n in ext.get_values_for_type(x509.DNSName)]
    names.extend('IP:%s' % n for n in ext.get_values_for_type(x509.IPAddress))
    return names


def cert_info(pem, now=None):
    """Facts of a PEM certificate: subject, sans, serial (hex), not_after (UTC text), days_left; None if unreadable."""
    if not _have_cryptography() or not pem:
        return None
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError:
        return None
    not_after = _not_after(cert)
    return {
        'subject': cert.subject.rfc4514_string(),
        'sans': _sans(cert),
        'serial': format(cert.serial_number, 'x'),
        'not_after': not_after.strftime('%Y-%m-%dT%H:%M:%SZ'),
        'days_left': (not_after - (now or _utc_now())).days,
    }


def digest(files):
    """sha256 over the CA, certificate and key contents: decides rotation; no key material in it."""
    hasher = hashlib.sha256()
    for option, _name, _mode in TLS_FILES:
        data = files[option]
        hasher.update(('%s:%d:' % (option, len(data))).encode('ascii'))
        hasher.update(data)
    return hasher.hexdigest()


def container_files(files):
    """[(path under /etc, bytes, mode)] to put into the container: the three files and their digest."""
    entries = [('buildkit/tls/' + name, files[option], mode) for option, name, mode in TLS_FILES]
    entries.append(('buildkit/tls/' + DIGEST_FILE, (digest(files) + '\n').encode('ascii'), 0o644))
    return entries


def _read(path, option):
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        raise SpecError("%s: cannot read '%s' on the target: %s" % (option, path, exc.strerror or exc))


def _load_cert(data, option, path):
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError as exc:
        raise SpecError("%s: '%s' is not a PEM certificate: %s" % (option, path, exc))


def _load_bundle(data, option, path):
    """Every certificate of a PEM file (a CA bundle may hold several)."""
    loader = getattr(x509, 'load_pem_x509_certificates', None)  # cryptography >= 39
    if loader is None:
        return [_load_cert(data, option, path)]
    try:
        return loader(data)
    except ValueError as exc:
        raise SpecError("%s: '%s' is not a PEM certificate: %s" % (option, path, exc))


def _signed_by(cert, ca_cert):
    """True if `cert` carries a valid signature of `ca_cert`'s key and names it as issuer."""
    if cert.issuer != ca_cert.subject:
        return False
    public = ca_cert.public_key()
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        else:
            public.verify(cert.signature, cert.tbs_certificate_bytes)
    except Exception:  # cryptography.exceptions.InvalidSignature and key-type mismatches
        return False
    return True


def _name_in_sans(name, cert):
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        wanted = name.lower().rstrip('.')
        for dns in ext.get_values_for_type(x509.DNSName):
            dns = dns.lower().rstrip('.')
            if dns == wanted or (dns.startswith('*.') and wanted.count('.') == dns.count('.')
                                 and wanted.split('.', 1)[1] == dns[2:]):
                return True
        return False
    return address in ext.get_values_for_type(x509.IPAddress)


def check_serve(serve, now=None):
    """Read and check the listener's files; returns {'files': {option: bytes}, 'cert': cert facts}.

    Raises SpecError naming the serve option: cryptography missing, a file missing or unreadable, a key that
    does not match the certificate, a certificate not signed by the CA or expired, a name not in the SANs."""
    if not _have_cryptography():
        raise SpecError('serve: checking the TLS files needs the Python cryptography library on the target '
                        '(pip install cryptography, or the distribution package python3-cryptography)')
    port = serve.get('port')
    if port is None or not 0 < port < 65536:
        raise SpecError("serve.port: must be a TCP port (1-65535), got '%s'" % port)
    address = serve.get('address') or '0.0.0.0'
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise SpecError("serve.address: '%s' is not an IP address of the host" % address)
    files = {}
    for option, _name, _mode in TLS_FILES:
        path = serve.get(option)
        if not path:
            raise SpecError('serve.%s: is required' % option)
        files[option] = _read(path, 'serve.' + option)
    now = now or _utc_now()
    cas = _load_bundle(files['ca_cert'], 'serve.ca_cert', serve['ca_cert'])
    cert = _load_cert(files['cert'], 'serve.cert', serve['cert'])
    try:
        key = serialization.load_pem_private_key(files['key'], password=None)
    except (ValueError, TypeError) as exc:
        raise SpecError("serve.key: '%s' is not an unencrypted PEM private key: %s" % (serve['key'], exc))
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if key.public_key().public_bytes(*fmt) != cert.public_key().public_bytes(*fmt):
        raise SpecError("serve.key: '%s' does not match the certificate serve.cert '%s'" % (serve['key'], serve['cert']))
    signers = [ca for ca in cas if _signed_by(cert, ca)]
    if not signers:
        raise SpecError("serve.cert: '%s' (issuer %s) is not signed by the CA serve.ca_cert '%s' (%s)"
                        % (serve['cert'], cert.issuer.rfc4514_string(), serve['ca_cert'],
                           ', '.join(ca.subject.rfc4514_string() for ca in cas)))
    for label, path, which in (('serve.cert', serve['cert'], cert), ('serve.ca_cert', serve['ca_cert'], signers[0])):
        if _not_after(which) < now:
            raise SpecError("%s: '%s' expired on %s" % (label, path, _not_after(which).strftime('%Y-%m-%dT%H:%M:%SZ')))
        if _not_before(which) > now:
            raise SpecError("%s: '%s' is not valid before %s" % (label, path,
                                                                 _not_before(which).strftime('%Y-%m-%dT%H:%M:%SZ')))
    for name in serve.get('names') or []:
        if not _name_in_sans(name, cert):
            raise SpecError("serve.names: '%s' is not among the subject alternative names of serve.cert '%s' (%s)"
                            % (name, serve['cert'], ', '.join(_sans(cert)) or 'none'))
    return {'files': files, 'cert': cert_info(files['cert'], now)}


def _toml_string(value):
    return '"%s"' % value.replace('\\', '\\\\').replace('"', '\\"')


def grpc_section(port, listen_address='0.0.0.0'):
    """The [grpc] section: the unix socket buildx uses and the TCP listener with mutual TLS."""
    host = '[%s]' % listen_address if ':' in listen_address else listen_address
    addresses = [UNIX_ADDRESS, 'tcp://%s:%d' % (host, port)]
    return '\n'.join([
        '',
        '# buildkit.fleet serve: the unix socket for buildx, TCP with mutual TLS for remote clients',
        '[grpc]',
        '  address = [%s]' % ', '.join(_toml_string(a) for a in addresses),
        '  [grpc.tls]',
        '    cert = %s' % _toml_string(TLS_DIR + '/cert.pem'),
        '    key = %s' % _toml_string(TLS_DIR + '/key.pem'),
        '    ca = %s' % _toml_string(TLS_DIR + '/ca.pem'),
        ''])


def check_gc(gc):
    """The gc option with its values checked the way BuildKit parses them; raises SpecError naming the option."""
    given = dict((k, v) for k, v in (gc or {}).items() if v not in (None, ''))
    if not given:
        raise SpecError('gc: give at least one of max_used_space, reserved_space, min_free_space, keep_duration')
    for option, _key in GC_KEYS:
        value = given.get(option)
        if value is not None and not (_PERCENT_RE.match(value) or _SIZE_RE.match(value)):
            raise SpecError("gc.%s: '%s' is neither a size (such as 20GB, 512MB; binary units as BuildKit reads "
                            "them) nor a percentage of the disk (such as 10%%)" % (option, value))
    if given.get('keep_duration') is not None and not _DURATION_RE.match(given['keep_duration']):
        raise SpecError("gc.keep_duration: '%s' is not a duration (such as 48h, 90m, or seconds)" % given['keep_duration'])
    return given


def gc_section(gc):
    """One [[worker.oci.gcpolicy]] rule for all records (all = true) with the given limits."""
    given = check_gc(gc)
    lines = ['', '# buildkit.fleet gc: the cache ceiling', '[[worker.oci.gcpolicy]]', '  all = true']
    if given.get('keep_duration') is not None:
        lines.append('  keepDuration = %s' % _toml_string(given['keep_duration']))
    for option, key in GC_KEYS:
        if given.get(option) is not None:
            lines.append('  %s = %s' % (key, _toml_string(given[option].strip())))
    return '\n'.join(lines + [''])


def check_user_config(config, serve, gc):
    """The user's own config must leave [grpc] and the OCI worker's GC policy to serve and gc."""
    config = config or {}
    if serve and 'grpc' in config:
        raise SpecError('serve: the buildkitd config already has a [grpc] section; serve writes it (the unix '
                        'socket and the TLS listener): drop it from buildkitd_config/buildkitd_config_inline')
    oci = ((config.get('worker') or {}).get('oci') or {})
    if gc and any(k in oci for k in ('gcpolicy', 'gckeepstorage', 'reservedSpace', 'maxUsedSpace', 'minFreeSpace')):
        raise SpecError('gc: the buildkitd config already sets the OCI worker GC policy ([worker.oci] gcpolicy or '
                        'its limits); set it either there or with gc')
    if gc and oci.get('gc') is False:
        raise SpecError('gc: the buildkitd config turns GC off ([worker.oci] gc = false); gc needs it on')


def serve_view(config, port_bindings, cert_pem, now=None):
    """What a container serves: {address, port, subject, sans, serial, not_after, days_left}, or None."""
    grpc = (config or {}).get('grpc') or {}
    tcp = [a for a in grpc.get('address') or [] if isinstance(a, str) and a.startswith('tcp://')]
    if not tcp:
        return None
    listen = tcp[0][len('tcp://'):]
    host, _sep, port = listen.rpartition(':')
    view = {'address': host.strip('[]'), 'port': int(port) if port.isdigit() else None,
            'subject': None, 'sans': [], 'serial': None, 'not_after': None, 'days_left': None}
    bound = (port_bindings or {}).get('%s/tcp' % port) or []
    if bound:
        view['address'] = bound[0].get('HostIp') or '0.0.0.0'
        view['port'] = int(bound[0].get('HostPort') or view['port'])
    view.update(cert_info(cert_pem, now) or {})
    return view
