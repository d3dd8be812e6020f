#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Compare the call stacks of `vmatrace trace -k` and `strace -k` on the same calls.

usage: stack_depth.py LABEL VMATRACE_OUT STRACE_OUT [--comm-exclude NAME]

Both tracers followed the same process at the same time. A call is matched by its thread, its
name, its first argument (its result for mmap) and its result, in order of occurrence, so that
each is compared with itself. Frames are compared by (file, offset in the file): the two tools
name symbols differently (strace reads .dynsym only), but print the same file offsets.
"""
import collections
import re
import statistics
import sys

VMT_CALL = re.compile(r'^\d\d:\d\d:\d\d\.\d+ (.*)\[(\d+)/(\d+)\] (\w+)\((.*)\) = (\S+)')
ST_CALL = re.compile(r'^(\d+) +(\w+)\((.*)\) += (\S+)')
ST_UNFINISHED = re.compile(r'^(\d+) +(\w+)\((.*) <unfinished \.\.\.>$')
ST_RESUMED = re.compile(r'^(\d+) +<\.\.\. (\w+) resumed>(.*)\) += (\S+)')
FRAME_SYM = re.compile(r'^ > (\S+?)(?:\((.*)\))? \[0x([0-9a-f]+)\]$')
FRAME_OFF = re.compile(r'^ > (\S+?)\+0x([0-9a-f]+)$')


def frame_id(line):
    """(file, offset) of a frame line, and a label for it; None for a note."""
    m = FRAME_SYM.match(line)
    if m:
        sym = (m.group(2) or '').split('+')[0]
        return (m.group(1), int(m.group(3), 16)), '%s(%s)' % (m.group(1), sym)
    m = FRAME_OFF.match(line)
    if m:
        return (m.group(1), int(m.group(2), 16)), m.group(1)
    m = re.match(r'^ > \[0x([0-9a-f]+)\]$', line)
    if m:
        return ('?', int(m.group(1), 16)), '[unknown address]'
    return None


def first_arg(name, args, ret):
    return '' if name == 'mmap' else args.split(',')[0].strip()


def parse(path, vmt, exclude):
    calls = []  # (key, frames [(id, label)], cut)
    cur = None
    pending = {}
    with open(path, errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            if line.startswith(' > '):
                if cur is None:
                    continue
                if 'stack window ended' in line:
                    cur[2][0] = True
                    continue
                fid = frame_id(line)
                if fid:
                    cur[1].append(fid)
                continue
            cur = None
            if vmt:
                m = VMT_CALL.match(line)
                if not m or m.group(1) in exclude:
                    continue
                tid, name, args, ret = m.group(3), m.group(4), m.group(5), m.group(6)
            else:
                m = ST_UNFINISHED.match(line)
                if m:
                    pending[(m.group(1), m.group(2))] = m.group(3)
                    continue
                m = ST_RESUMED.match(line)
                if m:
                    tid, name, ret = m.group(1), m.group(2), m.group(4)
                    args = pending.pop((tid, name), '') + m.group(3)
                else:
                    m = ST_CALL.match(line)
                    if not m:
                        continue
                    tid, name, args, ret = m.groups()
            key = (tid, name, first_arg(name, args, ret), ret)
            cur = (key, [], [False])
            calls.append(cur)
    return calls


def index(calls):
    seen = collections.Counter()
    out = {}
    for key, frames, cut in calls:
        out[key + (seen[key],)] = (frames, cut[0])
        seen[key] += 1
    return out


def depth_line(name, depths):
    if not depths:
        return '%-22s no calls' % name
    return '%-22s median %5.1f  min %3d  max %3d frames' % (
        name, statistics.median(depths), min(depths), max(depths))


def main():
    args = sys.argv[1:]
    exclude = set()
    if '--comm-exclude' in args:
        i = args.index('--comm-exclude')
        exclude.add(args[i + 1])
        del args[i:i + 2]
    label, vpath, spath = args
    v = index(parse(vpath, True, exclude))
    s = index(parse(spath, False, exclude))
    both = [k for k in v if k in s]
    by_call = collections.Counter(k[1] for k in both)
    print('%s: %d calls in both traces (%s); vmatrace only %d, strace only %d' % (
        label, len(both), ', '.join('%s %d' % c for c in sorted(by_call.items())),
        len(v) - len(both), len(s) - len(both)))
    if not both:
        return
    vd = [len(v[k][0]) for k in both]
    sd = [len(s[k][0]) for k in both]
    print('  ' + depth_line('strace -k', sd))
    print('  ' + depth_line('vmatrace -k', vd))
    shallower = sum(a < b for a, b in zip(vd, sd))
    deeper = sum(a > b for a, b in zip(vd, sd))
    cut = sum(v[k][1] for k in both)
    print('  vmatrace shallower on %d calls, as deep on %d, deeper on %d; %d of its stacks cut by '
          'the window' % (shallower, len(both) - shallower - deeper, deeper, cut))
    missing = collections.Counter()
    extra = collections.Counter()
    for k in both:
        vids = {fid for fid, _ in v[k][0]}
        sids = {fid for fid, _ in s[k][0]}
        for fid, lab in s[k][0]:
            if fid not in vids:
                missing[lab] += 1
        for fid, lab in v[k][0]:
            if fid not in sids:
                extra[lab] += 1
    print('  frames strace shows and vmatrace does not: %d (in %d calls)' % (
        sum(missing.values()),
        sum(1 for k in both if {f for f, _ in s[k][0]} - {f for f, _ in v[k][0]})))
    for lab, n in missing.most_common(12):
        print('    %6d  %s' % (n, lab))
    print('  frames vmatrace shows and strace does not: %d' % sum(extra.values()))
    for lab, n in extra.most_common(5):
        print('    %6d  %s' % (n, lab))


if __name__ == '__main__':
    main()
