#!/usr/bin/env bash
# Two NAT directors, connection sync and failover with keepalived (a master
# and a backup director): both configured by rsvsadm with the same
# service, each running a master AND a backup sync daemon started by rsvsadm
# (so either can be the active one), keepalived's VRRP moving the VIP and the
# real servers' gateway. A long-lived TCP stream through the VIP must survive
# the active director vanishing from both networks, because its connection
# entry was synced to the backup beforehand; new short requests must resume.
#
#   client 203.0.113.100 ──┐ br-out (ns sw)                         VIP 203.0.113.10
#                          ├── d1 eth0 203.0.113.1    d2 eth0 203.0.113.2
#                          │   d1 eth1 198.51.100.1   d2 eth1 198.51.100.2
#   rs1 198.51.100.11 ─────┤ br-in (ns sw)                  gateway 198.51.100.254
#   rs2 198.51.100.12 ─────┘   (sync traffic: multicast on eth1)
#
# LAB_FAILOVER_NO_SYNC=1 skips --start-daemon: the test must then fail (the
# backup has no entry for the stream, which is reset or stalls).
# shellcheck source=netns-tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

VIP=203.0.113.10
GATEWAY=198.51.100.254
SYNCID=51
# The stream: LINES lines, one every 100 ms (~30 s). The failover happens
# at most ~15 s in (the wait for the synced entry, bounded by SYNC_WAIT, and
# 2 s more), so the stream is still running then, synced or not.
LINES=300
SYNC_WAIT=30
# A stream that receives nothing for this long has stalled (a connection the
# backup doesn't know is dropped or reset there).
STALL=15

# now: wall-clock seconds with microseconds (the client's time.time() reads
# the same clock: one VM).
now() { printf '%s' "$EPOCHREALTIME"; }

# in_ns_quiet NS CMD...: in_ns with output and failure ignored.
in_ns_quiet() { in_ns "$@" >/dev/null 2>&1 || true; }

# The streaming server on the real servers: after one request line, sends
# LINES lines "NAME SEQ", one every INTERVAL seconds on a fixed schedule,
# then closes. Plain sockets: under TCG importing much costs seconds.
STREAM_SERVER_PY='
import socket, sys, threading, time
name, host, port, lines, interval, ready = sys.argv[1:7]
lines, interval = int(lines), float(interval)
def serve(conn):
    with conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.settimeout(120)
        conn.recv(64)
        start = time.monotonic()
        for i in range(lines):
            delay = start + i * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            conn.sendall(b"%s %05d\n" % (name.encode(), i))
        conn.shutdown(socket.SHUT_WR)
        conn.recv(64)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((host, int(port)))
srv.listen(16)
open(ready, "w").close()
while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
'

# The client: one thread reads the stream from VIP:8080 (its local port goes
# to PORTFILE once connected), another makes a short HTTP request to VIP:80
# every 200 ms (1 s timeout each) until the stream ends. Then it reads the
# failover time from FAILFILE and prints its measurements as KEY=VALUE lines.
CLIENT_PY='
import socket, sys, threading, time
vip, lines, stall, portfile, failfile = sys.argv[1:6]
lines, stall = int(lines), float(stall)
chunks, shorts, data, outcome, ended = [], [], [], [], []
done = threading.Event()
def stream():
    try:
        s = socket.create_connection((vip, 8080), timeout=5)
        with open(portfile, "w") as f:
            f.write("%d\n" % s.getsockname()[1])
        s.settimeout(stall)
        s.sendall(b"GO\n")
        while True:
            d = s.recv(65536)
            if not d:
                outcome.append("eof")
                break
            chunks.append((time.time(), len(d)))
            data.append(d)
    except socket.timeout:
        outcome.append("stalled: nothing for %g s" % stall)
    except ConnectionResetError:
        outcome.append("reset")
    except OSError as e:
        outcome.append("error: %s" % e)
    ended.append(time.time())
    done.set()
