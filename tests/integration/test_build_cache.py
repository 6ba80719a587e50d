"""buildkit_build: registry cache (mode=max) and local cache, each read back by a fresh builder."""
import os

from build_support import BASE_IMAGE, REGISTRY, context_dir, make_builder, manifest, unique

DOCKERFILE = '''FROM %s AS one
RUN echo one > /one
FROM %s AS two
COPY --from=one /one /one
RUN echo two > /two && cat /one /two > /both
''' % (BASE_IMAGE, BASE_IMAGE)


def test_registry_cache_max_then_fresh_builder_is_all_cached(ansible, builder, buildx_config, tmp_path):
    first = make_builder(ansible, builder, buildx_config, 'cA')
    ref = '%s/bkf-test/%s:cache' % (REGISTRY, unique('cache'))
    ctx = str(context_dir(tmp_path, DOCKERFILE))
    args = dict(buildx_config=buildx_config, context=ctx)
    warm = ansible('buildkit_build', builder=first, outputs=[{'type': 'tar', 'dest': str(tmp_path / 'a.tar')}],
                   cache_to=[{'type': 'registry', 'ref': ref, 'mode': 'max'}], **args)
    assert warm['built'] and warm['steps']['executed'] >= 3, warm
    assert manifest(ref.split('/', 1)[1].split(':')[0], 'cache') is not None

    fresh = make_builder(ansible, builder, buildx_config, 'cB')
    cold_args = dict(builder=fresh, outputs=[{'type': 'tar', 'dest': str(tmp_path / 'b.tar')}],
                     cache_from=[{'type': 'registry', 'ref': ref}], **args)
    assert ansible('buildkit_build', check=True, **cold_args)['changed'] is True
    cached = ansible('buildkit_build', **cold_args)
    assert cached['built'] and cached['steps']['total'] == 3, cached
    assert cached['steps']['executed'] == 0 and cached['steps']['cached'] == 3, cached
    assert ansible('buildkit_build', **cold_args)['changed'] is False


def test_local_cache_round_trip(ansible, builder, buildx_config, tmp_path):
    first = make_builder(ansible, builder, buildx_config, 'lA')
    cache = str(tmp_path / 'cache')
    ctx = str(context_dir(tmp_path, DOCKERFILE))
    args = dict(buildx_config=buildx_config, context=ctx, target='two')
    warm = ansible('buildkit_build', builder=first, outputs=[{'type': 'local', 'dest': str(tmp_path / 'a')}],
                   cache_to=[{'type': 'local', 'dest': cache, 'mode': 'max'}], **args)
    assert warm['built'] and os.path.isfile(os.path.join(cache, 'index.json')), warm

    fresh = make_builder(ansible, builder, buildx_config, 'lB')
    cold = ansible('buildkit_build', builder=fresh, outputs=[{'type': 'local', 'dest': str(tmp_path / 'b')}],
                   cache_from=[{'type': 'local', 'src': cache}], **args)
    assert cold['built'] and cold['steps']['executed'] == 0, cold
    with open(str(tmp_path / 'b' / 'both')) as handle:
        assert handle.read() == 'one\ntwo\n'
