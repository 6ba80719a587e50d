from ansible_collections.buildkit.fleet.plugins.module_utils._common import times as tm


def test_parse_time_and_format():
    assert tm.parse_time('2026-11-28T07:17:24Z') == tm.parse_time('2026-11-28T08:17:24+01:00')
    assert tm.format_time(tm.parse_time('2026-11-28T07:17:24.123456789Z')) == '2026-11-28T07:17:24Z'
    assert tm.parse_time('garbage') is None and tm.parse_time(None) is None


def test_nanoseconds_are_exact_and_order_docker_times():
    assert tm.parse_time_ns('2026-11-28T07:17:25.36541445Z') == tm.parse_time_ns('2026-11-28T07:17:25Z') + 365414450
    # Docker drops trailing zeros: .5 is later than .499999999
    assert tm.parse_time_ns('2026-11-28T07:17:25.5Z') > tm.parse_time_ns('2026-11-28T07:17:25.499999999Z')
    assert tm.parse_time_ns('') is None
    assert tm.format_time(None) is None
    assert tm.now_text().endswith('Z')
