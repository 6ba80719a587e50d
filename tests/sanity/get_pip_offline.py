"""Stand-in for ansible-test's get-pip bootstrap (ci-files.testing.ansible.com is unreachable here).

It gives the venv pip with ensurepip, points the venv's pip at the system CA bundle (ansible-test
drops PIP_* variables), then installs the requested packages."""
import ensurepip
import os
import subprocess
import sys

CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt'

ensurepip.bootstrap(upgrade=True)
if os.path.exists(CA_BUNDLE):
    with open(os.path.join(sys.prefix, 'pip.conf'), 'w') as handle:
        handle.write('[global]\ncert = %s\n' % CA_BUNDLE)
args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
if os.path.exists(CA_BUNDLE):
    args = ['--cert', CA_BUNDLE] + args
sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install', '--quiet'] + args))
