"""The action group lets module_defaults set the connection and store options once."""

from support import TEST_IMAGE, container, run_local_playbook

PLAYBOOK = '''
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/buildkit.fleet.buildkit:
      buildx_config: {store}
      docker_host: unix:///var/run/docker.sock
      timeout: 30
  tasks:
    - buildkit.fleet.buildkit_builder:
        name: {name}
        pull: false
        driver_opts:
          image: {image}
    - buildkit.fleet.buildkit_builder_info:
        name: {name}
      register: info
    - ansible.builtin.assert:
        that: info.builders[0].nodes[0].status == 'running'
    - buildkit.fleet.buildkit_builders:
        builders:
          - name: {name}
            pull: false
            driver_opts:
              image: {image}
      register: batch
    - ansible.builtin.assert:
        that: not batch.changed and batch.builders[0].builder.nodes[0].status == 'running'
'''


def test_module_defaults_reach_every_module_of_the_group(builder, docker_client, tmp_path):
    name = builder('defaults')
    store = tmp_path / 'store'
    playbook = tmp_path / 'play.yml'
    playbook.write_text(PLAYBOOK.format(store=store, name=name, image=TEST_IMAGE))
    proc = run_local_playbook(playbook)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (store / 'instances' / name).exists()
    assert container(docker_client, name + '0')['State']['Running']
