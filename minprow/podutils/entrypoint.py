"""The entrypoint: run a job's test command with a timeout, log it, and mark its exit code.

Corresponds to Prow's pkg/entrypoint (run.go, options.go) and cmd/entrypoint.
The test container runs the job's own image, which may have no Python, so the
wrapper is a POSIX shell program, `WRAPPER`, written here once:

- `place(dest)` (the `place-entrypoint` init container, Prow's
  `entrypoint --copy-mode-only`) writes it, executable, into the shared tools
  volume as `/tools/entrypoint`, which becomes the test container's command;
- `minprow podutils entrypoint` (`exec_wrapper`) runs that very program with
  `/bin/sh`, so the two can never disagree.

Requirement on the test image: `/bin/sh` (POSIX: dash, bash, busybox ash) and
the utilities busybox has: `awk`, `mkfifo`, `tee`, `sleep`, `mkdir`, `mv`,
`rm`, `date`, and `setsid` where available (the command then runs in its own
process group, so a timeout reaches its children too).

What the wrapper does, reading `$ENTRYPOINT_OPTIONS` (Prow's JSON, parsed by
an awk program in it):

1. create `artifact_dir`, truncate `process_log`; wait for `previous_marker`
   when set and skip with 1130 (Prow's `PreviousErrorCode`) if it is not 0;
2. run `args` with stdin from /dev/null and stdout+stderr through `tee` to
   the process log and its own stdout;
3. after `timeout` (Prow's default 2h when 0): SIGINT and SIGTERM, then SIGKILL
   after `grace_period` (default 15s); the code is 127 (Prow's
   `InternalErrorCode`), or the command's with `propagate_error_code`;
4. on SIGTERM/SIGINT to itself (the kubelet deleting the pod): the same
   forwarding, code 130 (`AbortedErrorCode`) unless `propagate_error_code`;
5. a command that cannot be found or is not executable: 127, with Prow's
   "could not start the process" message in the process log;
6. write the code to `marker_file` atomically (temp file + rename), exit with
   it, or 0 with `always_zero`; 127 when the marker cannot be written.

Differences from Prow, forced by the shell: Prow sends only SIGINT on
timeout, but a shell's background job ignores SIGINT, so SIGTERM follows it;
a command killed by a signal it did not get from the wrapper is marked
128+signal where Go writes -1; and the wrapper's own log lines are a subset of
logrus' JSON fields (component, level, msg, severity, time).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

from minprow.podutils.options import ENTRYPOINT_OPTIONS, OptionsError

DEFAULT_DESTINATION = "/tools/entrypoint"
"""Where `place-entrypoint` puts the wrapper (Prow's `defaultCopyDst`)."""
INTERNAL_ERROR_CODE = 127
ABORTED_ERROR_CODE = 130
PREVIOUS_ERROR_CODE = 1130
SHELL = "/bin/sh"

# The JSON reader. It runs under LC_ALL=C so strings are bytes and `%c` writes
# one byte; it prints shell assignments (`opt_<field>='...'`) and a `set --`
# of the args, quoted with the single quote passed in as `sq` (the program
# itself sits in single quotes in the script and cannot contain one).
_AWK = r"""
function fail(msg) { printf "malformed $ENTRYPOINT_OPTIONS: %s\n", msg > "/dev/stderr"; exit 2 }
function ws() { while (pos <= n && index(" \t\r\n", substr(s, pos, 1))) pos++ }
function hex(h,   i, v, c) {
  v = 0
  for (i = 1; i <= 4; i++) {
    c = index("0123456789abcdef", tolower(substr(h, i, 1)))
    if (!c) fail("bad \\u escape")
    v = v * 16 + c - 1
  }
  return v
}
function utf8(c) {
  if (c < 128) return sprintf("%c", c)
  if (c < 2048) return sprintf("%c%c", 192 + int(c / 64), 128 + c % 64)
  return sprintf("%c%c%c", 224 + int(c / 4096), 128 + int(c / 64) % 64, 128 + c % 64)
}
function str(   out, c, e) {
  if (substr(s, pos, 1) != "\"") fail("expected a string at offset " pos)
  pos++
  out = ""
  while (pos <= n) {
    c = substr(s, pos, 1)
    if (c == "\"") { pos++; return out }
    if (c == "\\") {
      e = substr(s, pos + 1, 1)
      pos += 2
      if (e == "n") out = out "\n"
      else if (e == "t") out = out "\t"
      else if (e == "r") out = out "\r"
      else if (e == "b") out = out "\b"
      else if (e == "f") out = out "\f"
      else if (e == "u") { out = out utf8(hex(substr(s, pos, 4))); pos += 4 }
      else out = out e
      continue
    }
    match(substr(s, pos), /^[^"\\]+/)
    out = out substr(s, pos, RLENGTH)
    pos += RLENGTH
  }
  fail("unterminated string")
}
function value(key,   c, v) {
  ws()
  c = substr(s, pos, 1)
  if (c == "\"") { v = str(); if (key != "") emit(key, v); return }
  if (c == "{") { object(0); return }
  if (c == "[") {
    pos++
    ws()
    if (substr(s, pos, 1) == "]") { pos++; return }
    while (1) {
      ws()
      if (key == "args") {
        if (substr(s, pos, 1) != "\"") fail("args must be strings")
        arg[++nargs] = str()
      } else value("")
      ws()
      c = substr(s, pos, 1)
      pos++
      if (c == "]") return
      if (c != ",") fail("expected , or ] at offset " pos)
    }
  }
  if (!match(substr(s, pos), /^[-+.0-9A-Za-z]+/)) fail("unexpected character at offset " pos)
  v = substr(s, pos, RLENGTH)
  pos += RLENGTH
  if (key != "") emit(key, v)
}
function object(top,   k, c) {
  ws()
  if (substr(s, pos, 1) != "{") fail("expected an object")
  pos++
  ws()
  if (substr(s, pos, 1) == "}") { pos++; return }
  while (1) {
    ws()
    k = str()
    ws()
    if (substr(s, pos, 1) != ":") fail("expected : at offset " pos)
    pos++
    value(top ? k : "")
    ws()
    c = substr(s, pos, 1)
    pos++
    if (c == "}") return
    if (c != ",") fail("expected , or } at offset " pos)
  }
}
function q(v,   out, i) {
  out = sq
  while ((i = index(v, sq)) > 0) {
    out = out substr(v, 1, i - 1) sq "\"" sq "\"" sq
    v = substr(v, i + 1)
  }
  return out v sq
}
function godur(ns,   h, m, sec, out) {
  if (ns == 0) return "0s"
  if (ns < 1000000000) return (ns / 1000000) "ms"
  h = int(ns / 3600000000000); ns -= h * 3600000000000
  m = int(ns / 60000000000); ns -= m * 60000000000
  sec = ns / 1000000000
  out = ""
  if (h) out = h "h"
  if (h || m) out = out m "m"
  return out sec "s"
}
function emit(k, v) {
  if (k !~ /^[a-z_]+$/) return
  if (v == "null") v = ""
  print "opt_" k "=" q(v)
  if (k == "timeout" || k == "grace_period") {
    print "opt_" k "_s=" q(sprintf("%.3f", v / 1000000000))
    print "opt_" k "_go=" q(godur(v + 0))
  }
}
BEGIN {
  s = ENVIRON["ENTRYPOINT_OPTIONS"]
  n = length(s)
  pos = 1
  nargs = 0
  object(1)
  line = "set --"
  for (i = 1; i <= nargs; i++) line = line " " q(arg[i])
  print line
}
"""

WRAPPER = (
    r"""#!/bin/sh
# minprow's entrypoint, placed by `minprow podutils place-entrypoint` and run by
# `minprow podutils entrypoint`: written once, in minprow/podutils/entrypoint.py,
# whose docstring says what it does and what it needs.
set -u
awk_prog='"""
    + _AWK
    + r"""'

say() {
    # logrus' JSON lines: to stdout, and to the process log once it exists.
    line="{\"component\":\"entrypoint\",\"level\":\"$1\",\"msg\":\"$2\",\"severity\":\"$1\",\"time\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}"
    printf '%s\n' "$line"
    if [ -n "${log_ready:-}" ]; then printf '%s\n' "$line" >>"$opt_process_log"; fi
}
fatal() { say fatal "$1"; exit 1; }

opt_timeout=0 opt_grace_period=0 opt_timeout_s=7200.000 opt_grace_period_s=15.000
opt_artifact_dir='' opt_previous_marker='' opt_always_zero=false
opt_propagate_error_code=false opt_process_log='' opt_marker_file='' opt_container_name=''
options=$(LC_ALL=C awk -v "sq='" "$awk_prog" </dev/null) || fatal "could not read \$ENTRYPOINT_OPTIONS"
eval "$options"
# Prow's optionOrDefault: 0 means the default.
if [ "$opt_timeout" = 0 ]; then opt_timeout_s=7200.000 opt_timeout_go=2h0m0s; fi
if [ "$opt_grace_period" = 0 ]; then opt_grace_period_s=15.000 opt_grace_period_go=15s; fi
[ $# -gt 0 ] || fatal "no process to wrap specified"
[ -n "$opt_process_log" ] || fatal "no process log specified"
[ -n "$opt_marker_file" ] || fatal "no marker file specified"
if [ "$opt_propagate_error_code" = true ] && [ "$opt_always_zero" = true ]; then
    fatal "cannot propagate error code and always exit zero"
fi

lookpath() {
    # Go's exec.LookPath: a path is used as it is, a name is searched in $PATH.
    case $1 in */*) [ -f "$1" ] && [ -x "$1" ]; return ;; esac
    saved_ifs=$IFS
    IFS=:
    set -f
    for dir in $PATH; do
        if [ -f "${dir:-.}/$1" ] && [ -x "${dir:-.}/$1" ]; then IFS=$saved_ifs; set +f; return 0; fi
    done
    IFS=$saved_ifs
    set +f
    return 1
}

signal_child() {
    # The whole process group when setsid put the command in one of its own.
    for sig in "$@"; do
        if [ -n "$group" ]; then kill -s "$sig" -- "-$child" 2>/dev/null || kill -s "$sig" "$child" 2>/dev/null
        else kill -s "$sig" "$child" 2>/dev/null; fi
    done
}

execute() {
    if [ -n "$opt_artifact_dir" ] && ! mkdir -p "$opt_artifact_dir"; then
        say error "could not create artifact directory($opt_artifact_dir)"
        code=127
        return
    fi
    if ! printf "" 2>/dev/null >"$opt_process_log"; then
        say error "could not create process logfile($opt_process_log)"
        code=127
        return
    fi
    log_ready=1
    if [ -n "$opt_previous_marker" ]; then
        while [ ! -f "$opt_previous_marker" ]; do sleep 1; done
        previous=$(cat "$opt_previous_marker")
        if [ "$previous" != 0 ]; then
            say info "Skipping as previous step exited $previous"
            code=1130
            return
        fi
    fi
    if ! lookpath "$1"; then
        printf 'could not start the process: exec: "%s": executable file not found in $PATH' "$1" >>"$opt_process_log"
        say error "Error executing test process"
        code=127
        return
    fi
    work="$marker_dir/.entrypoint-${opt_container_name:-test}-$$"
    rm -rf "$work" && mkdir -p "$work" && mkfifo "$work/output" || {
        say error "could not create $work"
        code=127
        return
    }
    tee -a "$opt_process_log" <"$work/output" &
    tee_pid=$!
    group=''
    if command -v setsid >/dev/null 2>&1; then
        group=1
        setsid "$@" >"$work/output" 2>&1 </dev/null &
    else
        "$@" >"$work/output" 2>&1 </dev/null &
    fi
    child=$!
    (
        trap 'kill "$nap" 2>/dev/null; exit 0' TERM
        sleep "$opt_timeout_s" & nap=$!
        wait "$nap"
        printf "" >"$work/timed-out"
        say error "Process did not finish before $opt_timeout_go timeout"
        signal_child INT TERM
        sleep "$opt_grace_period_s" & nap=$!
        wait "$nap"
        say error "Process did not exit before $opt_grace_period_go grace period"
        signal_child KILL
    ) &
    watchdog=$!
    aborted=''
    trap 'on_signal interrupt' INT
    trap 'on_signal terminated' TERM
    while :; do
        wait "$child" 2>/dev/null
        status=$?
        # A trapped signal ends `wait` early: wait again until the child is gone.
        kill -0 "$child" 2>/dev/null || break
    done
    trap - INT TERM
    kill "$watchdog" 2>/dev/null
    wait "$watchdog" 2>/dev/null
    [ -z "${killer:-}" ] || { kill "$killer" 2>/dev/null; wait "$killer" 2>/dev/null; }
    wait "$tee_pid"
    if [ -f "$work/timed-out" ]; then
        [ "$opt_propagate_error_code" = true ] || status=127
    elif [ -n "$aborted" ]; then
        [ "$opt_propagate_error_code" = true ] || status=130
    elif [ "$status" != 0 ]; then
        say error "Error executing test process: wrapped process failed: exit status $status"
    fi
    rm -rf "$work"
    code=$status
}

on_signal() {
    [ -z "$aborted" ] || return 0
    aborted=1
    say error "Entrypoint received interrupt: $1"
    signal_child INT TERM
    (
        trap 'kill "$nap" 2>/dev/null; exit 0' TERM
        sleep "$opt_grace_period_s" & nap=$!
        wait "$nap"
        say error "Process did not exit before $opt_grace_period_go grace period"
        signal_child KILL
    ) &
    killer=$!
}

case $opt_marker_file in
*/*) marker_dir=${opt_marker_file%/*} ;;
*) marker_dir=. ;;
esac
code=0
execute "$@"
mark="$marker_dir/.marker-$$"
if ! { printf '%s' "$code" >"$mark" && chmod 0777 "$mark" && mv -f "$mark" "$opt_marker_file"; } 2>/dev/null; then
    say error "Error writing exit code to marker file"
    exit 127
fi
[ "$opt_always_zero" = true ] && exit 0
exit "$code"
"""
)


def place(destination: Path) -> None:
    """Write the wrapper to `destination`, executable, atomically (Prow's copy mode)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=destination.parent, prefix=".entrypoint-")
    try:
        with os.fdopen(fd, "w") as file:
            file.write(WRAPPER)
        os.chmod(temp, 0o755)
        os.replace(temp, destination)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def exec_wrapper(environ: Mapping[str, str]) -> NoReturn:
    """Replace this process with the wrapper under `/bin/sh`, as the test container runs it.

    The wrapper reads `$ENTRYPOINT_OPTIONS` from `environ`; signals sent to this
    process reach the shell, as they reach `/tools/entrypoint` in a pod."""
    if not environ.get(ENTRYPOINT_OPTIONS):
        raise OptionsError(f"${ENTRYPOINT_OPTIONS} is unset: nothing to run")
    os.execve(SHELL, [SHELL, "-c", WRAPPER, "entrypoint"], dict(environ))
