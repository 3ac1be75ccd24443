# shellcheck shell=bash
# bench/guest.sh — runs inside the lab VM (bench/run starts it): ipvsadm
# against rsvsadm on a large table, in fresh network namespaces.
#
#   bench/guest.sh [--rounds N] [--services N] [--dests N] [--conns N]
#                  [--conn-rounds N]
#
# Table phase, N rounds (tool order alternating between rounds):
#   restore  `-R` of SERVICES services x DESTS destinations (one rule per
#            line), each tool into a fresh namespace of its own: the kernel
#            keeps deleted destinations in a trash list that it searches on
#            every add, so restoring after a flush would measure that list.
#   flush    `-C`, each tool on the table it restored (the table not
#            listed is flushed first).
#   list     `-Ln`, then `-Sn`, both tools on the same table (the one
#            restored by rsvsadm in odd rounds, by ipvsadm in even ones),
#            the only table in the kernel then.
# Connection phase: CONNS UDP flows from a client namespace through a NAT
# service (hping3, documentation addresses, bounded count), then `-Lnc`
# with each tool, --conn-rounds rounds (default 1: reading /proc/net/
# ip_vs_conn costs the kernel O(entries) per read(2) call, so one listing
# of 100,000 entries takes minutes under TCG).
#
# Every run is timed around the tool's own process (wall clock) inside its
# namespace, with /usr/bin/time for user/sys CPU and peak RSS. Checks (these
# make the exit status): every restore succeeds silently, and all -Sn and
# -Ln outputs of a round are identical — both tools listing one table, and
# rsvsadm listing the other tool's table. The report (markdown) is printed
# at the end: min and median per operation and tool, and the ratios
# ipvsadm/rsvsadm of both.
# shellcheck source=netns-tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../netns-tests/lib.sh"

ROUNDS=3 SERVICES=10000 DESTS=4 CONNS=100000 CONN_ROUNDS=1
while (($#)); do
  case $1 in
    --rounds) ROUNDS=$2 ;;
    --services) SERVICES=$2 ;;
    --dests) DESTS=$2 ;;
    --conns) CONNS=$2 ;;
    --conn-rounds) CONN_ROUNDS=$2 ;;
    *)
      echo "bench: unknown option $1" >&2
      exit 2
      ;;
  esac
  shift 2
done

RESULTS=$NT_STATE/results.tsv
: >"$RESULTS"
TOOLS=(ipvsadm rsvsadm)

tool_bin() {
  case $1 in
    ipvsadm) printf '%s' "$IPVSADM" ;;
    rsvsadm) printf '%s' "$RSVSADM" ;;
  esac
}

# The tools in the order of round $1: ipvsadm first in odd rounds.
order() {
  if (($1 % 2)); then echo ipvsadm rsvsadm; else echo rsvsadm ipvsadm; fi
}

# rules SERVICES DESTS: the restore input. Services spread over two
# documentation /24s and 20+ ports, one in ten UDP, one in seven
# persistent, four schedulers; each destination a NAT server on
# 192.0.2.0/24 with its own port and weight.
rules() {
  awk -v n="$1" -v d="$2" 'BEGIN {
    split("wlc wrr rr sh", sched, " ")
    for (i = 0; i < n; i++) {
      r = i % 500
      vip = ((r % 2) ? "203.0.113." : "198.51.100.") (1 + int(r / 2)) ":" (1000 + int(i / 500))
      proto = (i % 10 == 9) ? "-u" : "-t"
      printf "-A %s %s -s %s%s\n", proto, vip, sched[1 + i % 4], (i % 7 == 0) ? " -p 300" : ""
      for (j = 0; j < d; j++)
        printf "-a %s %s -r 192.0.2.%d:%d -m -w %d\n", proto, vip, 1 + (i * d + j) % 250, 8000 + j, j + 1
    }
  }'
}

