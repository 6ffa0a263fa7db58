# -*- coding: utf-8 -*-
# Copyright: gating.containers maintainers
# Apache License 2.0 (see galaxy.yml)
"""Run the collection's Go binary modules in one round trip.

Ansible runs a binary module with about seven round trips per task: it
makes a temporary directory, copies the binary and an arguments file,
chmods, runs, and removes them; it never pipelines a binary module and never
picks a build for the host's architecture. This action plugin, used by every
module of the collection, keeps each binary in a per-user cache on the host,
named by its sha256, and runs it in one round trip:

* one shell command picks the build for ``uname -sm``, checks that the
  cache directory is the user's own and not writable by others, checks the
  cached binary's sha256, and runs it with the task's arguments on stdin
  (``<binary> -``): no arguments file, so no secret lands on disk;
* when the binary is missing (or was tampered with: it is removed, never
  run), it is sent on stdin, written to a temporary file, checked against
  its sha256, made read-only and renamed into place; then the task runs.
  Only the two newest builds of each module stay in the cache.

Where this cannot apply - async tasks, ``su`` or a sudo with requiretty
(they need a terminal), connections that cannot pipe stdin, non-POSIX
shells, kept remote files, a cache directory that is unsafe or cannot be
made, or
``gating_containers_fast_modules: false`` - the task runs Ansible's normal
way, with the binary built for the host's architecture.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import shlex
from collections.abc import Sequence

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action.normal import ActionModule as NormalAction
from ansible.utils.display import Display
from ansible.vars.clean import remove_internal_keys

display = Display()

# plugins/plugin_utils/go_module.py -> plugins/
PLUGINS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MANIFEST = os.path.join(PLUGINS, 'bin', 'SHA256SUMS')

# Where each platform's build lives, relative to plugins/. The linux/amd64
# build is the module file Ansible itself resolves (and the one its normal
# execution copies); every other platform is under plugins/bin/.
PLATFORMS = {
    'linux_amd64': 'modules/{name}',
    'linux_arm64': 'bin/linux_arm64/{name}',
}

# `uname -sm` of a host (or its facts' system and architecture) -> platform.
UNAME = {
    ('Linux', 'x86_64'): 'linux_amd64',
    ('Linux', 'amd64'): 'linux_amd64',
    ('Linux', 'aarch64'): 'linux_arm64',
    ('Linux', 'arm64'): 'linux_arm64',
}

DEFAULT_CACHE = '~/.ansible/gating.containers/bin'
KEEP_VERSIONS = 2  # per module: the build just installed and the newest other one
MARK = 'gating-fast'
REQUIRETTY = ('gating.containers: sudo on this host needs a terminal (requiretty), which a command fed on stdin '
              'cannot have; %s ran the normal way (set gating_containers_fast_modules: false for this host to '
              'skip the attempt)')
UNSAFE = ('gating.containers: the module cache %s is not a directory of the remote user that only they can '
          'write; %s ran the normal way')

# Shared by both remote scripts: the cache directory must be a real
# directory owned by the user and writable by no one else.
_SAFE_DIR = r'''
safe() {
  [ -d "$d" ] && [ ! -L "$d" ] && [ -O "$d" ] || return 1
  case $(ls -ld "$d") in d????w*|d???????w*) return 1 ;; esac
}'''

# Runs the cached binary when it is there and intact. Prints one marker
# line instead when the module did not run. $1 and $2 of `uname -sm`. The
# module keeps the shell's umask, as Ansible's normal way does.
_RUN = r'''d={cache}
set -- $(uname -sm)
case "$1/$2" in
{cases}
*) echo "{mark} unsupported $1/$2"; cat >/dev/null; exit 0 ;;
esac
command -v sha256sum >/dev/null || {{ echo "{mark} nosha256sum $p"; cat >/dev/null; exit 0; }}
f="$d/{name}-$h"{safe}
if ! safe; then
  if [ -e "$d" ]; then echo "{mark} unsafe $p"; else echo "{mark} miss $p"; fi
  cat >/dev/null; exit 0
fi
if [ -f "$f" ] && [ ! -L "$f" ] && [ -O "$f" ]; then
  case $(sha256sum "$f") in
  "$h "*) {env}"$f" -; exit $? ;;
  esac
  rm -f "$f"; echo "{mark} tampered $p"
else
  echo "{mark} miss $p"
fi
cat >/dev/null'''

# Writes the binary on stdin into the cache: temporary file, sha256 check,
# read-only, rename; then removes older builds and stale temporary files.
_INSTALL = r'''umask 077
d={cache}
h={sha256}{safe}
mkdir -p "$d" 2>/dev/null
if ! safe; then
  if [ -d "$d" ]; then echo "{mark} unsafe"; else echo "{mark} nocache"; fi
  cat >/dev/null; exit 0
fi
t="$d/.{name}-$h.$$"
if ! cat >"$t"; then rm -f "$t"; echo "{mark} nocache"; exit 0; fi
case $(sha256sum "$t") in
"$h "*) ;;
*) rm -f "$t"; echo "{mark} corrupt"; exit 0 ;;
esac
chmod 0500 "$t" && mv -f "$t" "$d/{name}-$h" || {{ rm -f "$t"; echo "{mark} nocache"; exit 0; }}
ls -t "$d"/{name}-* | tail -n +{keep_after} | while read -r old; do rm -f "$old"; done
find "$d" -maxdepth 1 -type f -name '.*' -mmin +60 -exec rm -f {{}} + 2>/dev/null
echo "{mark} installed"'''


def remote_path(path):
    """Quote a path for the remote shell, keeping ~/ relative to $HOME."""
    if path == '~':
        return '"$HOME"'
    if path.startswith('~/'):
        return '"$HOME"/' + shlex.quote(path[2:])
    return shlex.quote(path)


def read_manifest():
    """The sha256 of every build, keyed by path relative to plugins/."""
    sums = {}
    try:
        with open(MANIFEST) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    sums[parts[1]] = parts[0]
    except OSError as e:
        raise AnsibleActionFail('gating.containers: reading %s: %s (run make build)' % (MANIFEST, e))
    return sums


def no_build(name, system_machine):
    return AnsibleActionFail('gating.containers: %s has no build for this host (%s); builds: %s'
                             % (name, system_machine, ', '.join(sorted(PLATFORMS))))


class FastPathUnavailable(Exception):
    """The task must run Ansible's normal way; the message says why."""


