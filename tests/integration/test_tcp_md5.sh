#!/bin/bash
# SPDX-License-Identifier: MIT
# TCP-MD5 (RFC 2385, TCP_MD5SIG) against the kernel, differentially: each
# step runs under the shim and on a reference kernel in a third namespace
# joined to the peer by its own veth (10.99.1.20 <-> 10.99.1.2), and the
# outcomes must be the same.
#   errnos:  the TCP_MD5SIG / TCP_MD5SIG_EXT errno table (sizes, EFAULT,
#            family, prefix, ifindex, ENOENT deletes, getsockopt);
#   client:  a signed client to the peer's kernel server holding keys for
#            both: 300 kB up, 100 kB and the server's FIN down, then an
#            abortive close (RST);
#            the peer counts no MD5 failure; with the wrong key the connect
#            times out and the peer's TcpExtTCPMD5Failure rises, as for the
#            kernel's client;
#   server:  the peer's kernel client to a listener holding a key for it
#            (the child takes it over), and with the wrong key: no connection;
#   layout:  the TCP options (kinds and lengths, in order) of every SYN,
#            SYN-ACK, ACK, data segment, FIN and RST the stack sent equal the
#            reference kernel's in the same roles (SACK blocks, which come
#            with loss or reordering, only where they go); every segment carries the
#            MD5 option, and the digests of the stack's segments (those the
#            capture holds whole) are RFC 2385's under the key it was given.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tcp_md5

testbed_ref_up
PY="$SOCKSHIM_SOURCE_DIR/tests/integration/tcp_md5.py"
KEY=sockshim-md5-key
# netstat_get NS NAME: a TcpExt counter of the namespace's kernel.
netstat_get() {
	ip netns exec "$1" awk -v k="$2" '/^TcpExt:/ { if (!n) { for (i = 1; i <= NF; i++) h[i] = $i; n = 1 } else for (i = 1; i <= NF; i++) if (h[i] == k) print $i }' /proc/net/netstat
}
md5_counters() {
	echo "$(netstat_get "$1" TCPMD5NotFound) $(netstat_get "$1" TCPMD5Unexpected) $(netstat_get "$1" TCPMD5Failure)"
}

tb_say "errnos: the TCP_MD5SIG table under the shim and on the reference kernel"
testbed_shim timeout 60 "$TB_PY" "$PY" errnos >"$TB_WORK/shim-errnos.log" 2>&1 ||
	tb_fail "the errno table under the shim failed: $(cat "$TB_WORK/shim-errnos.log")"
ip netns exec "$REF_NS" timeout 60 "$TB_PY" "$PY" errnos >"$TB_WORK/ref-errnos.log" 2>&1 ||
	tb_fail "the errno table on the kernel failed: $(cat "$TB_WORK/ref-errnos.log")"
diff -u "$TB_WORK/ref-errnos.log" "$TB_WORK/shim-errnos.log" || tb_fail "the errno table differs from the kernel's (- kernel, + shim)"
grep -q '^delete /32 again: ENOENT$' "$TB_WORK/shim-errnos.log" || tb_fail "no ENOENT row: the table did not run"
tb_say "ok: $(wc -l <"$TB_WORK/shim-errnos.log") rows, the same as the kernel's"

testbed_ref_capture

tb_say "client: signed connections to the peer's kernel server, from the stack and from the reference kernel"
testbed_peer "$TB_PY" "$PY" server 0.0.0.0 9000 "$KEY" "$TB_SHIM_ADDR" "$REF_ADDR" >"$TB_WORK/peer-server.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 9000 10 || tb_fail "the peer's server did not start"
c0=$(md5_counters "$TB_NS_PEER")
testbed_shim timeout 60 "$TB_PY" "$PY" client "$TB_PEER_ADDR" 9000 "$KEY" 300000 >"$TB_WORK/shim-client.log" 2>&1 ||
	tb_fail "the client under the shim failed: $(cat "$TB_WORK/shim-client.log")"
ip netns exec "$REF_NS" timeout 60 "$TB_PY" "$PY" client "$PEER_ADDR2" 9000 "$KEY" 300000 >"$TB_WORK/ref-client.log" 2>&1 ||
	tb_fail "the reference client failed: $(cat "$TB_WORK/ref-client.log")"
c1=$(md5_counters "$TB_NS_PEER")
tb_say "stack:     $(cat "$TB_WORK/shim-client.log")"
tb_say "reference: $(cat "$TB_WORK/ref-client.log")"
[ "$(cat "$TB_WORK/shim-client.log")" = "connect: ok; server read all; got 100000 bytes back, intact" ] ||
	tb_fail "the signed transfer under the shim did not complete intact"
