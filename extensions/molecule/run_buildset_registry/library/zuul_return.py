#!/usr/bin/python
# -*- coding: utf-8 -*-
# A stand-in for Zuul's zuul_return, for this scenario only: it merges its
# data and secret_data into the JSON file named by $GATING_ZUUL_RESULT_FILE,
# as Zuul's executor merges them into zuul.executor.result_data_file
# ({"data": ..., "secret_data": ...}). Playbooks of this directory find it
# in library/.
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ansible.module_utils.basic import AnsibleModule


def merge(into, new):
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = value


def main():
    module = AnsibleModule(
        argument_spec=dict(
            data=dict(type='dict'),
            secret_data=dict(type='dict', no_log=True),
        ),
        supports_check_mode=True,
    )
    path = os.environ.get('GATING_ZUUL_RESULT_FILE')
    if not path:
        module.fail_json(msg='GATING_ZUUL_RESULT_FILE is not set: where would the result go?')
    result = {}
    if os.path.exists(path):
        with open(path) as f:
            result = json.load(f)
    for key in ('data', 'secret_data'):
        if module.params[key] is not None:
            merge(result.setdefault(key, {}), module.params[key])
    if not module.check_mode:
        with open(path, 'w') as f:
            json.dump(result, f)
        os.chmod(path, 0o600)
    module.exit_json(changed=True)


if __name__ == '__main__':
    main()
