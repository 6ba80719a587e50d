"""buildkit_bake against real buildx, BuildKit and the registry: a 7-target bake file (a group of two, a matrix
of three, a base and a target that uses it through `target:`), changed step by step; each case runs check mode,
then the real run, and reads the result back from the registry, Docker and the builder's build history."""
import json
import os
import uuid

import pytest

from build_support import BASE_IMAGE, REGISTRY, REGISTRY_CONFIG, registry_get, INDEX_TYPES
from conftest import AnsibleRunner
from support import TEST_IMAGE, buildx, remove_builder_traces

BAKE_FILE = '''variable "REGISTRY" { default = "%(registry)s" }
variable "PREFIX" { default = "bkf-bake/%(uid)s" }
variable "GREETING" { default = "hello" }
variable "API_LEVEL" { default = "1" }

group "default" { targets = ["services", "item", "base", "app"] }
group "services" { targets = ["web", "api"] }

target "base" {
  context = "base"
  tags = ["${REGISTRY}/${PREFIX}-base:1"]
  output = ["type=registry"]
}
target "app" {
  context = "app"
  contexts = { base = "target:base" }
  tags = ["${REGISTRY}/${PREFIX}-app:1"]
  output = ["type=registry"]
}
target "web" {
  context = "web"
  args = { GREETING = GREETING }
  tags = ["bkf-bake-%(uid)s-web:1"]
  output = ["type=docker"]
}
target "api" {
  context = "api"
  args = { API_LEVEL = API_LEVEL }
  platforms = ["linux/amd64", "linux/arm64"]
  tags = ["${REGISTRY}/${PREFIX}-api:1"]
  output = ["type=registry"]
}
target "item" {
  name = "item-${it}"
  matrix = { it = ["a", "b", "c"] }
  context = "items/${it}"
  tags = ["${REGISTRY}/${PREFIX}-item-${it}:1"]
  output = ["type=registry"]
}
'''
ALL = ['api', 'app', 'base', 'item-a', 'item-b', 'item-c', 'web']
PUSHED = ['api', 'app', 'base', 'item-a', 'item-b', 'item-c']


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as handle:
        handle.write(text)


def make_project(root, uid):
    write(os.path.join(root, 'docker-bake.hcl'), BAKE_FILE % {'registry': REGISTRY, 'uid': uid})
    write(os.path.join(root, 'base', 'Dockerfile'), 'FROM %s\nCOPY . /base/\n' % BASE_IMAGE)
    write(os.path.join(root, 'base', 'f'), 'base\n')
    write(os.path.join(root, 'app', 'Dockerfile'), 'FROM base\nCOPY . /app/\n')
    write(os.path.join(root, 'app', 'f'), 'app\n')
    write(os.path.join(root, 'web', 'Dockerfile'), 'FROM %s\nARG GREETING\nRUN echo "$GREETING" > /greeting\nCOPY . /web/\n'
          % BASE_IMAGE)
    write(os.path.join(root, 'web', '.dockerignore'), 'notes/\n*.log\n')
    write(os.path.join(root, 'web', 'index.html'), '<p>hello</p>\n')
    write(os.path.join(root, 'api', 'Dockerfile'), 'FROM %s\nARG API_LEVEL\nCOPY . /api/\n' % BASE_IMAGE)
    write(os.path.join(root, 'api', 'f'), 'api\n')
    for item in 'abc':
        write(os.path.join(root, 'items', item, 'Dockerfile'), 'FROM %s\nCOPY . /item/\n' % BASE_IMAGE)
        write(os.path.join(root, 'items', item, 'f'), item + '\n')


