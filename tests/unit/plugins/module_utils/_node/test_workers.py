import json

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._node import workers as wk
from ansible_collections.buildkit.fleet.plugins.module_utils._common.errors import CacheError

WORKERS_JSON = (
    '[{"id":"s263","labels":{"org.mobyproject.buildkit.worker.executor":"oci"},'
    '"platforms":[{"architecture":"amd64","os":"linux"},{"architecture":"amd64","os":"linux","variant":"v2"},'
    '{"architecture":"arm","os":"linux","variant":"v7"}],'
    '"gcPolicy":[{"all":false,"filter":["type==source.local"],"keepDuration":172800000000000,"reservedSpace":0,'
    '"maxUsedSpace":512000000,"minFreeSpace":0},{"all":true,"filter":null,"keepDuration":0,'
    '"reservedSpace":10000000000,"maxUsedSpace":100000000000,"minFreeSpace":51000000000}],'
    '"buildkitVersion":{"package":"github.com/moby/buildkit","version":"v0.32.2","revision":"v0.32.2"},'
    '"cdiDevices":null}]')


def test_worker_facts_and_gc_policy():
    facts = wk.worker_facts(wk.parse_workers(WORKERS_JSON))
    assert facts['platforms'] == ['linux/amd64', 'linux/amd64/v2', 'linux/arm/v7']
    assert facts['worker_labels'] == {'org.mobyproject.buildkit.worker.executor': 'oci'}
    assert facts['buildkit_version'] == 'v0.32.2'
    assert facts['gc_policy'] == [
        {'all': False, 'filters': ['type==source.local'], 'keep_duration': 172800, 'reserved_space': 0,
         'max_used_space': 512000000, 'min_free_space': 0},
        {'all': True, 'filters': [], 'keep_duration': 0, 'reserved_space': 10000000000,
         'max_used_space': 100000000000, 'min_free_space': 51000000000}]
    assert wk.worker_facts([])['platforms'] == []


def test_gc_policy_of_buildkit_before_0_17_uses_keep_bytes():
    assert wk.parse_gc_policy([{'all': True, 'keepBytes': 42, 'keepDuration': 0}])[0]['reserved_space'] == 42


def test_one_parser_reads_json_tags_and_go_field_names():
    tagged = wk.parse_workers(WORKERS_JSON)
    go_names = json.loads(WORKERS_JSON)[0]
    go_names = dict(ID=go_names['id'], Platforms=go_names['platforms'], Labels=go_names['labels'],
                    GCPolicy=go_names['gcPolicy'], BuildkitVersion={'Version': 'v0.32.2'})
    assert wk.parse_workers(json.dumps([go_names])) == tagged
    assert tagged[0]['id'] == 's263' and tagged[0]['buildkit_version'] == 'v0.32.2'


def test_platforms_and_version_over_all_workers():
    two = json.dumps([{'platforms': [{'os': 'linux', 'architecture': 'amd64'}]},
                      {'platforms': [{'os': 'linux', 'architecture': 'amd64'}, {'os': 'linux', 'architecture': 'arm64'}],
                       'buildkitVersion': {'version': 'v0.32.2'}}])
    workers = wk.parse_workers(two)
    assert wk.detected_platforms(workers) == ['linux/amd64', 'linux/arm64']
    assert wk.buildkit_version(workers) == 'v0.32.2'
    assert wk.buildkit_version([]) is None and wk.detected_platforms([]) == []


@pytest.mark.parametrize('text', ['', 'null', '[]'])
def test_no_workers(text):
    assert wk.parse_workers(text) == []


@pytest.mark.parametrize('text', ['not json', '{"id": "x"}'])
def test_workers_garbage_is_an_error(text):
    with pytest.raises(CacheError) as err:
        wk.parse_workers(text)
    assert 'buildctl debug workers' in str(err.value)
