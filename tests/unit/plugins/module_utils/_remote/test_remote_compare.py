"""Stored against desired remote builders (pure)."""
from ansible_collections.buildkit.fleet.plugins.module_utils._remote.compare import differences, group_view

OPTS = {'cacert': '/t/ca.pem', 'cert': '/t/cert.pem', 'key': '/t/key.pem'}


def group(nodes):
    return {'name': 'farm', 'driver': 'remote', 'nodes': nodes}


def node(name='farm0', endpoint='tcp://a:1', platforms=None, opts=None, **extra):
    return dict({'name': name, 'endpoint': endpoint, 'platforms': platforms or [], 'driver_opts': dict(opts or OPTS),
                 'flags': [], 'config': None}, **extra)


DIGESTS = {'farm0': {'ca_cert': 'sha256:aa', 'cert': 'sha256:bb', 'key': 'sha256:cc'}}


def test_equal_when_buildx_wrote_null_or_empty_platforms_and_false_default_load():
    stored = group([node(platforms=None, opts=dict(OPTS, **{'default-load': 'False'}))])
    assert differences(group_view(stored, DIGESTS), group_view(group([node()]), DIGESTS)) == []


def test_new_and_removed_builder():
    after = group_view(group([node()]), DIGESTS)
    assert differences(None, after) == [{'item': 'builder', 'before': None, 'after': 'farm'}]
    assert differences(after, None) == [{'item': 'builder', 'before': 'farm', 'after': None}]


def test_node_fields_and_digests_differ_by_item():
    amd64, arm64 = {'architecture': 'amd64', 'os': 'linux'}, {'architecture': 'arm64', 'os': 'linux'}
    stored = group([node(platforms=[amd64], opts=dict(OPTS, **{'default-load': 'true'})), node('farm1', 'tcp://b:1')])
    wanted = group([node(platforms=[arm64], endpoint='tcp://c:1')])
    new_digests = {'farm0': dict(DIGESTS['farm0'], cert='sha256:dd')}
    diffs = differences(group_view(stored, DIGESTS), group_view(wanted, new_digests))
    assert diffs == [
        {'item': 'nodes', 'before': ['farm0', 'farm1'], 'after': ['farm0']},
        {'item': 'nodes[farm0].endpoint', 'before': 'tcp://a:1', 'after': 'tcp://c:1'},
        {'item': 'nodes[farm0].platforms', 'before': ['linux/amd64'], 'after': ['linux/arm64']},
        {'item': 'nodes[farm0].driver_opts', 'before': dict(OPTS, **{'default-load': 'true'}), 'after': OPTS},
        {'item': 'nodes[farm0].tls_files.cert', 'before': 'sha256:bb', 'after': 'sha256:dd'},
    ]


def test_flags_or_files_of_a_foreign_entry_are_differences():
    stored = group([node(flags=['--debug'], config='debug = true\n')])
    diffs = differences(group_view(stored, DIGESTS), group_view(group([node()]), DIGESTS))
    assert [d['item'] for d in diffs] == ['nodes[farm0].flags', 'nodes[farm0].config']
    assert diffs[1]['before'] == 'buildkitd.toml (13 bytes)'
