"""The converge lock: exclusive across processes, bounded wait with a clear message, released when the holder dies."""
import multiprocessing
import time

import pytest

from ansible_collections.buildkit.fleet.plugins.module_utils._common import locking


def _hold(key, ready, seconds):
    with locking.held([key], 5, 'holder'):
        ready.set()
        time.sleep(seconds)


def test_second_holder_times_out_naming_what_and_the_option():
    key = 'unit:%f' % time.time()
    ready = multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold, args=(key, ready, 3))
    holder.start()
    assert ready.wait(10)
    started = time.monotonic()
    with pytest.raises(locking.LockTimeout) as caught:
        with locking.held([key], 0.5, 'builder x'):
            pass
    assert 0.4 < time.monotonic() - started < 2
    assert 'builder x' in str(caught.value) and 'lock_timeout' in str(caught.value)
    holder.terminate()
    holder.join()
    with locking.held([key], 2, 'builder x'):  # a dead holder leaves no lock behind
        pass


def test_many_keys_and_repeats():
    keys = ['unit:b', 'unit:a', 'unit:a']
    with locking.held(keys, 1, 'x'):
        pass
    with locking.held(keys, 1, 'x'):
        pass
    assert locking.lock_path('a/b c').endswith('.lock') and '/' not in locking.lock_path('a/b c').rsplit('/', 1)[1][:-5]
