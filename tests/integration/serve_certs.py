"""Test certificates made with the cryptography library (EC P-256), for every integration test that needs some.

`certificate` makes any certificate and `key_pem` / `cert_pem` / `write_pem` turn it into files; on top of them:
`make_ca` / `make_cert` / `write` (a CA, server certificates with SANs DNS+IP and serverAuth, client certificates
with clientAuth, backdated ones for the expired cases; test_farm_serve), `self_signed` (a user's own CA, its key
under an optional passphrase; test_farm_role, test_docs_examples) and `make_pki` in remote_support (a CA, server
and client certificates as files; test_remote_builder, test_docs_examples, test_build_placement)."""
import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.datetime.now(datetime.timezone.utc)
HOUR, DAY = datetime.timedelta(hours=1), datetime.timedelta(days=1)
CA_KEY_USAGE = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                             data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                             encipher_only=False, decipher_only=False)


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def new_key():
    return ec.generate_private_key(ec.SECP256R1())


def _general_name(san):
    """A subject alternative name: a cryptography GeneralName as it is, an IP address string as IP, else DNS."""
    if isinstance(san, x509.GeneralName):
        return san
    try:
        return x509.IPAddress(ipaddress.ip_address(san))
    except ValueError:
        return x509.DNSName(san)


def certificate(cn, key, not_before, not_after, issuer=None, ca=None, key_usage=None, usage=None, sans=()):
    """A certificate for `key` with subject CN=`cn`, signed by `issuer` ((key, cert)) or self-signed without one.

    `ca` None adds no basic constraints, True or False critical ones saying so; `key_usage` an x509.KeyUsage
    (critical); `usage` an extended key usage OID; `sans` subject alternative names (see _general_name)."""
    issuer_key, issuer_name = (issuer[0], issuer[1].subject) if issuer else (key, _name(cn))
    builder = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(issuer_name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after))
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    if key_usage is not None:
        builder = builder.add_extension(key_usage, critical=True)
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([_general_name(s) for s in sans]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key, passphrase=None):
    """The key as PKCS8 PEM, encrypted with `passphrase` when given."""
    encryption = serialization.BestAvailableEncryption(passphrase.encode()) if passphrase else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def write_pem(path, data, mode=None):
    """Write `data` to `path` (then chmod it to `mode` when given); returns the path as a string."""
    with open(path, 'wb') as handle:
        handle.write(data)
    if mode is not None:
        os.chmod(path, mode)
    return str(path)


def make_ca(cn='test-ca'):
    """A CA (basic constraints and key usage, valid from a day ago for a year); (key, cert)."""
    key = new_key()
    return key, certificate(cn, key, NOW - DAY, NOW + 365 * DAY, ca=True, key_usage=CA_KEY_USAGE)


def make_cert(ca, cn, server=True, dns=(), ips=(), not_before=None, not_after=None, key=None):
    """A server (serverAuth) or client (clientAuth) certificate signed by `ca` ((key, cert)); (key, cert)."""
    key = key or new_key()
    sans = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    return key, certificate(cn, key, not_before or NOW - HOUR, not_after or NOW + 90 * DAY, issuer=ca,
                            usage=ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH,
                            sans=sans)


def write(directory, stem, pair):
    """Write <stem>.pem and <stem>-key.pem (0600); returns (cert path, key path)."""
    key, cert = pair
    return (write_pem(os.path.join(directory, stem + '.pem'), cert_pem(cert)),
            write_pem(os.path.join(directory, stem + '-key.pem'), key_pem(key), mode=0o600))


def self_signed(directory, stem, cn, days=365, ca=True, passphrase=None):
    """A user's own self-signed certificate (a CA unless `ca` is false; basic constraints only, valid from an hour
    ago for `days`) as <stem>.pem and <stem>-key.pem in `directory`, the key under `passphrase` when given;
    (cert path, key path, cert)."""
    key = new_key()
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = certificate(cn, key, now - HOUR, now + days * DAY, ca=ca)
    os.makedirs(str(directory), exist_ok=True)
    return (write_pem(os.path.join(str(directory), stem + '.pem'), cert_pem(cert)),
            write_pem(os.path.join(str(directory), stem + '-key.pem'), key_pem(key, passphrase)), cert)
