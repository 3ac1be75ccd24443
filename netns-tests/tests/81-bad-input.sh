#!/usr/bin/env bash
# Bad input everywhere leaves the table alone, with a clear error:
#  - netns-tests/corpus/bad-syntax.txt, one malformed command a line
#    (addresses, ports, numbers, option clusters, missing and extra words):
#    as arguments rsvsadm answers exactly as Debian's ipvsadm does; inside a
#    rules file, -R and -R --sync name the line and apply nothing, not even
#    the valid lines before it;
#  - netns-tests/corpus/bad-kernel.txt, commands the grammar accepts but the
#    kernel refuses: as arguments the same answer as ipvsadm; in a rules
#    file, -R --sync undoes its run or refuses before it;
#  - bytes no command line has: NUL, a 1 MB line, 100,000 lines with the
#    bad one last; and what -R reads as ipvsadm does (compared with it):
#    bytes that are not UTF-8, a -h or -v line (the lines after it are not
#    applied), a last line without a newline that ends in two blanks (not
#    applied), while a bad line among those still refuses the whole input;
#  - no privileges: the same permission message as ipvsadm, for every
#    command that needs the kernel (-R --sync included).
# The table is compared (ipvsadm -Sn) after every single attempt.
# shellcheck source=netns-tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

CORPUS=$NT_DIR/corpus
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

mkns_docnet t
in_ns t "$RSVSADM" -R <<'EOF'
-A -t 198.51.100.1:80 -s rr
-a -t 198.51.100.1:80 -r 192.0.2.11:80 -m -w 1
-a -t 198.51.100.1:80 -r 192.0.2.12:80 -m -w 2
-A -f 7 -s wlc
-a -f 7 -r 192.0.2.21:0 -g -w 1
EOF
START=$(in_ns t "$IPVSADM" -Sn)
# Around a bad line in a rules file (it is line 4): lines that would change
# the table if anything were applied.
PREFIX=$'-A -t 198.51.100.50:80 -s rr\n-a -t 198.51.100.50:80 -r 192.0.2.51:80 -m\n-e -t 198.51.100.1:80 -r 192.0.2.11:80 -m -w 9'
SUFFIX='-D -f 7'

# attempts DIR CORPUS R_PREFIX R_SUFFIX SYNC_HEAD: in one namespace entry,
# for corpus line i: ipvsadm and rsvsadm with its words (DIR/i.ref.*,
# DIR/i.new.*), rsvsadm -R of R_PREFIX+line+R_SUFFIX (DIR/i.r.*), rsvsadm
# -R --sync of SYNC_HEAD+line (DIR/i.sync.*), then the table (DIR/i.sn),
# put back as it was if it changed.
attempts() {
  local dir=$1
  mkdir -p "$dir"
  # shellcheck disable=SC2016 # the inner script expands its own arguments
  in_ns t bash -c '
    dir=$1 corpus=$2 ref=$3 new=$4 prefix=$5 suffix=$6 head=$7 start=$8
    run() { # run NAME PROG ARGS... (stdin as given)
      local name=$1 rc=0
      shift
      # (The braces keep bash quiet about ipvsadm crashing on `-b ,`.)
      { "$@" >"$dir/$name.out" 2>"$dir/$name.err" || rc=$?; } 2>/dev/null
      printf "%s\n" "$rc" >"$dir/$name.rc"
    }
    i=0
    while IFS= read -r line; do
      i=$((i + 1))
      read -ra args <<<"$line"
      run "$i.ref" "$ref" "${args[@]}" </dev/null
      run "$i.new" "$new" "${args[@]}" </dev/null
      printf "%s\n%s\n%s\n" "$prefix" "$line" "$suffix" >"$dir/$i.rules"
      run "$i.r" "$new" -R <"$dir/$i.rules"
      printf "%s\n%s\n" "$head" "$line" >"$dir/$i.sync-rules"
      run "$i.sync" "$new" -R --sync <"$dir/$i.sync-rules"
      "$ref" -Sn >"$dir/$i.sn"
      if [[ $(<"$dir/$i.sn") != "$start" ]]; then
        "$ref" -C
        "$ref" -R <<<"$start"
      fi
    done <"$corpus"' _ "$dir" "$2" "$IPVSADM" "$RSVSADM" "$3" "$4" "$5" "$START"
}

# verdict NAME PROBLEMS: one check; PROBLEMS lists the failing lines.
verdict() {
  if [[ -z $2 ]]; then ok "$1"; else fail "$1" "$2"; fi
}