def short():
    while not done.is_set():
        t0 = time.time()
        ok = False
        try:
            with socket.create_connection((vip, 80), timeout=1) as c:
                c.settimeout(1)
                c.sendall(b"GET / HTTP/1.0\r\n\r\n")
                reply = b""
                while True:
                    d = c.recv(4096)
                    if not d:
                        break
                    reply += d
                ok = reply.startswith(b"HTTP/1.0 200")
        except OSError:
            pass
        shorts.append((t0, time.time(), ok))
        time.sleep(max(0, t0 + 0.2 - time.time()))
threads = [threading.Thread(target=f) for f in (stream, short)]
for t in threads:
    t.start()
for t in threads:
    t.join()
try:
    fail = float(open(failfile).read())
except (OSError, ValueError):
    fail = float("inf")
text = b"".join(data).decode(errors="replace").splitlines()
seqs = [int(l.split()[1]) for l in text if len(l.split()) == 2 and l.split()[1].isdigit()]
servers = sorted({l.split()[0] for l in text if l.split()})
# The wait for the end (EOF, reset, stall) counts as a pause too.
times = [t for t, _ in chunks] + ended
gaps = [(b - a, a) for a, b in zip(times, times[1:])]
gap, gap_at = max(gaps) if gaps else (0.0, 0.0)
oks_before = [end for start, end, ok in shorts if ok and start < fail]
oks_after = [end for start, end, ok in shorts if ok and start >= fail]
print("outcome=%s" % outcome[0])
print("lines=%d" % len(seqs))
print("in_order=%s" % (seqs == list(range(lines))))
print("servers=%s" % ",".join(servers))
print("bytes_before=%d" % sum(n for t, n in chunks if t < fail))
print("bytes_after=%d" % sum(n for t, n in chunks if t >= fail))
print("stream_gap=%.2f" % gap)
print("stream_gap_from_failover=%.2f" % (gap_at - fail))
print("short_total=%d" % len(shorts))
print("short_failed=%d" % sum(1 for s in shorts if not s[2]))
print("short_ok_before=%d" % len(oks_before))
print("short_ok_after=%d" % len(oks_after))
if oks_before and oks_after:
    print("short_outage=%.2f" % (min(oks_after) - max(oks_before)))
    print("short_resumed_after=%.2f" % (min(oks_after) - fail))
'

# --- the network --------------------------------------------------------------
build() {
  mkns sw client d1 d2 rs1 rs2
  bridge sw br-out
  bridge sw br-in
  local n
  link client eth0 203.0.113.100/24 sw p-client -
  link d1 eth0 203.0.113.1/24 sw p-d1-out -
  link d2 eth0 203.0.113.2/24 sw p-d2-out -
  link d1 eth1 198.51.100.1/24 sw p-d1-in -
  link d2 eth1 198.51.100.2/24 sw p-d2-in -
  link rs1 eth0 198.51.100.11/24 sw p-rs1 -
  link rs2 eth0 198.51.100.12/24 sw p-rs2 -
  for n in client d1-out d2-out; do bridge_port sw br-out "p-$n"; done
  for n in d1-in d2-in rs1 rs2; do bridge_port sw br-in "p-$n"; done
  # NAT: the real servers answer through the active director, wherever the
  # VRRP gateway address is.
  route rs1 add default via "$GATEWAY"
  route rs2 add default via "$GATEWAY"
  http_server rs1 198.51.100.11 80 rs1
  http_server rs2 198.51.100.12 80 rs2
  stream_server rs1 198.51.100.11
  stream_server rs2 198.51.100.12
}

# stream_server NS ADDR: the streaming server on ADDR:8080.
stream_server() {
  local ready=$NT_STATE/stream-$1.ready
  spawn "$1" python3 -S -c "$STREAM_SERVER_PY" "$1" "$2" 8080 "$LINES" 0.1 "$ready" \
    2>"$NT_STATE/stream-$1.log"
  wait_for 60 test -e "$ready" || {
    cat "$NT_STATE/stream-$1.log" >&2
    return 1
  }
}

