"""Many bad inputs across the four modules: each fails naming the option, without a traceback, leaving nothing."""
import concurrent.futures
import json
import os

from build_support import context_dir, make_builder
from robust_support import run_tasks
from support import TEST_IMAGE, container, store_files, volume_exists

IMAGE = {'image': TEST_IMAGE}
BUILDER_CASES = [
    ({'name': '1abc'}, ['name', '1abc']),
    ({'name': 'default'}, ['name', 'default']),
    ({'name': 'has space'}, ['name', 'has space']),
    ({'driver_opts': dict(IMAGE, memory='4x')}, ['driver_opts.memory', '4x']),
    ({'driver_opts': dict(IMAGE, memory='1k')}, ['driver_opts.memory']),
    ({'driver_opts': dict(IMAGE, memory_swap='1g')}, ['driver_opts.memory_swap', '1g']),
    ({'driver_opts': dict(IMAGE, memory='1g', memory_swap='512m')}, ['driver_opts.memory_swap']),
    ({'driver_opts': dict(IMAGE, cpu_quota='abc')}, ['driver_opts.cpu_quota', 'abc']),
    ({'driver_opts': dict(IMAGE, cpu_period='10')}, ['driver_opts.cpu_period', '10']),
    ({'driver_opts': dict(IMAGE, cpu_shares='-5')}, ['driver_opts.cpu_shares', '-5']),
    ({'driver_opts': dict(IMAGE, cpuset_cpus='a-b')}, ['driver_opts.cpuset_cpus', 'a-b']),
    ({'driver_opts': dict(IMAGE, cpuset_cpus='4096')}, ['driver_opts.cpuset_cpus', '4096']),
    ({'driver_opts': dict(IMAGE, cpuset_mems='x')}, ['driver_opts.cpuset_mems', 'x']),
    ({'driver_opts': dict(IMAGE, restart_policy='sometimes')}, ['driver_opts.restart_policy', 'sometimes']),
    ({'driver_opts': dict(IMAGE, restart_policy='always:3')}, ['driver_opts.restart_policy', 'always:3']),
    ({'driver_opts': dict(IMAGE, env={'A=B': '1'})}, ['driver_opts.env', 'A=B']),
    ({'driver_opts': dict(IMAGE, env={'': '1'})}, ['driver_opts.env']),
    ({'driver_opts': dict(IMAGE, colour='red')}, ['driver_opts', 'colour']),
    ({'driver_opts': {'image': TEST_IMAGE, 'memory-swap': '2g', 'memory_swap': '2g', 'memory': '1g'}},
     ['driver_opts', 'memory-swap', 'memory_swap']),
    ({'driver_opts': dict(IMAGE, network='robust-no-such-net')}, ['driver_opts.network', 'robust-no-such-net']),
    ({'buildkitd_config_inline': 'x', 'buildkitd_config': '/etc/hostname'}, ['buildkitd_config', 'buildkitd_config_inline']),
    ({'buildkitd_config_inline': 'debug = = true'}, ['buildkitd_config', 'TOML']),
    ({'buildkitd_config': '/robust/no/such.toml'}, ['buildkitd_config', '/robust/no/such.toml']),
    ({'platforms': ['linux/amd64'], 'nodes': [{'name': 'robustn1'}]}, ['platforms', 'nodes']),
    ({'nodes': ['x']}, ['nodes[0]', 'x']),
    ({'nodes': [{'name': 'robustdup'}, {'name': 'robustdup'}]}, ['nodes', 'robustdup']),
    ({'nodes': [{'name': 'robustn1', 'colour': 'red'}]}, ['nodes', 'colour']),
    ({'nodes': [{'name': 'robustn1', 'endpoint': 'tcp//nowhere'}]}, ['endpoint', 'tcp//nowhere']),
    ({'platforms': ['linux/']}, ['platforms', 'linux/']),
    ({'bootstrap_timeout': 0}, ['bootstrap_timeout', '0']),
    ({'bootstrap_timeout': 'soon'}, ['bootstrap_timeout', 'soon']),
    ({'lock_timeout': -1}, ['lock_timeout', '-1']),
    ({'state': 'running'}, ['state', 'running']),
    ({'recreate': 'sometimes'}, ['recreate', 'sometimes']),
    ({'api_version': 'banana'}, ['api_version', 'banana']),
    ({'docker_host': 'tcp//nowhere'}, ['tcp//nowhere']),
    ({'image_archive': '/robust/no/such.tar'}, ['image_archive', '/robust/no/such.tar']),
    ({'colour': 'red'}, ['colour']),
]
INFO_CASES = [
    ({'bootstrap_timeout': 0}, ['bootstrap_timeout']),
    ({'api_version': 'banana'}, ['api_version', 'banana']),
    ({'disk_usage': 'maybe'}, ['disk_usage', 'maybe']),
    ({'colour': 'red'}, ['colour']),
]
PRUNE_CASES = [
    ({'filters': {'type': ['bogus']}}, ['type', 'bogus']),
    ({'filters': {'colour': 'x'}}, ['filters', 'colour']),
    ({'filters': {'until': 'yesterday'}}, ['filters.until', 'yesterday']),
    ({'filters': {'expressions': ['colour==red']}}, ['filters.expressions', 'colour==red']),
    ({'keep_storage': '10x'}, ['keep_storage', '10x']),
    ({'max_used_space': '-1'}, ['max_used_space', '-1']),
    ({'bootstrap_timeout': 0}, ['bootstrap_timeout']),
    ({'api_version': 'banana'}, ['api_version', 'banana']),
]