# measure NS TOOL OP STDIN STDOUT ARGS...: runs the tool with ARGS in NS and
# appends "OP TOOL wall_s user_s sys_s maxrss_kb exit" to the results; sets
# MEASURED_RC to its exit status. Its stderr is kept in STDOUT.err. The
# clock runs inside the namespace, around the tool's process only (ip netns
# exec itself costs ~0.5 s under TCG).
measure() {
  local ns=$1 tool=$2 op=$3 in=$4 out=$5 t=$NT_STATE/time
  shift 5
  # shellcheck disable=SC2016 # the inner script expands its own arguments
  ip netns exec "$(nsname "$ns")" bash -c '
    t=$1 in=$2 out=$3
    shift 3
    rc=0
    t0=$EPOCHREALTIME
    /usr/bin/time -o "$t" -f "%U %S %M" "$@" <"$in" >"$out" 2>"$out.err" || rc=$?
    t1=$EPOCHREALTIME
    printf "%s %s %s\n" "$t0" "$t1" "$rc" >"$t.wall"' _ "$t" "$in" "$out" "$(tool_bin "$tool")" "$@"
  local t0 t1 rc cpu
  read -r t0 t1 rc <"$t.wall"
  MEASURED_RC=$rc
  # time(1) puts "Command exited with non-zero status N" first on failure.
  cpu=$(tail -n 1 "$t")
  printf '%s\t%s\t%s\t%s\t%s\n' "$op" "$tool" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" \
    "${cpu// /$'\t'}" "$rc" >>"$RESULTS"
  printf '  %-8s %-8s %7.2f s  (user sys maxrss: %s) exit %s\n' "$op" "$tool" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" "$cpu" "$rc"
}

# same NAME FILE...: all files have the same content.
same() {
  local name=$1 first=$2 f bad=()
  shift 2
  for f in "$@"; do
    cmp -s "$first" "$f" || bad+=("$f")
  done
  if ((${#bad[@]} == 0)); then
    ok "$name"
  else
    fail "$name" "$(diff -u "$first" "${bad[0]}" | head -n 20)"
  fi
}

table_round() {
  local round=$1 tool ns listed other
  local -a tools
  read -ra tools <<<"$(order "$round")"
  echo "round $round: table"
  for tool in "${tools[@]}"; do
    ns=tbl$round-$tool
    mkns_docnet "$ns"
    measure "$ns" "$tool" restore "$NT_STATE/rules" "$NT_STATE/restore.$tool" -R
    check_eq "round $round: $tool -R exits 0 silently" "0:" \
      "$MEASURED_RC:$(head -c 300 "$NT_STATE/restore.$tool.err")"
  done
  if ((round % 2)); then listed=rsvsadm other=ipvsadm; else listed=ipvsadm other=rsvsadm; fi
  # The other tool's table, listed by rsvsadm (untimed), then flushed by
  # that tool: IPVS walks the service table of every namespace for each
  # datagram of a service dump, so a second table would slow the listings
  # below (both tools alike) in a way a director with one table never sees.
  in_ns "tbl$round-$other" "$RSVSADM" -Sn >"$NT_STATE/Sn.other"
  in_ns "tbl$round-$other" "$RSVSADM" -Ln >"$NT_STATE/Ln.other"
  measure "tbl$round-$other" "$other" flush /dev/null /dev/null -C
  for tool in "${tools[@]}"; do
    measure "tbl$round-$listed" "$tool" list /dev/null "$NT_STATE/Ln.$tool" -Ln
    measure "tbl$round-$listed" "$tool" save /dev/null "$NT_STATE/Sn.$tool" -Sn
  done
  same "round $round: -Sn identical (both tools, both tables)" \
    "$NT_STATE/Sn.ipvsadm" "$NT_STATE/Sn.rsvsadm" "$NT_STATE/Sn.other"
  same "round $round: -Ln identical (both tools, both tables)" \
    "$NT_STATE/Ln.ipvsadm" "$NT_STATE/Ln.rsvsadm" "$NT_STATE/Ln.other"
  check_eq "round $round: -Sn has every rule" "$(wc -l <"$NT_STATE/rules")" \
    "$(wc -l <"$NT_STATE/Sn.rsvsadm")"
  measure "tbl$round-$listed" "$listed" flush /dev/null /dev/null -C
  delns "tbl$round-ipvsadm" "tbl$round-rsvsadm"
}

# A client namespace and a director with one UDP NAT service whose real
# server sits behind a dummy interface (packets to it vanish, so no reply
# ever changes a connection's state), and a UDP timeout long enough for the
# entries to outlive the benchmark.
conn_setup() {
  mkns cl dir
  link cl c0 198.51.100.2/24 dir d0 198.51.100.1/24
  addr cl c0 198.51.100.3/24 198.51.100.4/24
  ip -n "$(nsname dir)" -batch - <<'EOF'
link add rs0 type dummy
addr add 192.0.2.254/24 dev rs0
link set rs0 up
EOF
  in_ns dir "$IPVSADM" -A -u 198.51.100.1:53 -s rr
  in_ns dir "$IPVSADM" -a -u 198.51.100.1:53 -r 192.0.2.10:53 -m
  in_ns dir "$IPVSADM" --set 0 0 3600
}

# shellcheck disable=SC2016 # expanded in the namespace
conn_entries() { in_ns dir bash -c 'echo $(($(wc -l </proc/net/ip_vs_conn) - 1))'; }

# Fills the table with CONNS entries: hping3 sends one UDP datagram per
# source port, counting up from 1024, from as many client addresses as
# needed (at most 60,000 flows each). `-i u1`, not --flood, which ignores
# the count (~3,000 datagrams/s under TCG).
conn_fill() {
  local left=$CONNS n src=3 t0=$EPOCHREALTIME
  while ((left > 0 && src <= 4)); do
    n=$((left < 60000 ? left : 60000))
    # hping3 exits non-zero when nothing answers, which is the point here.
    in_ns cl timeout 300 hping3 --udp -q -i u1 -c "$n" -a "198.51.100.$src" -s 1024 \
      -p 53 198.51.100.1 >/dev/null 2>&1 || true
    left=$((left - n))
    src=$((src + 1))
  done
  local have
  have=$(conn_entries)
  echo "connections: $have entries after $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s"
  check "connection table holds at least $CONNS entries" test "$have" -ge "$CONNS"
}

conn_round() {
  local round=$1 tool
  echo "round $round: connections"
  for tool in $(order "$round"); do
    measure dir "$tool" conns /dev/null "$NT_STATE/Lnc.$tool" -Lnc
  done
  # Expiry times tick between the two runs: compare the entries only.
  check_eq "round $round: -Lnc lists the same entries" \
    "$(cut -c1-4,15- "$NT_STATE/Lnc.ipvsadm" | sort | md5sum)" \
    "$(cut -c1-4,15- "$NT_STATE/Lnc.rsvsadm" | sort | md5sum)"
}

# The report: per operation and tool, min and median of wall time, median
# user and sys time, the largest peak RSS; then ipvsadm/rsvsadm ratios.
report() {
  echo
  echo "| operation | tool | runs | wall min (s) | wall median (s) | user median (s) | sys median (s) | peak RSS (MB) |"
  echo "|---|---|---|---|---|---|---|---|"
  local op tool
  for op in restore list save flush conns; do
    for tool in "${TOOLS[@]}"; do
      awk -F'\t' -v op="$op" -v tool="$tool" '
        $1 == op && $2 == tool { n++; w[n] = $3; u[n] = $4; s[n] = $5; if ($6 > rss) rss = $6 }
        # Sorts a[1..n] in place (insertion sort: a handful of runs).
        function sort(a, n,   i, j, t) {
          for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
        }
        function med(a, n) { sort(a, n); return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
        END {
          if (!n) exit
          wall_med = med(w, n)
          printf "| %s | %s | %d | %.2f | %.2f | %.2f | %.2f | %.1f |\n", op, tool, n, w[1], wall_med, med(u, n), med(s, n), rss / 1024
        }' "$RESULTS"
    done
  done
  echo
  echo "| operation | ipvsadm/rsvsadm (min) | ipvsadm/rsvsadm (median) |"
  echo "|---|---|---|"
  for op in restore list save flush conns; do
    awk -F'\t' -v op="$op" '
      $1 == op { n[$2]++; w[$2, n[$2]] = $3 }
      function sorted_med(t, k,   i, j, a, x) {
        for (i = 1; i <= n[t]; i++) a[i] = w[t, i]
        for (i = 2; i <= n[t]; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { x = a[j]; a[j] = a[j-1]; a[j-1] = x }
        if (k == "min") return a[1]
        return (n[t] % 2) ? a[(n[t] + 1) / 2] : (a[n[t] / 2] + a[n[t] / 2 + 1]) / 2
      }
      END {
        if (!n["ipvsadm"] || !n["rsvsadm"]) exit
        printf "| %s | %.2f | %.2f |\n", op, sorted_med("ipvsadm", "min") / sorted_med("rsvsadm", "min"),
          sorted_med("ipvsadm", "med") / sorted_med("rsvsadm", "med")
      }' "$RESULTS"
  done
  echo
  echo "Raw runs (operation, tool, wall s, user s, sys s, max RSS KB, exit):"
  echo
  sed 's/^/    /' "$RESULTS"
}

main() {
  echo "bench: kernel $(uname -r), $ROUNDS rounds, $SERVICES services x $DESTS destinations, $CONNS connections ($CONN_ROUNDS rounds)"
  echo "bench: ipvsadm $(command -v "$IPVSADM"), rsvsadm $RSVSADM"
  rules "$SERVICES" "$DESTS" >"$NT_STATE/rules"
  echo "bench: restore input of $(wc -l <"$NT_STATE/rules") lines"
  local round
  for ((round = 1; round <= ROUNDS; round++)); do
    table_round "$round"
  done
  if ((CONNS > 0)); then
    conn_setup
    conn_fill
    for ((round = 1; round <= CONN_ROUNDS; round++)); do
      conn_round "$round"
    done
  fi
  report
}

main
