# -*- coding: utf-8 -*-
# Copyright: gating.containers maintainers
# Apache License 2.0 (see galaxy.yml)
"""host_port: a registry's host:port as image references and URLs write it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: host_port
short_description: host:port, an IPv6 literal in brackets
version_added: 0.1.0
description:
  - Joins a host and a port as image references and URLs write them, C([::1]:5000) for an IPv6 literal.
  - A host already in brackets is kept as it is.
options:
  _input:
    description: The host name or IP address.
    type: str
    required: true
  port:
    description: The port.
    type: int
    required: true
'''

EXAMPLES = r'''
registry: "{{ intermediate_registry.host | gating.containers.host_port(intermediate_registry.port) }}"
'''

RETURN = r'''
_value:
  description: C(<host>:<port>), or C([<host>]:<port>) for an IPv6 literal.
  type: str
'''


def host_port(host, port):
    host = str(host)
    if ':' in host and not host.startswith('['):
        host = '[' + host + ']'
    return '%s:%s' % (host, port)


class FilterModule(object):
    def filters(self):
        return {'host_port': host_port}
