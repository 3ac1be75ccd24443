#!/usr/bin/env bash
# rsvsadm -R --sync: the table made equal to a rules file by the fewest
# changes. Debian's ipvsadm is the reference: the table after a sync must be
# the table ipvsadm builds with -C then -R from the same file, and the
# --dry-run lines, replayed by ipvsadm -R, must build it too. A change the
# kernel refuses undoes the whole run.
# shellcheck source=netns-tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# sync NS [OPTIONS...] < RULES: rsvsadm -R --sync in NS; sets OUT, ERR, RC.
sync() {
  local ns=$1
  shift
  RC=0
  in_ns "$ns" "$RSVSADM" -R --sync "$@" >"$NT_STATE/sync.out" 2>"$NT_STATE/sync.err" || RC=$?
  OUT=$(<"$NT_STATE/sync.out")
  ERR=$(<"$NT_STATE/sync.err")
}

# table NS: the table as Debian's ipvsadm saves it, and its tunnel details.
table() {
  in_ns "$1" bash -c "$IPVSADM -Sn; $IPVSADM -Ln --tun-info | tail -n +4; $IPVSADM -Ln --thresholds | tail -n +4"
}

restore_with_ipvsadm() { # NS FILE: -C then -R, as ipvsadm users reload.
  in_ns "$1" "$IPVSADM" -C
  in_ns "$1" "$IPVSADM" -R <"$2"
}

has() { # NAME FRAGMENT TEXT
  if grep -qF -- "$2" <<<"$3"; then ok "$1"; else fail "$1" "no text: $2" "--- in:" "$3"; fi
}

START=$NT_STATE/start.rules RULES=$NT_STATE/target.rules
cat >"$START" <<'EOF'
-A -t 198.51.100.1:80 -s rr
-a -t 198.51.100.1:80 -r 192.0.2.11:80 -m -w 1
-a -t 198.51.100.1:80 -r 192.0.2.12:80 -m -w 1
-a -t 198.51.100.1:80 -r 192.0.2.13:80 -g -w 1
-A -t 198.51.100.2:443 -s wlc -p 300
-a -t 198.51.100.2:443 -r 192.0.2.21:443 -m -w 1
-A -u 198.51.100.3:53 -s sh -b sh-port
-a -u 198.51.100.3:53 -r 192.0.2.31:53 -m -w 1
-A -f 7 -s rr
-a -f 7 -r 192.0.2.41:0 -g -w 1
-A -f 7 -6 -s rr
-a -f 7 -6 -r 2001:db8::41 -g -w 1
EOF
# Every kind of change: scheduler, weight, forwarding method (DR to NAT),
# persistence, a tunnel destination, thresholds, services and destinations
# added and removed, IPv4, IPv6 and fwmark services.
# (-C first: a rules file that starts from an empty table.)
cat >"$RULES" <<'EOF'
-C
-A -t 198.51.100.1:80 -s wrr
-a -t 198.51.100.1:80 -r 192.0.2.11:80 -m -w 1
-a -t 198.51.100.1:80 -r 192.0.2.12:80 -m -w 3
-a -t 198.51.100.1:80 -r 192.0.2.13:80 -m -w 1
-a -t 198.51.100.1:80 -r 192.0.2.14:80 -m -w 1 -x 100 -y 50
-A -t 198.51.100.2:443 -s wlc -p 600 -M 255.255.255.0
-a -t 198.51.100.2:443 -r 192.0.2.21:443 -m -w 1
-A -f 7 -s rr
-a -f 7 -r 192.0.2.41:0 -g -w 1
-a -f 7 -r 192.0.2.42:0 -i -w 1 --tun-type gre --tun-csum
-A -f 7 -6 -s mh -b mh-port
-a -f 7 -6 -r 2001:db8::41 -g -w 1
-A -t [2001:db8::1]:80 -s rr
-a -t [2001:db8::1]:80 -r [2001:db8::11]:8080 -m -w 2
EOF

# live: the table rsvsadm syncs; replay: ipvsadm -R of the dry-run lines;
# ref: ipvsadm's own -C + -R of the rules.
mkns_docnet live replay ref
restore_with_ipvsadm live "$START"
restore_with_ipvsadm replay "$START"
restore_with_ipvsadm ref "$RULES"
before=$(table live)
expected=$(table ref)