# --- the directors: IPVS and sync daemons by rsvsadm --------------------------
RULES='-A -t 203.0.113.10:80 -s rr
-a -t 203.0.113.10:80 -r 198.51.100.11:80 -m -w 1
-a -t 203.0.113.10:80 -r 198.51.100.12:80 -m -w 1
-A -t 203.0.113.10:8080 -s rr
-a -t 203.0.113.10:8080 -r 198.51.100.11:8080 -m -w 1
-a -t 203.0.113.10:8080 -r 198.51.100.12:8080 -m -w 1'

director() {
  local d=$1
  check "$d: rsvsadm setup nat" \
    in_ns "$d" "$RSVSADM" setup nat --masquerade 198.51.100.0/24 --interface eth0 --interface eth1
  printf '%s\n' "$RULES" >"$NT_STATE/rules"
  check "$d: rsvsadm -R (the same NAT service on both directors)" \
    bash -c "ip netns exec $(nsname "$d") $RSVSADM -R <$NT_STATE/rules"
  if [[ ${LAB_FAILOVER_NO_SYNC:-} == 1 ]]; then
    echo "  (LAB_FAILOVER_NO_SYNC=1: no sync daemon on $d)"
    return
  fi
  # Both roles on both directors (Linux 2.6.x and later run them side by
  # side): whichever director is active, its master sends and the other's
  # backup receives. A director's master does not loop its own messages
  # back to its own backup (multicast loop is off on the sync socket).
  check "$d: rsvsadm --start-daemon master" \
    in_ns "$d" "$RSVSADM" --start-daemon master --mcast-interface eth1 --syncid "$SYNCID"
  check "$d: rsvsadm --start-daemon backup" \
    in_ns "$d" "$RSVSADM" --start-daemon backup --mcast-interface eth1 --syncid "$SYNCID"
}

show_daemons() {
  local d=$1
  echo "  $d: rsvsadm -L --daemon:"
  in_ns "$d" "$RSVSADM" -L --daemon | sed 's/^/      /'
  compat "$d" -L --daemon
  check_eq "$d: -L --daemon --json: a master and a backup on eth1, syncid $SYNCID" \
    "[[\"master\",\"eth1\",$SYNCID],[\"backup\",\"eth1\",$SYNCID]]" \
    "$(in_ns "$d" "$RSVSADM" -L --daemon --json | jq -c '[.daemons[] | [.state, .mcast_interface, .syncid]]')"
}

# --- keepalived: VRRP only, one instance per director ---------------------------
# One VRRP instance holds both addresses, so the VIP and the real servers'
# gateway always move together; it tracks eth1 too, so losing either side
# gives both up.
keepalived_conf() { # NAME STATE PRIORITY
  cat <<EOF
global_defs {
  router_id $1
  vrrp_garp_master_delay 1
}
vrrp_instance lvs {
  state $2
  interface eth0
  virtual_router_id $SYNCID
  priority $3
  advert_int 1
  track_interface {
    eth1
  }
  virtual_ipaddress {
    $VIP/24 dev eth0
    $GATEWAY/24 dev eth1
  }
}
EOF
}

keepalived_start() { # NS STATE PRIORITY
  local d=$1 dir=$NT_STATE/keepalived-$1
  mkdir -p "$dir"
  keepalived_conf "$d" "$2" "$3" >"$dir/keepalived.conf"
  # -P: VRRP only (no IPVS checker: rsvsadm owns the table); -l -G: log to
  # stderr and not to syslog (which, with no syslog daemon, writes to the
  # console); its own pid files so that instances in different namespaces
  # don't see each other.
  spawn "$d" keepalived -P -n -l -G -D -f "$dir/keepalived.conf" \
    -p "$dir/keepalived.pid" -r "$dir/vrrp.pid" >"$dir/log" 2>&1
}

has_vip() { in_ns "$1" ip -4 -o addr show dev eth0 | grep -q " $VIP/"; }
has_gateway() { in_ns "$1" ip -4 -o addr show dev eth1 | grep -q " $GATEWAY/"; }

# conn_on NS PORT: the -Lnc line of the stream (client port PORT), if any.
conn_on() { in_ns "$1" "$RSVSADM" -Lnc | grep -F " 203.0.113.100:$2 $VIP:8080 "; }

