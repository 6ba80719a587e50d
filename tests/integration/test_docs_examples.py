"""Every documented example works as pasted: each EXAMPLES task of plugins/modules/*.py and each YAML or shell
snippet of docs/docsite/rst/*.rst, docs/*.md, roles/*/README.md and README.md runs against the harness (real
dockerd, second dockerd, registry, QEMU) through ansible-playbook, and its promise is checked on the real state.

How (so the docs cannot drift):
- One pytest item per example (id: file::title). The examples of one file run in one playbook, in the order
  they are written (later ones use what earlier ones registered), each with `ignore_errors` so one failure does
  not hide the next, and each followed by a probe of the daemons (docs_examples_support.snapshot), so an
  item checks the state right after its own example.
- Only names, hosts, registries and paths are substituted (SUBSTITUTIONS below, applied to values, never to
  keys), plus what the harness cannot offer (a 2-CPU machine: cpuset `0-3` becomes `0-1`).
- A few harness facts are given around the examples, never inside them: a prelude (PRELUDES: a builder the
  example expects to exist, a network, an orphaned volume), BUILDX_CONFIG and DOCKER_CONFIG in the test's
  tmp dir, the controller's venv as the target's Python, `su` as the become method (no sudo here), and the
  binfmt_misc module's / qemu role's record and binfmt.d paths in the tmp dir (the kernel is shared, so those
  runs hold /tmp/buildkit-fleet-binfmt.lock and put binfmt_misc back exactly afterwards).
- A TLS daemon: a mutual-TLS tcp:// endpoint on 127.0.0.1 (docs_examples_support.TlsDaemon) in front of the
  second dockerd, with certificates made by openssl; `tcp://arm-host:2376` and the cert paths map to it.
- Examples that cannot run here are listed in NOT_RUNNABLE with the reason; excerpts of a file that another
  example runs are in EXCERPTS and must stay a subset of that file. Any other block that is neither a task, a
  play nor a known command fails: a new example nobody listed fails this test.
"""
import fcntl
import fnmatch
import json
import os
import platform
import subprocess
import sys
import tarfile
import time
import uuid

import docker
import pytest
import yaml

import docs_examples_support as docs
from binfmt_support import restore as binfmt_restore, snapshot as binfmt_snapshot
from build_support import REGISTRY, REGISTRY_CONFIG, manifest
from remote_support import free_port, make_pki
from support import TEST_IMAGE

P = 'dx' + uuid.uuid4().hex[:6]  # every name this test makes starts with it (teardown removes by prefix)
# The farm's listeners: the port the examples name (1234) becomes a free one per serving builder.
FARM_PORTS = {'builder': free_port(), 'a': free_port(), 'b': free_port()}
FARM_SANS = ('farm-a.example', 'farm-b.example', '192.0.2.10', '192.0.2.20', '127.0.0.1', 'localhost')
IMAGE_TAR = os.environ.get('BUILDKIT_FLEET_IMAGE_TAR', '/var/cache/buildkit-fleet/buildkit-v0.32.2.tar')
BINFMT_LOCK = '/tmp/buildkit-fleet-binfmt.lock'
SUBNET_BYTE = 200 + int(P[2:4], 16) % 50


def subnet(index):
    return '10.%d.%d.0/24' % (SUBNET_BYTE, int(P[4:6], 16) % 50 * 5 + index)


# Whole values replaced everywhere (names of builders, nodes, contexts, networks, images; hardware limits).
EXACT = {
    'ci': P + 'ci', 'ci-amd64': P + 'ci-amd64', 'ci-arm64': P + 'ci-arm64', 'ci-*': P + 'ci-*',
    'fleet': P + 'fleet', 'offline': P + 'offline', 'remote': P + 'remote', 'release': P + 'release',
    'old': P + 'old', 'amd': P + 'amd', 'arm': P + 'arm',
    'arm-host': P + 'arm-host', 'arm-context': P + 'arm-context',        # docker context names
    'builders': P + 'builders',                                           # network (and the `hosts:` group)
    'app:dev': P + 'app:dev',
    '10.231.0.0/24': subnet(1), '10.210.0.0/24': subnet(2), '10.210.0.1': subnet(2).replace('.0/24', '.1'),
    'unix:///run/user/1000/docker.sock': docs.D2_SOCK,                    # "another daemon": the second dockerd
    '0-3': '0-1',                                                         # cpuset: this machine has 2 CPUs
}
# Per file, where one file's builders must not be another's (different specs of the same name).
EXACT_BY_SOURCE = {
    'README.md': {'ci': P + 'cir'},
    'plugins/modules/buildkit_builders.py': {'ci': P + 'cis', 'builders': P + 'nets'},
    'docs/docsite/rst/guide_buildkit_builders.rst': {'ci': P + 'cis', 'builders': P + 'nets'},
    'roles/network/README.md': {'builders': P + 'rnet'},
    'docs/docsite/rst/guide_docker_connection.rst': {'ci': P + 'cic'},
    'plugins/modules/buildkit_builder.py': {'ci': P + 'cib', 'farm': P + 'farmn', 1234: FARM_PORTS['builder']},
    'plugins/modules/buildkit_remote_builder.py': {'farm': P + 'farmr'},
    'docs/docsite/rst/guide_buildkit_remote_builder.rst': {'farm': P + 'farmg'},
}


def substrings(world):
    """Hosts, registries and paths inside values (longest first where one contains another)."""
    certs, out = world['certs'], world['out']
    return [
        ('tcp://arm-host:2376', world['tls'].url),
        ('registry.example.com/app', '%s/%s/app' % (REGISTRY, P)),
        ('registry.example.com/api', '%s/%s/api' % (REGISTRY, P)), ('/srv/api', world['context']),
        ('/srv/shop', world['shop']),
        ('registry.internal:5000', REGISTRY),
        ('/etc/docker/certs/ca.pem', certs['ca']), ('/etc/docker/certs/cert.pem', certs['cert']),
        ('/etc/docker/certs/key.pem', certs['key']),
        ('/etc/docker/ca.pem', certs['ca']), ('/etc/docker/cert.pem', certs['cert']),
        ('/etc/docker/key.pem', certs['key']),
        ('/srv/www/site', os.path.join(out, 'www-site')), ('/srv/artifacts', os.path.join(out, 'artifacts')),
        ('/srv/app', world['context']), ('/srv/site', world['context']),
        ('/srv/images/buildkit-v0.32.2.tar', IMAGE_TAR), ('/srv/images/buildkit.tar', IMAGE_TAR),
        ('/home/ci/.docker/buildx', world['buildx_config']), ('/srv/buildx', world['buildx_config']),
        # the farm: its certificates, its two serving nodes (PRELUDES), the registry its builds push to
        ('/etc/buildkit-fleet/tls', world['farm_dir']), ('/etc/farm', world['farm_dir']),
        ('/home/ci/farm', world['farm_dir']),
        ('tcp://farm-a.example:1234', 'tcp://127.0.0.1:%d' % FARM_PORTS['a']),
        ('tcp://192.0.2.20:1234', 'tcp://127.0.0.1:%d' % FARM_PORTS['b']),
        ('registry.example/app', '%s/%s/app' % (REGISTRY, P)), ('/src/app', world['context']),
    ]


