# -*- coding: utf-8 -*-
# Copyright: gating.containers maintainers
# Apache License 2.0 (see galaxy.yml)
"""Runs the buildkitd_toml Go module, cached on the host, in one round trip."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.gating.containers.plugins.plugin_utils.go_module import ActionModule

__all__ = ["ActionModule"]
