"""CPU sets checked against the daemon; daemon errors mapped back to the option."""
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.daemon_checks import check_cpus, explain


def spec(**typed):
    opts = dict((k.replace('_', '-'), v) for k, v in typed.items())
    return {'nodes': [{'name': 'b0', 'typed': typed, 'driver_opts': opts}]}


def test_cpus_beyond_the_daemon():
    assert check_cpus(spec(cpuset_cpus='0-1'), {'b0': {'NCPU': 2}}) is None
    message = check_cpus(spec(cpuset_cpus='0,3-4'), {'b0': {'NCPU': 2}})
    assert message.startswith("driver_opts.cpuset_cpus: '0,3-4' asks for CPU 3") and 'has 2 CPU(s)' in message
    assert check_cpus(spec(cpuset_cpus=None), {'b0': {'NCPU': 2}}) is None


def test_explain_maps_daemon_errors():
    text = explain('Requested memory nodes are not available - requested 7, available: 0', spec(cpuset_mems='7'))
    assert text.startswith("driver_opts.cpuset_mems: '7' was rejected by the daemon: Requested memory")
    assert explain('something else', spec(cpuset_mems='7')) == 'something else'
    assert explain('Requested CPUs are not available', spec()) == 'Requested CPUs are not available'