SECRETS = {'vault_npm_token': 'docs-example-token', 'vault_npmrc': 'docs-example-npmrc'}

SHARED_CI = {'name': 'PRELUDE the builder `ci` the example expects (reaches the local registry)',
             'buildkit.fleet.buildkit_builder': {'name': P + 'ci', 'pull': False, 'buildkitd_config_inline': REGISTRY_CONFIG,
                                                 'driver_opts': {'image': TEST_IMAGE, 'network': 'host'}}}
ORPHAN = P + 'ci-gone0'
ORPHAN_VOLUME = {'name': 'PRELUDE a state volume whose builder is gone',
                 'ansible.builtin.command': {'argv': ['docker', 'volume', 'create', 'buildx_buildkit_%s_state' % ORPHAN]}}


def farm_node(node, daemon, port, platform):
    """A serving builder (host network: its builds reach the registry on 127.0.0.1) the client examples use."""
    return {'name': 'PRELUDE the farm node %s the client examples connect to' % node, 'buildkit.fleet.buildkit_builder': {
        'name': P + node, 'docker_host': daemon, 'pull': False, 'buildkitd_config_inline': REGISTRY_CONFIG,
        'platforms': [platform], 'driver_opts': {'image': TEST_IMAGE, 'network': 'host'},
        'serve': {'port': port, 'address': '127.0.0.1', 'ca_cert': '{{ farm_dir }}/ca.pem', 'cert': '{{ farm_dir }}/server.pem',
                  'key': '{{ farm_dir }}/server-key.pem'}}}


FARM_NODES = [farm_node('farma', docs.MAIN_SOCK, FARM_PORTS['a'], 'linux/amd64'),
              farm_node('farmb', docs.D2_SOCK, FARM_PORTS['b'], 'linux/arm64')]
PRELUDES = {
    'plugins/modules/buildkit_remote_builder.py': FARM_NODES,
    'docs/docsite/rst/guide_buildkit_remote_builder.rst': FARM_NODES,
    'plugins/modules/buildkit_build.py': [SHARED_CI],
    'docs/docsite/rst/guide_buildkit_build.rst': [SHARED_CI],
    'plugins/modules/buildkit_builder_info.py': [SHARED_CI],
    'docs/docsite/rst/guide_buildkit_builder_info.rst': [
        SHARED_CI, {'name': 'PRELUDE ... stopped, as the guide\'s last example expects',
                    'buildkit.fleet.buildkit_builder': {'name': P + 'ci', 'state': 'stopped'}}],
    'plugins/modules/buildkit_prune.py': [SHARED_CI, ORPHAN_VOLUME],
    'plugins/modules/buildkit_bake.py': [SHARED_CI],
    'docs/docsite/rst/guide_buildkit_bake.rst': [SHARED_CI],
    'docs/docsite/rst/guide_buildkit_prune.rst': [
        SHARED_CI, ORPHAN_VOLUME,
        {'name': 'PRELUDE the builders the loop names',
         'buildkit.fleet.buildkit_builders': {'builders': [
             {'name': P + n, 'pull': False, 'driver_opts': {'image': TEST_IMAGE}} for n in ('ci-amd64', 'ci-arm64')]}}],
    'docs/docsite/rst/guide_buildkit_builders.rst': [
        {'name': 'PRELUDE the network, converged as the guide says', 'community.docker.docker_network': {
            'name': P + 'nets', 'ipam_config': [{'subnet': subnet(1)}]}}],
    'README.md': [ORPHAN_VOLUME],
}
# buildkit_builders' example converges the missing network in its second task; the builders follow on the
# run after it ("converge it and run the module again"), so that file runs twice and is judged on the second.
PASSES = {'plugins/modules/buildkit_builders.py': 2}
BINFMT_CHANGERS = ('plugins/modules/binfmt_misc.py',)  # its examples change the harness's handlers
BINFMT_SOURCES = ('plugins/modules/binfmt_misc.py', 'docs/docsite/rst/guide_binfmt_misc.rst', 'roles/qemu/README.md')

FLEET_COMMAND = ['ansible-playbook -i docs/fleet/inventory.yml docs/fleet/fleet.yml']
COMMANDS = {  # shell snippets run here, by what they run ('shell': as written, in the docs' build context)
    ('docs/docsite/rst/guide_buildkit_remote_builder.rst',
     'block 2 (sh): $ docker buildx create --name farm --driver remote --node farm-amd64 --platform linux/amd64 \\'): 'shell',
    ('README.md', 'block 8 (sh): ansible-playbook -i docs/fleet/inventory.yml docs/fleet/fleet.yml'): 'fleet',
    ('roles/builder/README.md', 'block 2 (sh): ansible-playbook -i docs/fleet/inventory.yml docs/fleet/fleet.yml'): 'fleet',
}
# A play header without tasks: what it promises is checked by a task appended to it.
PLAY_CHECKS = {
    ('README.md', 'play on builders (block 10)'): [
        {'name': 'CHECK the interpreter of the local fact runs the modules',
         'buildkit.fleet.buildkit_python_info': {}, 'register': 'target_python'},
        {'name': 'CHECK ... and is the one the fact names', 'ansible.builtin.assert': {'that': [
            'target_python.ok', "ansible_python_interpreter == ansible_local.buildkit_fleet.python"]}}],
}
EXCERPTS = {  # (file, title): the file the excerpt shortens, which a command above runs
    ('README.md', 'block 7 (yaml): # docs/fleet/inventory.yml (shortened): one builder per host, QEMU and a network on build1'):
        'docs/fleet/inventory.yml',
    ('roles/builder/README.md', 'block 1 (yaml): builders:'): 'docs/fleet/inventory.yml',
}
NOT_RUNNABLE = {
    ('README.md', 'block 1 (sh): make demo'):
        'the entry points that bring up this very harness; `make test` runs this test (it would recurse)',
    ('README.md', 'block 5 (sh): ansible-galaxy collection install buildkit.fleet'):
        'installs from Galaxy: the test machine is offline (`make collection` builds and installs the tarball)',
    ('README.md', 'block 6 (yaml): # requirements.yml'): 'an ansible-galaxy requirements file (Galaxy, offline here)',
    ('README.md', 'block 9 (yaml): builders:'):
        'the SSH fleet inventory needs three SSH hosts: extensions/molecule/sshfleet runs this inventory',
    ('docs/docsite/rst/guide_buildkit_builder_info.rst', 'block 2 (yaml): name: ci0'):
        'a sample of a result, not an input',
    ('docs/docsite/rst/guide_buildkit_build.rst', 'block 3 (yaml): placement:'): 'a sample of a result, not an input',
}

