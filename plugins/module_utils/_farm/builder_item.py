# -*- coding: utf-8 -*-
# Copyright (c) buildkit.fleet contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The item of buildkit.fleet.buildkit_builders that declares a farm host's serving builder (pure).

Private to the buildkit.fleet collection: not for use from other collections; it may change in any release.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


def gc_settings(gc):
    """The gc settings without the empty ones (an empty string leaves a setting out; other values are kept)."""
    return dict((key, value) for key, value in (gc or {}).items() if not (isinstance(value, str) and value == ''))


def builder_item(options, name, serve, gc=None, platforms=None):
    """OPTIONS (the more options of the item) with name and serve, gc when a setting is left, and platforms
    when some are given: what the role sets wins over OPTIONS."""
    item = dict(options or {})
    item['name'] = name
    item['serve'] = serve
    gc = gc_settings(gc)
    if gc:
        item['gc'] = gc
    if platforms:
        item['platforms'] = platforms
    return item