class ActionModule(NormalAction):
    """Runs a gating.containers Go module: cached on the host, one round trip."""

    _platform = None  # the host's platform, once known: picks the build
    _warnings = ()  # for the task's result

    def _warn(self, msg):
        self._warnings = tuple(self._warnings) + (msg,)

    def _execute_module(self, module_name=None, module_args=None, tmp=None, task_vars=None,
                        persist_files=False, delete_remote_tmp=None, wrap_async=False):
        task_vars = task_vars if task_vars is not None else {}
        why = self._no_fast_path(module_name, task_vars, wrap_async)
        result = None
        if why is None:
            try:
                result = self._fast(module_args, task_vars)
            except FastPathUnavailable as e:
                why = str(e)
        if result is None:
            display.vvv('gating.containers: %s runs the normal way: %s' % (self._task.action, why),
                        host=self._play_context.remote_addr)
            if self._platform is None:
                self._platform = self._host_platform(task_vars)
            result = super(ActionModule, self)._execute_module(
                module_name=module_name, module_args=module_args, task_vars=task_vars,
                persist_files=persist_files, wrap_async=wrap_async)
        if self._warnings:
            result['warnings'] = list(result.get('warnings') or []) + list(self._warnings)
        return result

    def _configure_module(self, module_name, module_args, task_vars):
        """Ansible's module file, swapped for the build of the host's platform."""
        style, shebang, data, path = super(ActionModule, self)._configure_module(module_name, module_args, task_vars)
        if style == 'binary' and self._platform and self._platform != 'linux_amd64':
            path = self._build(self._platform)
            with open(path, 'rb') as f:
                data = f.read()
        return style, shebang, data, path

    # -- when the fast path applies

    def _no_fast_path(self, module_name, task_vars, wrap_async):
        if module_name not in (None, self._task.action):
            return 'another module (%s) was asked for' % module_name
        if not boolean(self._templar.template(task_vars.get('gating_containers_fast_modules', True)), strict=False):
            return 'gating_containers_fast_modules is false'
        if wrap_async or self._task.async_val:
            return 'async tasks need the async wrapper'
        if C.DEFAULT_KEEP_REMOTE_FILES:
            return 'ANSIBLE_KEEP_REMOTE_FILES asks for the module files on the host'
        if not self._connection.has_pipelining or not self._connection.allow_executable:
            return 'the %s connection cannot pipe stdin to a command' % self._connection.transport
        if getattr(self._connection._shell, 'SHELL_FAMILY', 'sh') != 'sh':
            return 'the remote shell is not a POSIX shell'
        if self._connection.become and self._connection.become.name == 'su':
            return 'su needs a terminal, and stdin carries the arguments'
        return None

    # -- the fast path

    def _name(self):
        return (self._task.resolved_action or self._task.action).rpartition('.')[2]

    def _build(self, platform):
        """The local path of the module's build for a platform."""
        path = os.path.join(PLUGINS, PLATFORMS[platform].format(name=self._name()))
        if not os.path.isfile(path):
            raise AnsibleActionFail('gating.containers: %s has no %s build at %s (run make build)'
                                    % (self._name(), platform, path))
        return path

    def _cache(self, task_vars):
        """The cache directory: as given, and quoted for the remote shell."""
        path = self._templar.template(task_vars.get('gating_containers_module_cache', DEFAULT_CACHE))
        if not isinstance(path, str) or not path or '\n' in path:
            raise AnsibleActionFail('gating_containers_module_cache must be a path, got %r' % (path,))
        path = path.rstrip('/') or '/'
        return path, remote_path(path)

    def _fast(self, module_args, task_vars):
        name = self._name()
        sums = read_manifest()
        hashes = {}
        for platform, rel in PLATFORMS.items():
            digest = sums.get(rel.format(name=name))
            if digest:
                hashes[platform] = digest
        if not hashes:
            raise AnsibleActionFail('gating.containers: %s is not in %s (run make build)' % (name, MANIFEST))
        cases = []
        for (system, machine), platform in sorted(UNAME.items()):
            if platform in hashes:
                cases.append('%s/%s) p=%s h=%s ;;' % (system, machine, platform, hashes[platform]))
        cache, quoted = self._cache(task_vars)

        if module_args is None:
            module_args = self._task.args
        self._update_module_args(self._task.action, module_args, task_vars)
        env = self._compute_environment_string()
        run = _RUN.format(cache=quoted, cases='\n'.join(cases), name=name, mark=MARK, safe=_SAFE_DIR,
                          env=(env + ' ') if env else '')
        args = to_bytes(json.dumps(module_args))

        res = self._low_level_execute_command(run, sudoable=True, in_data=args)
        status = self._status(res)
        if status is None and res.get('rc') and 'must have a tty' in to_text(res.get('stderr', '')):
            self._warn(REQUIRETTY % name)
            raise FastPathUnavailable('sudo requires a terminal (requiretty)')
        if status is None:
            return self._result(res)
        word, platform = status
        if word == 'unsupported':
            raise no_build(name, platform)
        self._platform = platform
        if word == 'tampered':
            self._warn('gating.containers: the cached %s (%s) did not match its sha256 %s: removed, not run, '
                       'and cached again' % (name, platform, hashes[platform]))
        elif word != 'miss':
            self._no_cache(word, cache)
        self._install(cache, quoted, platform, hashes[platform])
        res = self._low_level_execute_command(run, sudoable=True, in_data=args)
        status = self._status(res)
        if status is None:
            return self._result(res)
        raise FastPathUnavailable('after caching the binary the cache said: %s' % status[0])

    def _install(self, cache, quoted, platform, digest):
        path = self._build(platform)
        with open(path, 'rb') as f:
            data = f.read()
        actual = hashlib.sha256(data).hexdigest()
        if actual != digest:
            raise AnsibleActionFail('gating.containers: %s has sha256 %s but %s lists %s (run make build)'
                                    % (path, actual, MANIFEST, digest))
        display.vvv('gating.containers: caching %s (%s, %d bytes) in %s' % (self._name(), platform, len(data), cache),
                    host=self._play_context.remote_addr)
        script = _INSTALL.format(cache=quoted, sha256=digest, name=self._name(), mark=MARK, safe=_SAFE_DIR,
                                 keep_after=KEEP_VERSIONS + 1)
        res = self._low_level_execute_command(script, sudoable=True, in_data=data)
        status = self._status(res)
        if status is None:
            self._no_cache('rc %s, stdout %r, stderr %r' % (
                res.get('rc'), res.get('stdout', '')[:200], res.get('stderr', '')[:200]), cache)
        if status[0] != 'installed':
            self._no_cache(status[0], cache)

    def _no_cache(self, why, cache):
        """The cache cannot serve (unsafe, nocache, corrupt, nosha256sum...): the normal way, warning if unsafe."""
        if why == 'unsafe':
            self._warn(UNSAFE % (cache, self._name()))
        raise FastPathUnavailable('the module cache %s: %s' % (cache, why))

    @staticmethod
    def _status(res):
        """The marker the remote script printed instead of running the module, if any."""
        out = res.get('stdout', '').strip()
        if not out.startswith(MARK + ' '):
            return None
        words = out.split()
        return words[1], (words[2] if len(words) > 2 else None)

    def _result(self, res):
        """What Ansible's _execute_module makes of a module's output."""
        data = self._parse_returned_data(res)
        data.pop('_ansible_suppress_tmpdir_delete', None)
        if 'results' in data and (not isinstance(data['results'], Sequence) or isinstance(data['results'], str)):
            data['ansible_module_results'] = data.pop('results')
            display.warning("Found internal 'results' key in module return, renamed to 'ansible_module_results'.")
        remove_internal_keys(data)
        for key in ('stdout', 'stderr'):
            if key in data and key + '_lines' not in data:
                data[key + '_lines'] = (data.get(key) or u'').splitlines()
        return data

    # -- the normal way

    def _host_platform(self, task_vars):
        """The host's platform from its facts, or from uname when there are none."""
        facts = {} if self._task.delegate_to else task_vars.get('ansible_facts') or {}
        platform = UNAME.get((facts.get('system'), facts.get('architecture')))
        if platform:
            return platform
        res = self._low_level_execute_command('uname -sm', sudoable=False)
        words = tuple(to_text(res.get('stdout', '')).split())
        if res.get('rc') != 0 or len(words) != 2:
            raise AnsibleActionFail('gating.containers: uname -sm on the host failed: rc %s, %s'
                                    % (res.get('rc'), to_text(res.get('stderr', '')).strip()))
        if words not in UNAME:
            raise no_build(self._name(), '/'.join(words))
        return UNAME[words]
