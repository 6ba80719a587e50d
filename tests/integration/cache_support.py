"""Fill a builder's build cache with a real build and read it back with buildctl/buildx (no module code)."""
import json
import os

from support import buildx, exec_in

MB = 1000 * 1000


def fill_cache(buildx_config, name, tmp_path, sizes=(3 * MB, 2 * MB), tag='a'):
    """Build a FROM scratch image that COPYs random files: regular and source.local records of about sum(sizes)."""
    context = tmp_path / ('ctx-%s-%s' % (name, tag))
    context.mkdir()
    lines = ['FROM scratch']
    for index, size in enumerate(sizes):
        (context / ('f%d.bin' % index)).write_bytes(os.urandom(size))
        lines.append('COPY f%d.bin /f%d.bin' % (index, index))
    (context / 'Dockerfile').write_text('\n'.join(lines) + '\n')
    out = tmp_path / ('out-%s-%s' % (name, tag))
    buildx(buildx_config, 'build', '--builder', name, '--output', 'type=local,dest=%s' % out, str(context))
    return sum(sizes)


def buildctl_du(client, node):
    """Records as buildctl inside the container reports them: {id: (type, size, in_use)}."""
    code, out = exec_in(client, node, 'buildctl', 'du', '--format', '{{json .}}')
    assert code == 0, out
    return dict((r['id'], (r.get('recordType') or 'regular', r['size'], bool(r.get('inUse'))))
                for r in json.loads(out or 'null') or [])


def buildx_du(buildx_config, name):
    """Records as `docker buildx du --format json` lists them: {id: type}."""
    out = buildx(buildx_config, 'du', '--builder', name, '--format', 'json').stdout
    return dict((r['ID'], r['Type']) for r in (json.loads(line) for line in out.splitlines() if line.strip()))


def container_state(client, node):
    """What must not change when only reading: id, running flag, start/finish times, restart count."""
    info = client.api.inspect_container('buildx_buildkit_' + node)
    state = info['State']
    return (info['Id'], state['Running'], state['StartedAt'], state['FinishedAt'], info['RestartCount'])
