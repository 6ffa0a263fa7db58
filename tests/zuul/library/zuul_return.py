#!/usr/bin/python
# -*- coding: utf-8 -*-
# A stand-in for Zuul's zuul_return, with Zuul's semantics: it merges data
# and secret_data into the job's result file, $ZUUL_JOBDIR/work/results.json
# (or the path argument), which holds {"data": ..., "secret_data": ...};
# dicts are merged key by key, the lists zuul.artifacts and zuul.warnings
# are appended to, anything else is replaced. Like Zuul's action it reports
# no change. The Zuul stand-in (tests/zuul) puts this directory on
# ANSIBLE_LIBRARY and sets ZUUL_JOBDIR; so does the intermediate_registry
# molecule scenario (molecule.yml, and ZUUL_JOBDIR in its playbooks).
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

APPENDED = ('artifacts', 'warnings')


def merge(new, into):
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(value, into[key])
        else:
            into[key] = value


def merge_data(new, into):
    appended = {}
    for key in APPENDED:
        old = into.get('zuul', {}).get(key, [])
        add = new.get('zuul', {}).get(key, [])
        appended[key] = (old if isinstance(old, list) else []) + (add if isinstance(add, list) else [])
    merge(new, into)
    for key, value in appended.items():
        if value:
            into.setdefault('zuul', {})[key] = value


def main():
    module = AnsibleModule(
        argument_spec=dict(
            data=dict(type='dict'),
            secret_data=dict(type='dict', no_log=True),
            path=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    path = module.params['path']
    if not path:
        jobdir = os.environ.get('ZUUL_JOBDIR')
        if not jobdir:
            module.fail_json(msg='ZUUL_JOBDIR is not set: where would the result go?')
        path = os.path.join(jobdir, 'work', 'results.json')
    data, secret_data = {}, {}
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
        if text:
            loaded = json.loads(text)
            data, secret_data = loaded['data'], loaded['secret_data']
    if module.params['data']:
        merge_data(module.params['data'], data)
    if module.params['secret_data']:
        merge_data(module.params['secret_data'], secret_data)
    if not module.check_mode:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
        with os.fdopen(fd, 'w') as f:
            json.dump({'data': data, 'secret_data': secret_data}, f)
        os.rename(tmp, path)
    module.exit_json(changed=False)


if __name__ == '__main__':
    main()
