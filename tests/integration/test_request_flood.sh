#!/bin/bash
# SPDX-License-Identifier: MIT
# One user's flood of control requests cannot starve another's sockets. Six
# processes of uid 65534 under the shim loop on socket(), getsockopt() and
# close() as fast as the host answers (each request a round trip to the
# root-started host, each process its own control connection), while root's
# curl downloads 10 MiB from the kernel peer through the same host. The
# download must complete intact while the flood still runs; the flooders'
# counts show they kept the host busy the whole time. The host reads at
# most a batch per connection and a share per user in each turn of its
# loop, so root's requests and pairs are served in every turn.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin request_flood

command -v setpriv >/dev/null || tb_fail "setpriv (util-linux) is missing"
chmod 777 "$TB_WORK"
mkdir "$TB_WORK/www" && head -c $((10 * 1024 * 1024)) /dev/urandom >"$TB_WORK/www/file" ||
	tb_fail "cannot write the test file"
chmod 755 "$TB_WORK/www" && chmod 644 "$TB_WORK/www/file"
testbed_peer "$TB_PY" -m http.server 8080 --bind "$TB_PEER_ADDR" --directory "$TB_WORK/www" \
	>"$TB_WORK/server.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 8080 10 || tb_fail "the kernel-side http server did not start"

. "$SOCKSHIM_SOURCE_DIR/tests/integration/lib_holder.sh"
holder_start "$TB_WORK/all.done" "$TB_WORK/holder.log"

cat >"$TB_WORK/flood.py" <<'PY'
import os, socket, sys
stop, out = sys.argv[1], sys.argv[2]
n = 0
while not os.path.exists(stop):
    for _ in range(50):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        s.close()
        n += 3
    with open(out + ".tmp", "w") as f:
        f.write("%d\n" % n)
    os.rename(out + ".tmp", out)
PY
tb_say "six processes of uid 65534 flood the host with socket/getsockopt/close"
flooders=()
for i in 1 2 3 4 5 6; do
	testbed_shim setpriv --reuid=65534 --regid=65534 --clear-groups "$TB_PY" "$TB_WORK/flood.py" \
		"$TB_WORK/flood.stop" "$TB_WORK/flood.$i" >"$TB_WORK/flood.$i.log" 2>&1 &
	flooders+=($!)
done
count() { # the flooders' requests so far
	local t=0 i v
	for i in 1 2 3 4 5 6; do
		v=$(cat "$TB_WORK/flood.$i" 2>/dev/null) || v=0
		t=$((t + ${v:-0}))
	done
	echo $t
}
for _ in $(seq 1 300); do
	[ "$(count)" -gt 3000 ] && break
	sleep 0.1
done
before=$(count)
[ "$before" -gt 3000 ] || tb_fail "the flood did not start: $(cat "$TB_WORK"/flood.*.log)"

tb_say "root downloads 10 MiB meanwhile (flood at $before requests)"
testbed_shim curl -sS --max-time 240 -o "$TB_WORK/got" "http://$TB_PEER_ADDR:8080/file" \
	>"$TB_WORK/curl.log" 2>&1
rc=$?
after=$(count)
for p in "${flooders[@]}"; do
	kill -0 "$p" 2>/dev/null || tb_fail "a flooder died: $(cat "$TB_WORK"/flood.*.log)"
done
touch "$TB_WORK/flood.stop" "$TB_WORK/all.done"
wait "${flooders[@]}"
wait "$HOLDER_PID"
[ $rc = 0 ] || tb_fail "curl failed during the flood (status $rc): $(cat "$TB_WORK/curl.log")"
[ "$(testbed_sha256 "$TB_WORK/got")" = "$(testbed_sha256 "$TB_WORK/www/file")" ] ||
	tb_fail "the download is not intact"
[ "$after" -gt "$before" ] ||
	tb_fail "the flood did not go on during the download ($before -> $after requests)"
tb_say "ok: the download completed intact while uid 65534 sent $((after - before)) requests"
testbed_test_end
