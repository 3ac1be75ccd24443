#!/usr/bin/env bash
# rsvsadm --netns NAME: every command runs in the named namespace, as
# `ip netns exec NAME` would run it, and nowhere else:
#  - changes and every listing, compared with Debian's ipvsadm run inside
#    the namespace; the lab's own (initial) namespace is left alone;
#  - -c: /proc/net/ip_vs_conn is the namespace's (after real traffic);
#  - -R, --json, the ipvsadm-save name, service, setup and check;
#  - errors: a missing namespace, a misplaced or repeated --netns.
# shellcheck source=netns-tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

has_text() {
  if grep -qF -- "$2" <<<"$3"; then ok "$1"; else fail "$1" "no text: $2" "--- in:" "$3"; fi
}

# in_netns NAME ARGS...: rsvsadm --netns, from the initial namespace.
in_netns() { "$RSVSADM" --netns "$NS" "$@"; }

# same NAME ARGS...: `rsvsadm --netns NS ARGS` and `ip netns exec NS ipvsadm
# ARGS` agree on stdout, stderr and exit status.
same() {
  local name=$1
  shift
  _nt_prog_names
  local rc=0 ref_rc=0
  "$RSVSADM" --netns "$NS" "$@" >"$NT_STATE/new.out" 2>"$NT_STATE/new.err" </dev/null || rc=$?
  printf -v _new_rc '%s\n' "$rc"
  _nt_slurp _new_stdout "$NT_STATE/new.out"
  _nt_slurp _new_stderr "$NT_STATE/new.err"
  _nt_run a _ref "$IPVSADM" "$@"
  if _nt_same "ip netns exec ipvsadm" _ref "rsvsadm --netns" _new >"$NT_STATE/diff"; then
    ok "$name"
  else
    fail "$name" "$(<"$NT_STATE/diff")"
  fi
}

# The director a, with a client c on veth0; the real servers' networks on
# a dummy eth0 of a.
mkns a c
NS=$(nsname a)
link c veth0 198.51.100.1/24 a veth0 198.51.100.254/24
in_ns a ip link add eth0 type dummy
addr a eth0 192.0.2.254/24 203.0.113.254/24 2001:db8:2::fffe/64
in_ns a ip link set eth0 up
ROOT_TABLE=$(ipvsadm -Sn)
ROOT_CONNS=$(ipvsadm -Lnc)

# --- Changes and listings -----------------------------------------------------

# The same changes, through --netns into a, and with ipvsadm inside b.
RESTORE='-A -t 198.51.100.254:80 -s wlc -p 60
-a -t 198.51.100.254:80 -r 192.0.2.21 -g
-A -u [2001:db8:2::fffe]:53 -s sh'
mkns b
in_ns b ip link add eth0 type dummy
addr b eth0 192.0.2.254/24 198.51.100.254/24 2001:db8:2::fffe/64
in_ns b ip link set eth0 up
in_netns -A -u 198.51.100.254:53 -s rr
in_netns -a -u 198.51.100.254:53 -r 192.0.2.11:53 -m -w 2
"$RSVSADM" --netns="$NS" -a -u 198.51.100.254:53 -r 192.0.2.12:53 -m
in_netns -R <<<"$RESTORE"
in_netns --set 1000 130 310
in_ns b bash -e <<'EOF'
ipvsadm -A -u 198.51.100.254:53 -s rr
ipvsadm -a -u 198.51.100.254:53 -r 192.0.2.11:53 -m -w 2
ipvsadm -a -u 198.51.100.254:53 -r 192.0.2.12:53 -m
ipvsadm --set 1000 130 310
EOF
in_ns b ipvsadm -R <<<"$RESTORE"
check_eq "the changes are in the namespace (as ipvsadm made them in another)" \
  "$(in_ns b ipvsadm -Sn; in_ns b ipvsadm -L --timeout)" "$(in_ns a ipvsadm -Sn; in_ns a ipvsadm -L --timeout)"
check_eq "... and not in the lab's own namespace" "$ROOT_TABLE" "$(ipvsadm -Sn)"
for listing in "${COMPAT_LISTINGS[@]}"; do
  # shellcheck disable=SC2086 # a listing's words
  same "--netns: $listing as ipvsadm in the namespace" $listing
