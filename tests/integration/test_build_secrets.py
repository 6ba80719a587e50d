"""buildkit_build: a secret reaches RUN, and is in no image layer, no result and no log."""
import hashlib
import json

from build_support import BASE_IMAGE, context_dir, make_builder, oci_blobs, unique

DOCKERFILE = '''FROM %s
RUN --mount=type=secret,id=token sh -c 'sha256sum /run/secrets/token | cut -c1-64 > /token.sha256 && ls /run/secrets > /seen'
RUN --mount=type=secret,id=fromfile sh -c 'cat /run/secrets/fromfile | wc -c > /fromfile.len'
''' % BASE_IMAGE


def test_secret_available_to_run_and_nowhere_else(ansible, builder, buildx_config, tmp_path, monkeypatch):
    name = make_builder(ansible, builder, buildx_config)
    value = unique('S3cr3t-value-')
    secret_file = tmp_path / 'file-secret'
    file_value = unique('file-secret-')
    secret_file.write_text(file_value)
    env_value = unique('env-secret-')
    monkeypatch.setenv('BUILD_SECRETS_ENV', env_value)
    oci = str(tmp_path / 'image.tar')
    local = str(tmp_path / 'fs')
    # the file and env values are also label values: on the command line and in the metadata, so in the result
    # unless every source's value is redacted (not only secrets[].value)
    args = dict(builder=name, buildx_config=buildx_config, context=str(context_dir(tmp_path, DOCKERFILE)),
                secrets=[{'id': 'token', 'value': value}, {'id': 'fromfile', 'src': str(secret_file)},
                         {'id': 'fromenv', 'env': 'BUILD_SECRETS_ENV'}],
                labels={'from.file': file_value, 'from.env': env_value},
                outputs=[{'type': 'oci', 'dest': oci}, {'type': 'local', 'dest': local}])

    predicted = ansible('buildkit_build', check=True, diff=True, **args)
    built = ansible('buildkit_build', diff=True, **args)
    assert built['built'], built
    with open(local + '/token.sha256') as handle:
        assert handle.read().strip() == hashlib.sha256(value.encode()).hexdigest()
    with open(local + '/fromfile.len') as handle:
        assert int(handle.read()) == len(file_value)
    with open(local + '/seen') as handle:
        assert handle.read().split() == ['token']

    for blob in oci_blobs(oci):
        assert value.encode() not in blob
        if not blob.startswith(b'{'):  # a layer (the config holds the labels given above)
            assert file_value.encode() not in blob and env_value.encode() not in blob
    for result in (predicted, built):
        text = json.dumps(result) + result['_stdout']
        for secret in (value, file_value, env_value):
            assert secret not in text, secret
    assert any(part.startswith('id=token,env=') for part in built['command'])
    assert 'from.file=********' in built['command'] and 'from.env=********' in built['command']

    # secret ids count in the fingerprint, values do not
    other_value = dict(args, secrets=[{'id': 'token', 'value': value + 'x'}] + args['secrets'][1:])
    assert ansible('buildkit_build', **other_value)['changed'] is False
    other_id = dict(args, secrets=[{'id': 'token2', 'value': value}] + args['secrets'][1:])
    assert ansible('buildkit_build', check=True, **other_id)['changed'] is True
