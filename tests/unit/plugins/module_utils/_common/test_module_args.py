"""The shared options are defined once and every Docker module's spec carries them."""
import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._common.module_args import (
    BUILDX_STORE_ARGS, DOCKER_COMMON_ARGS, LOCK_ARGS, docker_module_spec)
from ansible_collections.buildkit.fleet.plugins.module_utils._common.docker_client import DOCKER_CONNECTION_ARGS
from ansible_collections.buildkit.fleet.plugins.module_utils._builder.options import (
    SHARED_OPTIONS, builder_options, item_options)


def test_spec_joins_the_shared_blocks():
    spec = docker_module_spec(dict(name=dict(type='str')), lock=True)
    assert set(spec) == set(['name']) | set(DOCKER_COMMON_ARGS) | set(BUILDX_STORE_ARGS) | set(LOCK_ARGS)
    assert 'lock_timeout' not in docker_module_spec({})
    assert 'buildx_config' not in docker_module_spec({}, store=False)


def test_an_option_defined_twice_is_refused():
    with pytest.raises(ValueError, match='buildx_config'):
        docker_module_spec(dict(buildx_config=dict(type='path')))


def test_specs_are_copies():
    spec = docker_module_spec({})
    spec['timeout']['default'] = 1
    assert DOCKER_COMMON_ARGS['timeout']['default'] == 60


def test_builder_options_use_the_shared_definitions():
    assert DOCKER_CONNECTION_ARGS is DOCKER_COMMON_ARGS
    assert SHARED_OPTIONS == ('buildx_config', 'lock_timeout')
    assert builder_options()['lock_timeout'] == LOCK_ARGS['lock_timeout']
    assert not set(item_options()).intersection(set(SHARED_OPTIONS) | set(DOCKER_COMMON_ARGS))
