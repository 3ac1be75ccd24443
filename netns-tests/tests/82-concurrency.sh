#!/usr/bin/env bash
# Several processes on one table:
#  - two rsvsadm processes changing different services at the same time
#    both succeed, every command;
#  - listings (-Sn) taken while others add and delete services are never
#    garbled: every line is a rule, and each of the 150 services that stay
#    appears exactly once with its 3 destinations. (IPVS resumes a dump that
#    spans several datagrams by position and flags nothing when the table
#    changed meanwhile; ipvsadm's listings are counted too, for contrast.)
#  - `rsvsadm check` and the unit's save (`service stop`), run meanwhile,
#    never fail on a service deleted while they read the table, and every
#    save holds the services that stay.
# shellcheck source=netns-tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
shopt -s extglob

STABLE=150
SECONDS_OF_CHURN=8

mkns_docnet c
stable=$NT_STATE/stable.rules
awk -v n=$STABLE 'BEGIN { for (i = 1; i <= n; i++) {
  printf "-A -t 203.0.113.%d:80 -s rr\n", i
  for (d = 1; d <= 3; d++) printf "-a -t 203.0.113.%d:80 -r 192.0.2.%d:80 -m -w 1\n", i, d } }' >"$stable"
in_ns c "$RSVSADM" -R <"$stable"

# writer NAME PORT: for SECONDS_OF_CHURN seconds, adds 30 services on PORT
# with a destination each (one -R), then deletes them (one -R). Logs each
# command's exit status into NAME.rc.
writer() {
  local name=$1 port=$2
  # shellcheck disable=SC2016 # the inner script expands its own arguments
  spawn c bash -c '
    tool=$1 out=$2 port=$3 stop=$((SECONDS + $4))
    add=$(for i in $(seq 1 30); do
      echo "-A -t 198.51.100.$i:$port -s wlc"
      echo "-a -t 198.51.100.$i:$port -r 192.0.2.9:$port -m"
    done)
    del=$(for i in $(seq 1 30); do echo "-D -t 198.51.100.$i:$port"; done)
    while ((SECONDS < stop)); do
      for rules in "$add" "$del"; do
        "$tool" -R <<<"$rules" 2>>"$out.err"
        echo $? >>"$out.rc"
      done
    done' _ "$RSVSADM" "$NT_STATE/$name" "$port" "$SECONDS_OF_CHURN"
  WRITERS+=("$SPAWNED")
}

# reader NAME TOOL: lists -Sn into NAME.<i> until the writers are done.
reader() {
  local name=$1 tool=$2
  # shellcheck disable=SC2016
  spawn c bash -c '
    tool=$1 out=$2 stop=$((SECONDS + $3)) i=0
    while ((SECONDS < stop)); do
      i=$((i + 1))
      "$tool" -Sn >"$out.$i" 2>"$out.$i.err"
      echo $? >"$out.$i.rc"
    done' _ "$tool" "$NT_STATE/$name" "$SECONDS_OF_CHURN"
  READERS+=("$SPAWNED")
}

# table_reader NAME ARGS...: runs `rsvsadm ARGS` (with @OUT@ replaced by
# NAME.<i>) until the writers are done; its stderr into NAME.<i>.err, its
# exit status into NAME.<i>.rc.
table_reader() {
  local name=$1
  shift
  # shellcheck disable=SC2016
  spawn c bash -c '
    tool=$1 out=$2 stop=$((SECONDS + $3)) i=0
    shift 3
    while ((SECONDS < stop)); do
      i=$((i + 1))
      "$tool" "${@//@OUT@/$out.$i}" >/dev/null 2>"$out.$i.err"
      echo $? >"$out.$i.rc"
    done' _ "$RSVSADM" "$NT_STATE/$name" "$SECONDS_OF_CHURN" "$@"
  READERS+=("$SPAWNED")
}

WRITERS=() READERS=()
writer w1 8080
writer w2 8081
reader rs "$RSVSADM"
reader ref "$IPVSADM"
table_reader checker check --syn-wait 1
table_reader saver service stop --rules @OUT@ --clear-on-stop no
for pid in "${WRITERS[@]}" "${READERS[@]}"; do
  while kill -0 "$pid" 2>/dev/null; do nap 0.2; done