EXAMPLES = docs.all_examples()
SOURCES = []
for _ex in EXAMPLES:
    if _ex.source not in SOURCES:
        SOURCES.append(_ex.source)


# ----------------------------------------------------------------------------------------------- world

@pytest.fixture(scope='module')
def world(tmp_path_factory, docker_client):
    base = tmp_path_factory.mktemp('docs-examples')
    world = {'base': str(base), 'out': str(base / 'out'), 'buildx_config': str(base / 'buildx'),
             'docker_config': str(base / 'docker'), 'context': str(base / 'ctx'), 'runs': {}}
    for key in ('out', 'buildx_config', 'docker_config', 'context'):
        os.makedirs(world[key])
    for rel in ('Dockerfile', 'docker/Dockerfile'):
        os.makedirs(os.path.dirname(os.path.join(world['context'], rel)), exist_ok=True)
        with open(os.path.join(world['context'], rel), 'w') as handle:
            handle.write('FROM scratch AS build\nCOPY hello.txt /hello.txt\n'
                         'FROM scratch AS export\nCOPY --from=build /hello.txt /index.html\n'
                         'FROM build AS final\n')
    with open(os.path.join(world['context'], 'hello.txt'), 'w') as handle:
        handle.write('hello from the docs examples\n')
    world['certs'] = docs.make_certs(str(base))
    world['farm_dir'] = str(base / 'farm')
    make_pki(world['farm_dir'], sans=FARM_SANS)
    make_bake_dirs(world)
    world['tls'] = docs.TlsDaemon(world['certs'], docs.D2_SOCK[len('unix://'):])
    docker_client.networks.create(P + 'builders', ipam=docker.types.IPAMConfig(
        pool_configs=[docker.types.IPAMPool(subnet=subnet(3))]))
    world['env'] = {'BUILDX_CONFIG': world['buildx_config'], 'DOCKER_CONFIG': world['docker_config']}
    yield world
    world['tls'].close()
    docs.remove_traces(P)
    # where the time goes: the runs of each file, and the waits for other tests' binfmt changes
    timings = {'seconds_per_run': dict((k, round(v, 1)) for k, v in world.get('durations', {}).items()),
               'binfmt_lock_waits': LOCK_WAITS}
    os.makedirs(os.path.join(docs.REPO, 'tests', 'output'), exist_ok=True)
    with open(os.path.join(docs.REPO, 'tests', 'output', 'docs_examples_timings.json'), 'w') as handle:
        json.dump(timings, handle, indent=1)


