#!/usr/bin/env bash
# The compatibility names as install.sh installs them (links to rsvsadm):
# ipvsadm, ipvsadm-save and ipvsadm-restore answer as Debian's
# /usr/sbin/ipvsadm and its ipvsadm-save and ipvsadm-restore scripts do,
# on the same kernel state (stdout, stderr, exit status, resulting table).
# run_with sets the ref_* and new_* variables by name:
# shellcheck disable=SC2154
# shellcheck source=netns-tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

STAGE=$NT_STATE/root
bash "$REPO/install.sh" --destdir "$STAGE" --prefix /usr --bin "$RSVSADM" >/dev/null
BIN=$STAGE/usr/sbin
# The reference tools, by full path (the scripts call ipvsadm from PATH).
DEB=/usr/sbin
# compat compares $IPVSADM with $RSVSADM: here, ipvsadm with the link of
# that name (the program names printed are normalised either way).
RSVSADM=$BIN/ipvsadm

has_text() {
  if grep -qF -- "$2" <<<"$3"; then ok "$1"; else fail "$1" "no text: $2" "--- in:" "$3"; fi
}

# run_with NS OUT INPUT CMD...: CMD in NS with INPUT (a file) on stdin; sets
# OUT_rc, OUT_stdout, OUT_stderr as lib.sh's runs do.
run_with() {
  local ns=$1 out=$2 input=$3 rc=0
  shift 3
  _nt_prog_names
  ip netns exec "$(nsname "$ns")" "$@" <"$input" >"$NT_STATE/run.out" 2>"$NT_STATE/run.err" || rc=$?
  printf -v "${out}_rc" '%s\n' "$rc"
  _nt_slurp "${out}_stdout" "$NT_STATE/run.out"
  _nt_slurp "${out}_stderr" "$NT_STATE/run.err"
}

# same NAME A B: two runs agree.
same() {
  if _nt_same "Debian's" "$2" "rsvsadm's" "$3" >"$NT_STATE/diff"; then
    ok "$1"
  else
    fail "$1" "$(<"$NT_STATE/diff")" "$(_nt_show "Debian's" "$2")" "$(_nt_show "rsvsadm's" "$3")"
  fi
}

check_eq "the links" "ipvsadm -> rsvsadm ipvsadm-restore -> rsvsadm ipvsadm-save -> rsvsadm" \
  "$(cd "$BIN" && for l in ipvsadm*; do printf '%s -> %s ' "$l" "$(readlink "$l")"; done | sed 's/ $//')"

mkns_docnet s
in_ns s bash -e <<'EOF'
ipvsadm -A -t 198.51.100.1:80 -s wrr
ipvsadm -a -t 198.51.100.1:80 -r 192.0.2.11:8080 -m -w 2
ipvsadm -a -t 198.51.100.1:80 -r 192.0.2.12 -g
ipvsadm -A -u [2001:db8::53]:53 -s sh -b sh-port -p 60
ipvsadm -a -u [2001:db8::53]:53 -r [2001:db8::21]:53 -m
ipvsadm -A -f 7 -s rr
ipvsadm -a -f 7 -r 192.0.2.31:443 -i --tun-type gue --tun-port 6080 --tun-csum
EOF

# --- ipvsadm ------------------------------------------------------------------

compat_each s <<'EOF'
-h
-v
-Ln
-L
-Sn
-S
-Ln --stats --exact
-L -t 198.51.100.1:80 -n
-L -t 198.51.100.9:80
-nL
--bogus
-A -t 198.51.100.1
-a -t 198.51.100.1:80 -r 192.0.2.11:8080 -w 70000000000
EOF
compat s

# --- ipvsadm-save ---------------------------------------------------------------

: >"$NT_STATE/empty"
for args in "" "-n" "-n -n" "-n extra words" "-x" "--help" "-n -h"; do
  # shellcheck disable=SC2086 # the arguments' words
  run_with s ref "$NT_STATE/empty" "$DEB/ipvsadm-save" $args
  # shellcheck disable=SC2086
  run_with s new "$NT_STATE/empty" "$BIN/ipvsadm-save" $args
  same "ipvsadm-save $args" ref new
done

# --- ipvsadm-restore --------------------------------------------------------------

# restore_both NAME INPUT [ARGS...]: Debian's ipvsadm-restore in one fresh
# namespace, the link in another, each with a table to be replaced: the
# same output and status, then the same table.
restore_both() {
  local name=$1 input=$2
  shift 2
  NT_SEQ=$((NT_SEQ + 1))
  local a=r$NT_SEQ-ref b=r$NT_SEQ-new ns
  mkns_docnet "$a" "$b"
  for ns in "$a" "$b"; do
    in_ns "$ns" ipvsadm -A -t 203.0.113.99:25 -s lc
    in_ns "$ns" ipvsadm -a -t 203.0.113.99:25 -r 192.0.2.99 -m
  done
  run_with "$a" ref "$input" "$DEB/ipvsadm-restore" "$@"
  run_with "$b" new "$input" "$BIN/ipvsadm-restore" "$@"
  same "ipvsadm-restore: $name" ref new
  check_eq "ipvsadm-restore: $name: the table" "$(in_ns "$a" ipvsadm -Sn)" "$(in_ns "$b" ipvsadm -Sn)"
  delns "$a" "$b"
}

cat >"$NT_STATE/rules" <<'EOF'
# saved by ipvsadm-save
-A -t 198.51.100.1:80 -s wrr
-a -t 198.51.100.1:80 -r 192.0.2.11:8080 -m -w 2

ipvsadm -a -t 198.51.100.1:80 -r 192.0.2.12 -g
-A -u [2001:db8::53]:53 -s sh -b sh-port -p 60
-a -u [2001:db8::53]:53 -r [2001:db8::21]:53 -m
--set 1000 130 310
EOF
restore_both "rules with comments, a blank line, an ipvsadm word" "$NT_STATE/rules"
in_ns s ipvsadm-save -n >"$NT_STATE/saved"
restore_both "what ipvsadm-save wrote" "$NT_STATE/saved"
restore_both "no rules: an empty table" "$NT_STATE/empty"
restore_both "arguments are ignored" "$NT_STATE/rules" -n -x --bogus word

# A change the kernel refuses, on the last line: both make the others and
# exit with its status; rsvsadm also names the line.
printf '%s\n' "-A -t 198.51.100.1:80 -s rr" "-a -t 198.51.100.2:80 -r 192.0.2.11 -m" >"$NT_STATE/refused"
mkns_docnet k1 k2
run_with k1 ref "$NT_STATE/refused" "$DEB/ipvsadm-restore"
run_with k2 new "$NT_STATE/refused" "$BIN/ipvsadm-restore"
check_eq "ipvsadm-restore: a refused change: the status" "$ref_rc" "$new_rc"
check_eq "... the table" "$(in_ns k1 ipvsadm -Sn)" "$(in_ns k2 ipvsadm -Sn)"
has_text "... ipvsadm's message" "${ref_stderr%$'\n'}" "$new_stderr"
has_text "... and the line" "-R line 2: -a -t 198.51.100.2:80 -r 192.0.2.11 -m" "$new_stderr"
