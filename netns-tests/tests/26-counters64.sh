# 64-bit traffic counters: a little over 4 GiB streamed through a NAT
# service pushes the byte counters of the service and of its real server
# past 2^32; both tools must read the kernel's STATS64 and print the same.
# (libipvs reads a destination's STATS64 connection, packet and rate
# counters as 32-bit numbers, so ipvsadm cuts those beyond 2^32; no lab run
# can send 2^32 packets, so that FIX is shown by tests/stats64_capture.rs on
# a reply captured here: run with LAB_CAPTURE_STATS64=1 to capture anew.)
#
# The client runs in the director's namespace (IPVS also schedules local
# connections to a virtual service) and the link has a 64 KB MTU: the fewest
# packets and copies per byte, ~10 s for the 4 GiB under TCG.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

mkns dir rs
link dir r0 192.0.2.1/24 rs eth0 192.0.2.11/24
in_ns dir ip link set r0 mtu 65000
in_ns rs ip link set eth0 mtu 65000
route rs add default via 192.0.2.1
addr dir lo 198.51.100.10/32
in_ns dir "$RSVSADM" -A -t 198.51.100.10:9000 -s rr
in_ns dir "$RSVSADM" -a -t 198.51.100.10:9000 -r 192.0.2.11:9000 -m

# A sink that drops what it receives without copying it (MSG_TRUNC), and a
# source that sends a file from tmpfs with sendfile: no copies through
# user space on either side.
# shellcheck disable=SC2016 # python source
SINK='
import socket, sys
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((sys.argv[1], 9000))
srv.listen(1)
open(sys.argv[2], "w").close()
conn, _ = srv.accept()
while conn.recv(1 << 22, socket.MSG_TRUNC):
    pass
'
# shellcheck disable=SC2016 # python source
SOURCE='
import os, socket, sys
total, blob = int(sys.argv[2]), os.open(sys.argv[3], os.O_RDONLY)
size = os.fstat(blob).st_size
with socket.create_connection((sys.argv[1], 9000)) as s:
    sent = 0
    while sent < total:
        sent += os.sendfile(s.fileno(), blob, sent % size, min(size - sent % size, total - sent))
print(sent)
'
head -c $((64 << 20)) /dev/zero >"$NT_STATE/blob"
spawn rs python3 -S -c "$SINK" 192.0.2.11 "$NT_STATE/sink.ready"
wait_for 60 test -e "$NT_STATE/sink.ready" || true
total=$(((1 << 32) + (32 << 20)))
check_eq "streamed 4 GiB + 32 MiB through the NAT service" "$total" \
  "$(in_ns dir python3 -S -c "$SOURCE" 198.51.100.10 "$total" "$NT_STATE/blob")"
rm -f "$NT_STATE/blob"
# InBytes of the service and of its server (the 4th number on their rows).
service_inbytes() { in_ns dir "$RSVSADM" -Ln --stats --exact | awk '/198.51.100.10:9000|192.0.2.11:9000/ { print $6 }'; }
# The kernel folds its per-CPU counters into what it reports every 2 s:
# wait until both rows show the whole stream.
both_past_2_32() {
  local n past=0
  for n in $(service_inbytes); do ((n < 1 << 32)) || past=$((past + 1)); done
  ((past == 2))
}
wait_for 30 both_past_2_32 || true
inbytes=$(service_inbytes)
past=0
for n in $inbytes; do
  if ((n > 1 << 32)); then
    past=$((past + 1))
  fi
done
check_eq "the service's and the server's InBytes are past 2^32 (${inbytes//$'\n'/ })" 2 "$past"

compat_settled dir -Ln --stats --exact
compat_settled dir -Ln --stats
compat_settled dir -Ln -t 198.51.100.10:9000 --stats --exact
compat_settled dir -Ln --rate --exact
compat_settled dir -Ln --rate
compat_settled dir -Ln

# Test data for tests/stats64_capture.rs: ipvsadm's listings, and every
# datagram rsvsadm received for the same listing (strace's dump of its
# reads), as hex, one per line, between two identical ipvsadm listings.
if [[ -n ${LAB_CAPTURE_STATS64:-} ]]; then
  out=$LAB_JOBDIR/stats64
  mkdir -p "$out"
  in_ns dir "$IPVSADM" -Ln --stats >"$out/ipvsadm-stats.txt"
  in_ns dir "$IPVSADM" -Ln --stats --exact >"$out/ipvsadm-stats-exact.txt"
  in_ns dir strace -qq -e trace=recvfrom -e read=all -o "$out/strace.txt" \
    "$RSVSADM" -Ln --stats --exact >/dev/null
  in_ns dir "$IPVSADM" -Ln --stats --exact | cmp - "$out/ipvsadm-stats-exact.txt"
  awk '/^recvfrom\(/ { if (hex != "") print hex; hex = "" }
       /^ \| [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]  / { s = substr($0, 11, 49); gsub(/ /, "", s); hex = hex s }
       END { if (hex != "") print hex }' "$out/strace.txt" >"$out/datagrams.hex"
fi
