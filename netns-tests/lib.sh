# shellcheck shell=bash
# netns-tests/lib.sh — the test library, sourced by test scripts that run as
# root inside the lab VM (netns-tests/lab run ...).
#
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
#
# Checks: ok NAME | fail NAME DETAIL... | check NAME CMD... | note TEXT |
#         check_eq NAME EXPECTED ACTUAL | summary
# Topology (NS are short logical names, made unique per test process):
#         mkns NS... | mkns_docnet NS... | in_ns NS CMD... | nsname NS |
#         link NS1 IF1 ADDR1 NS2 IF2 ADDR2 | addr NS IF ADDR... |
#         bridge NS BR | bridge_port NS BR IF | route NS ARGS... |
#         sysctl_ns NS KEY=VALUE... | spawn NS CMD... |
#         http_server NS ADDR PORT NAME | on_exit CMD...
# Waiting: wait_for SECONDS CMD... (poll until CMD succeeds, say what timed out)
# Scenarios: lvs_nat_network (lvs_nat.sh's client, director, LAN, 2 servers)
# Compatibility with ipvsadm: compat NS ARGS... | compat_apply NAME [FILE|-] |
#         compat_each NS [FILE|-] | compat_settled NS ARGS...
#
# Every check appends one line to $NT_RESULTS, a file, so that checks made in
# subshells and in separate test processes all add up. Under netns-tests/suite
# the suite owns that file and prints the summary; a test run on its own gets
# its own file and prints its summary when it exits.
#
# Note: `bridge` here is the helper above; the iproute2 tool of that name is
# still reachable as `command bridge`.

set -euo pipefail

NT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=${REPO:-$(cd "$NT_DIR/.." && pwd)}
RSVSADM=${RSVSADM:-$REPO/target/debug/rsvsadm}
# The reference implementation every compat check compares against.
IPVSADM=${IPVSADM:-ipvsadm}
# What compat_apply lists, with each tool in each namespace, after applying.
if [[ -z ${COMPAT_LISTINGS+set} ]]; then
  COMPAT_LISTINGS=(
    "-Ln" "-Sn" "-Ln --stats --exact" "-Ln --rate --exact" "-Ln --thresholds"
    "-Ln --persistent-conn" "-Ln --tun-info" "-Ln --timeout" "-Ln --daemon"
  )
fi

if [[ ${LAB_GUEST:-} != 1 && ${LAB_ALLOW_HOST:-} != 1 ]]; then
  echo "lib.sh: these tests create namespaces and need a kernel with IPVS;" >&2
  echo "lib.sh: run them in the lab: netns-tests/lab run netns-tests/suite" >&2
  exit 2
fi

NT_STATE=$(mktemp -d "${TMPDIR:-/tmp}/nt.XXXXXX")
NT_PREFIX="t$$-"
# 0 when the latest check passed, 1 when it failed: for tests whose later
# steps only make sense after an earlier check (`((NT_LAST == 0)) || return`).
NT_LAST=0
NT_SEQ=0
if [[ -z ${NT_RESULTS:-} ]]; then
  NT_RESULTS=$(mktemp "${TMPDIR:-/tmp}/nt-results.XXXXXX")
  NT_STANDALONE=1
else
  NT_STANDALONE=0
fi
: >>"$NT_RESULTS"
: >"$NT_STATE/netns"
: >"$NT_STATE/pids"
: >"$NT_STATE/on_exit"

# ---------------------------------------------------------------- checks ----

_record() { printf '%s\t%s\n' "$1" "$2" >>"$NT_RESULTS"; }

ok() {
  _record PASS "$1"
  NT_LAST=0
  NT_LAST_NAME=$1
  printf '  PASS  %s\n' "$1"
}