done
same "--netns: a missing service, as ipvsadm in the namespace" -L -t 198.51.100.254:9
ipvsadm_save=$NT_STATE/bin/ipvsadm-save
mkdir -p "${ipvsadm_save%/*}"
ln -s "$RSVSADM" "$ipvsadm_save"
check_eq "ipvsadm-save --netns" "$(in_ns a ipvsadm-save -n)" "$("$ipvsadm_save" --netns "$NS" -n)"

# --- The connection table -----------------------------------------------------

# shellcheck disable=SC2016 # the inner shell expands $i
in_ns c bash -c 'for i in 1 2 3; do echo "datagram $i" >/dev/udp/198.51.100.254/53; done'
# Until IPVS has them (the first wait for ARP).
conn_lines_reach() { (($(in_ns a ipvsadm -Lnc | wc -l) >= $1)); }
wait_for 60 conn_lines_reach $((2 + 3)) || true
# Expiry ticks: the first two columns' minutes:seconds are left out.
conns() { tail -n +3 | awk '{ print $1, $3, $4, $5, $6 }'; }
NS_CONNS=$(in_ns a ipvsadm -Lnc | conns)
if [[ $(wc -l <<<"$NS_CONNS") -ge 1 && -n $NS_CONNS ]]; then ok "the traffic made connections"; else fail "the traffic made connections"; fi
check_eq "-Lnc --netns: the namespace's connections" "$NS_CONNS" "$(in_netns -Lnc | conns)"
check_eq "-Lnc without --netns: the lab's own" "$(conns <<<"$ROOT_CONNS")" "$("$RSVSADM" -Lnc | conns)"
check_eq "-Lc --json --netns" "$(wc -l <<<"$NS_CONNS")" "$(in_netns -Lc --json | jq '.connections | length')"

# --- service, setup, check ----------------------------------------------------

RSVSADM_RULES=$NT_STATE/rules in_netns service stop --clear-on-stop no >/dev/null
check_eq "service stop --netns saves the namespace's rules" "$(in_ns a ipvsadm -Sn)" \
  "$(grep -v -e '^#' -e '^--set ' "$NT_STATE/rules")"

check "setup nat --netns" in_netns setup nat --masquerade 192.0.2.0/24 --interface eth0
check "... the namespace's nftables table" in_ns a nft list table inet rsvsadm
check_eq "... its ip_forward" "1" "$(in_ns a sysctl -n net.ipv4.ip_forward)"
if nft list table inet rsvsadm >/dev/null 2>&1; then
  fail "... and not the lab's own namespace" "$(nft list table inet rsvsadm)"
else
  ok "... and not the lab's own namespace"
fi
check_eq "setup show --netns, as in the namespace" "$(in_ns a "$RSVSADM" setup show)" "$(in_netns setup show)"
rc=0 ref_rc=0
ref=$(in_ns a "$RSVSADM" check --syn-wait 1 2>&1) || ref_rc=$?
new=$(in_netns check --syn-wait 1 2>&1) || rc=$?
check_eq "check --netns, as in the namespace" "$ref_rc $ref" "$rc $new"
in_netns setup clear >/dev/null
check_eq "setup clear --netns" "" "$(in_ns a nft list table inet rsvsadm 2>/dev/null)"

# --- Errors -------------------------------------------------------------------

rc=0
out=$("$RSVSADM" --netns rsvsadm-no-such-ns -Ln 2>&1) || rc=$?
check_eq "a missing namespace: exit status 2" "2" "$rc"
has_text "... and says so" "--netns rsvsadm-no-such-ns: no such network namespace (/run/netns/rsvsadm-no-such-ns does not exist)" "$out"
rc=0
out=$("$RSVSADM" -Ln --netns "$NS" 2>&1) || rc=$?
check_eq "--netns after the command: exit status 2" "2" "$rc"
has_text "... and says where it goes" "--netns must be the first argument" "$out"
rc=0
out=$("$RSVSADM" --netns "$NS" --netns "$NS" -Ln 2>&1) || rc=$?
check_eq "--netns twice" "2 rsvsadm: --netns is given twice: use \`--netns NAME\` first, before the command" "$rc $out"
