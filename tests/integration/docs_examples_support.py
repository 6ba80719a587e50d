"""Support for test_docs_examples.py: find every documented example, substitute names/hosts/registries/paths,
run them through ansible-playbook on the harness, and snapshot what they made.

Run as a script (`python docs_examples_support.py snapshot PREFIX DOCKER_CONFIG OUT_DIR`) it prints the state
the examples' promises are checked against (the playbooks call it after every example)."""
import ast
import asyncio
import glob
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import threading

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
CALLBACKS = os.path.join(HERE, 'callback_plugins')
COLLECTIONS = os.path.join(REPO, 'tests', 'output', 'collections')
MAIN_SOCK = 'unix:///var/run/docker.sock'
D2_SOCK = os.environ.get('BUILDKIT_FLEET_DOCKER2_HOST', 'unix:///run/buildkit-fleet/docker2.sock')
DAEMONS = {'main': MAIN_SOCK, 'd2': D2_SOCK}


# ----------------------------------------------------------------------------------------------- finding examples

class Example(object):
    """One documented example: a task, a play, a shell snippet or another block (inventory, sample, ...)."""

    def __init__(self, source, title, kind, body, block):
        self.source, self.title, self.kind, self.body, self.block = source, title, kind, body, block

    @property
    def id(self):
        return '%s::%s' % (self.source, self.title)

    def __repr__(self):
        return 'Example(%s)' % self.id


def _examples_string(path):
    tree = ast.parse(open(path).read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], 'id', None) == 'EXAMPLES':
            return node.value.value
    return None


def rst_blocks(text):
    """(language, code) of every `.. code-block::` of an rst text."""
    lines = text.splitlines()
    found = []
    i = 0
    while i < len(lines):
        match = re.match(r'^(\s*)\.\. code-block::\s*(\S+)', lines[i])
        if not match:
            i += 1
            continue
        indent, lang = len(match.group(1)), match.group(2)
        i += 1
        body = []
        while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
            body.append(lines[i])
            i += 1
        found.append((lang, _dedent('\n'.join(body))))
    return found


def md_blocks(text):
    return [(m.group(1) or 'text', m.group(2)) for m in re.finditer(r'^```(\w*)\n(.*?)^```', text, re.M | re.S)]


def _dedent(text):
    lines = text.splitlines()
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents) if indents else 0
    return '\n'.join(line[cut:] for line in lines).strip('\n') + '\n'


MODULE_KEYS = re.compile(r'^(buildkit\.fleet\.|ansible\.builtin\.|community\.docker\.)')


def task_module(task):
    for key in task:
        if MODULE_KEYS.match(key):
            return key
    return 'block' if 'block' in task else None


def _task_title(task, block):
    if task.get('name'):
        return task['name']
    module = task_module(task) or 'task'
    args = task.get(module) or {}
    label = ' name=%s' % args['name'] if isinstance(args, dict) and args.get('name') else ''
    return '%s%s (block %d)' % (module, label, block)


def _yaml_examples(source, code, block):
    try:
        data = yaml.safe_load(code)
    except yaml.YAMLError as exc:
        return [Example(source, 'block %d (invalid YAML)' % block, 'invalid', str(exc), block)]
    if isinstance(data, list) and data and all(isinstance(d, dict) for d in data):
        if all('hosts' in d for d in data):
            return [Example(source, d.get('name') or 'play on %s (block %d)' % (d['hosts'], block), 'play', d, block)
                    for d in data]
        if all(task_module(d) for d in data):
            return [Example(source, _task_title(d, block), 'task', d, block) for d in data]
    first = code.strip().splitlines()[0] if code.strip() else ''
    return [Example(source, 'block %d (yaml): %s' % (block, first), 'other', data, block)]


def _shell_examples(source, code, block):
    commands = [re.sub(r'\s+#.*$', '', line).strip() for line in code.splitlines()
                if line.strip() and not line.strip().startswith('#')]
    return [Example(source, 'block %d (sh): %s' % (block, commands[0] if commands else ''), 'command', commands, block)]


def examples_of(relpath):
    path = os.path.join(REPO, relpath)
    if relpath.startswith('plugins/modules/'):
        text = _examples_string(path)
        return _yaml_examples(relpath, text, 0) if text else []
    text = open(path).read()
    blocks = rst_blocks(text) if path.endswith('.rst') else md_blocks(text)
    found = []
    for index, (lang, code) in enumerate(blocks, 1):
        if lang in ('yaml', 'yml', 'yaml+jinja'):
            found += _yaml_examples(relpath, code, index)
        elif lang in ('sh', 'bash', 'shell', 'console'):
            found += _shell_examples(relpath, code, index)
        else:
            found.append(Example(relpath, 'block %d (%s)' % (index, lang), 'other', code, index))
    seen = {}
    for example in found:  # unique ids within a file
        seen[example.title] = seen.get(example.title, 0) + 1
        if seen[example.title] > 1:
            example.title = '%s #%d' % (example.title, seen[example.title])
    return found


