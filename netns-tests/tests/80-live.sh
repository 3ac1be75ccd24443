#!/usr/bin/env bash
# A live NAT director changed three ways while a client keeps requesting:
#   1. rsvsadm -R --sync --drain (servers replaced, a service added): no
#      request may fail; a connection held open to a server that stays
#      survives, and one in flight to a server that goes ends normally (the
#      drain waits for it before the server is removed);
#   2. a weight change with -e: no request may fail;
#   3. ipvsadm -C then ipvsadm -R, the usual reload: the failures are only
#      printed (how many land in the gap between the two commands is a
#      matter of timing).
# The client makes a new connection for every request to $VIP:80 (5 a
# second, 2 s timeout each), and holds connections to other services open
# by sending their request header a byte at a time.
# shellcheck source=netns-tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

VIP=203.0.113.1
# Seconds of traffic per phase, and when in it the change is made.
PHASE=8
CHANGE_AT=2

# The client: RATE requests a second for DURATION seconds to HOST:80, each
# on a new connection; and for each PORT:SECONDS, a connection opened first
# and trickled for that long before its request ends (it fails if the
# director loses it). Prints one line:
# "requests=N failed=F held:PORT=ok|failed ... errors={...}".
_CLIENT_PY='
import socket, sys, threading, time
host, duration, rate = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
holds = [(int(p), float(t)) for p, t in (h.split(":") for h in sys.argv[4:])]
def request(sock):
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.startswith(b"HTTP/1.0 200 OK")
held = {}
def hold(port, stop):
    held[port] = False
    try:
        with socket.create_connection((host, port), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.0\r\nX-Trickle: ")
            while time.time() < stop:
                s.sendall(b"a")
                time.sleep(0.5)
            s.sendall(b"\r\n\r\n")
            held[port] = request(s)
    except OSError:
        pass
start = time.time()
stop = start + duration
threads = [threading.Thread(target=hold, args=(p, start + t)) for p, t in holds]
for t in threads:
    t.start()
done = failed = 0
errors = {}
while time.time() < stop:
    due = start + done / rate
    if due > time.time():
        time.sleep(due - time.time())
    done += 1
    try:
        with socket.create_connection((host, 80), timeout=2) as s:
            s.settimeout(2)
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            good = request(s)
    except OSError as e:
        good = False
        errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
    failed += not good
for t in threads:
    t.join()
print("requests=%d failed=%d %s errors=%s" % (done, failed, " ".join(
    "held:%d=%s" % (p, "ok" if held[p] else "failed") for p, _ in holds), errors))
'

build() {
  mkns cl dir lan rs1 rs2 rs3
  link cl eth0 203.0.113.2/24 dir eth1 $VIP/24
  bridge lan br0
  link dir eth0 198.51.100.1/24 lan p-dir -
  bridge_port lan br0 p-dir
  local i
  for i in 1 2 3; do
    link rs$i eth0 198.51.100.1$i/24 lan p-rs$i -
    bridge_port lan br0 p-rs$i
    route rs$i add default via 198.51.100.1
    http_server rs$i 198.51.100.1$i 80 rs$i
  done
  sysctl_ns dir net.ipv4.ip_forward=1
}

# phase NAME CMD [PORT:SECONDS...]: runs the client through a phase, with
# those held connections, and CMD (shell code, in the director) CHANGE_AT
# seconds in; sets RESULT to the client's line.
phase() {
  local name=$1 cmd=$2 out=$NT_STATE/client-$1.out
  shift 2
  spawn cl python3 -S -c "$_CLIENT_PY" $VIP "$PHASE" 5 "$@" >"$out" 2>&1
  local client=$SPAWNED
  nap "$CHANGE_AT"
  if ! in_ns dir bash -c "$cmd" >"$NT_STATE/change.out" 2>&1; then
    fail "$name: the change itself failed" "$(<"$NT_STATE/change.out")"
  fi
  while kill -0 "$client" 2>/dev/null; do nap 0.2; done
  RESULT=$(<"$out")
  printf '  %-38s %s\n' "$name:" "$RESULT"
}

# field NAME: the value of NAME=... in RESULT.
field() { tr ' ' '\n' <<<"$RESULT" | sed -n "s/^$1=//p"; }

# :80 takes the stream of requests; :8080 (to rs1) a connection held
# through the phase; :8082 (to rs2) one in flight when rs2 is drained.
START=$NT_STATE/start.rules TARGET=$NT_STATE/target.rules
cat >"$START" <<EOF
-A -t $VIP:80 -s wrr
-a -t $VIP:80 -r 198.51.100.11:80 -m -w 1
-a -t $VIP:80 -r 198.51.100.12:80 -m -w 1
-A -t $VIP:8080 -s rr
-a -t $VIP:8080 -r 198.51.100.11:80 -m -w 1
-A -t $VIP:8082 -s rr
-a -t $VIP:8082 -r 198.51.100.12:80 -m -w 1
EOF
# rs2 goes everywhere (drained first), rs3 comes, a service appears.
cat >"$TARGET" <<EOF
-A -t $VIP:80 -s wrr
-a -t $VIP:80 -r 198.51.100.11:80 -m -w 1
-a -t $VIP:80 -r 198.51.100.13:80 -m -w 2
-A -t $VIP:8080 -s rr
-a -t $VIP:8080 -r 198.51.100.11:80 -m -w 1
-A -t $VIP:8082 -s rr
-a -t $VIP:8082 -r 198.51.100.13:80 -m -w 1
-A -t $VIP:81 -s rr
-a -t $VIP:81 -r 198.51.100.13:80 -m -w 1
EOF

build
in_ns dir "$RSVSADM" -R <"$START"
check_eq "the director answers before any change" "rs1 rs2" \
  "$(for i in 1 2; do in_ns cl curl -sS --max-time 5 http://$VIP/; done | sort | tr '\n' ' ' | sed 's/ $//')"

phase "diff-restore (-R --sync --drain)" "$RSVSADM -R --sync --drain=$PHASE <$TARGET" \
  8080:$((PHASE - 1)) 8082:$((CHANGE_AT + 2))
check_eq "diff-restore: no request failed" 0 "$(field failed)"
check_eq "diff-restore: the connection held to a server that stays survived" ok \
  "$(field held:8080)"
check_eq "diff-restore: the connection in flight to the drained server ended normally" ok \
  "$(field held:8082)"
check "diff-restore: traffic ran through the change (>= 15 requests)" test "$(field requests)" -ge 15
check_eq "diff-restore: the table is the target's" "" \
  "$(in_ns dir "$RSVSADM" -R --sync --dry-run <"$TARGET")"

phase "weight change (-e)" "$RSVSADM -e -t $VIP:80 -r 198.51.100.13:80 -m -w 5" \
  8080:$((PHASE - 1))
check_eq "weight change: no request failed" 0 "$(field failed)"
check_eq "weight change: the held connection survived" ok "$(field held:8080)"
check_eq "weight change: the weight is set" \
  "-a -t $VIP:80 -r 198.51.100.13:80 -m -w 5" \
  "$(in_ns dir "$RSVSADM" -Sn | grep -F 198.51.100.13:80 | grep -F ":80 -r")"

# For contrast; not asserted.
phase "flush and restore (ipvsadm -C; -R)" "$IPVSADM -C; $IPVSADM -R <$TARGET" \
  8080:$((PHASE - 1))