class Project(object):
    def __init__(self, root, uid, ansible, builder, buildx_config):
        self.root, self.uid, self.ansible, self.builder, self.buildx_config = root, uid, ansible, builder, buildx_config
        self.variables, self.set, self.targets = {}, [], None

    def repo(self, target):
        return 'bkf-bake/%s-%s' % (self.uid, target)

    def web_tag(self):
        return 'bkf-bake-%s-web:1' % self.uid

    def args(self, **extra):
        args = dict(builder=self.builder, buildx_config=self.buildx_config, working_dir=self.root,
                    files=['docker-bake.hcl'], variables=self.variables, set=self.set,
                    metadata_file=os.path.join(self.root, 'metadata.json'))
        if self.targets:
            args['targets'] = self.targets
        args.update(extra)
        return args

    def run(self, check=False, diff=False, **extra):
        return self.ansible('buildkit_bake', check=check, diff=diff, **self.args(**extra))

    def history(self):
        proc = buildx(self.buildx_config, 'history', 'ls', '--builder', self.builder, '--format', 'json')
        return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def registry_state(repo):
    """(index digest, {platform: manifest digest}, {platform: labels}) of repo:1 read from the registry API."""
    raw, _type = registry_get('%s/manifests/1' % repo)
    if raw is None:
        return None
    import hashlib
    digest = 'sha256:' + hashlib.sha256(raw).hexdigest()
    top = json.loads(raw)
    plats, labels = {}, {}
    for entry in top.get('manifests') or []:
        if (entry.get('annotations') or {}).get('vnd.docker.reference.type') == 'attestation-manifest':
            continue
        plat = entry['platform']
        key = '/'.join([plat['os'], plat['architecture']] + ([plat['variant']] if plat.get('variant') else []))
        plats[key] = entry['digest']
        man = json.loads(registry_get('%s/manifests/%s' % (repo, entry['digest']), accept=INDEX_TYPES)[0])
        config = json.loads(registry_get('%s/blobs/%s' % (repo, man['config']['digest']), accept='*/*')[0])
        labels[key] = (config.get('config') or {}).get('Labels') or {}
    return digest, plats, labels


def docker_labels(docker_client, tag):
    try:
        return docker_client.api.inspect_image(tag)['Config']['Labels'] or {}
    except Exception:
        return None


@pytest.fixture(scope='module')
def project(tmp_path_factory, docker_client):
    work = tmp_path_factory.mktemp('bake')
    buildx_config = str(work / 'buildx')
    os.mkdir(buildx_config)
    ansible = AnsibleRunner(str(work), buildx_config)
    name = 'bake%s' % uuid.uuid4().hex[:8]
    made = ansible('buildkit_builder', name=name, buildx_config=buildx_config, pull=False,
                   driver_opts={'image': TEST_IMAGE, 'network': 'host'}, buildkitd_config_inline=REGISTRY_CONFIG)
    assert made['changed'] and not made['failed'], made
    uid = uuid.uuid4().hex[:8]
    root = str(work / 'project')
    make_project(root, uid)
    yield Project(root, uid, ansible, name, buildx_config)
    remove_builder_traces(docker_client, name + '0')
    try:
        docker_client.images.remove('bkf-bake-%s-web:1' % uid, force=True)
    except Exception:  # already gone
        pass


def edit(path, text, append=True):
    def apply(p, _client):
        full = os.path.join(p.root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, 'a' if append else 'w') as handle:
            handle.write(text)
    return apply


def remove_file(path):
    return lambda p, _client: os.remove(os.path.join(p.root, path))


def set_variable(name, value):
    def apply(p, _client):
        p.variables = dict(p.variables, **{name: value})
    return apply


def set_override(item):
    def apply(p, _client):
        p.set = p.set + [item]
    return apply


def use_targets(names):
    def apply(p, _client):
        p.targets = names
    return apply


def hcl_default(name, old, new):
    def apply(p, _client):
        path = os.path.join(p.root, 'docker-bake.hcl')
        with open(path) as handle:
            text = handle.read()
        before = 'variable "%s" { default = "%s" }' % (name, old)
        assert before in text
        with open(path, 'w') as handle:
            handle.write(text.replace(before, 'variable "%s" { default = "%s" }' % (name, new)))
    return apply


def remove_web_image(p, client):
    client.images.remove(p.web_tag(), force=True)


def move_tag(target, to):
    def apply(p, _client):
        buildx(p.buildx_config, 'imagetools', 'create', '--builder', p.builder, '-t',
               '%s/%s:1' % (REGISTRY, p.repo(target)), '%s/%s:1' % (REGISTRY, p.repo(to)))
    return apply


def nothing(_p, _client):
    pass


