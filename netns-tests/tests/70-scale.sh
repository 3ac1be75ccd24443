# shellcheck shell=bash
# The pipelined -R at scale, against Debian's ipvsadm: thousands of rules
# sent many per datagram on one socket must leave the same table as
# ipvsadm's one-request-per-line restore, and every line the kernel refuses
# must be reported with ipvsadm's message, in input order, the rest applied.
# (Speed is measured by bench/run, never here.)
# shellcheck source=netns-tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# rules N: N services (TCP and UDP on two documentation /24s, every 50th
# IPv6, every 100th a firewall mark; four schedulers, some persistent),
# three NAT destinations each: 4*N lines.
rules() {
  awk -v n="$1" 'BEGIN {
    split("wlc wrr rr sh", sched, " ")
    for (i = 0; i < n; i++) {
      r = i % 500
      port = 1000 + int(i / 500)
      if (i % 100 == 99)
        svc = "-f " (1 + i)
      else if (i % 50 == 49)
        svc = "-t [2001:db8::" (1 + r) "]:" port
      else
        svc = ((i % 10 == 9) ? "-u " : "-t ") ((r % 2) ? "203.0.113." : "198.51.100.") (1 + int(r / 2)) ":" port
      printf "-A %s -s %s%s\n", svc, sched[1 + i % 4], (i % 7 == 0) ? " -p 300" : ""
      for (j = 0; j < 3; j++) {
        host = 1 + (i * 3 + j) % 250
        if (i % 100 == 99)
          rs = "192.0.2." host
        else if (i % 50 == 49)
          rs = "[2001:db8:1::" host "]:" (8000 + j)
        else
          rs = "192.0.2." host ":" (8000 + j)
        printf "-a %s -r %s -m -w %d\n", svc, rs, j + 1
      }
    }
  }'
}

# same NAME FILE...: every file has the first one's content (only the
# head of a difference is shown: these listings are thousands of lines).
same() {
  local name=$1 first=$2 f
  shift 2
  for f in "$@"; do
    if ! cmp -s "$first" "$f"; then
      fail "$name" "${first##*/} and ${f##*/} differ:" "$(diff -u "$first" "$f" | head -n 20)"
      return
    fi
  done
  ok "$name"
}

# restore_both NAME INPUT: `-R < INPUT` by ipvsadm in a fresh namespace
# NAME-ref and by rsvsadm in NAME-new; exit status and stderr kept in
# $NT_STATE/NAME.{ref,new}.{rc,err}; then -Sn and -Ln by both tools in both
# namespaces must be identical.
restore_both() {
  local name=$1 input=$2 side tool rc listing
  mkns_docnet "$name-ref" "$name-new"
  for side in ref new; do
    tool=$IPVSADM
    [[ $side == new ]] && tool=$RSVSADM
    rc=0
    in_ns "$name-$side" "$tool" -R <"$input" >/dev/null 2>"$NT_STATE/$name.$side.err" || rc=$?
    echo "$rc" >"$NT_STATE/$name.$side.rc"
  done
  for listing in Sn Ln; do
    for side in ref new; do
      in_ns "$name-$side" "$IPVSADM" "-$listing" >"$NT_STATE/$name.$listing.$side-by-ipvsadm"
      in_ns "$name-$side" "$RSVSADM" "-$listing" >"$NT_STATE/$name.$listing.$side-by-rsvsadm"
    done
    same "$name: -$listing identical, both tools listing both tables" \
      "$NT_STATE/$name.$listing.ref-by-ipvsadm" "$NT_STATE/$name.$listing.ref-by-rsvsadm" \
      "$NT_STATE/$name.$listing.new-by-ipvsadm" "$NT_STATE/$name.$listing.new-by-rsvsadm"
  done
  delns "$name-ref" "$name-new"
}

# --- 2,000 services, 8,000 lines, all accepted --------------------------------

rules 2000 >"$NT_STATE/clean"
restore_both clean "$NT_STATE/clean"
check_eq "clean: both exit 0, nothing on stderr" "0 0 ||" \
  "$(<"$NT_STATE/clean.ref.rc") $(<"$NT_STATE/clean.new.rc") |$(<"$NT_STATE/clean.ref.err")|$(<"$NT_STATE/clean.new.err")"
check_eq "clean: -Sn has a rule per input line" "$(wc -l <"$NT_STATE/clean")" \
  "$(wc -l <"$NT_STATE/clean.Sn.new-by-rsvsadm")"

# --- Refused lines spread over a 4,000-line input -------------------------------

# Lines the kernel refuses, each after the line it conflicts with and far
# from the next one (different windows of the pipeline), the last line
# among them: ipvsadm's exit status is that of its last line.
rules 1000 >"$NT_STATE/base"
{
  sed -n '1,1500p' "$NT_STATE/base"
  echo "-A -t 198.51.100.1:1000 -s rr"
  echo "-a -t 198.51.100.250:9 -r 192.0.2.1:80 -m"
  sed -n '1501,3700p' "$NT_STATE/base"
  echo "-e -t 198.51.100.1:1000 -r 192.0.2.99:80 -m"
  echo "-d -t 198.51.100.1:1000 -r 192.0.2.99:80"
  sed -n '3701,$p' "$NT_STATE/base"
  echo "-A -t 203.0.113.1:1000"
} >"$NT_STATE/refused"
refused_at=(1501 1502 3703 3704 4005)
restore_both refused "$NT_STATE/refused"

check_eq "refused: same exit status as ipvsadm" "$(<"$NT_STATE/refused.ref.rc")" \
  "$(<"$NT_STATE/refused.new.rc")"
# rsvsadm names each line before ipvsadm's message for it.
want=""
for n in "${refused_at[@]}"; do
  want+="<PROG>: -R line $n: $(sed -n "${n}p" "$NT_STATE/refused")"$'\n'
done
check_eq "refused: every refused line named, in input order" "$want" \
  "$(grep -- '-R line' "$NT_STATE/refused.new.err" | sed "s|^${RSVSADM##*/}:|<PROG>:|; s|^$RSVSADM:|<PROG>:|")"$'\n'
check_eq "refused: ipvsadm's message for each, in the same order" \
  "$(<"$NT_STATE/refused.ref.err")" "$(grep -v -- '-R line' "$NT_STATE/refused.new.err")"