def documented_sources():
    pats = ['plugins/modules/*.py', 'docs/docsite/rst/*.rst', 'docs/*.md', 'roles/*/README.md', 'README.md']
    return [os.path.relpath(p, REPO) for pat in pats for p in sorted(glob.glob(os.path.join(REPO, pat)))]


def all_examples():
    return [ex for source in documented_sources() for ex in examples_of(source)]


# ----------------------------------------------------------------------------------------------- substitution

def substitute(value, exact, substrings):
    """Values only (never keys): a whole scalar in `exact` is replaced; then each (old, new) of `substrings`."""
    if isinstance(value, dict):
        return dict((k, substitute(v, exact, substrings)) for k, v in value.items())
    if isinstance(value, list):
        return [substitute(v, exact, substrings) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return exact.get(value, value)  # a port
    if isinstance(value, str):
        if value in exact:
            return exact[value]
        for old, new in substrings:
            value = value.replace(old, new)
        return value
    return value


def is_subset(part, whole):
    """Whether an excerpt (`part`) says nothing that the full file (`whole`) does not."""
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(k in whole and is_subset(v, whole[k]) for k, v in part.items())
    if isinstance(part, list):
        return isinstance(whole, list) and all(any(is_subset(p, w) for w in whole) for p in part)
    return part == whole


# ----------------------------------------------------------------------------------------------- running

def playbook(path, workdir, env, extra_vars=None, inventory=None, timeout=600, tag='play', log_dir=None):
    """ansible-playbook with the results_json callback, run in `workdir` and logged to <log_dir or workdir>/<tag>.log:
    (rc, [(task name, result)], output)."""
    local = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')  # the venv's, when on no PATH
    cmd = [local if os.path.exists(local) else 'ansible-playbook', '-i', inventory, path,
           '-e', json.dumps(extra_vars or {})]
    full_env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_STDOUT_CALLBACK='results_json',
                    ANSIBLE_CALLBACK_PLUGINS=CALLBACKS, ANSIBLE_LOCALHOST_WARNING='0',
                    ANSIBLE_INVENTORY_UNPARSED_WARNING='0', ANSIBLE_RETRY_FILES_ENABLED='0',
                    ANSIBLE_COLLECTIONS_PATH=os.pathsep.join([COLLECTIONS, os.environ.get('ANSIBLE_COLLECTIONS_PATH', '')]),
                    PATH=os.pathsep.join([os.path.dirname(sys.executable)] + [
                        d for d in os.environ.get('PATH', '').split(os.pathsep) if '/.pyenv/shims' not in d]), **env)
    # requests would let these replace the CA a TLS daemon's client is given; the modules must not let it
    # (docker_client sets trust_env off for such clients): kept set, so the TLS examples prove it.
    for name in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'):
        full_env.setdefault(name, '/etc/ssl/certs/ca-certificates.crt')
    # (pyenv's shims are left out of PATH: on this machine they name Pythons that are not enabled, which
    # interpreter discovery would pick; a real host has none)
    proc = subprocess.Popen(cmd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=workdir,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:  # the modules it started go with it (their locks too)
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        raise AssertionError('ansible-playbook %s did not end within %d s:\n%s' % (path, timeout, (stdout + stderr)[-3000:]))
    with open(os.path.join(log_dir or workdir, tag + '.log'), 'w') as handle:
        handle.write(stdout + stderr)
    try:
        data = json.loads(stdout[stdout.index('{"tasks"'):].splitlines()[0])
    except ValueError:
        raise AssertionError('no json from ansible-playbook (rc %s):\n%s\n%s' % (
            proc.returncode, stdout[-3000:], stderr[-3000:]))
    return proc.returncode, [(t['name'], t['result']) for t in data['tasks']], stdout + stderr


# ----------------------------------------------------------------------------------------------- state snapshot

def snapshot(prefix, docker_config, out_dir):
    """Containers, volumes, networks and images named with `prefix` on both daemons, contexts, binfmt, files."""
    import docker  # only the probe needs it
    state = {'containers': {}, 'volumes': {}, 'networks': {}, 'images': [], 'contexts': {}, 'binfmt': {}, 'files': {}}
    instances = os.path.join(os.environ.get('BUILDX_CONFIG', ''), 'instances')
    state['store'] = sorted(os.listdir(instances)) if os.path.isdir(instances) else []
    for key, url in DAEMONS.items():
        client = docker.APIClient(base_url=url, version='auto', timeout=60)
        found = {}
        for cont in client.containers(all=True, filters={'name': 'buildx_buildkit_' + prefix}):
            name = cont['Names'][0].lstrip('/')
            found[name] = {'running': cont['State'] == 'running', 'image': cont['Image']}
        state['containers'][key] = found
        state['volumes'][key] = sorted(v['Name'] for v in client.volumes().get('Volumes') or []
                                       if prefix in v['Name'])
        state['networks'][key] = dict((n['Name'], [c.get('Subnet') for c in (n.get('IPAM') or {}).get('Config') or []])
                                      for n in client.networks() if n['Name'].startswith(prefix))
        if key == 'main':
            state['images'] = sorted(t for img in client.images() for t in img.get('RepoTags') or [] if prefix in t)
        client.close()
    meta = os.path.join(docker_config, 'contexts', 'meta')
    for digest in os.listdir(meta) if os.path.isdir(meta) else []:
        with open(os.path.join(meta, digest, 'meta.json')) as handle:
            data = json.load(handle)
        state['contexts'][data['Name']] = data['Endpoints']['docker']['Host']
    binfmt = '/proc/sys/fs/binfmt_misc'
    for name in os.listdir(binfmt) if os.path.isdir(binfmt) else []:
        if name.startswith('qemu-'):
            with open(os.path.join(binfmt, name)) as handle:
                text = handle.read()
            flags = re.search(r'^flags: *(\S*)', text, re.M)
            state['binfmt'][name] = {'enabled': text.startswith('enabled'), 'flags': flags.group(1) if flags else ''}
    for root, _dirs, names in os.walk(out_dir):
        for name in names:
            path = os.path.join(root, name)
            state['files'][os.path.relpath(path, out_dir)] = os.path.getsize(path)
    return state


def snapshot_task(tag, prefix, docker_config, out_dir):
    return {'name': 'PROBE ' + tag, 'changed_when': False,
            'ansible.builtin.command': {'argv': [sys.executable, os.path.abspath(__file__), 'snapshot', prefix,
                                                 docker_config, out_dir]}}


def remove_traces(prefix):
    """Every container, volume, network and image whose name carries `prefix`, on both daemons."""
    import docker
    for url in DAEMONS.values():
        client = docker.APIClient(base_url=url, version='auto', timeout=120)
        for cont in client.containers(all=True, filters={'name': 'buildx_buildkit_' + prefix}):
            client.remove_container(cont['Id'], force=True, v=False)
        for vol in client.volumes().get('Volumes') or []:
            if prefix in vol['Name']:
                client.remove_volume(vol['Name'], force=True)
        for net in client.networks():
            if net['Name'].startswith(prefix):
                client.remove_network(net['Id'])
        for img in client.images():
            for tag in img.get('RepoTags') or []:
                if prefix in tag:
                    client.remove_image(tag, force=True)
        client.close()


# ----------------------------------------------------------------------------------------------- a TLS daemon

def make_certs(directory):
    """CA, server (IP 127.0.0.1) and client certificates like the docker docs' `protect the daemon socket`."""
    def run(*args):
        subprocess.run(['openssl'] + list(args), cwd=directory, check=True, capture_output=True, timeout=60)
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2',
        '-subj', '/CN=docs-examples-ca')
    for who, ext in (('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'),
                     ('client', 'extendedKeyUsage=clientAuth\n')):
        with open(os.path.join(directory, who + '.ext'), 'w') as handle:
            handle.write(ext)
        run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', who + '-key.pem', '-out', who + '.csr',
            '-subj', '/CN=' + who)
        run('x509', '-req', '-in', who + '.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial',
            '-out', who + '.pem', '-days', '2', '-extfile', who + '.ext')
    return dict((k, os.path.join(directory, f)) for k, f in
                (('ca', 'ca.pem'), ('cert', 'client.pem'), ('key', 'client-key.pem'),
                 ('server_cert', 'server.pem'), ('server_key', 'server-key.pem')))