# --- the test -------------------------------------------------------------------
failover() {
  build
  director d1
  director d2
  if [[ ${LAB_FAILOVER_NO_SYNC:-} != 1 ]]; then
    show_daemons d1
    show_daemons d2
  fi
  keepalived_start d1 MASTER 150
  keepalived_start d2 BACKUP 100
  if wait_for 60 has_vip d1 && wait_for 30 has_gateway d1; then
    ok "keepalived: d1 holds the VIP and the gateway"
  else
    fail "keepalived: d1 holds the VIP and the gateway" "$(tail -n 30 "$NT_STATE/keepalived-d1/log")"
    return
  fi
  check_eq "keepalived: d2 holds neither" "no" \
    "$(has_vip d2 || has_gateway d2 && echo yes || echo no)"
  check_eq "through d1: a request to the VIP is answered" "rs1 rs2" \
    "$(for _ in 1 2; do in_ns client curl -sS --max-time 5 "http://$VIP/"; done | sort | tr '\n' ' ' | sed 's/ $//')"

  # rsvsadm check on a healthy pair: nothing to say about sync. (Before the
  # stream: under load, slow diagnostics would eat the stream's time.)
  local d out
  for d in d1 d2; do
    out=$(in_ns "$d" "$RSVSADM" check 2>&1 || true)
    echo "  $d: rsvsadm check:"
    [[ -z $out ]] || sed 's/^/      /' <<<"$out"
    check_eq "rsvsadm check on $d: no finding about sync" "" "$(grep -i sync <<<"$out" || true)"
  done

  local portfile=$NT_STATE/client.port failfile=$NT_STATE/failover.time
  local result=$NT_STATE/client.result
  spawn client python3 -S -c "$CLIENT_PY" "$VIP" "$LINES" "$STALL" "$portfile" "$failfile" \
    >"$result" 2>"$NT_STATE/client.log"
  local client=$SPAWNED port
  if ! wait_for 60 test -s "$portfile"; then
    fail "the client connects to $VIP:8080" "$(cat "$NT_STATE/client.log")"
    return
  fi
  read -r port <"$portfile"

  # The sync master sends its buffer when full or every ~2 s: wait for the
  # entry to show up on the backup.
  local t0=$SECONDS line
  if wait_for "$SYNC_WAIT" conn_on d2 "$port"; then
    line=$(conn_on d2 "$port")
    ok "before the failover, d2 (backup) has the stream's entry (synced in <= $((SECONDS - t0)) s)"
  else
    fail "before the failover, d2 (backup) has the stream's entry" \
      "d1: $(conn_on d1 "$port" || echo none)" "d2 -Lnc:" "$(in_ns d2 "$RSVSADM" -Lnc)"
  fi
  echo "  d2: rsvsadm -Lnc before the failover:"
  in_ns d2 "$RSVSADM" -Lnc | sed 's/^/      /'
  [[ -z ${line:-} ]] || check_eq "the synced entry is ESTABLISHED" ESTABLISHED "$(awk '{ print $3 }' <<<"$line")"

  # Let both traffic kinds run through d1 a little longer, then d1 vanishes
  # from both networks, as a crashed director would.
  nap 1
  if kill -0 "$client" 2>/dev/null; then
    ok "the stream is still running when d1 fails"
  else
    fail "the stream is still running when d1 fails" "the client ended early: $(cat "$result")"
  fi
  ip -n "$(nsname d1)" -batch - <<'EOF'
link set eth0 down
link set eth1 down
EOF
  # The failure's time: from here on d1 is gone.
  local t_fail
  t_fail=$(now)
  printf '%s\n' "$t_fail" >"$failfile"
  local took
  if wait_for 60 has_vip d2 && wait_for 30 has_gateway d2; then
    took=$(awk -v a="$t_fail" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
    ok "keepalived: d2 took the VIP and the gateway over (seen ${took} s after the failure)"
  else
    fail "keepalived: d2 takes the VIP and the gateway over" "$(tail -n 30 "$NT_STATE/keepalived-d2/log")"
  fi

  # The client ends when the stream does (~30 s) or stalls (STALL s).
  local deadline=$((SECONDS + LINES / 10 + STALL + 30))
  while kill -0 "$client" 2>/dev/null && ((SECONDS < deadline)); do nap 0.5; done
  if kill -0 "$client" 2>/dev/null; then
    fail "the client finishes" "still running after $((LINES / 10 + STALL + 30)) s"
    return
  fi
  echo "  client's measurements:"
  sed 's/^/      /' "$result"
  [[ -s $NT_STATE/client.log ]] && sed 's/^/      client stderr: /' "$NT_STATE/client.log"
  declare -A m=()
  local k v
  while IFS='=' read -r k v; do m[$k]=$v; done <"$result"

  check_eq "the stream ended normally (no reset, no stall)" eof "${m[outcome]:-none}"
  check_eq "every line arrived, in order, from one real server" "$LINES True 1" \
    "${m[lines]:-0} ${m[in_order]:-} $(tr ',' '\n' <<<"${m[servers]:-}" | grep -c .)"
  check "the stream carried data before the failover (${m[bytes_before]:-0} bytes)" \
    test "${m[bytes_before]:-0}" -gt 0
  check "the stream carried data after the failover (${m[bytes_after]:-0} bytes)" \
    test "${m[bytes_after]:-0}" -gt 0
  # Generous: VRRP takes ~3-4 s, then the real server's retransmission
  # backoff decides; a heavily loaded host stretches both.
  check "the stream's longest pause was under $STALL s (${m[stream_gap]:-?} s)" \
    awk -v g="${m[stream_gap]:-99}" -v s="$STALL" 'BEGIN { exit !(g < s) }'
  check "short requests worked before the failover (${m[short_ok_before]:-0})" \
    test "${m[short_ok_before]:-0}" -gt 0
  check "short requests resumed after the failover (${m[short_ok_after]:-0} answered; first ${m[short_resumed_after]:-?} s after the failure)" \
    awk -v r="${m[short_resumed_after]:-99}" 'BEGIN { exit !(r < 30) }'
  echo "  d2: rsvsadm -Lnc after the failover (the stream's entry, closed by then):"
  in_ns d2 "$RSVSADM" -Lnc | grep -F ":$port " | sed 's/^/      /' || true
  COMPAT_SED='s/^(TCP|UDP|SCTP) +[0-9]+:[0-9]+ /\1 EXPIRE /' compat_settled d2 -Lnc
  check "d2 scheduled the new short requests itself" \
    bash -c "ip netns exec $(nsname d2) $RSVSADM -Ln --stats --exact | awk '\$2 == \"$VIP:80\" { exit !(\$3 > 0) }'"
}

# rsvsadm check's sync findings on the real directors: d1, cut off, syncs
# nothing; a backup restarted with syncid 0 beside a master with syncid 51.
check_findings() {
  local out
  out=$(in_ns d1 "$RSVSADM" check 2>&1) && fail "rsvsadm check on d1 (links down) exits 1" "$out"
  printf '%s\n' "$out" | sed 's/^/      /'
  check_eq "rsvsadm check on d1: both daemons' interface is down" \
    "error: master sync daemon (mcast=eth1, syncid=$SYNCID): its interface eth1 is down: it sends no connection to the backup
error: backup sync daemon (mcast=eth1, syncid=$SYNCID): its interface eth1 is down: it receives no connection from the master" \
    "$(grep '^error: .* sync daemon' <<<"$out")"
  in_ns d2 "$RSVSADM" --stop-daemon backup
  in_ns d2 "$RSVSADM" --start-daemon backup --mcast-interface eth1 --syncid 0
  out=$(in_ns d2 "$RSVSADM" check 2>&1 || true)
  check_eq "rsvsadm check on d2: a backup with syncid 0 beside master syncid $SYNCID" \
    "warning: backup sync daemon (mcast=eth1, syncid=0): syncid 0 accepts sync messages of every syncid, while this host's master marks its own with syncid $SYNCID: this backup also takes in the connections of any other director pair syncing on eth1" \
    "$(grep '^warning: .* sync daemon' <<<"$out")"
}

failover
[[ ${LAB_FAILOVER_NO_SYNC:-} == 1 ]] || check_findings
