"""The create request of a node's container is what the SDK's create_container/create_host_config make for the
arguments buildkit_builder gave them before it sent the body itself (the SDK is the reference)."""
import docker
import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._builder import docker_ops as bd
from ansible_collections.buildkit.fleet.plugins.module_utils._node.names import STATE_DIR

BASE = {'name': 'buildx_buildkit_a0', 'volume': 'buildx_buildkit_a0_state', 'image': 'moby/buildkit:buildx-stable-1',
        'env': {}, 'cmd': [], 'restart_policy': {'Name': 'unless-stopped', 'MaximumRetryCount': 0},
        'network_mode': None, 'memory': 0, 'memory_swap': 0, 'cpu_quota': 0, 'cpu_period': 0, 'cpu_shares': 0,
        'cpuset_cpus': '', 'cpuset_mems': '', 'cgroup_parent': '', 'userns_mode': ''}


def sdk_body(cspec):
    """The body the SDK made from the arguments of the earlier create_container (the reference)."""
    client = docker.APIClient(version='1.45')
    host_args = dict(privileged=True, init=True, restart_policy=cspec['restart_policy'],
                     mounts=[docker.types.Mount(STATE_DIR, cspec['volume'], type='volume')])
    optional = (('network_mode', 'network_mode'), ('mem_limit', 'memory'), ('memswap_limit', 'memory_swap'),
                ('cpu_quota', 'cpu_quota'), ('cpu_period', 'cpu_period'), ('cpu_shares', 'cpu_shares'),
                ('cpuset_cpus', 'cpuset_cpus'), ('cpuset_mems', 'cpuset_mems'),
                ('cgroup_parent', 'cgroup_parent'), ('userns_mode', 'userns_mode'))
    for arg, field in optional:
        if cspec.get(field):
            host_args[arg] = cspec[field]
    if cspec.get('memory') and cspec.get('memory_swap') == 2 * cspec['memory']:
        host_args.pop('memswap_limit', None)
    env = ['%s=%s' % item for item in sorted(cspec['env'].items())] or None
    return client.create_container_config(cspec['image'], cspec['cmd'], environment=env,
                                          host_config=client.create_host_config(**host_args))


@pytest.mark.parametrize('changes', [
    {},
    {'network_mode': 'host', 'cmd': ['--allow-insecure-entitlement=network.host'], 'env': {'B': '2', 'A': '1'}},
    {'network_mode': 'buildnet', 'memory': 4294967296, 'memory_swap': 8589934592, 'cpu_quota': 50000,
     'cpu_period': 100000, 'cpu_shares': 512, 'cpuset_cpus': '0-1', 'cpuset_mems': '0', 'cgroup_parent': '/ci',
     'userns_mode': 'host', 'restart_policy': {'Name': 'on-failure', 'MaximumRetryCount': 3}},
    {'memory': 100 * 1024 * 1024, 'memory_swap': -1, 'cmd': ['--config', '/etc/buildkit/buildkitd.toml']},
])
def test_body_is_the_sdks(changes):
    cspec = dict(BASE, **changes)
    assert bd.container_body(cspec) == sdk_body(cspec)