# fail NAME [DETAIL...]: each DETAIL is printed indented below the name.
fail() {
  local name=$1
  shift
  _record FAIL "$name"
  # shellcheck disable=SC2034 # read by test scripts
  NT_LAST=1
  NT_LAST_NAME=$name
  printf '  FAIL  %s\n' "$name"
  if (($# > 0)); then
    printf '%s\n' "$@" | sed 's/^/        /'
  fi
}

# note TEXT: says, in the output, how a check was adapted to this kernel
# (a feature it lacks): not a check, nothing is recorded.
note() { printf '  NOTE  %s\n' "$*"; }

# check NAME CMD...: passes when CMD exits 0; shows its output otherwise.
check() {
  local name=$1 out rc=0
  shift
  out=$("$@" 2>&1 </dev/null) || rc=$?
  if ((rc == 0)); then
    ok "$name"
  else
    fail "$name" "\$ $* → exit status $rc" "$(printf '%s\n' "$out" | tail -n 30)"
  fi
}

# check_eq NAME EXPECTED ACTUAL: exact string compare; unified diff if not.
check_eq() {
  local name=$1 expected=$2 actual=$3
  if [[ $expected == "$actual" ]]; then
    ok "$name"
  else
    fail "$name" "$(diff -u --label expected --label actual \
      <(printf '%s\n' "$expected") <(printf '%s\n' "$actual") || true)"
  fi
}

# counts TEXT PATTERN...: into the array COUNTS, for each PATTERN (a bash
# pattern, extglob's included), how many lines of TEXT match it whole. In
# bash alone: tests that poll or judge many outputs would otherwise start a
# grep each time, and a process start costs much under TCG.
counts() {
  local text=$1 line i
  shift
  COUNTS=()
  for ((i = 0; i < $#; i++)); do COUNTS[i]=0; done
  while IFS= read -r line; do
    for ((i = 0; i < $#; i++)); do
      # shellcheck disable=SC2053 # the arguments are patterns
      if [[ $line == ${@:i+1:1} ]]; then COUNTS[i]=$((COUNTS[i] + 1)); fi
    done
  done <<<"$text"
}

# summary: the closing line "N passed, M failed"; fails if M>0 or N==0.
summary() {
  local passed failed
  passed=$(grep -c '^PASS' "$NT_RESULTS" || true)
  failed=$(grep -c '^FAIL' "$NT_RESULTS" || true)
  if ((failed > 0)); then
    echo "Failed checks:"
    grep '^FAIL' "$NT_RESULTS" | cut -f2- | sed 's/^/  - /'
  fi
  echo "$passed passed, $failed failed"
  ((failed == 0 && passed > 0))
}

# ------------------------------------------------------------ namespaces ----

# (Inside this library "$NT_PREFIX$NS" spells it without a subshell.)
nsname() { printf '%s%s' "$NT_PREFIX" "$1"; }

# in_ns NS CMD...: CMD must be a program (use `in_ns NS bash -c '...'` for
# shell code): ip netns exec execs it.
in_ns() {
  local ns=$1
  shift
  ip netns exec "$NT_PREFIX$ns" "$@"
}

# New namespaces copy the guest's own IPv6 defaults with no duplicate
# address detection (DAD would leave new IPv6 addresses unusable for ~2 s):
# set once here, it spares mkns a sysctl process per namespace. A kernel
# without devconf_inherit_init_net gets the sysctl in each namespace.
if sysctl -qw net.core.devconf_inherit_init_net=1 net.ipv6.conf.all.accept_dad=0 \
  net.ipv6.conf.default.accept_dad=0 2>/dev/null; then
  NT_DAD_INHERITED=1
else
  NT_DAD_INHERITED=0
fi

# _nt_addns NS...: fresh namespaces (lo still down), recorded for cleanup.
# One ip process adds them all: each process start costs 10-100 ms under TCG.
_nt_addns() {
  local ns
  for ns in "$@"; do
    printf 'netns add %s\n' "$NT_PREFIX$ns"
  done | ip -batch -
  for ns in "$@"; do
    printf '%s\n' "$NT_PREFIX$ns"
  done >>"$NT_STATE/netns"
}

# _nt_nodad NS: no IPv6 duplicate address detection in NS, where the
# kernel does not inherit the guest's setting.
_nt_nodad() {
  ((NT_DAD_INHERITED)) || ip netns exec "$NT_PREFIX$1" sysctl -qw \
    net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

# mkns NS...: fresh namespaces with lo up and no IPv6 duplicate address
# detection.
mkns() {
  local ns
  _nt_addns "$@"
  for ns in "$@"; do
    ip -n "$NT_PREFIX$ns" link set lo up
    _nt_nodad "$ns"
  done
}

# mkns_docnet NS...: namespaces where every documentation range is routable,
# through a dummy interface named eth0 (ipvsadm's default sync daemon
# interface). The kernel refuses NAT/DR destinations without a route
# ("address not unicast"), so compat tests need this to add servers.
mkns_docnet() {
  local ns
  _nt_addns "$@"
  for ns in "$@"; do
    _nt_nodad "$ns"
    # One ip process for all of it, lo included.
    ip -n "$NT_PREFIX$ns" -batch - <<'EOF'
link set lo up
link add eth0 type dummy
addr add 192.0.2.254/24 dev eth0
addr add 198.51.100.254/24 dev eth0
addr add 203.0.113.254/24 dev eth0
addr add 2001:db8::fffe/32 dev eth0
link set eth0 up
EOF
  done
}

# delns NS...: tear namespaces down now (else they go at exit).
delns() {
  local ns real left=() kept=()
  _nt_delns_real "${@/#/$NT_PREFIX}"
  mapfile -t left <"$NT_STATE/netns"
  for real in "${left[@]}"; do
    for ns in "$@"; do
      [[ $real == "$NT_PREFIX$ns" ]] && continue 2
    done
    kept+=("$real")
  done
  { ((${#kept[@]} == 0)) || printf '%s\n' "${kept[@]}"; } >"$NT_STATE/netns"
}

# _nt_delns_real NAME...: deletes these namespaces (full names): what runs
# in them is killed, then one ip process deletes them all.
_nt_delns_real() {
  local real pids
  (($#)) || return 0
  for real in "$@"; do
    pids=$(ip netns pids "$real" 2>/dev/null || true)
    # shellcheck disable=SC2086 # a list of pids
    [[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
  done
  printf 'netns del %s\n' "$@" | ip -force -batch - 2>/dev/null || true
}

# addr NS IF ADDR...: ADDR in CIDR form; "-" adds nothing. One ip process.
addr() {
  local ns=$1 ifname=$2 a
  shift 2
  for a in "$@"; do
    [[ $a == - ]] || echo "addr add $a dev $ifname"
  done | ip -n "$NT_PREFIX$ns" -batch -
}

# link NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth pair, both ends up. An ADDR may be
# "-" (none) or several comma-separated CIDRs ("192.0.2.1/24,2001:db8::1/64").
# Two ip processes in all (one -batch per namespace): each costs ~40 ms
# under TCG, and the director tests make many links.
link() {
  local ns1=$1 if1=$2 a1=$3 ns2=$4 if2=$5 a2=$6 a
  {
    echo "link add $if1 type veth peer name $if2 netns $NT_PREFIX$ns2"
    for a in ${a1//,/ }; do [[ $a == - ]] || echo "addr add $a dev $if1"; done
    echo "link set $if1 up"
  } | ip -n "$NT_PREFIX$ns1" -batch -
  {
    for a in ${a2//,/ }; do [[ $a == - ]] || echo "addr add $a dev $if2"; done
    echo "link set $if2 up"
  } | ip -n "$NT_PREFIX$ns2" -batch -
}

# bridge NS BR: a bridge that forwards at once (no STP listening delay).
bridge() {
  printf '%s\n' "link add $2 type bridge forward_delay 0 stp_state 0" "link set $2 up" |
    ip -n "$NT_PREFIX$1" -batch -
}

# bridge_port NS BR IF
bridge_port() { ip -n "$NT_PREFIX$1" link set "$3" master "$2" up; }

# route NS ARGS...: `ip route ARGS` in NS, e.g. route rs1 add default via 192.0.2.1
route() {
  local ns=$1
  shift
  ip -n "$NT_PREFIX$ns" route "$@"
}

# sysctl_ns NS KEY=VALUE...
sysctl_ns() {
  local ns=$1
  shift
  ip netns exec "$NT_PREFIX$ns" sysctl -qw "$@"
}

# package_deb DIR: the path of the Debian package of $RSVSADM:
# LAB_RSVSADM_DEB when run-tests built it on the host (under emulation a
# build costs ~10 s), else one pkg/build-deb makes into DIR now.
package_deb() {
  if [[ -n ${LAB_RSVSADM_DEB:-} ]]; then
    printf '%s\n' "$LAB_RSVSADM_DEB"
  else
    "$REPO/pkg/build-deb" --bin "$RSVSADM" --out "$1"
  fi
}

# spawn NS CMD...: run CMD in the background in NS; killed at exit. Sets
# SPAWNED to its pid.
spawn() {
  local ns=$1
  shift
  ip netns exec "$NT_PREFIX$ns" "$@" </dev/null &
  SPAWNED=$!
  # Not a job of ours any more: killing it at cleanup stays silent.
  disown "$SPAWNED"
  printf '%s\n' "$SPAWNED" >>"$NT_STATE/pids"
}

# Python source for test clients: imports socket and sys and defines
# fetch(HOST, PORT), one HTTP/1.0 GET over TCP (IPv4 or IPv6) returning the
# body, stripped (the name an http_server answers with). A client script
# is "$NT_PY_FETCH" followed by its own code: one process for all of its
# requests, since each process start costs up to 0.2 s under TCG.
NT_PY_FETCH='
import socket, sys
def fetch(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect((host, port))
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.split(b"\r\n\r\n", 1)[1].decode().strip()
'

# The server behind http_server: GET / answers "NAME\n"; GET /whoami answers
# "NAME saw CLIENT_ADDR:PORT\n" (to see what source address arrived).
# Plain sockets, not http.server: under TCG, importing http.server costs ~1 s.
_NT_HTTP_PY='
import socket, sys, threading
name, host, port, ready = sys.argv[1:5]
family = socket.AF_INET6 if ":" in host else socket.AF_INET
def serve(conn, peer):
    with conn:
        conn.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data and b"\n\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        path = data.split(b" ", 2)[1] if data.count(b" ") >= 2 else b"/"
        body = name + "\n"
        if path == b"/whoami":
            body = "%s saw %s:%d\n" % (name, peer[0], peer[1])
        body = body.encode()
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
srv = socket.socket(family, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((host, int(port)))
srv.listen(64)
open(ready, "w").close()
while True:
    conn, peer = srv.accept()
    threading.Thread(target=serve, args=(conn, peer), daemon=True).start()
'

# http_server NS ADDR PORT NAME: background HTTP server that names itself;
# returns once it is listening (or fails after 60 s: python starts slowly
# under TCG on a busy machine).
http_server() {
  local ns=$1 host=$2 port=$3 name=$4
  local ready=$NT_STATE/http-$ns-$port.ready log=$NT_STATE/http-$ns-$port.log
  rm -f "$ready"
  spawn "$ns" python3 -S -c "$_NT_HTTP_PY" "$name" "$host" "$port" "$ready" 2>"$log"
  wait_for 60 _nt_started "$ready" "$SPAWNED" && return 0
  echo "http_server $name on $host:$port in $ns did not start:" >&2
  cat "$log" >&2
  return 1
}

# _nt_started FILE PID: FILE exists; gives up (status 2) once PID is gone.
_nt_started() {
  [[ -e $1 ]] && return 0
  kill -0 "$2" 2>/dev/null || return 2
  return 1
}

# nap SECONDS: sleep(1) without starting a process: a read that times out
# on a FIFO this shell holds both ends of (nobody ever writes to it).
# Polling loops call it often, and a process start costs much under TCG.
mkfifo "$NT_STATE/nap"
exec {_NT_NAP_FD}<>"$NT_STATE/nap"
nap() { read -r -t "$1" -u "$_NT_NAP_FD" _ || true; }

# wait_for SECONDS CMD...: polls CMD (a program or function; its output is
# discarded) until it succeeds, first every 0.1 s, backing off to 1 s, for at
# most SECONDS of wall time. Give SECONDS with a margin for a machine
# running other jobs: a slow kernel is not what these tests check. On a
# timeout (or when CMD returns 2: give up now) it prints, to stderr, what it
# waited for and after which check, and fails.
wait_for() {
  local limit=$1 t0=$SECONDS nap=0.1 rc
  shift
  while :; do
    rc=0
    "$@" >/dev/null 2>&1 </dev/null || rc=$?
    ((rc == 0)) && return 0
    ((rc != 2 && SECONDS - t0 < limit)) || break
    nap "$nap"
    case $nap in 0.1) nap=0.2 ;; 0.2) nap=0.5 ;; *) nap=1 ;; esac
  done
  printf '%s\n' "wait_for: gave up after $((SECONDS - t0)) s (limit $limit s) waiting for: $*" \
    "wait_for: the last check before it: ${NT_LAST_NAME:-none yet}" >&2
  return 1
}

# lvs_nat_network: lvs_nat.sh's network (an LVS-NAT director) with documentation
# addresses, the real servers answering with their names:
#   client 203.0.113.111 --- eth1 203.0.113.200 (the VIP) [director] eth0
#   198.51.100.108 --- LAN --- RS1 198.51.100.107, RS2 198.51.100.110
#   (their default gateway: the director). Namespaces: cl dir lan rs1 rs2.
lvs_nat_network() {
  mkns cl dir lan rs1 rs2
  link cl eth1 203.0.113.111/24 dir eth1 203.0.113.200/24
  bridge lan br0
  link dir eth0 198.51.100.108/24 lan p-dir -
  link rs1 eth0 198.51.100.107/24 lan p-rs1 -
  link rs2 eth0 198.51.100.110/24 lan p-rs2 -
  bridge_port lan br0 p-dir
  bridge_port lan br0 p-rs1
  bridge_port lan br0 p-rs2
  route rs1 add default via 198.51.100.108
  route rs2 add default via 198.51.100.108
  http_server rs1 198.51.100.107 80 cenvm71
  http_server rs2 198.51.100.110 80 cenvm72
}

# on_exit CMD...: run CMD (as shell code) at exit, before namespaces go.
on_exit() { printf '%s\n' "$*" >>"$NT_STATE/on_exit"; }

_nt_cleanup() {
  local cmd pid gone=()
  if [[ -s $NT_STATE/on_exit ]]; then
    while IFS= read -r cmd; do
      eval "$cmd" || true
    done < <(tac "$NT_STATE/on_exit")
  fi
  while read -r pid; do
    kill -KILL "$pid" 2>/dev/null || true
  done <"$NT_STATE/pids"
  mapfile -t gone <"$NT_STATE/netns"
  _nt_delns_real "${gone[@]}"
  rm -rf "$NT_STATE"
}

_nt_exit() {
  local rc=$?
  set +e
  _nt_cleanup
  if ((NT_STANDALONE)); then
    ((rc == 0)) || _record FAIL "${0##*/} exited with status $rc"
    summary
    rc=$?
    rm -f "$NT_RESULTS"
  fi
  exit "$rc"
}
trap _nt_exit EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- compat ----

# Under TCG every process costs ~30-100 ms, so compat work is done with bash
# builtins: outputs are read into variables and compared there.

# Both tools print their own name (usage, errors, -h). Names to replace by
# <PROG>, longest first so a full path goes before its basename.
_nt_prog_names() {
  [[ -n ${_NT_PROG_NAMES+set} ]] && return
  local ref n
  ref=$(command -v "$IPVSADM" || printf '%s' "$IPVSADM")
  _NT_PROG_NAMES=()
  while IFS= read -r n; do
    [[ -n $n ]] && _NT_PROG_NAMES+=("$n")
  done < <(printf '%s\n' "$ref" "${ref##*/}" "$RSVSADM" "${RSVSADM##*/}" |
    awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2- | uniq)
}

# _nt_slurp VAR FILE: exact file content (trailing newlines kept) into VAR,
# program names normalised.
_nt_slurp() {
  local -n _var=$1
  local n
  IFS= read -r -d '' _var <"$2" || true
  for n in "${_NT_PROG_NAMES[@]}"; do
    _var=${_var//"$n"/<PROG>}
  done
}

# _nt_run NS OUT TOOL ARGS...: runs TOOL in NS; sets OUT_rc, OUT_stdout,
# OUT_stderr (globals named after OUT).
_nt_run() {
  local ns=$1 out=$2 rc=0
  shift 2
  _nt_prog_names
  ip netns exec "$NT_PREFIX$ns" "$@" >"$NT_STATE/run.out" 2>"$NT_STATE/run.err" </dev/null || rc=$?
  printf -v "${out}_rc" '%s\n' "$rc"
  _nt_slurp "${out}_stdout" "$NT_STATE/run.out"
  _nt_slurp "${out}_stderr" "$NT_STATE/run.err"
}

# _nt_batch NS DIR TOOL LINE...: in a single namespace entry (ip netns exec
# costs ~40 ms under TCG), runs TOOL with the words of each LINE (blank and
# # lines skipped, numbering kept) into DIR/line<i>.{out,err,rc}, then every
# COMPAT_LISTINGS entry with ipvsadm and with $RSVSADM into
# DIR/{ref,new}<j>.{out,err,rc}. Read the results with _nt_load.
_nt_batch() {
  local ns=$1 dir=$2 tool=$3
  shift 3
  rm -rf "$dir"
  mkdir -p "$dir"
  # shellcheck disable=SC2016 # the inner script expands its own arguments
  ip netns exec "$NT_PREFIX$ns" bash -c '
    run() { # run NAME PROG ARGS...
      local name=$1 rc=0
      shift
      "$@" >"$dir/$name.out" 2>"$dir/$name.err" </dev/null || rc=$?
      printf "%s\n" "$rc" >"$dir/$name.rc"
    }
    dir=$1 tool=$2 ref=$3 new=$4 nlines=$5 i=0
    shift 5
    for ((i = 1; i <= nlines; i++)); do
      line=$1
      shift
      [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
      read -ra args <<<"$line"
      run "line$i" "$tool" "${args[@]}"
    done
    i=0
    for listing in "$@"; do
      i=$((i + 1))
      read -ra args <<<"$listing"
      run "ref$i" "$ref" "${args[@]}"
      run "new$i" "$new" "${args[@]}"
    done' _ "$dir" "$tool" "$IPVSADM" "$RSVSADM" "$#" "$@" "${COMPAT_LISTINGS[@]}"
}

# _nt_same LABEL_A A LABEL_B B: A and B are _nt_run results; prints what
# differs (a unified diff per stream) and fails, or succeeds silently.
_nt_same() {
  local la=$1 a=$2 lb=$3 b=$4 same=0 s va vb
  for s in rc stdout stderr; do
    va=${a}_$s
    vb=${b}_$s
    [[ ${!va} == "${!vb}" ]] && continue
    same=1
    echo "$s differs:"
    diff -u --label "$la" --label "$lb" <(printf '%s' "${!va}") <(printf '%s' "${!vb}") || true
  done
  return "$same"
}

# Prints a run's outcome (for failure reports).
_nt_show() {
  local rc=${2}_rc out=${2}_stdout err=${2}_stderr
  printf '%s: exit status %s' "$1" "${!rc}"
  printf -- '--- stdout\n%s' "${!out}"
  printf -- '--- stderr\n%s' "${!err}"
}

# compat NS ARGS...: ipvsadm ARGS and $RSVSADM ARGS, one after the other in
# NS on the same kernel state, must agree on stdout, stderr and exit status
# (program names normalised). One check. Use it for commands that don't
# change state (listings, errors); compat_apply is for changes.
compat() {
  local ns=$1
  shift
  _nt_run "$ns" _nt_ref "$IPVSADM" "$@"
  _nt_run "$ns" _nt_new "$RSVSADM" "$@"
  if _nt_same ipvsadm _nt_ref rsvsadm _nt_new >"$NT_STATE/diff"; then
    ok "compat[$ns] $*"
  else
    fail "compat[$ns] $*" "$(<"$NT_STATE/diff")" "$(_nt_show ipvsadm _nt_ref)" "$(_nt_show rsvsadm _nt_new)"
  fi
}

# compat_apply NAME [FILE|-]: each non-blank, non-# line of FILE (default:
# stdin, e.g. a heredoc) is one command's arguments in ipvsadm syntax, split
# on blanks. Two fresh namespaces (mkns_docnet); every line runs with ipvsadm
# in the first and with $RSVSADM in the second, and must give the same exit
# status, stdout and stderr. Then each of COMPAT_LISTINGS is run by both
# tools in both namespaces: all four must agree. One check.
compat_apply() {
  local name=$1 src=${2:--} n report=""
  local -a lines
  if [[ $src == - ]]; then
    mapfile -t lines
  else
    mapfile -t lines <"$src"
  fi
  NT_SEQ=$((NT_SEQ + 1))
  local a=ca$NT_SEQ-ref b=ca$NT_SEQ-new
  local da=$NT_STATE/apply-ref db=$NT_STATE/apply-new
  _nt_prog_names
  mkns_docnet "$a" "$b"
  _nt_batch "$a" "$da" "$IPVSADM" "${lines[@]}"
  _nt_batch "$b" "$db" "$RSVSADM" "${lines[@]}"
  for ((n = 1; n <= ${#lines[@]}; n++)); do
    [[ -e $da/line$n.rc ]] || continue
    _nt_load "$da/line$n" _nt_ref
    _nt_load "$db/line$n" _nt_new
    _nt_same ipvsadm _nt_ref rsvsadm _nt_new >"$NT_STATE/diff" ||
      report+="line $n: ${lines[n - 1]}"$'\n'"$(<"$NT_STATE/diff")"$'\n'
  done
  local i listing other label
  for ((i = 1; i <= ${#COMPAT_LISTINGS[@]}; i++)); do
    listing=${COMPAT_LISTINGS[i - 1]}
    _nt_load "$da/ref$i" _nt_ref_ref
    _nt_load "$db/ref$i" _nt_ref_new
    _nt_load "$da/new$i" _nt_new_ref
    _nt_load "$db/new$i" _nt_new_new
    for other in ref_new new_ref new_new; do
      case $other in
        ref_new) label="ipvsadm $listing, state made by rsvsadm" ;;
        new_ref) label="rsvsadm $listing, state made by ipvsadm" ;;
        new_new) label="rsvsadm $listing, state made by rsvsadm" ;;
      esac
      _nt_same "ipvsadm $listing, state made by ipvsadm" _nt_ref_ref \
        "$label" "_nt_$other" >"$NT_STATE/diff" ||
        report+="listing: $label"$'\n'"$(<"$NT_STATE/diff")"$'\n'
    done
  done
  if [[ -n $report ]]; then
    fail "compat_apply: $name" "$report"
  else
    ok "compat_apply: $name"
  fi
  delns "$a" "$b"
}

# compat_each NS [FILE|-]: `compat NS ARGS` for many commands at once: each
# non-blank, non-# line of FILE (default: stdin) is one command's arguments,
# split on blanks. Each line runs with ipvsadm then with $RSVSADM, as compat
# does, but all of them within a single namespace entry (ip netns exec costs
# ~40 ms under TCG, so a sweep of hundreds of cases stays cheap). One check
# per line.
compat_each() {
  local ns=$1 src=${2:--} dir=$NT_STATE/each i n line
  local -a lines
  if [[ $src == - ]]; then
    mapfile -t lines
  else
    mapfile -t lines <"$src"
  fi
  _nt_prog_names
  rm -rf "$dir"
  mkdir -p "$dir"
  # shellcheck disable=SC2016 # the inner script expands its own arguments
  ip netns exec "$NT_PREFIX$ns" bash -c '
    ref=$1 new=$2 dir=$3 i=0
    shift 3
    for line in "$@"; do
      i=$((i + 1))
      [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
      read -ra args <<<"$line"
      for t in ref new; do
        rc=0
        "${!t}" "${args[@]}" >"$dir/$i.$t.out" 2>"$dir/$i.$t.err" </dev/null || rc=$?
        printf "%s\n" "$rc" >"$dir/$i.$t.rc"
      done
    done' _ "$IPVSADM" "$RSVSADM" "$dir" "${lines[@]}"
  n=${#lines[@]}
  for ((i = 1; i <= n; i++)); do
    line=${lines[i - 1]}
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    _nt_load "$dir/$i.ref" _nt_ref
    _nt_load "$dir/$i.new" _nt_new
    if _nt_same ipvsadm _nt_ref rsvsadm _nt_new >"$NT_STATE/diff"; then
      ok "compat[$ns] $line"
    else
      fail "compat[$ns] $line" "$(<"$NT_STATE/diff")" "$(_nt_show ipvsadm _nt_ref)" "$(_nt_show rsvsadm _nt_new)"
    fi
  done
}

# _nt_load PREFIX OUT: PREFIX.rc, PREFIX.out, PREFIX.err into OUT_rc/_stdout/
# _stderr, as _nt_run sets them.
_nt_load() {
  local rc
  read -r rc <"$1.rc"
  printf -v "${2}_rc" '%s\n' "$rc"
  _nt_slurp "${2}_stdout" "$1.out"
  _nt_slurp "${2}_stderr" "$1.err"
}

# compat_settled NS ARGS...: compat for outputs that change while they are
# read (counters, rates, connection expiry): ipvsadm, $RSVSADM, ipvsadm again
# in one namespace entry; when ipvsadm's two outputs agree, the state held
# still and rsvsadm's output must be the same. Tries up to 5 times.
# COMPAT_SED, if set, is a sed -E script applied to both tools' stdout first
# (e.g. to blank a column that ticks every second). One check.
compat_settled() {
  local ns=$1 dir=$NT_STATE/settled try
  shift
  _nt_prog_names
  for ((try = 1; try <= 5; try++)); do
    rm -rf "$dir"
    mkdir -p "$dir"
    # shellcheck disable=SC2016 # the inner script expands its own arguments
    ip netns exec "$NT_PREFIX$ns" bash -c '
      dir=$1 ref=$2 new=$3 filter=$4
      shift 4
      for t in ref1:$ref new:$new ref2:$ref; do
        rc=0
        "${t#*:}" "$@" >"$dir/${t%%:*}.raw" 2>"$dir/${t%%:*}.err" </dev/null || rc=$?
        printf "%s\n" "$rc" >"$dir/${t%%:*}.rc"
        if [[ -n $filter ]]; then
          sed -E "$filter" "$dir/${t%%:*}.raw" >"$dir/${t%%:*}.out"
        else
          mv "$dir/${t%%:*}.raw" "$dir/${t%%:*}.out"
        fi
      done' _ "$dir" "$IPVSADM" "$RSVSADM" "${COMPAT_SED:-}" "$@"
    _nt_load "$dir/ref1" _nt_ref
    _nt_load "$dir/ref2" _nt_ref2
    _nt_same first _nt_ref second _nt_ref2 >/dev/null && break
  done
  _nt_load "$dir/new" _nt_new
  if ((try > 5)); then
    fail "compat[$ns] $* (settled)" "ipvsadm's output kept changing over 5 tries"
  elif _nt_same ipvsadm _nt_ref rsvsadm _nt_new >"$NT_STATE/diff"; then
    ok "compat[$ns] $* (settled)"
  else
    fail "compat[$ns] $* (settled)" "$(<"$NT_STATE/diff")" "$(_nt_show ipvsadm _nt_ref)" "$(_nt_show rsvsadm _nt_new)"
  fi
}