cmp -s "$TB_WORK/shim-client.log" "$TB_WORK/ref-client.log" || tb_fail "the client's outcome differs from the kernel's"
[ "$c0" = "$c1" ] || tb_fail "the peer's MD5 counters (NotFound Unexpected Failure) went $c0 -> $c1: a segment was dropped"
tb_say "ok: same outcome; the peer verified every segment (NotFound Unexpected Failure: $c1)"

tb_say "client: the wrong key, from the stack and from the reference kernel"
testbed_shim timeout 60 "$TB_PY" "$PY" client "$TB_PEER_ADDR" 9000 wrong-key 1000 >"$TB_WORK/shim-wrong.log" 2>&1 ||
	tb_fail "the wrong-key client under the shim failed: $(cat "$TB_WORK/shim-wrong.log")"
f1=$(netstat_get "$TB_NS_PEER" TCPMD5Failure)
ip netns exec "$REF_NS" timeout 60 "$TB_PY" "$PY" client "$PEER_ADDR2" 9000 wrong-key 1000 >"$TB_WORK/ref-wrong.log" 2>&1 ||
	tb_fail "the wrong-key reference client failed: $(cat "$TB_WORK/ref-wrong.log")"
f2=$(netstat_get "$TB_NS_PEER" TCPMD5Failure)
f0=${c1##* }
tb_say "stack: $(cat "$TB_WORK/shim-wrong.log"), peer's TCPMD5Failure +$((f1 - f0)); reference: $(cat "$TB_WORK/ref-wrong.log"), +$((f2 - f1))"
[ "$(cat "$TB_WORK/shim-wrong.log")" = "connect: ETIMEDOUT" ] || tb_fail "a client with the wrong key connected"
cmp -s "$TB_WORK/shim-wrong.log" "$TB_WORK/ref-wrong.log" || tb_fail "the wrong-key outcome differs from the kernel's"
# How many SYNs go before ETIMEDOUT is the SYN timer's business (the
# kernel's last one can fall a jiffy short of the limit and go once more).
[ $((f1 - f0)) -ge 1 ] && [ $((f2 - f1)) -ge 1 ] ||
	tb_fail "the peer's TCPMD5Failure rose by $((f1 - f0)) for the stack's SYNs, $((f2 - f1)) for the kernel's"
tb_say "ok: no connection either way; the peer dropped and counted the SYNs of both"

tb_say "server: the peer's kernel client to a listener with a key for it, under the shim and on the reference kernel"
testbed_shim "$TB_PY" "$PY" server "$TB_SHIM_ADDR" 9001 "$KEY" "$TB_PEER_ADDR" >"$TB_WORK/shim-server.log" 2>&1 &
ip netns exec "$REF_NS" "$TB_PY" "$PY" server "$REF_ADDR" 9001 "$KEY" "$PEER_ADDR2" >"$TB_WORK/ref-server.log" 2>&1 &
testbed_wait_listen "$REF_NS" tcp 9001 10 || tb_fail "the reference server did not start"
for _ in $(seq 1 300); do
	grep -q ready "$TB_WORK/shim-server.log" && break
	sleep 0.1
done
grep -q ready "$TB_WORK/shim-server.log" || tb_fail "the server under the shim did not start: $(cat "$TB_WORK/shim-server.log")"
for who in "$TB_SHIM_ADDR:shim" "$REF_ADDR:ref"; do
	testbed_peer timeout 60 "$TB_PY" "$PY" client "${who%%:*}" 9001 "$KEY" 200000 >"$TB_WORK/to-${who##*:}.log" 2>&1 ||
		tb_fail "the peer's client to ${who%%:*} failed: $(cat "$TB_WORK/to-${who##*:}.log")"
	testbed_peer timeout 60 "$TB_PY" "$PY" client "${who%%:*}" 9001 wrong-key 1000 >>"$TB_WORK/to-${who##*:}.log" 2>&1 ||
		tb_fail "the peer's wrong-key client to ${who%%:*} failed: $(cat "$TB_WORK/to-${who##*:}.log")"
done
tb_say "to the stack:     $(tr '\n' '|' <"$TB_WORK/to-shim.log")"
tb_say "to the reference: $(tr '\n' '|' <"$TB_WORK/to-ref.log")"
[ "$(head -1 "$TB_WORK/to-shim.log")" = "connect: ok; server read all; got 100000 bytes back, intact" ] ||
	tb_fail "the peer's signed transfer to the stack's listener did not complete intact"
cmp -s "$TB_WORK/to-shim.log" "$TB_WORK/to-ref.log" || tb_fail "the server's outcome differs from the kernel's"
tb_say "ok: same outcome; the key-holding listener's child carried the connection, the wrong key got none"

# Option layouts per role, and the stack's digests recomputed.
cp "$SOCKSHIM_SOURCE_DIR/tests/integration/pcap_tcp.py" "$TB_WORK/"
cat >"$TB_WORK/layout.py" <<'PYEOF'
import hashlib, struct, sys
from pcap_tcp import tcp_segments

keys, stack, ref = [k.encode() for k in sys.argv[1].split(',')], sys.argv[2], sys.argv[3]

def layout(opts):
    out, i = [], 0
    while i < len(opts):
        if opts[i] in (0, 1):
            out.append('nop' if opts[i] else 'eol'); i += 1; continue
        out.append('%d/%d' % (opts[i], opts[i + 1])); i += max(opts[i + 1], 2)
    return ','.join(out)

def role(flags, paylen):
    if flags & 0x04: return 'RST'
    if flags & 0x02: return 'SYN-ACK' if flags & 0x10 else 'SYN'
    if flags & 0x01: return 'FIN'
    return 'data' if paylen else 'ACK'

def digest(ip, th, paylen, key):
    """RFC 2385: pseudo-header, header without options and with a zero checksum, data, key."""
    hl = (th[12] >> 4) * 4
    pseudo = ip[12:20] + struct.pack('>BBH', 0, 6, hl + paylen)
    return hashlib.md5(pseudo + th[:16] + b'\0\0' + th[18:20] + th[hl:hl + paylen] + key).digest()

def md5opt(opts):
    i = 0
    while i < len(opts):
        if opts[i] in (0, 1): i += 1; continue
        if opts[i] == 19 and opts[i + 1] == 18: return opts[i + 2:i + 18]
        i += max(opts[i + 1], 2)
    return None

seen = {stack: {}, ref: {}}
bad = checked = 0
for path in sys.argv[4:]:
    for ip, th, paylen in tcp_segments(path):
        src = '.'.join(map(str, ip[12:16]))
        if src not in seen: continue
        opts = bytes(th[20:(th[12] >> 4) * 4])
        lay = layout(opts)
        # SACK blocks come when data is lost or reordered, for either: their
        # place (after the signature) is checked, not whether a run had them.
        if ',5/' in lay:
            if not lay.startswith('nop,nop,19/18,nop,nop,5/'):
                print('SACK blocks out of place: %s' % lay); bad = 1
            lay = lay[:lay.index(',nop,nop,5/')]
        seen[src].setdefault(role(th[13], paylen), set()).add(lay)
        sig = md5opt(opts)
        if sig is None:
            if src == stack:
                print('a segment of the stack without the MD5 option: flags %02x len %d' % (th[13], paylen)); bad = 1
            continue
        if src == stack and len(th) >= (th[12] >> 4) * 4 + paylen:
            checked += 1
            if all(sig != digest(ip, th, paylen, k) for k in keys):
                print('a wrong digest from the stack: flags %02x len %d' % (th[13], paylen)); bad = 1
roles = ('SYN', 'SYN-ACK', 'ACK', 'data', 'FIN', 'RST')
if any(r not in seen[stack] or r not in seen[ref] for r in roles) or checked < 10:
    print('not all roles captured yet:', {k: sorted(v) for k, v in seen.items()}); sys.exit(2)
for r in roles:
    a, b = sorted(seen[stack][r]), sorted(seen[ref][r])
    print('%-8s stack %s\n%-8s ref   %s' % (r, ' '.join(a), '', ' '.join(b)))
    if a != b: print('  DIFFERENT'); bad = 1
print('%d digests of the stack checked' % checked)
sys.exit(bad)
PYEOF
for _ in $(seq 1 100); do
	"$TB_PY" "$TB_WORK/layout.py" "$KEY,wrong-key" "$TB_SHIM_ADDR" "$REF_ADDR" \
		"$TB_WORK/cap1.pcap" "$TB_WORK/cap2.pcap" >"$TB_WORK/layout.log" 2>&1
	rc=$?
	[ $rc = 2 ] || break
	sleep 0.1
done
testbed_ref_capture_stop
cat "$TB_WORK/layout.log"
[ $rc = 0 ] || tb_fail "a segment of the stack is unsigned, wrongly signed, or laid out unlike the kernel's"
tb_say "ok: SYN, SYN-ACK, ACK, data, FIN and RST laid out as the kernel's, every one signed with RFC 2385's digest"

testbed_test_end