sync live --dry-run <"$RULES"
check_eq "--dry-run exits 0 and says nothing on stderr" "0 " "$RC $ERR"
check_eq "--dry-run changes nothing" "$before" "$(table live)"
printf '%s\n' "$OUT" >"$NT_STATE/plan.rules"
has "--dry-run edits the scheduler with -E" "-E -t 198.51.100.1:80 -s wrr" "$OUT"
has "--dry-run sends a forwarding-method change as -e" \
  "-e -t 198.51.100.1:80 -r 192.0.2.13:80 -m -w 1" "$OUT"
has "--dry-run shows thresholds, which -S never writes" "-x 100 -y 50" "$OUT"
has "--dry-run deletes the service that is gone" "-D -u 198.51.100.3:53" "$OUT"
check_eq "--dry-run does not touch what stays" "" \
  "$(grep -E -- '192\.0\.2\.(11|21):|2001:db8::41' <<<"$OUT")"
in_ns replay "$IPVSADM" -R <"$NT_STATE/plan.rules"
check_eq "the --dry-run lines, replayed by ipvsadm -R, build ipvsadm's -C + -R table" \
  "$expected" "$(table replay)"

sync live <"$RULES"
check_eq "sync exits 0 and is silent" "0  " "$RC $OUT $ERR"
check_eq "after sync the table is ipvsadm's -C + -R table" "$expected" "$(table live)"
sync live --dry-run <"$RULES"
check_eq "a second sync has nothing to do" "0  " "$RC $OUT $ERR"
sync live <"$START"
check_eq "syncing back to the first rules gives ipvsadm's table for them" "$before" "$(table live)"

# --- A refused change undoes the run -----------------------------------------
BAD=$NT_STATE/bad.rules
{
  sed 's/-s rr$/-s wrr/' "$START" # applied first: an edit ...
  echo "-a -t 198.51.100.1:80 -r 192.0.2.15:80 -m -w 4"
  echo "-A -t 198.51.100.9:80 -s nosuch" # ... then one the kernel refuses
  echo "-a -t 198.51.100.9:80 -r 192.0.2.91:80 -m"
} >"$BAD"
before=$(table live)
sync live <"$BAD"
check_eq "a refused change: exit 255" 255 "$RC"
has "a refused change: its line is named" "-R line 14: -A -t 198.51.100.9:80 -s nosuch" "$ERR"
has "a refused change: the kernel's reason in ipvsadm's words" \
  "Scheduler or persistence engine not found" "$ERR"
has "a refused change: the run is undone" "undid the 4 changes made; the table is as it was" "$ERR"
check_eq "a refused change: the table is as it was" "$before" "$(table live)"

# --- Rules the kernel would refuse are refused before anything changes --------
printf '%s\n' "-A -t 198.51.100.1:80 -s rr" "-A -t 198.51.100.1:80 -s wrr" >"$BAD"
sync live <"$BAD"
check_eq "a service added twice: refused (exit 255)" 255 "$RC"
has "a service added twice: the line and ipvsadm's reason" \
  "-R line 2: -A -t 198.51.100.1:80 -s wrr"$'\n'"Service already exists" "$ERR"
printf '%s\n' "-A -t 198.51.100.1:80 -s rr" "--set 10 20 30" >"$BAD"
sync live <"$BAD"
has "--set is not a table rule for --sync" "-R line 2: --set 10 20 30" "$ERR"
printf '%s\n' "-A -t 198.51.100.1:80 -s rr" "-a -t 198.51.100.1:80 -r 192.0.2.1:80 -m -w 1x" >"$BAD"
sync live <"$BAD"
has "a bad value: the -R line and the grammar's error" \
  "-R line 2: -a -t 198.51.100.1:80 -r 192.0.2.1:80 -m -w 1x"$'\n'"illegal weight specified" "$ERR"
check_eq "refused rules changed nothing" "$before" "$(table live)"

# --- Draining ----------------------------------------------------------------
printf '%s\n' "-A -t 198.51.100.1:80 -s rr" "-a -t 198.51.100.1:80 -r 192.0.2.11:80 -m -w 1" >"$BAD"
sync live --dry-run --drain=2 <"$BAD"
has "--drain --dry-run: weight 0 for a destination that goes" \
  "-e -t 198.51.100.1:80 -r 192.0.2.12:80 -m -w 0" "$OUT"
has "--drain --dry-run: then the wait" "# wait up to 2 s for the active connections" "$OUT"
sync live --drain=2 <"$BAD"
check_eq "--drain with no connections: no wait, exit 0" "0 " "$RC $ERR"
check_eq "--drain: the table is the rules'" \
  "$(printf '%s\n' "-A -t 198.51.100.1:80 -s rr" "-a -t 198.51.100.1:80 -r 192.0.2.11:80 -m -w 1")" \
  "$(in_ns live "$IPVSADM" -Sn)"