class TlsDaemon(object):
    """A mutual-TLS tcp:// endpoint on 127.0.0.1 in front of a unix socket (the second dockerd): what
    `dockerd --tlsverify` offers, with the daemon's own socket behind it. One asyncio loop in a thread pipes
    every connection (hijacked exec streams included, with half-close passed on)."""

    def __init__(self, certs, unix_path):
        self.unix_path = unix_path
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(certs['server_cert'], certs['server_key'])
        self.context.load_verify_locations(certs['ca'])
        self.context.verify_mode = ssl.CERT_REQUIRED
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        threading.Thread(target=self._run, args=(started,), daemon=True).start()
        if not started.wait(30):
            raise AssertionError('the TLS endpoint did not start')
        self.url = 'tcp://127.0.0.1:%d' % self.port

    def _run(self, started):
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(
            asyncio.start_server(self._serve, '127.0.0.1', 0, ssl=self.context))
        self.port = self.server.sockets[0].getsockname()[1]
        started.set()
        self.loop.run_forever()

    async def _serve(self, client_r, client_w):
        try:
            up_r, up_w = await asyncio.open_unix_connection(self.unix_path)
        except OSError:
            client_w.close()
            return

        async def pipe(reader, writer, half_close):
            try:
                while True:
                    data = await reader.read(65536)
                    if not data:
                        break
                    writer.write(data)
                    await writer.drain()
                if half_close and writer.can_write_eof():
                    writer.write_eof()
                else:
                    writer.close()
            except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
                writer.close()
        # the client's EOF half-closes towards the daemon; the daemon's EOF ends the connection
        await asyncio.gather(pipe(client_r, up_w, True), pipe(up_r, client_w, False), return_exceptions=True)
        for writer in (up_w, client_w):
            writer.close()

    def close(self):
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)


if __name__ == '__main__':
    if sys.argv[1] == 'snapshot':
        print(json.dumps(snapshot(sys.argv[2], sys.argv[3], sys.argv[4])))