def build_cases(tmp_path):
    ctx = str(context_dir(tmp_path, 'FROM scratch\n'))
    return ctx, [
        ({'build_args': {'A': {'nested': 1}}}, ['build_args', "'A'"]),
        ({'labels': {'l': [1]}}, ['labels', "'l'"]),
        ({'annotations': {'a': {'b': 1}}}, ['annotations', "'a'"]),
        ({'outputs': ['local']}, ['outputs[0]', 'local']),
        ({'outputs': [{'type': 'tar'}]}, ['outputs', 'dest']),
        ({'outputs': [{'type': 'push'}]}, ['tags']),
        ({'outputs': [{'type': 'floppy'}]}, ['type', 'floppy']),
        ({'cache_from': [{'type': 'registry'}]}, ['cache_from', 'ref']),
        ({'cache_from': [{'type': 'inline'}]}, ['cache_from', 'inline']),
        ({'secrets': [{'id': 's'}]}, ['secrets', 'src', 'env', 'value']),
        ({'secrets': [{'id': 's', 'src': '/etc/hostname', 'value': 'x'}]}, ['secrets', 'src', 'value']),
        ({'secrets': [{'id': 's', 'env': 'ROBUST_UNSET_VARIABLE'}]}, ['secrets[0]', 'ROBUST_UNSET_VARIABLE']),
        ({'secrets': [{'id': 's', 'src': '/robust/no/such'}]}, ['secrets[0]', '/robust/no/such']),
        ({'dockerfile': 'Dockerfile', 'dockerfile_inline': 'FROM scratch'}, ['dockerfile', 'dockerfile_inline']),
        ({'context': '/robust/no/such/dir'}, ['context', '/robust/no/such/dir']),
        ({'build_timeout': 0}, ['build_timeout']),
        ({'rebuild': 'sometimes'}, ['rebuild', 'sometimes']),
        ({'api_version': 'banana'}, ['api_version', 'banana']),
        ({'colour': 'red'}, ['colour']),
    ]


def problems(results):
    """What is wrong with each (args, words, result): not failed, option not named, traceback."""
    found = []
    for args, words, result in results:
        text = json.dumps(result)
        missing = [w for w in words if w not in str(result.get('msg'))]
        if not result.get('failed') or missing or 'Traceback' in text:
            found.append('%s -> missing %s in %r' % (json.dumps(args), missing, str(result.get('msg'))[:300]))
    return found


def run_all(tmp_path, buildx_config, module, cases, base):
    """The cases in 2 ansible-playbook processes at once, one task per case."""
    arg_list = [dict(base(), **args) for args, _words in cases]
    halves = [list(range(len(cases)))[i::2] for i in range(2)]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(run_tasks, str(tmp_path / module), module, [arg_list[i] for i in half], buildx_config)
                   for half in halves]
        outputs = [future.result() for future in futures]
    results = [None] * len(cases)
    for half, (found, output) in zip(halves, outputs):
        assert 'Traceback' not in output, output[-3000:]
        for index, result in zip(half, found):
            results[index] = result
    return [(args, words, result) for (args, words), result in zip(cases, results)]


def test_forty_bad_inputs_fail_clearly_and_leave_nothing(ansible, builder, docker_client, buildx_config, tmp_path):
    existing = make_builder(ansible, builder, buildx_config, prefix='robustok')
    names = []

    def builder_base():
        names.append(builder('robustbad'))
        return dict(name=names[-1], buildx_config=buildx_config, pull=False, driver_opts=IMAGE)
    ctx, cases = build_cases(tmp_path)
    out = str(tmp_path / 'out')
    batches = [
        ('buildkit_builder', BUILDER_CASES, builder_base),
        ('buildkit_builder_info', INFO_CASES, lambda: dict(name=existing, buildx_config=buildx_config)),
        ('buildkit_prune', PRUNE_CASES, lambda: dict(name=existing, buildx_config=buildx_config)),
        ('buildkit_build', cases, lambda: dict(builder=existing, buildx_config=buildx_config, context=ctx,
                                               outputs=[{'type': 'local', 'dest': out}])),
    ]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:  # 2 batches of 2 playbooks: 4 processes at most
        futures = [pool.submit(run_all, tmp_path, buildx_config, module, found, base) for module, found, base in batches]
        results = [item for future in futures for item in future.result()]

    assert len(results) >= 40
    assert problems(results) == []
    for name in names:
        assert container(docker_client, name.lower() + '0') is None and not volume_exists(docker_client, name.lower() + '0')
    for node in ('robustdup', 'robustn1'):
        assert container(docker_client, node) is None and not volume_exists(docker_client, node)
    assert sorted(store_files(buildx_config)) == sorted(['instances/' + existing, 'activity/' + existing])
    assert not os.path.exists(out)
    assert container(docker_client, existing + '0')['State']['Running']