def inventory(world, source):
    groups = set(['builders', 'buildhost'] + [EXACT_BY_SOURCE.get(source, {}).get('builders', EXACT['builders'])])
    data = {'all': {'hosts': {'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                                            'ansible_become_method': 'su'}},
                    'children': dict((g, {'hosts': {'localhost': None}}) for g in groups)}}
    path = os.path.join(world['base'], 'inventory-%d.yml' % len(world['runs']))
    with open(path, 'w') as handle:
        yaml.safe_dump(data, handle)
    return path


# Per file, paths that name another directory there (tried before the shared ones).
SUBSTRINGS_BY_SOURCE = {
    'plugins/modules/buildkit_bake.py': lambda world: [('/srv/app', world['bake_app'])],
}


def subst_for(world, source, value):
    exact = dict(EXACT)
    exact.update(EXACT_BY_SOURCE.get(source, {}))
    own = SUBSTRINGS_BY_SOURCE.get(source)
    return docs.substitute(value, exact, (own(world) if own else []) + substrings(world))


# The bake files the buildkit_bake examples name (/srv/app): a default group of two images, an override file.
BAKE_APP = {
    'docker-bake.hcl': ('variable "TAG" { default = "dev" }\n'
                        'variable "REGISTRY" { default = "%s/%s" }\n'
                        'group "default" { targets = ["web", "api"] }\n'
                        'target "web" {\n  context = "web"\n  args = { GREETING = "hello" }\n'
                        '  tags = ["${REGISTRY}/bake-web:${TAG}"]\n}\n'
                        'target "api" {\n  context = "api"\n  tags = ["${REGISTRY}/bake-api:${TAG}"]\n}\n'),
    'docker-bake.override.hcl': 'target "web" {\n  labels = { "org.example.override" = "yes" }\n}\n',
    'web/Dockerfile': 'FROM scratch\nARG GREETING\nCOPY hello.txt /hello.txt\n',
    'web/hello.txt': 'web\n',
    'api/Dockerfile': 'FROM scratch\nCOPY hello.txt /hello.txt\n',
    'api/hello.txt': 'api\n',
}
# The contexts of the guide's shop (its bake file is the guide's own hcl block, saved where the guide says).
SHOP_FILE = ('docs/docsite/rst/guide_buildkit_bake.rst', 'block 1 (text)')  # HCL: Pygments' lexer fails on it
SHOP_PLAY = ('docs/docsite/rst/guide_buildkit_bake.rst', 'Build the shop images that changed')
# A file the docs tell the user to save: judged by the example that uses it.
FILE_BLOCKS = {SHOP_FILE: SHOP_PLAY}
# A listing of the buildx store: after the example that writes it, each listed file is there.
STORE_LISTINGS = {('docs/docsite/rst/guide_buildkit_remote_builder.rst', 'block 3 (text)'):
                  ('docs/docsite/rst/guide_buildkit_remote_builder.rst', 'The farm, one node per architecture')}
SHOP_CONTEXTS = ['base', 'web', 'api', 'workers/mail', 'workers/search', 'workers/thumbs']


def write_files(root, files):
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as handle:
            handle.write(text)


def make_bake_dirs(world):
    world['bake_app'] = os.path.join(world['base'], 'bake-app')
    write_files(world['bake_app'], dict((k, v % (REGISTRY, P) if '%s' in v else v) for k, v in BAKE_APP.items()))
    world['shop'] = os.path.join(world['base'], 'shop')
    files = dict(('%s/Dockerfile' % c, 'FROM scratch\nARG TAG\nCOPY hello.txt /%s.txt\n' % c.replace('/', '-'))
                 for c in SHOP_CONTEXTS)
    files.update(('%s/hello.txt' % c, c + '\n') for c in SHOP_CONTEXTS + ['app'])
    files['app/Dockerfile'] = 'FROM base\nCOPY hello.txt /app.txt\n'
    shop = [e for e in EXAMPLES if (e.source, e.title) == SHOP_FILE]
    assert shop, 'the bake guide has no hcl block to save as /srv/shop/docker-bake.hcl'
    files['docker-bake.hcl'] = shop[0].body.replace('registry.example.com', '%s/%s' % (REGISTRY, P))
    write_files(world['shop'], files)


def binfmt_paths(world):
    return {'binfmt_dir': os.path.join(world['out'], 'binfmt.d'), 'record_file': os.path.join(world['out'], 'binfmt.json'),
            'qemu_binfmt_dir': os.path.join(world['out'], 'qemu-binfmt.d'),
            'qemu_state_file': os.path.join(world['out'], 'qemu-role.json')}


LOCK_WAITS = []


class BinfmtLock(object):
    """The kernel's binfmt_misc is shared by every test: hold the lock, put it back exactly afterwards.
    Shared (as benchmarks that only need it stable take it) where the examples only adopt the harness's
    handlers; exclusive where one changes them (binfmt_misc's `credentials: true`)."""

    def __init__(self, shared=True):
        self.mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX

    def __enter__(self):
        self.handle = open(BINFMT_LOCK, 'a')
        started = time.monotonic()
        deadline = started + 1200
        while True:
            try:
                fcntl.flock(self.handle, self.mode | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError('binfmt lock %s still held after 1200 s' % BINFMT_LOCK)
                time.sleep(1)
        LOCK_WAITS.append(round(time.monotonic() - started, 1))
        self.before = binfmt_snapshot()
        return self

    def __exit__(self, *exc):
        try:
            binfmt_restore(self.before)
        finally:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()


def snapshot(world):
    before = os.environ.get('BUILDX_CONFIG')
    os.environ['BUILDX_CONFIG'] = world['buildx_config']  # the store the snapshot lists
    try:
        return docs.snapshot(P, world['docker_config'], world['out'])
    finally:
        if before is None:
            del os.environ['BUILDX_CONFIG']
        else:
            os.environ['BUILDX_CONFIG'] = before


def probe(world, tag):
    return docs.snapshot_task(tag, P, world['docker_config'], world['out'])


def multi_node_build_probe(tag, args):
    """docker buildx build on every platform of a multi-node builder: proves buildx reaches every node."""
    plats = [p for node in args.get('nodes') or [] for p in node.get('platforms') or []]
    return {'name': 'BUILDX ' + tag, 'changed_when': False, 'failed_when': False, 'ansible.builtin.command': {
        'argv': ['docker', 'buildx', 'build', '--builder', args['name'], '--platform', ','.join(plats), '--target',
                 'build', '{{ docs_context }}']}}


def run_tasks_source(world, source, examples):
    """All task examples of one file in one playbook; returns {example title: (results, snapshot, extra)}."""
    tasks = list(PRELUDES.get(source, []))
    for _pass in range(PASSES.get(source, 1)):
        for index, example in enumerate(examples):
            task = subst_for(world, source, example.body)
            tag = '%02d' % index
            if 'block' in task:
                task['block'] = [dict(t, name='EX%s.%d %s' % (tag, j, t.get('name', ''))) for j, t in enumerate(task['block'])]
            task = dict(task, name='EX%s %s' % (tag, example.title), ignore_errors=True)
            tasks.append(task)
            args = task.get('buildkit.fleet.buildkit_builder') or {}
            if args.get('nodes') and any(n.get('platforms') for n in args['nodes']):
                tasks.append(multi_node_build_probe(tag, args))
            tasks.append(probe(world, tag))
    play = {'hosts': 'localhost', 'gather_facts': False,
            'vars': dict(SECRETS, docs_context=world['context'], farm_dir=world['farm_dir']),
            'tasks': tasks}
    extra = {}
    if source in BINFMT_SOURCES:
        paths = binfmt_paths(world)
        play['module_defaults'] = {'buildkit.fleet.binfmt_misc': {'binfmt_dir': paths['binfmt_dir'],
                                                                  'record_file': paths['record_file']}}
    path = os.path.join(world['base'], 'play-%s.yml' % source.replace('/', '_'))
    with open(path, 'w') as handle:
        yaml.safe_dump([play], handle, sort_keys=False)
    if source in BINFMT_SOURCES:
        with BinfmtLock(shared=source not in BINFMT_CHANGERS):
            _rc, results, output = docs.playbook(path, world['base'], world['env'], inventory=inventory(world, source),
                                                 extra_vars=extra, tag=os.path.basename(path))
    else:
        _rc, results, output = docs.playbook(path, world['base'], world['env'], inventory=inventory(world, source),
                                             extra_vars=extra, tag=os.path.basename(path))
    found = {}
    for index, example in enumerate(examples):
        tag = '%02d' % index
        mine = [r for n, r in results if n.startswith('EX%s ' % tag) or n.startswith('EX%s.' % tag)]
        probes = [r for n, r in results if n == 'PROBE ' + tag]
        builds = [r for n, r in results if n == 'BUILDX ' + tag]
        state = json.loads(probes[-1]['stdout']) if probes and probes[-1].get('stdout') else None
        passes = PASSES.get(source, 1)
        found[example.title] = {'results': mine[-max(1, len(mine) // passes):] if mine else [], 'all_results': mine,
                                'state': state, 'buildx': builds[-1] if builds else None,
                                'task': subst_for(world, source, example.body), 'output': output}
    prelude_failed = [(n, r.get('msg')) for n, r in results if n.startswith('PRELUDE') and r.get('failed')]
    for item in found.values():
        item['prelude_failed'] = prelude_failed
    return found


def run_play(world, example):
    play = subst_for(world, example.source, example.body)
    play['tasks'] = list(play.get('tasks') or []) + PLAY_CHECKS.get((example.source, example.title), [])
    path = os.path.join(world['base'], 'play-%s-%d.yml' % (example.source.replace('/', '_'), example.block))
    plays = [play]
    if example.source in PRELUDES:  # what the play expects to exist, in a play of its own before it
        plays.insert(0, {'name': 'PRELUDE', 'hosts': 'localhost', 'gather_facts': False,
                         'tasks': PRELUDES[example.source]})
    with open(path, 'w') as handle:
        yaml.safe_dump(plays, handle, sort_keys=False)
    extra = binfmt_paths(world) if example.source in BINFMT_SOURCES else {}
    extra = dict((k, v) for k, v in extra.items() if k.startswith('qemu_'))
    if example.source in BINFMT_SOURCES:
        with BinfmtLock():
            rc, results, output = docs.playbook(path, world['base'], world['env'], extra_vars=extra,
                                                inventory=inventory(world, example.source), tag=os.path.basename(path))
            state = snapshot(world)
    else:
        rc, results, output = docs.playbook(path, world['base'], world['env'], extra_vars=extra,
                                            inventory=inventory(world, example.source), tag=os.path.basename(path))
        state = snapshot(world)
    return {'rc': rc, 'results': results, 'state': state, 'task': play, 'output': output}


def run_shell(world, example):
    """A console snippet as a user types it: prompts dropped, continued lines joined, run by bash in the build
    context with the test's BUILDX_CONFIG and DOCKER_CONFIG; every command must succeed."""
    script = '\n'.join(example.body).replace('\\\n', ' ')
    script = '\n'.join(line[2:] if line.startswith('$ ') else line for line in script.splitlines())
    script = subst_for(world, example.source, script)
    proc = subprocess.run(['bash', '-euo', 'pipefail', '-c', script], cwd=world['context'], capture_output=True,
                          text=True, timeout=300, env=dict(os.environ, **world['env']), check=False)
    return {'rc': proc.returncode, 'results': [], 'state': snapshot(world), 'output': proc.stdout + proc.stderr,
            'script': script}


# ------------------------------------------------------------------------------------- the farm's docs

# The farm role's docs: an inventory block and a block of plays (the farm, its clients), run together on that
# inventory, twice (the second converge changes nothing); then what the docs run on a client, and the play with
# the user's own CA. Harness facts added to every host, never inside the examples: the local connection, a free
# port each (both hosts are this machine), a daemon each (farm hosts in inventory order: the main dockerd, the
# second), their own TLS dir and buildx store, the local image, the host network (the nodes push to the
# registry on 127.0.0.1), the registry's config and the Python (not a builder role's local fact other tests
# leave on this machine); per client its own buildx store and TLS dir.
FARM_DOCS = {
    'docs/docsite/rst/guide_build_farm.rst': {
        'inventory': 'block 1 (yaml): farm:', 'plays': ['The farm', "The farm's clients"],
        'client_command': 'block 3 (sh): $ docker buildx build --builder farm --platform linux/amd64,linux/arm64 '
                          '-t registry.example/app:1 --push .',
        'own_ca': 'The farm, certificates from the company CA'},
    'roles/farm/README.md': {'inventory': 'block 1 (yaml): # inventory', 'plays': ['The farm', "The farm's clients"]},
    'README.md': {'inventory': 'block 11 (yaml): # inventory', 'plays': ['The farm', "The farm's clients"]},
}
FARM_KEYS = set((src, t) for src, spec in FARM_DOCS.items() for t in [spec['inventory']] + spec['plays']
                + [spec[k] for k in ('client_command', 'own_ca') if spec.get(k)])
FARM_EXACT = {'192.0.2.10': '127.0.0.1', '192.0.2.11': '127.0.0.1'}


def farm_inventory(world, source, inventory):
    base = os.path.join(world['base'], 'farm-' + source.replace('/', '_'))
    inv = docs.substitute(inventory, FARM_EXACT, [])
    local = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
    for index, (name, host) in enumerate(sorted((inv['farm']['hosts'] or {}).items())):
        host = dict(host or {}, **local)
        host.update(farm_python=sys.executable, farm_port=free_port(), farm_docker_host=(docs.MAIN_SOCK, docs.D2_SOCK)[index % 2],
                    farm_tls_dir=os.path.join(base, name, 'tls'), farm_buildx_config=os.path.join(base, name, 'buildx'),
                    farm_builder_name=P + 'farm%d' % index,
                    farm_builder_options={'pull': False, 'buildkitd_config_inline': REGISTRY_CONFIG,
                                          'driver_opts': {'image': TEST_IMAGE, 'network': 'host'}})
        inv['farm']['hosts'][name] = host
    for name in list(inv['clients']['hosts'] or {}):
        inv['clients']['hosts'][name] = dict(inv['clients']['hosts'][name] or {}, **local)
        inv['clients']['hosts'][name].update(farm_client_buildx_config=os.path.join(base, name, 'buildx'),
                                             farm_client_tls_dir=os.path.join(base, name, 'tls'))
    path = os.path.join(base, 'inventory.yml')
    os.makedirs(base, exist_ok=True)
    with open(path, 'w') as handle:
        yaml.safe_dump({'all': {'children': inv}}, handle)
    return path, inv, base


def company_ca(directory, passphrase):
    """The user's own CA of the docs (its key under a passphrase); the CA's name."""
    from serve_certs import self_signed
    return self_signed(directory, 'build-ca', P + ' company CA', days=400, passphrase=passphrase)[2].subject


def run_farm_docs(world, source):
    spec = FARM_DOCS[source]
    mine = dict(((e.title), e) for e in EXAMPLES if e.source == source)
    path, inv, base = farm_inventory(world, source, mine[spec['inventory']].body)
    pki = os.path.join(base, 'pki')
    subs = [('/srv/ansible/farm-pki', pki), ('/srv/pki', os.path.join(base, 'company-pki'))] + substrings(world)
    plays = [docs.substitute(mine[title].body, {}, subs) for title in spec['plays']]
    playbook = os.path.join(base, 'site.yml')
    with open(playbook, 'w') as handle:
        yaml.safe_dump(plays, handle, sort_keys=False)
    runs = []
    for _round in range(2):
        runs.append(docs.playbook(playbook, base, world['env'], inventory=path, tag='farm-site', timeout=900))
    found = {'inventory': inv, 'runs': runs, 'state': snapshot(world), 'base': base}
    if spec.get('client_command'):
        client = sorted(inv['clients']['hosts'])[-1]
        command = mine[spec['client_command']]
        script = ' '.join(command.body).replace('$ ', '', 1)
        script = subst_for(world, source, script)
        proc = subprocess.run(['bash', '-euo', 'pipefail', '-c', script], cwd=world['context'], capture_output=True,
                              text=True, timeout=600, check=False, env=dict(
                                  os.environ, BUILDX_CONFIG=inv['clients']['hosts'][client]['farm_client_buildx_config']))
        found['client_command'] = {'rc': proc.returncode, 'output': proc.stdout + proc.stderr, 'script': script}
    if spec.get('own_ca'):
        ca_name = company_ca(os.path.join(base, 'company-pki'), 'docs-ca-passphrase')
        play = docs.substitute(mine[spec['own_ca']].body, {}, subs)
        own = os.path.join(base, 'own-ca.yml')
        with open(own, 'w') as handle:
            yaml.safe_dump([play], handle, sort_keys=False)
        rc, results, output = docs.playbook(own, base, world['env'], inventory=path, tag='farm-own-ca', timeout=900,
                                            extra_vars={'vault_build_ca_passphrase': 'docs-ca-passphrase'})
        found['own_ca'] = {'rc': rc, 'results': results, 'output': output, 'ca_name': ca_name}
    return found


def farm_outcome(world, source):
    key = ('farm', source)
    if key not in world['runs']:
        try:
            world['runs'][key] = run_farm_docs(world, source)
        except Exception as exc:
            world['runs'][key] = exc
    if isinstance(world['runs'][key], Exception):
        raise world['runs'][key]
    return world['runs'][key]


def check_farm_example(world, example):
    spec = FARM_DOCS[example.source]
    item = farm_outcome(world, example.source)
    inv, state = item['inventory'], item['state']
    if example.title == spec['inventory'] or example.title in spec['plays']:
        (rc1, res1, out1), (rc2, res2, out2) = item['runs']
        assert rc1 == 0, 'the farm plays failed: %s' % out1[-4000:]
        assert rc2 == 0, 'the second run failed: %s' % out2[-4000:]
        changed = [n for n, r in res2 if r.get('changed')]
        assert not changed, 'the second converge changed: %s' % changed
        for index, name in enumerate(sorted(inv['farm']['hosts'])):
            host = inv['farm']['hosts'][name]
            where = 'main' if host['farm_docker_host'] == docs.MAIN_SOCK else 'd2'
            cont = state['containers'][where].get('buildx_buildkit_%s0' % host['farm_builder_name'])
            assert cont and cont['running'], 'farm host %s: no running serving builder on %s' % (name, where)
        for name, client in inv['clients']['hosts'].items():
            store = os.path.join(client['farm_client_buildx_config'], 'instances', 'farm')
            assert os.path.isfile(store), 'client %s has no builder farm in its store' % name
    elif example.title == spec.get('client_command'):
        run = item['client_command']
        assert run['rc'] == 0, '%s failed: %s' % (run['script'], run['output'][-3000:])
        assert manifest('%s/app' % P, '1'), 'the client build did not push %s/%s/app:1' % (REGISTRY, P)
    elif example.title == spec.get('own_ca'):
        run = item['own_ca']
        assert run['rc'] == 0, 'the own-CA play failed: %s' % run['output'][-4000:]
        assert 'docs-ca-passphrase' not in run['output'], 'the passphrase is in the output'
        from cryptography import x509
        for name, host in inv['farm']['hosts'].items():
            certs = [os.path.join(d, f) for d, _s, fs in os.walk(host['farm_tls_dir']) for f in fs
                     if f.endswith('.pem') and 'key' not in f and 'ca' not in f]
            assert certs, 'no server certificate in %s' % host['farm_tls_dir']
            for cert_path in certs:
                with open(cert_path, 'rb') as handle:
                    issuer = x509.load_pem_x509_certificate(handle.read()).issuer
                assert issuer == run['ca_name'], '%s of %s is not issued by the company CA: %s' % (cert_path, name, issuer)
    else:
        raise AssertionError('no check for %s' % example.id)


FLEET_EXACT = {'ci': P + 'fci', 'ci2': P + 'fci2', 'builders': P + 'fnet', '10.210.0.0/24': subnet(4)}


def run_fleet(world):
    """`ansible-playbook -i docs/fleet/inventory.yml docs/fleet/fleet.yml` with the inventory's names substituted."""
    with open(os.path.join(docs.REPO, 'docs/fleet/inventory.yml')) as handle:
        inv = docs.substitute(yaml.safe_load(handle), FLEET_EXACT, [])
    path = os.path.join(world['base'], 'fleet-inventory.yml')
    with open(path, 'w') as handle:
        yaml.safe_dump(inv, handle)
    extra = dict((k, v) for k, v in binfmt_paths(world).items() if k.startswith('qemu_'))
    extra['ansible_python_interpreter'] = sys.executable  # the controller's venv is this host's Python
    with BinfmtLock():
        rc, results, output = docs.playbook(os.path.join(docs.REPO, 'docs/fleet/fleet.yml'), docs.REPO, world['env'],
                                            inventory=path, extra_vars=extra, tag='fleet', timeout=900,
                                            log_dir=world['base'])  # run from the repo, logged beside the others
    state = snapshot(world)
    return {'rc': rc, 'results': results, 'state': state, 'inventory': inv, 'output': output}


def outcome(world, example):
    key = example.source if example.kind == 'task' else (example.source, example.title)
    if isinstance(world['runs'].get(key), Exception):  # its file's run already failed: the same error
        raise world['runs'][key]
    try:
        return _outcome(world, example)
    except Exception as exc:
        world['runs'][key] = exc
        raise


def _outcome(world, example):
    started = time.monotonic()
    try:
        return _run_outcome(world, example)
    finally:
        key = example.source if example.kind == 'task' else '%s::%s' % (example.source, example.title)
        world.setdefault('durations', {}).setdefault(key, time.monotonic() - started)


def _run_outcome(world, example):
    runs = world['runs']
    if example.kind == 'task':
        if example.source not in runs:
            examples = [e for e in EXAMPLES if e.source == example.source and e.kind == 'task']
            runs[example.source] = run_tasks_source(world, example.source, examples)
        return runs[example.source][example.title]
    if example.kind == 'play':
        return run_play(world, example)
    if COMMANDS.get((example.source, example.title)) == 'shell':
        return run_shell(world, example)
    if COMMANDS.get((example.source, example.title)) == 'fleet':
        if 'fleet' not in runs:
            runs['fleet'] = run_fleet(world)
        return runs['fleet']
    raise AssertionError('no runner for %s' % example.id)


# ----------------------------------------------------------------------------------------------- promises

def daemon_of(endpoint, state, world):
    if endpoint in (None, '', docs.MAIN_SOCK, 'unix:///run/docker.sock'):  # /var/run is /run
        return 'main'
    if endpoint in (docs.D2_SOCK, world['tls'].url):
        return 'd2'
    if '://' not in endpoint:  # a docker context
        assert endpoint in state['contexts'], 'docker context %s does not exist: %s' % (endpoint, state['contexts'])
        return daemon_of(state['contexts'][endpoint], state, world)
    raise AssertionError('endpoint %s is not a daemon of the harness' % endpoint)


def check_builder(args, state, world, daemon='main'):
    name = args['name']
    nodes = [((n.get('name') or '%s%d' % (name, i)).lower(), daemon_of(n.get('endpoint'), state, world) if n.get('endpoint')
              else daemon) for i, n in enumerate(args.get('nodes') or [])] or [(name.lower() + '0', daemon)]
    want = args.get('state', 'present')
    for node, where in nodes:
        cont = state['containers'][where].get('buildx_buildkit_' + node)
        volume = 'buildx_buildkit_%s_state' % node in state['volumes'][where]
        if want == 'present':
            assert cont and cont['running'], 'builder %s: node %s is not running on %s: %s' % (name, node, where, cont)
        elif want == 'stopped':
            assert cont and not cont['running'], 'builder %s: node %s is not stopped on %s: %s' % (name, node, where, cont)
        else:
            assert not cont, 'builder %s: node %s still has a container on %s' % (name, node, where)
            assert volume == bool(args.get('keep_state')), 'builder %s: state volume of %s: %s' % (name, node, volume)
    assert (name.lower() in state['store']) == (want != 'absent'), 'store entry of %s: %s' % (name, state['store'])


ARCH = {'arm64': 'aarch64', 'arm': 'arm', 'riscv64': 'riscv64', 'ppc64le': 'ppc64le', 's390x': 's390x',
        'mips64le': 'mips64el', 'loong64': 'loongarch64'}


def invocations(result, task_args):
    """The module arguments as run (templated, one per loop item), else the task's."""
    found = [r['invocation']['module_args'] for r in result.get('results') or [result] if r.get('invocation')]
    return found or [task_args]


def check_binfmt_present(platforms, state):
    native = {'x86_64': ('amd64', '386'), 'aarch64': ('arm64', 'arm')}.get(platform.machine(), ())
    for plat in platforms:
        arch = plat.split('/')[1]
        if arch in native:
            continue
        entry = state['binfmt'].get('qemu-' + ARCH.get(arch, arch))
        assert entry and entry['enabled'] and 'F' in entry['flags'], 'qemu handler for %s: %s' % (plat, entry)


def oci_platforms(path):
    """Platforms of the images in an OCI tarball (index.json, nested indexes followed)."""
    with tarfile.open(path) as tar:
        def blob(digest):
            return json.load(tar.extractfile('blobs/' + digest.replace(':', '/')))
        found, todo = [], list(json.load(tar.extractfile('index.json'))['manifests'])
        while todo:
            desc = todo.pop()
            if desc['mediaType'].endswith('index.v1+json') or desc['mediaType'].endswith('manifest.list.v2+json'):
                todo += blob(desc['digest'])['manifests']
            elif desc.get('platform') and desc['platform'].get('os') != 'unknown':
                plat = desc['platform']
                found.append('/'.join([plat['os'], plat['architecture']] + ([plat['variant']] if plat.get('variant') else [])))
        return found


def check_build(args, state, world):
    outputs = args.get('outputs') or []
    for out in outputs:
        kind = out.get('type')
        if kind == 'load':
            for tag in args.get('tags') or []:
                full = tag if ':' in tag.split('/')[-1] else tag + ':latest'
                assert full in state['images'], 'loaded image %s not in docker: %s' % (full, state['images'])
        elif kind == 'push':
            for tag in args['tags']:
                repo, ref = tag[len(REGISTRY) + 1:].rsplit(':', 1)
                assert manifest(repo, ref), 'pushed image %s not in the registry' % tag
        elif kind == 'local':
            rel = os.path.relpath(out['dest'], world['out'])
            assert any(f.startswith(rel + os.sep) for f in state['files']), 'nothing in %s' % out['dest']
        elif kind in ('oci', 'tar', 'docker'):
            rel = os.path.relpath(out['dest'], world['out'])
            assert state['files'].get(rel), 'no %s tarball at %s' % (kind, out['dest'])
            if kind == 'oci' and len(args.get('platforms') or []) > 1:
                assert set(args['platforms']) <= set(oci_platforms(out['dest'])), (args['platforms'], out['dest'])


def check_bake(args, result, state):
    """Every target of the run is there: pushed tags in the registry, loaded tags in Docker."""
    assert result.get('targets'), 'no targets in the result: %s' % result
    for name, target in result['targets'].items():
        for tag in target.get('tags') or []:
            if args.get('push') or (tag.startswith(REGISTRY + '/') and not args.get('load')):  # --push or type=registry
                repo, ref = tag[len(REGISTRY) + 1:].rsplit(':', 1)
                assert manifest(repo, ref), 'bake target %s: %s not in the registry' % (name, tag)
            elif args.get('load'):
                assert tag in state['images'], 'bake target %s: %s not in docker: %s' % (name, tag, state['images'])


def check_task_promise(example, item, world):
    task, state = item['task'], item['state']
    module = docs.task_module(task)
    args = task.get(module) if isinstance(task.get(module), dict) else {}
    results = item['results']
    last = results[-1]
    if module == 'buildkit.fleet.buildkit_builder':
        check_builder(args, state, world)
        if item['buildx'] is not None:
            assert item['buildx']['rc'] == 0, 'docker buildx build on every node of %s failed: %s' % (
                args['name'], item['buildx'].get('stderr', '')[-2000:])
    elif module == 'block':
        defaults = (task.get('module_defaults') or {}).get('group/buildkit.fleet.buildkit') or {}
        daemon = daemon_of(defaults.get('docker_host'), state, world)
        for inner in task['block']:
            if 'buildkit.fleet.buildkit_builder' in inner:
                check_builder(inner['buildkit.fleet.buildkit_builder'], state, world, daemon)
    elif module == 'buildkit.fleet.buildkit_builders':
        assert not last.get('pending_networks'), 'networks still pending: %s' % last.get('pending_networks')
        for builder in args['builders']:
            check_builder(dict(builder, nodes=None), state, world)
    elif module == 'buildkit.fleet.buildkit_builder_info':
        if args.get('name'):
            assert last['builder']['name'] == args['name'] and last['builder']['nodes'], last.get('builder')
            if args.get('bootstrap'):
                check_builder({'name': args['name']}, state, world)
        else:
            assert isinstance(last.get('builders'), list) and last['builders'], last
    elif module == 'buildkit.fleet.buildkit_prune':
        if args.get('orphaned_volumes'):
            assert 'buildx_buildkit_%s_state' % ORPHAN not in state['volumes']['main'], 'orphaned volume kept'
            if fnmatch.fnmatch(ORPHAN, args.get('orphaned_volumes_pattern', '*')):
                assert any(v.get('name') == 'buildx_buildkit_%s_state' % ORPHAN for v in last['orphaned_volumes'])
        else:
            for res in last.get('results') or [last]:
                assert isinstance(res.get('reclaimed'), int) and 'records_removed' in res, res
    elif module == 'buildkit.fleet.buildkit_build':
        runs = invocations(last, args)
        if 'OCI tarball' in example.title:
            assert any(o.get('type') == 'oci' for run in runs for o in run.get('outputs') or []), (
                'the title promises an OCI tarball; outputs: %s' % [run.get('outputs') for run in runs])
        for run in runs:
            check_build(run, state, world)
    elif module == 'buildkit.fleet.binfmt_misc':
        if args.get('state', 'present') == 'present':
            check_binfmt_present(args['platforms'], state)
        if args.get('credentials'):  # from the result: other tests may register the kernel's handlers meanwhile
            for handler in last['handlers']:
                assert 'C' in handler['after']['flags'], 'handler without C: %s' % handler
    elif module == 'buildkit.fleet.buildkit_bake':
        check_bake(args, last, state)
    elif module == 'buildkit.fleet.buildkit_remote_builder':
        present = args.get('state', 'present') == 'present'
        assert (args['name'].lower() in state['store']) == present, 'store entry of %s: %s' % (args['name'], state['store'])
    elif module == 'community.docker.docker_network':
        for res in last.get('results') or []:
            assert res['item']['name'] in state['networks']['main'], 'network %s missing' % res['item']['name']
    elif module == 'ansible.builtin.command' and args.get('argv', [])[:3] == ['docker', 'context', 'create']:
        assert args['argv'][3] in state['contexts'], 'context %s missing: %s' % (args['argv'][3], state['contexts'])


@pytest.mark.parametrize('example', EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_documented_example_works_as_pasted(world, example):
    key = (example.source, example.title)
    if key in NOT_RUNNABLE:
        assert NOT_RUNNABLE[key], 'a reason is required'
        return
    if key in EXCERPTS:
        with open(os.path.join(docs.REPO, EXCERPTS[key])) as handle:
            whole = yaml.safe_load(handle)
        assert docs.is_subset(example.body, whole), '%s says what %s does not' % (example.id, EXCERPTS[key])
        return
    if key in FARM_KEYS:
        check_farm_example(world, example)
        return
    if key in STORE_LISTINGS:
        writer = [e for e in EXAMPLES if (e.source, e.title) == STORE_LISTINGS[key]][0]
        assert not outcome(world, writer)['results'][-1].get('failed'), 'the example that writes the store failed'
        name = subst_for(world, example.source, 'farm')
        listed = [line.split()[0] for line in example.body.splitlines()[1:] if line.strip() and '...' not in line]
        missing = [rel for rel in listed if not os.path.isfile(os.path.join(world['buildx_config'], *[
            (name.lower() if rel.startswith('instances/') else name) if part == 'farm' else part for part in rel.split('/')]))]
        assert not missing, 'listed but not in the store: %s' % missing
        return
    if key in FILE_BLOCKS:
        example = [e for e in EXAMPLES if (e.source, e.title) == FILE_BLOCKS[key]][0]
    elif example.kind in ('other', 'invalid') or (example.kind == 'command' and key not in COMMANDS):
        pytest.fail('%s is neither a task, a play nor a known command: run it here (COMMANDS, a runner) or list it '
                    'in NOT_RUNNABLE with the reason (block: %r)' % (example.id, example.body))
    item = outcome(world, example)
    if example.kind == 'task':
        assert not item['prelude_failed'], 'the harness prelude failed: %s' % item['prelude_failed']
        assert item['results'], 'the example did not run (see %s)' % item['output'][-3000:]
        for res in item['results']:
            assert not res.get('failed'), '%s failed: %s' % (example.id, res.get('msg') or res)
            assert not res.get('skipped') or 'when' in example.body or 'loop' in example.body, (
                '%s was skipped: %s' % (example.id, res))
        assert item['state'], 'no probe after %s' % example.id
        check_task_promise(example, item, world)
        return
    failed = [(n, r.get('msg')) for n, r in item['results'] if r.get('failed') and not r.get('ignore_errors')]
    assert item['rc'] == 0 and not failed, '%s failed (rc %s): %s\n%s' % (
        example.id, item['rc'], failed, item['output'][-3000:])
    state = item['state']
    if example.kind == 'play':
        play = item['task']
        defaults = (play.get('module_defaults') or {}).get('group/buildkit.fleet.buildkit') or {}
        for task in play.get('tasks') or []:
            if 'buildkit.fleet.buildkit_bake' in task:
                runs = [r for n, r in item['results'] if n == task.get('name')]
                assert runs, 'the bake task did not run'
                check_bake(task['buildkit.fleet.buildkit_bake'], runs[-1], state)
            if 'buildkit.fleet.buildkit_builder' in task:
                check_builder(task['buildkit.fleet.buildkit_builder'], state, world,
                              daemon_of(defaults.get('docker_host'), state, world))
        for role in play.get('roles') or []:
            rvars = role.get('vars') or {}
            if role['role'] == 'buildkit.fleet.network':
                for net in rvars['buildkit_networks']:
                    assert state['networks']['main'].get(net['name']) == [net['subnet']], (net, state['networks'])
            if role['role'] == 'buildkit.fleet.qemu':
                check_binfmt_present(rvars['qemu_platforms'], state)
    elif COMMANDS.get(key) == 'shell':
        if 'buildx create --name farm ' in item['script']:  # the guide's buildx twin of the module's task
            assert 'farm' in state['store'], 'no builder farm in the store: %s' % state['store']
    else:  # the fleet playbook: each host's builders on its own daemon
        hosts = item['inventory']['builders']['hosts']
        for host in hosts.values():
            daemon = 'd2' if 'docker2' in host.get('builder_docker_host', '') else 'main'
            for builder in host['buildkit_builders']:
                cont = state['containers'][daemon].get('buildx_buildkit_%s0' % builder['name'].lower())
                assert cont and cont['running'], 'fleet builder %s not running on %s' % (builder['name'], daemon)
        summaries = [r for n, r in item['results'] if n == 'Per-host summary']
        assert len(summaries) == len(hosts) and all(r.get('builder_summary') for r in summaries), summaries


def test_every_documented_file_is_searched():
    """The lists above name only examples that exist (a renamed or removed example must leave them)."""
    ids = set((e.source, e.title) for e in EXAMPLES)
    stale = [k for k in list(NOT_RUNNABLE) + list(EXCERPTS) + list(COMMANDS) + list(FILE_BLOCKS) + list(FILE_BLOCKS.values())
             + list(STORE_LISTINGS) + list(STORE_LISTINGS.values())
             + list(FARM_KEYS)
             + [(s, None) for s in PRELUDES]
             if (k[1] is not None and k not in ids) or (k[1] is None and k[0] not in SOURCES)]
    assert not stale, 'listed but not found in the docs: %s' % stale