done

# --- Two writers at once -----------------------------------------------------
for w in w1 w2; do
  runs=$(wc -l <"$NT_STATE/$w.rc")
  failed=$(grep -cv '^0$' "$NT_STATE/$w.rc" || true)
  printf '  writer %s: %d commands, %d failed\n' "$w" "$runs" "$failed"
  check_eq "writer $w: every one of its $runs commands succeeded" "0 " \
    "$failed $(head -c 500 "$NT_STATE/$w.err")"
done

# --- Listings ----------------------------------------------------------------
# garbled FILE: why the listing is not a clean snapshot (nothing if it is).
garbled() {
  awk -v n=$STABLE '
    !/^-[Aa] -t [0-9.]+:[0-9]+ (-s [a-z]+|-r [0-9.]+:[0-9]+ -m -w [0-9]+)$/ {
      print "not a rule: " $0; next }
    $1 == "-A" { svc = $3; if (seen[svc]++) print "listed twice: " svc; next }
    $3 != svc { print "destination under another service: " $0; next }
    { dests[svc]++ }
    END {
      for (i = 1; i <= n; i++) {
        s = "203.0.113." i ":80"
        if (!seen[s]) print "missing: " s
        else if (dests[s] != 3) print s " with " dests[s] + 0 " destinations"
      }
    }' "$1"
}

summarize() { # NAME TOOL: prints counts; sets BAD to the garbled listings.
  local name=$1 f total=0 bad=0 errors=0 why
  BAD=""
  for f in "$NT_STATE/$name".+([0-9]); do
    total=$((total + 1))
    if [[ $(<"$f.rc") != 0 ]]; then
      errors=$((errors + 1))
      BAD+="${f##*/}: exit $(<"$f.rc"): $(head -c 200 "$f.err")"$'\n'
      continue
    fi
    why=$(garbled "$f" | head -n 3)
    if [[ -n $why ]]; then
      bad=$((bad + 1))
      BAD+="${f##*/}: $why"$'\n'"lines $(wc -l <"$f") services $(grep -c '^-A' "$f") stable $(grep -c '^-A -t 203' "$f") last: $(tail -n 2 "$f")"$'\n'
    fi
  done
  printf '  %-8s %d listings, %d garbled, %d failed\n' "$2:" "$total" "$bad" "$errors"
  TOTAL=$total
}

summarize ref ipvsadm
summarize rs rsvsadm
check "rsvsadm listed while the table changed (>= 3 listings)" test "$TOTAL" -ge 3
check_eq "no rsvsadm listing is garbled or failed" "" "$BAD"
check_eq "the services that stayed are all there at the end" "" \
  "$(in_ns c "$RSVSADM" -Sn >"$NT_STATE/final" && garbled "$NT_STATE/final")"

# --- check and the unit's save, meanwhile -------------------------------------
# check's findings go to stdout (its status is 1 when one is an error); a
# failure to read the table goes to stderr.
runs=0 errs=""
for f in "$NT_STATE"/checker.+([0-9]).err; do
  # Each run's stderr: empty unless the table could not be read.
  runs=$((runs + 1))
  [[ -s $f ]] && errs+="${f##*/}: $(head -c 200 "$f")"$'\n'
done
printf '  check: %d runs while the table changed\n' "$runs"
check "check ran while the table changed (>= 1 run)" test "$runs" -ge 1
check_eq "no check run failed to read the table" "" "$errs"

runs=0 bad=""
for f in "$NT_STATE"/saver.+([0-9]).rc; do
  f=${f%.rc}
  runs=$((runs + 1))
  rc=$(<"$f.rc")
  stable_saved=$(grep -c '^-A -t 203\.0\.113\.[0-9]*:80 ' "$f" 2>/dev/null || true)
  if [[ $rc != 0 || $stable_saved != "$STABLE" ]]; then
    bad+="${f##*/}: exit $rc, $stable_saved of $STABLE services: $(head -c 200 "$f.err")"$'\n'
  fi
done
printf '  service stop: %d saves while the table changed\n' "$runs"
check "service stop saved while the table changed (>= 3 saves)" test "$runs" -ge 3
check_eq "every save succeeded and holds the services that stay" "" "$bad"