# judge DIR CORPUS KIND SYNC_LINE: the checks over one corpus's attempts.
# KIND is "syntax" (the grammar refuses) or "kernel".
judge() {
  local dir=$1 corpus=$2 kind=$3 sync_line=$4 i=0 line
  local accepted="" differ="" r_bad="" sync_bad="" changed=""
  _nt_prog_names
  # _nt_load sets NAME_rc (with its newline), NAME_stdout, NAME_stderr.
  # shellcheck disable=SC2154
  while IFS= read -r line; do
    i=$((i + 1))
    _nt_load "$dir/$i.ref" ref
    _nt_load "$dir/$i.new" new
    [[ $ref_rc != $'0\n' ]] || accepted+="$i: $line"$'\n'
    if ((${ref_rc%$'\n'} >= 128)); then
      # ipvsadm crashed (`-b ,`): rsvsadm must still refuse, and say why.
      [[ $new_rc != $'0\n' && -n $new_stderr ]] || differ+="$i: $line (ipvsadm crashed)"$'\n'
    else
      _nt_same ipvsadm ref rsvsadm new >/dev/null || differ+="$i: $line"$'\n'"$(_nt_show ipvsadm ref)"$'\n'"$(_nt_show rsvsadm new)"$'\n'
    fi
    _nt_load "$dir/$i.r" r
    if [[ $kind == syntax ]] && [[ $r_rc == $'0\n' || $r_stderr != "<PROG>: -R line 4: $line"$'\n'?* ]]; then
      r_bad+="$i: $line"$'\n'"$(_nt_show rsvsadm r)"$'\n'
    fi
    _nt_load "$dir/$i.sync" sync
    if [[ $sync_rc == $'0\n' || $sync_stderr != *"-R line $sync_line: $line"$'\n'?* ]]; then
      sync_bad+="$i: $line"$'\n'"$(_nt_show rsvsadm sync)"$'\n'
    fi
    [[ $(<"$dir/$i.sn") == "$START" ]] ||
      changed+="$i: $line"$'\n'"$(<"$dir/$i.sn")"$'\n'
  done <"$corpus"
  verdict "$kind corpus ($i lines): ipvsadm refuses every line" "$accepted"
  verdict "$kind corpus as arguments: rsvsadm answers as ipvsadm does" "$differ"
  [[ $kind == syntax ]] &&
    verdict "$kind corpus in -R: refused, naming line 4 and what is wrong" "$r_bad"
  verdict "$kind corpus in -R --sync: refused, naming line $sync_line and why" "$sync_bad"
  verdict "$kind corpus: the table never changed ($((i * 4)) attempts)" "$changed"
}

attempts "$NT_STATE/syntax" "$CORPUS/bad-syntax.txt" "$PREFIX" "$SUFFIX" "$PREFIX"
judge "$NT_STATE/syntax" "$CORPUS/bad-syntax.txt" syntax 4
# A kernel refusal is alone in its -R input (-R applies the lines around a
# refused one, as ipvsadm does). For --sync it comes after the whole
# current table: it then clashes with it, or the kernel refuses it as it is
# applied and the run is undone.
attempts "$NT_STATE/kernel" "$CORPUS/bad-kernel.txt" "" "" "$START"
judge "$NT_STATE/kernel" "$CORPUS/bad-kernel.txt" kernel "$(($(wc -l <<<"$START") + 1))"

# --- Bytes no command line has -----------------------------------------------
# rules_refused NAME FILE LINE_NO REASON: -R and -R --sync of FILE must
# refuse, name line LINE_NO and REASON, and change nothing.
rules_refused() {
  local name=$1 file=$2 line_no=$3 reason=$4 opt rc err label
  for opt in "" --sync; do
    label="-R${opt:+ $opt}"
    rc=0
    # shellcheck disable=SC2086 # opt is empty or one word
    in_ns t "$RSVSADM" -R $opt <"$file" >/dev/null 2>"$NT_STATE/err" || rc=$?
    err=$(head -c 300 "$NT_STATE/err")
    if ((rc != 0)) && [[ $err == *"-R line $line_no: "* && $(<"$NT_STATE/err") == *"$reason"* ]]; then
      ok "$name: $label names line $line_no ($reason)"
    else
      fail "$name: $label names line $line_no ($reason)" "exit $rc" "$err"
    fi
    check_eq "$name: $label left the table alone" "$START" "$(in_ns t "$IPVSADM" -Sn)"
  done
}

