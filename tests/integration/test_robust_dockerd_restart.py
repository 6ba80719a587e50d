"""A dockerd that goes down and comes back (our own daemon, never a shared one): clear failure, then no change."""
import json
import os
import signal
import subprocess
import time

import docker
import pytest

from robust_support import wait_for
from support import TEST_IMAGE, store_files

ROOT = '/var/lib/buildkit-fleet/robust-docker'
SOCK = '/run/buildkit-fleet/robust-docker.sock'
HOST = 'unix://' + SOCK
PIDFILE = '/run/buildkit-fleet/robust-docker.pid'
BRIDGE, CIDR = 'br-robust', '10.98.0.1/24'
IMAGE_TAR = '/var/cache/buildkit-fleet/buildkit-v0.32.2.tar'


def _up():
    try:
        return docker.DockerClient(base_url=HOST, timeout=10).ping()
    except Exception:  # not answering yet
        return False


def start_daemon():
    main_pid = open('/var/run/docker.pid').read().strip()
    binary = os.readlink('/proc/%s/exe' % main_pid)
    env = dict(os.environ)
    with open('/proc/%s/environ' % main_pid, 'rb') as handle:
        for item in handle.read().split(b'\0'):
            if item.startswith(b'PATH='):
                env['PATH'] = item[5:].decode()
    try:
        main_conf = json.load(open('/etc/docker/daemon.json'))
    except (IOError, ValueError):
        main_conf = {}
    os.makedirs(ROOT, exist_ok=True)
    with open(os.path.join(ROOT, 'daemon.json'), 'w') as handle:
        json.dump(dict((k, main_conf[k]) for k in ('runtimes', 'default-runtime') if k in main_conf), handle)
    if subprocess.run(['ip', 'link', 'show', BRIDGE], capture_output=True, timeout=10, check=False).returncode != 0:
        subprocess.run(['ip', 'link', 'add', BRIDGE, 'type', 'bridge'], check=True, timeout=10)
        subprocess.run(['ip', 'addr', 'add', CIDR, 'dev', BRIDGE], check=True, timeout=10)
    subprocess.run(['ip', 'link', 'set', BRIDGE, 'up'], check=True, timeout=10)
    if os.path.exists(SOCK):
        os.unlink(SOCK)
    log = open(os.path.join(ROOT, 'dockerd.log'), 'ab')
    subprocess.Popen([binary, '--config-file', os.path.join(ROOT, 'daemon.json'), '-H', HOST, '--data-root', ROOT + '/data',
                      '--exec-root', ROOT + '/exec', '--pidfile', PIDFILE, '--iptables=false', '--ip6tables=false',
                      '-b', BRIDGE], env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    wait_for(_up, 90, 'our dockerd to answer on ' + HOST)


def stop_daemon():
    if not os.path.exists(PIDFILE):
        return
    pid = int(open(PIDFILE).read().strip())
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return
    wait_for(lambda: not os.path.exists('/proc/%d' % pid) or open('/proc/%d/stat' % pid).read().split()[2] == 'Z',
             60, 'our dockerd to stop')


@pytest.fixture
def own_dockerd():
    start_daemon()
    client = docker.DockerClient(base_url=HOST, timeout=120)
    try:
        client.images.get(TEST_IMAGE)
    except docker.errors.ImageNotFound:
        with open(IMAGE_TAR, 'rb') as handle:
            client.images.load(handle.read())
    yield client
    if not _up():
        start_daemon()
    for found in client.containers.list(all=True, filters={'name': 'buildx_buildkit_robustd'}):
        found.remove(force=True)
    for volume in client.volumes.list(filters={'name': 'buildx_buildkit_robustd'}):
        volume.remove(force=True)
    stop_daemon()
    subprocess.run(['ip', 'link', 'del', BRIDGE], capture_output=True, timeout=10, check=False)


def test_dockerd_down_then_restarted(ansible, builder, buildx_config, own_dockerd):
    name = builder('robustd')
    args = dict(name=name, buildx_config=buildx_config, docker_host=HOST, pull=False, driver_opts={'image': TEST_IMAGE})
    created = ansible('buildkit_builder', **args)
    assert created['changed'] and not created['failed'], created
    first_id = own_dockerd.api.inspect_container('buildx_buildkit_%s0' % name)['Id']

    stop_daemon()
    down = ansible('buildkit_builder', **args)
    assert down['failed'] and HOST in down['msg'] and 'Traceback' not in down['_stdout'], down
    assert 'instances/' + name in store_files(buildx_config)

    start_daemon()
    time.sleep(1)  # unless-stopped: the daemon brings the builder back by itself
    predicted = ansible('buildkit_builder', check=True, **args)
    back = ansible('buildkit_builder', **args)
    assert not back['failed'] and predicted['changed'] == back['changed'], (predicted, back)
    real = own_dockerd.api.inspect_container('buildx_buildkit_%s0' % name)
    assert real['Id'] == first_id and real['State']['Running']
    assert ansible('buildkit_builder', **args)['changed'] is False
