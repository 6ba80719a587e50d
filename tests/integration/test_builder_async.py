"""buildkit_builder runs as an async task: polled (async + poll) and fire-and-forget (poll: 0 + async_status)."""
import json

from support import TEST_IMAGE, container, run_local_playbook

PLAYBOOK = '''
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/buildkit.fleet.buildkit:
      buildx_config: {store}
  tasks:
    - name: Polled, check mode first
      buildkit.fleet.buildkit_builder:
        name: {polled}
        pull: false
        driver_opts: {{image: {image}, memory: 512m}}
      async: 120
      poll: 5
      check_mode: true
      register: polled_check
    - name: Polled
      buildkit.fleet.buildkit_builder:
        name: {polled}
        pull: false
        driver_opts: {{image: {image}, memory: 512m}}
      async: 120
      poll: 5
      register: polled_first
    - name: Polled again
      buildkit.fleet.buildkit_builder:
        name: {polled}
        pull: false
        driver_opts: {{image: {image}, memory: 512m}}
      async: 120
      poll: 5
      register: polled_again
    - name: Fire and forget
      buildkit.fleet.buildkit_builder:
        name: {background}
        pull: false
        driver_opts: {{image: {image}}}
      async: 120
      poll: 0
      register: started
    - name: Wait for it
      ansible.builtin.async_status:
        jid: "{{{{ started.ansible_job_id }}}}"
      register: background
      until: background.finished
      retries: 60
      delay: 2
    - name: Record the results
      ansible.builtin.copy:
        dest: {results}
        content: "{{{{ dict(polled_check=polled_check, polled_first=polled_first, polled_again=polled_again,
                             started=started, background=background) | to_json }}}}"
        mode: "0600"
'''


def test_async_poll_and_async_status(builder, docker_client, tmp_path):
    polled, background = builder('async'), builder('asyncbg')
    store, results = tmp_path / 'store', tmp_path / 'results.json'
    playbook = tmp_path / 'play.yml'
    playbook.write_text(PLAYBOOK.format(store=store, polled=polled, background=background, image=TEST_IMAGE,
                                        results=results))
    proc = run_local_playbook(playbook, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = json.loads(results.read_text())
    # check mode predicted the create and made nothing; the first run created, the second changed nothing
    assert out['polled_check']['changed'] and 'create container buildx_buildkit_%s0' % polled in out['polled_check']['actions']
    assert out['polled_first']['changed'] and out['polled_first']['actions'] == out['polled_check']['actions']
    assert out['polled_again']['changed'] is False and out['polled_again']['actions'] == []
    assert out['polled_first']['builder']['nodes'][0]['status'] == 'running'
    host = container(docker_client, polled + '0')
    assert host['State']['Running'] and host['HostConfig']['Memory'] == 512 << 20
    assert out['polled_first']['builder']['nodes'][0]['container_id'] == host['Id']
    # poll: 0 returned at once with a job id (not finished); async_status saw the module finish and change
    assert out['started']['ansible_job_id'] and out['started']['started'] and not out['started']['finished']
    assert out['background']['finished'] and out['background']['changed']
    assert container(docker_client, background + '0')['State']['Running']
    assert (store / 'instances' / polled).exists() and (store / 'instances' / background).exists()