# (case id, change, targets expected to be built, words expected in each built target's reason)
CASES = [
    ('first-run-builds-all', nothing, ALL, 'not in'),
    ('second-run-builds-nothing', nothing, [], None),
    ('matrix-item-file', edit('items/b/f', 'changed\n'), ['item-b'], 'files in the context'),
    ('base-file-rebuilds-base-and-app', edit('base/f', 'changed\n'), ['base', 'app'], None),
    ('app-file', edit('app/new.txt', 'new\n'), ['app'], 'files in the context'),
    ('module-variable', set_variable('GREETING', 'hi'), ['web'], 'variable GREETING'),
    ('same-variable-again', nothing, [], None),
    ('hcl-variable-default', hcl_default('API_LEVEL', '1', '2'), ['api'], 'args.API_LEVEL'),
    ('set-override', set_override('item-c.args.EXTRA=1'), ['item-c'], 'args.EXTRA'),
    ('same-set-again', nothing, [], None),
    ('dockerignored-file', edit('web/notes/todo.txt', 'ignored\n'), [], None),
    ('dockerignored-log', edit('web/debug.log', 'ignored\n'), [], None),
    ('dockerfile-changed', edit('api/Dockerfile', 'LABEL changed=yes\n'), ['api'], 'Dockerfile'),
    ('image-removed-locally', remove_web_image, ['web'], 'not in Docker'),
    ('tag-moved-in-registry', move_tag('item-a', 'item-c'), ['item-a'], 'other inputs'),
    ('file-deleted', remove_file('items/c/f'), ['item-c'], 'files in the context'),
    ('group-services-only', use_targets(['services']), [], None),
    ('group-with-change', edit('web/index.html', '<p>more</p>\n'), ['web'], 'files in the context'),
    ('matrix-item-by-name', use_targets(['item-a', 'app']), [], None),
    ('back-to-default-group', use_targets(None), [], None),
]


@pytest.mark.parametrize('case,change,expected,words', CASES, ids=[c[0] for c in CASES])
def test_bake_case(project, docker_client, case, change, expected, words):
    before = dict((t, registry_state(project.repo(t))) for t in PUSHED)
    change(project, docker_client)
    history_before = project.history()

    predicted = project.run(check=True)
    assert not predicted['failed'], predicted.get('msg')
    assert predicted['stale_targets'] == [t for t in predicted['order'] if t in expected], (case, predicted['stale_targets'])
    assert sorted(predicted['stale_targets']) == sorted(expected), (case, predicted['stale_targets'])
    assert predicted['changed'] is bool(expected) and predicted['built_targets'] == []
    assert project.history() == history_before  # check mode solves nothing

    result = project.run(diff=True)
    assert not result['failed'], result.get('msg')
    assert sorted(result['built_targets']) == sorted(expected), (case, result['built_targets'])
    assert result['built_targets'] == predicted['stale_targets']  # check mode listed exactly what was built
    assert result['changed'] is bool(expected)
    history = project.history()
    if not expected:
        assert history == history_before, case  # no BuildKit solve at all
        assert result['command'] == []
    else:
        new_refs = set(h['ref'] for h in history) - set(h['ref'] for h in history_before)
        assert new_refs, case
        with open(os.path.join(project.root, 'metadata.json')) as handle:
            metadata = json.load(handle)
        assert sorted(metadata) == sorted(expected) or set(expected) <= set(metadata)
    order = result['order']
    if 'base' in order and 'app' in order:
        assert order.index('base') < order.index('app')
    for name, entry in result['targets'].items():
        assert entry['built'] is (name in expected), (case, name, entry['reason'])
        assert result['diff']['after'][name]['build'] is (name in expected)
        if name in expected and words:
            assert words in entry['reason'], (case, name, entry['reason'])
        if name in expected:
            assert entry['steps']['total'] >= 1, entry['steps']
            ref = metadata[name]['buildx.build.ref'].rsplit('/', 1)[-1]
            assert any(h['ref'].endswith(ref) and h['status'] == 'Completed' for h in history), (name, ref)
            assert entry['digest'] == metadata[name]['containerimage.digest']
        if name in PUSHED:
            digest, plats, labels = registry_state(project.repo(name))
            assert entry['digest'] == digest, (case, name)
            assert entry['platform_digests'] == plats, (case, name)
            for plat_labels in labels.values():
                assert plat_labels['buildkit.fleet.fingerprint'] == entry['fingerprint'], (case, name)
            if name not in expected and case != 'tag-moved-in-registry':
                assert before[name] is None or before[name][0] == digest, (case, name)  # untouched
        else:
            labels = docker_labels(docker_client, project.web_tag())
            assert labels['buildkit.fleet.fingerprint'] == entry['fingerprint'], case
    if case == 'base-file-rebuilds-base-and-app':
        assert 'dependency base' in result['targets']['app']['reason']
    if case == 'first-run-builds-all':
        assert sorted(result['targets']) == ALL
        assert sorted(result['targets']['api']['platform_digests']) == ['linux/amd64', 'linux/arm64']