f=$NT_STATE/nul.rules
printf '%s\n-A -t 198.51.100.60:80\0 -s rr\n%s\n' "$PREFIX" "$SUFFIX" >"$f"
rules_refused "a NUL byte" "$f" 4 "NUL byte in input"
f=$NT_STATE/long.rules
{
  printf '%s\n-A -t ' "$PREFIX"
  head -c 1048576 /dev/zero | tr '\0' 9
  printf ':80 -s rr\n%s\n' "$SUFFIX"
} >"$f"
rules_refused "a 1 MB line" "$f" 4 "illegal virtual server address[:port] specified"
f=$NT_STATE/100k.rules
awk 'BEGIN { for (i = 0; i < 99999; i++)
  printf "-A -t 10.%d.%d.%d:80 -s rr\n", int(i / 65536), int(i / 256) % 256, i % 256
  print "-A -t 10.0.0.1:80 -s" }' >"$f"
rules_refused "100,000 lines, the last one bad" "$f" 100000 "missing argument"

# --- What -R reads as ipvsadm does ------------------------------------------
# rules_like_ipvsadm NAME FILE: Debian's ipvsadm -R and rsvsadm -R (called
# by the name ipvsadm, so that -h prints ipvsadm's text) read FILE, each in
# a fresh namespace holding the START table: the same exit status, stdout
# and table after; rsvsadm's stderr is ipvsadm's, after the line it names.
AS_IPVSADM=$NT_STATE/as-ipvsadm/ipvsadm
mkdir -p "${AS_IPVSADM%/*}"
ln -sf "$RSVSADM" "$AS_IPVSADM"
rules_like_ipvsadm() {
  local name=$1 file=$2 tool prog rc out ns
  local -a got=() err=()
  mkns_docnet lr-ref lr-new
  for ns in lr-ref lr-new; do
    in_ns "$ns" "$IPVSADM" -R <<<"$START"
  done
  for tool in ref new; do
    prog=$IPVSADM
    [[ $tool == new ]] && prog=$AS_IPVSADM
    rc=0
    in_ns "lr-$tool" "$prog" -R <"$file" >"$NT_STATE/lr.out" 2>"$NT_STATE/lr.err" || rc=$?
    out=$(<"$NT_STATE/lr.out")
    out=${out//"$prog"/PROG}
    got+=("exit $rc"$'\n'"${out//ipvsadm/PROG}"$'\n'"$(in_ns "lr-$tool" "$IPVSADM" -Sn)")
    err+=("$(<"$NT_STATE/lr.err")")
  done
  check_eq "$name: -R as ipvsadm's (exit status, stdout, table)" "${got[0]}" "${got[1]}"
  if [[ -z ${err[0]} && -z ${err[1]} ]] || [[ -n ${err[0]} && ${err[1]} == *$'\n'"${err[0]}" ]]; then
    ok "$name: -R says what ipvsadm says"
  else
    fail "$name: -R says what ipvsadm says" "ipvsadm: ${err[0]}" "rsvsadm: ${err[1]}"
  fi
  delns lr-ref lr-new
}

f=$NT_STATE/help.rules
printf '%s\n-h\n%s\n' "$PREFIX" "$SUFFIX" >"$f"
rules_like_ipvsadm "a -h line ends the input" "$f"
f=$NT_STATE/version.rules
printf '%s\n-v\n%s\n' "$PREFIX" "$SUFFIX" >"$f"
rules_like_ipvsadm "a -v line ends the input" "$f"
f=$NT_STATE/blanks-tail.rules
printf '%s\n%s  ' "$PREFIX" "$SUFFIX" >"$f"
rules_like_ipvsadm "a last line without a newline, ending in two spaces" "$f"
f=$NT_STATE/tab-tail.rules
printf '%s\n%s \t' "$PREFIX" "$SUFFIX" >"$f"
rules_like_ipvsadm "a last line without a newline, ending in a space and a tab" "$f"
f=$NT_STATE/blank-tail.rules
printf '%s\n%s ' "$PREFIX" "$SUFFIX" >"$f"
rules_like_ipvsadm "a last line without a newline, ending in one space" "$f"
f=$NT_STATE/tail.rules
printf '%s\n%s' "$PREFIX" "$SUFFIX" >"$f"
rules_like_ipvsadm "a last line without a newline" "$f"
f=$NT_STATE/utf8.rules
printf '%s\n-A -t 198.51.100.60:80 -s r\xffr\n' "$PREFIX" >"$f"
rules_like_ipvsadm "bytes that are not UTF-8" "$f"
# Still checked whole first (ipvsadm would apply the lines before these).
f=$NT_STATE/help-bad.rules
printf '%s\n-h\n-A -t 198.51.100.60 -s rr\n' "$PREFIX" >"$f"
rules_refused "a bad line after a -h line" "$f" 5 "Zero port specified for non-persistent service"
f=$NT_STATE/bad-tail.rules
printf '%s\n-A -t 198.51.100.60 -s rr  ' "$PREFIX" >"$f"
rules_refused "a bad last line without a newline, ending in two blanks" "$f" 4 \
  "Zero port specified for non-persistent service"

# Arguments with the same bytes: as ipvsadm answers.
compat t -A -t $'198.51.100.60\xff:80' -s rr
compat t -a -t 198.51.100.1:80 -r "" -m
compat t -A -t "$(head -c 65536 /dev/zero | tr '\0' 9):80" -s rr
check_eq "odd arguments left the table alone" "$START" "$(in_ns t "$IPVSADM" -Sn)"

# --- No privileges -----------------------------------------------------------
VALID=$NT_STATE/valid.rules
printf '%s\n' "-A -t 198.51.100.61:80 -s rr" "-a -t 198.51.100.61:80 -r 192.0.2.61:80 -m" >"$VALID"
# unprivileged NAME ARGS...: both tools as nobody, stdin from VALID (or
# UNPRIV_INPUT, if set; rsvsadm with NEW_ARGS instead, if set); the same
# refusal.
# shellcheck disable=SC2034 # the ref_* and new_* are read by _nt_same
unprivileged() {
  local name=$1
  shift
  _nt_prog_names
  ip netns exec "$(nsname t)" "${NOBODY[@]}" "$IPVSADM" "$@" <"${UNPRIV_INPUT:-$VALID}" \
    >"$NT_STATE/u.out" 2>"$NT_STATE/u.err" && echo 0 >"$NT_STATE/u.rc" || echo $? >"$NT_STATE/u.rc"
  ref_rc=$(<"$NT_STATE/u.rc")$'\n'
  # ipvsadm runs `modprobe ip_vs` when it cannot reach IPVS, which fails in
  # the lab (its modules come from the initramfs, not from the disk).
  sed -i '/^modprobe: /d' "$NT_STATE/u.err"
  _nt_slurp ref_stdout "$NT_STATE/u.out"
  _nt_slurp ref_stderr "$NT_STATE/u.err"
  local -a new=("$@")
  ((${#NEW_ARGS[@]} == 0)) || new=("${NEW_ARGS[@]}")
  ip netns exec "$(nsname t)" "${NOBODY[@]}" "$RSVSADM" "${new[@]}" <"${UNPRIV_INPUT:-$VALID}" \
    >"$NT_STATE/u.out" 2>"$NT_STATE/u.err" && echo 0 >"$NT_STATE/u.rc" || echo $? >"$NT_STATE/u.rc"
  new_rc=$(<"$NT_STATE/u.rc")$'\n'
  _nt_slurp new_stdout "$NT_STATE/u.out"
  _nt_slurp new_stderr "$NT_STATE/u.err"
  if [[ $ref_rc != $'0\n' ]] && _nt_same ipvsadm ref rsvsadm new >"$NT_STATE/diff"; then
    ok "as nobody, $name: refused as ipvsadm refuses it"
  else
    fail "as nobody, $name: refused as ipvsadm refuses it" "$(<"$NT_STATE/diff")" \
      "$(_nt_show ipvsadm ref)" "$(_nt_show rsvsadm new)"
  fi
}
NEW_ARGS=()
unprivileged "-Ln" -Ln
unprivileged "-Sn" -Sn
unprivileged "-L --timeout" -L --timeout
unprivileged "-A" -A -t 198.51.100.60:80 -s rr
unprivileged "-E" -E -t 198.51.100.1:80 -s wrr
unprivileged "-a" -a -t 198.51.100.1:80 -r 192.0.2.13:80 -m
unprivileged "-e" -e -t 198.51.100.1:80 -r 192.0.2.11:80 -m -w 5
unprivileged "-d" -d -t 198.51.100.1:80 -r 192.0.2.11:80
unprivileged "-D" -D -t 198.51.100.1:80
unprivileged "-C" -C
unprivileged "-Z" -Z
unprivileged "--set" --set 10 20 30
unprivileged "--start-daemon" --start-daemon master
unprivileged "-R" -R
# ipvsadm checks its permission before it reads anything.
UNPRIV_INPUT=/dev/null
unprivileged "-R with empty input" -R
unset UNPRIV_INPUT
# rsvsadm's own -R --sync says what ipvsadm -R says.
NEW_ARGS=(-R --sync)
unprivileged "-R --sync (vs ipvsadm -R)" -R
NEW_ARGS=()
check_eq "unprivileged attempts left the table alone" "$START" "$(in_ns t "$IPVSADM" -Sn)"
