"""A no-op converge of a running builder on the local daemon asks buildkitd on its own socket, without a
`docker exec`, and reports what buildkitd reported; whatever could make that answer stale (a restart, other
emulators) or a buildkitd that stopped answering makes it ask buildkitd with the exec again. The execs are
counted in the real daemon's event stream."""
import json
import os
import signal
import time

import pytest

from support import TEST_IMAGE, buildx, container, execs_during

BINFMT_ENTRY = '/proc/sys/fs/binfmt_misc/qemu-s390x'


def buildx_platforms(buildx_config, name):
    text = buildx(buildx_config, 'inspect', name).stdout
    line = next(line for line in text.splitlines() if line.startswith('Platforms:'))
    return sorted(p.strip().rstrip('*') for p in line.split(':', 1)[1].split(','))


def buildkitd_pid(main_pid):
    """The host pid of buildkitd: the child of the container's init (docker-init)."""
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open('/proc/%s/stat' % entry) as handle:
                    fields = handle.read().rsplit(')', 1)[1].split()
            except (IOError, OSError):
                continue
            if int(fields[1]) == main_pid:
                return int(entry)
    pytest.fail('no child process of %s found' % main_pid)


@pytest.fixture
def running(ansible, builder, buildx_config):
    name = builder('sock')
    args = dict(name=name, buildx_config=buildx_config, pull=False, driver_opts={'image': TEST_IMAGE}, bootstrap_timeout=4)
    first = ansible('buildkit_builder', **args)
    assert first['changed'] and not first['failed'], first
    return name, args, first


def test_a_no_op_asks_no_exec_and_reports_what_buildkitd_reported(ansible, docker_client, buildx_config, running):
    name, args, first = running
    again, execs = execs_during(docker_client, name + '0', lambda: ansible('buildkit_builder', **args))
    assert again['changed'] is False and not again['failed'], again
    assert execs == 0, 'the no-op ran %d docker exec(s) in the node' % execs
    node, before = again['builder']['nodes'][0], first['builder']['nodes'][0]
    assert node['buildkit_version'] == before['buildkit_version'] and node['buildkit_version']
    assert sorted(node['platforms']) == buildx_platforms(buildx_config, name)


def test_a_restart_or_other_emulators_ask_buildkitd_again(ansible, docker_client, buildx_config, running):
    name, args, _first = running
    docker_client.api.restart('buildx_buildkit_%s0' % name)
    again, execs = execs_during(docker_client, name + '0', lambda: ansible('buildkit_builder', **args))
    assert again['changed'] is False and not again['failed'], again
    assert execs >= 1  # a new start: asked
    with open(BINFMT_ENTRY) as handle:
        enabled = handle.readline().strip() == 'enabled'
    try:
        with open(BINFMT_ENTRY, 'w') as handle:
            handle.write('0' if enabled else '1')
        again, execs = execs_during(docker_client, name + '0', lambda: ansible('buildkit_builder', **args))
    finally:
        with open(BINFMT_ENTRY, 'w') as handle:
            handle.write('1' if enabled else '0')
    assert not again['failed'] and execs >= 1  # other emulators: asked
    assert sorted(again['builder']['nodes'][0]['platforms']) == buildx_platforms(buildx_config, name)


def test_a_buildkitd_that_stopped_answering_is_not_taken_for_ready(ansible, docker_client, running):
    name, args, _first = running
    pid = buildkitd_pid(container(docker_client, name + '0')['State']['Pid'])
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        stuck = ansible('buildkit_builder', **args)
        assert stuck['failed'] and 'did not answer' in stuck['msg'], stuck
        assert time.monotonic() - started < 60
    finally:
        os.kill(pid, signal.SIGCONT)
    again = ansible('buildkit_builder', **args)
    assert not again['failed'] and again['changed'] is False, again


def test_a_builder_of_the_same_make_boots_without_an_exec_and_its_facts_are_its_own(
        ansible, docker_client, buildx_config, running, builder):
    _name, args, first = running
    other = builder('sock')
    made, execs = execs_during(docker_client, other + '0', lambda: ansible('buildkit_builder', **dict(args, name=other)))
    assert made['changed'] and not made['failed'], made
    assert execs == 0, 'the create ran %d docker exec(s) in the node' % execs
    node = made['builder']['nodes'][0]
    assert node['buildkit_version'] == first['builder']['nodes'][0]['buildkit_version']
    assert sorted(node['platforms']) == buildx_platforms(buildx_config, other)
    again, execs = execs_during(docker_client, other + '0', lambda: ansible('buildkit_builder', **dict(args, name=other)))
    assert again['changed'] is False and execs == 0, again
    info, execs = execs_during(docker_client, other + '0',
                               lambda: ansible('buildkit_builder_info', name=other, buildx_config=buildx_config))
    assert execs >= 1  # its worker's id and labels are its own: asked
    real = docker_client.api.exec_start(docker_client.api.exec_create(
        'buildx_buildkit_%s0' % other, ['buildctl', 'debug', 'workers', '--format', '{{json .}}'])['Id'])
    assert info['builders'][0]['nodes'][0]['worker_labels'] == json.loads(real)[0]['labels']  # its own hostname