def test_bake_bad_inputs(project):
    """Each bad input fails naming the option and the value, and builds nothing."""
    history = project.history()
    cases = [
        (dict(files=['nosuch.hcl']), "files: 'nosuch.hcl' does not exist"),
        (dict(targets=['nosuch']), "targets:"),
        (dict(set=['nosuch.args.X=1']), "set: bake rejects 'nosuch.args.X=1'"),
        (dict(set=['no-equals-sign']), "set[0]: 'no-equals-sign'"),
        (dict(allow=['network.everything']), "allow: 'network.everything'"),
        (dict(working_dir='/nonexistent-bake-dir'), "working_dir: '/nonexistent-bake-dir'"),
        (dict(builder='nosuchbuilder'), "builder: 'nosuchbuilder' not found"),
        (dict(variables={'bad name': 1}), "variables: 'bad name'"),
    ]
    bad_hcl = os.path.join(project.root, 'broken.hcl')
    write(bad_hcl, 'target "x" {\n')
    cases.append((dict(files=['broken.hcl']), "broken.hcl:1,12-13: Unclosed configuration block"))
    cases.append((dict(files=['broken.hcl']), "files: bake rejects 'broken.hcl'"))
    ent = os.path.join(project.root, 'ent.hcl')
    write(ent, 'target "needs" {\n  context = "base"\n  entitlements = ["network.host"]\n'
          '  tags = ["%s/bkf-bake/%s-needs:1"]\n  output = ["type=registry"]\n}\n' % (REGISTRY, project.uid))
    cases.append((dict(files=['ent.hcl'], targets=['needs']), "allow: target 'needs' needs the entitlement 'network.host'"))
    for args, words in cases:
        result = project.run(**dict(dict(set=[]), **args))
        assert result['failed'], (args, result)
        assert words in result['msg'], (args, result['msg'])
        assert result.get('built_targets', []) == []
    assert project.history() == history  # nothing built
    granted = project.run(files=['ent.hcl'], targets=['needs'], allow=['network.host'], set=[], check=True)
    assert not granted['failed'] and granted['stale_targets'] == ['needs'], granted.get('msg')


FILES_BAKE = '''group "default" { targets = ["site", "tarball"] }
target "site" {
  context = "site"
  secret = ["id=tok,env=BKF_TOKEN"]
  output = ["type=local,dest=out/site"]
}
target "tarball" {
  context = "site"
  secret = ["id=tok,env=BKF_TOKEN"]
  output = ["type=tar,dest=out/site.tar"]
}
'''


def test_bake_file_outputs_and_secret_ids(project, tmp_path):
    """File outputs are judged by the record beside them; a secret counts by its id, never by its value."""
    root = str(tmp_path / 'files')
    write(os.path.join(root, 'docker-bake.hcl'), FILES_BAKE)
    write(os.path.join(root, 'site', 'Dockerfile'),
          'FROM %s AS check\nRUN --mount=type=secret,id=tok,required=true test -s /run/secrets/tok && echo ok > /ok\n'
          'FROM scratch\nCOPY --from=check /ok /ok\nCOPY index.html /\n' % BASE_IMAGE)
    write(os.path.join(root, 'site', 'index.html'), '<p>site</p>\n')
    args = dict(working_dir=root, files=['docker-bake.hcl'], set=[], variables={'BKF_TOKEN': 'first-secret'},
                metadata_file=os.path.join(root, 'metadata.json'))

    first = project.run(**args)
    assert not first['failed'], first.get('msg')
    assert first['built_targets'] == ['site', 'tarball']
    with open(os.path.join(root, 'out', 'site', 'ok')) as handle:
        assert handle.read() == 'ok\n'
    for name, dest in (('site', 'out/site'), ('tarball', 'out/site.tar')):
        with open(os.path.join(root, dest + '.buildkit-fleet.json')) as handle:
            record = json.load(handle)
        assert record['fingerprint'] == first['targets'][name]['fingerprint']
        assert first['targets'][name]['records'] == [os.path.join(root, dest + '.buildkit-fleet.json')]

    history = project.history()
    args['variables'] = {'BKF_TOKEN': 'another-secret'}  # only the value changed
    predicted = project.run(check=True, **args)
    assert predicted['stale_targets'] == [] and predicted['changed'] is False
    again = project.run(**args)
    assert again['built_targets'] == [] and again['changed'] is False
    assert project.history() == history
    assert 'another-secret' not in json.dumps(again['targets']) + json.dumps(again['definition'])

    os.remove(os.path.join(root, 'out', 'site.tar'))
    predicted = project.run(check=True, **args)
    assert predicted['stale_targets'] == ['tarball'], predicted['stale_targets']
    rebuilt = project.run(**args)
    assert rebuilt['built_targets'] == ['tarball'] and 'does not exist' in rebuilt['targets']['tarball']['reason']
    assert os.path.getsize(os.path.join(root, 'out', 'site.tar')) > 0
