from ansible_collections.buildkit.fleet.plugins.module_utils._builder import spec as s
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.compare import container_differences, container_view

IMAGE_ENV = {'PATH': '/usr/bin:/bin'}


def inspect_for(cspec, **host_overrides):
    host = {'Privileged': True, 'Init': True, 'RestartPolicy': cspec['restart_policy'], 'NetworkMode': 'bridge',
            'Memory': cspec['memory'], 'MemorySwap': cspec['memory_swap'], 'CpuQuota': 0, 'CpuPeriod': 0,
            'CpuShares': 0, 'CpusetCpus': '', 'CpusetMems': '', 'CgroupParent': cspec['cgroup_parent'],
            'UsernsMode': ''}
    host.update(host_overrides)
    return {'Image': 'sha256:abc', 'Config': {'Image': cspec['image'], 'Cmd': cspec['cmd'],
                                              'Env': ['PATH=/usr/bin:/bin'] + ['%s=%s' % i for i in cspec['env'].items()]},
            'HostConfig': host, 'Mounts': [{'Name': cspec['volume'], 'Destination': '/var/lib/buildkit'}],
            'NetworkSettings': {'Networks': {'bridge': {'NetworkID': 'n1'}}}}


def cspec_for(**driver_opts):
    spec = s.desired_spec(dict(name='b', driver_opts=driver_opts, buildkitd_flags=None, platforms=None), 'unix:///x')
    return s.container_spec(spec['nodes'][0], {'cgroup_driver': 'cgroupfs'})


def test_matching_container_has_no_differences():
    cspec = cspec_for(memory='1g', env={'A': '1'})
    actual = container_view(inspect_for(cspec), IMAGE_ENV, None)
    assert container_differences(actual, cspec, 'sha256:abc') == []


def test_each_field_is_reported():
    cspec = cspec_for(memory='1g')
    actual = container_view(inspect_for(cspec, Memory=2 << 30, CpuShares=5, RestartPolicy={'Name': 'always'}),
                            IMAGE_ENV, None)
    items = [d['item'] for d in container_differences(actual, cspec, 'sha256:def')]
    assert items == ['container.image_id', 'container.restart_policy', 'container.memory', 'container.cpu_shares']


def test_network_id_compared_only_for_user_networks():
    cspec = cspec_for()
    actual = container_view(inspect_for(cspec), IMAGE_ENV, None)
    assert container_differences(actual, cspec, None, None) == []
    assert [d['item'] for d in container_differences(actual, cspec, None, 'n2')] == ['container.network_id']


def test_container_older_than_its_network_is_stale():
    cspec = cspec_for(network='builders')
    inspect = inspect_for(cspec, NetworkMode='builders')
    inspect['Created'] = '2026-11-28T07:00:00Z'
    inspect['NetworkSettings'] = {'Networks': {'builders': {'NetworkID': 'n2'}}}
    fresh = container_view(inspect, IMAGE_ENV, None, '2026-11-28T06:00:00Z')
    assert container_differences(fresh, cspec, None, 'n2') == []
    stale = container_view(inspect, IMAGE_ENV, None, '2026-11-28T07:30:00.5Z')
    assert [d['item'] for d in container_differences(stale, cspec, None, 'n2')] == ['container.network_id']
