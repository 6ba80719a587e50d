"""Shared helpers for the buildkit_build integration tests: registry-ready builders, registry reads, contexts."""
import gzip
import json
import os
import shutil
import tarfile
import urllib.request
import uuid

from support import TEST_IMAGE

REGISTRY = os.environ.get('BUILDKIT_FLEET_REGISTRY', '127.0.0.1:5000')
BASE_IMAGE = os.environ.get('BUILDKIT_FLEET_BASE_IMAGE', REGISTRY + '/buildkit-fleet/base:busybox')
BUSYBOX_DIR = os.environ.get('BUILDKIT_FLEET_BUSYBOX_DIR', '/var/cache/buildkit-fleet/busybox')
REGISTRY_CONFIG = '[registry."%s"]\n  http = true\n  insecure = true\n' % REGISTRY
INDEX_TYPES = ('application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, '
               'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json')


def make_builder(ansible, builder, buildx_config, prefix='b'):
    """A running builder (real buildkit_builder module) that reaches the local registry over the host network."""
    name = builder(prefix)
    result = ansible('buildkit_builder', name=name, buildx_config=buildx_config, pull=False,
                     driver_opts={'image': TEST_IMAGE, 'network': 'host'}, buildkitd_config_inline=REGISTRY_CONFIG)
    assert result['changed'] and not result['failed'], result
    return name


def unique(prefix):
    return '%s%s' % (prefix, uuid.uuid4().hex[:8])


def registry_get(path, accept=INDEX_TYPES):
    request = urllib.request.Request('http://%s/v2/%s' % (REGISTRY, path), headers={'Accept': accept})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read(), response.headers.get('Content-Type')
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None, None
        raise


def manifest(repo, ref):
    raw, _type = registry_get('%s/manifests/%s' % (repo, ref))
    return json.loads(raw) if raw is not None else None


def image_config(repo, ref):
    """Config of a single-platform manifest, or of each platform of an index: {platform: config}."""
    top = manifest(repo, ref)
    if top is None:
        return None
    found = {}
    entries = top.get('manifests') or [{'digest': ref, 'platform': None}]
    for entry in entries:
        if (entry.get('annotations') or {}).get('vnd.docker.reference.type') == 'attestation-manifest':
            continue
        man = manifest(repo, entry['digest']) if top.get('manifests') else top
        raw, _type = registry_get('%s/blobs/%s' % (repo, man['config']['digest']), accept='*/*')
        config = json.loads(raw)
        key = '/'.join([config['os'], config['architecture']] + ([config['variant']] if config.get('variant') else []))
        found[key] = config
    return found


def layer_blobs(repo, ref):
    """Uncompressed bytes of every layer of every platform of repo:ref."""
    top = manifest(repo, ref)
    mans = [manifest(repo, e['digest']) for e in top['manifests']] if top.get('manifests') else [top]
    blobs = []
    for man in mans:
        for layer in man.get('layers') or []:
            raw, _type = registry_get('%s/blobs/%s' % (repo, layer['digest']), accept='*/*')
            blobs.append(gzip.decompress(raw) if raw[:2] == b'\x1f\x8b' else raw)
    return blobs


def oci_blobs(path):
    """Every blob of an OCI tarball, uncompressed when gzip."""
    found = []
    with tarfile.open(path) as archive:
        for member in archive.getmembers():
            if member.isfile():
                raw = archive.extractfile(member).read()
                found.append(gzip.decompress(raw) if raw[:2] == b'\x1f\x8b' else raw)
    return found


def context_dir(tmp_path, dockerfile, files=None, busyboxes=()):
    """A build context directory with a Dockerfile, extra files and chosen busyboxes."""
    ctx = tmp_path / unique('ctx')
    ctx.mkdir()
    (ctx / 'Dockerfile').write_text(dockerfile)
    for rel, data in (files or {}).items():
        path = ctx / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    for arch in busyboxes:
        shutil.copy(os.path.join(BUSYBOX_DIR, 'bb-' + arch), str(ctx / ('bb-' + arch)))
    return ctx


def images_removed_after(request, docker_client):
    """A list of image names that are removed from Docker when the test ends."""
    names = []

    def remove():
        for name in names:
            try:
                docker_client.images.remove(name, force=True)
            except Exception:  # already gone
                pass
    request.addfinalizer(remove)
    return names
