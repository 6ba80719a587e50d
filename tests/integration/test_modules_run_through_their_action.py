"""Every module task runs through the collection's action plugin (ansible.builtin.normal with the cyclic garbage
collector paused): loops, retries, check mode and async behave as they do without it, on the real daemon."""

from support import TEST_IMAGE, container, run_local_playbook

PLAYBOOK = '''
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/buildkit.fleet.buildkit:
      buildx_config: {store}
  tasks:
    - name: Check mode predicts the builder
      buildkit.fleet.buildkit_builder:
        name: {name}
        pull: false
        driver_opts: {{image: {image}}}
      check_mode: true
      register: predicted
    - name: The builder, in the background
      buildkit.fleet.buildkit_builder:
        name: {name}
        pull: false
        driver_opts: {{image: {image}}}
      async: 120
      poll: 2
      register: created
    - name: Three names in a loop, retried until the builder is running
      buildkit.fleet.buildkit_builder_info:
        name: "{{{{ item }}}}"
      loop: [{name}, {name}-missing, {name}]
      register: info
      until: info.exists is false or info.builders[0].nodes[0].status == 'running'
      retries: 2
      delay: 1
    - ansible.builtin.assert:
        that:
          - predicted.changed and created.changed
          - info.results | map(attribute='exists') | list == [true, false, true]
          - info.results[0].builders[0].nodes[0].status == 'running'
'''


def test_loops_retries_check_mode_and_async_through_the_action(builder, docker_client, tmp_path):
    name = builder('action')
    store = tmp_path / 'store'
    playbook = tmp_path / 'play.yml'
    playbook.write_text(PLAYBOOK.format(store=store, name=name, image=TEST_IMAGE))
    proc = run_local_playbook(playbook, ANSIBLE_DEBUG='1')
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    for module in ('buildkit_builder', 'buildkit_builder_info'):
        assert "Loading ActionModule 'ansible_collections.buildkit.fleet.plugins.action.%s'" % module in proc.stdout
    assert (store / 'instances' / name).exists()
    assert container(docker_client, name + '0')['State']['Running']
