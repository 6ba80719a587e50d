"""Helpers that look at the real daemon and the real buildx store."""
import os
import subprocess
import sys
import time

import docker

TEST_IMAGE = os.environ.get('BUILDKIT_FLEET_IMAGE', 'buildkit-fleet/buildkit:v0.32.2')
DEFAULT_IMAGE = 'moby/buildkit:buildx-stable-1'


def remove_builder_traces(client, node):
    for found in client.containers.list(all=True, filters={'name': '^buildx_buildkit_%s$' % node}):
        found.remove(force=True)
    for volume in client.volumes.list(filters={'name': 'buildx_buildkit_%s_state' % node}):
        if volume.name == 'buildx_buildkit_%s_state' % node:
            volume.remove(force=True)


def buildx(buildx_config, *args, timeout=180, check=True):
    env = dict(os.environ, BUILDX_CONFIG=buildx_config)
    proc = subprocess.run(['docker', 'buildx'] + list(args), env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise AssertionError('docker buildx %s failed: %s%s' % (' '.join(args), proc.stdout, proc.stderr))
    return proc


def container(client, node):
    try:
        return client.api.inspect_container('buildx_buildkit_' + node)
    except docker.errors.NotFound:
        return None


def volume_exists(client, node):
    try:
        client.api.inspect_volume('buildx_buildkit_%s_state' % node)
        return True
    except docker.errors.NotFound:
        return False


def store_files(buildx_config):
    found = []
    for sub in ('instances', 'activity', 'refs'):
        path = os.path.join(buildx_config, sub)
        if os.path.isdir(path):
            found += [os.path.join(sub, f) for f in os.listdir(path)]
    return found


def exec_in(client, node, *cmd):
    result = client.containers.get('buildx_buildkit_' + node).exec_run(list(cmd))
    return result.exit_code, result.output.decode()


def execs_during(docker_client, node, action):
    """(what action() returned, how many execs the daemon created in the node's container meanwhile)."""
    since = time.time()
    returned = action()
    until = time.time() + 0.5
    time.sleep(0.6)
    events = docker_client.api.events(since='%.9f' % since, until='%.9f' % until, decode=True,
                                      filters={'event': 'exec_create', 'container': 'buildx_buildkit_' + node})
    return returned, len(list(events))


def run_local_playbook(path, timeout=300, **env):
    """ansible-playbook of `path` on localhost (local connection, this Python), no colour, `env` added to the
    environment; the completed process (text output captured)."""
    return subprocess.run(['ansible-playbook', '-i', 'localhost,', '-c', 'local', str(path),
                           '-e', 'ansible_python_interpreter=' + sys.executable],
                          env=dict(os.environ, ANSIBLE_NOCOLOR='1', **env), capture_output=True, text=True,
                          timeout=timeout, check=False)
