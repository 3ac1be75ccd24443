#!/usr/bin/env bash
# The lab itself: the kernel, its modules, the guest's filesystems, network
# isolation, namespaces and the test library. If this fails, nothing after it
# means anything.
# shellcheck source=netns-tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

lab_kernel() {
  check "ip_vs is loaded" test -d /sys/module/ip_vs
  local s missing=()
  for s in rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh pe_sip ftp; do
    [[ -d /sys/module/ip_vs_$s ]] || missing+=("ip_vs_$s")
  done
  # ip_vs_twos only exists from 6.5 on: required when the kernel has it.
  if grep -qx ip_vs_twos "${LAB_JOBDIR:-/run/lab}/modules.wanted" 2>/dev/null; then
    [[ -d /sys/module/ip_vs_twos ]] || missing+=(ip_vs_twos)
  else
    note "kernel $(uname -r) has no ip_vs_twos (new in 6.5): the twos cases check that both tools refuse it alike"
  fi
  check_eq "every ip_vs scheduler, pe_sip and ftp module is loaded" "" "${missing[*]}"
  missing=()
  local m
  while read -r m; do
    [[ $m == crc32c* || -d /sys/module/$m ]] || missing+=("$m")
  done <"${LAB_JOBDIR:-/run/lab}/modules.wanted"
  check_eq "every module the lab asked for is loaded" "" "${missing[*]}"
  check "/proc/net/ip_vs exists (IPVS initialised)" grep -q 'IP Virtual Server' /proc/net/ip_vs
}

lab_filesystems() {
  check "/etc is writable (overlay in guest memory)" \
    bash -c 'echo probe >/etc/lab-write-probe && rm /etc/lab-write-probe'
  check "the repo is visible at its host path" test -f "$REPO/netns-tests/lib.sh"
  check "the job directory is writable" touch "${LAB_JOBDIR:-/run/lab}/write-probe"
  check "RSVSADM ($RSVSADM) is executable" test -x "$RSVSADM"
}

# The guest must have no way out: no device-backed interface, no default
# route. (ipip/gre/sit create virtual fallback devices; those are fine.)
lab_isolation() {
  local dev hw=()
  for dev in /sys/class/net/*; do
    [[ -e $dev/device ]] && hw+=("${dev##*/}")
  done
  check_eq "no hardware network interface in the guest" "" "${hw[*]}"
  check_eq "no IPv4 default route" "" "$(ip -4 route show default)"
  check_eq "no IPv6 default route" "" "$(ip -6 route show default)"
}

lab_namespaces() {
  mkns a b
  check "a fresh namespace has lo up" bash -c "ip -n $(nsname a) link show lo | grep -q 'UP'"
  local out
  out=$(in_ns a "$IPVSADM" -Ln 2>&1) || true
  check_eq "ipvsadm -Ln works in a fresh namespace" \
    "IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn" "$out"
  link a veth0 192.0.2.1/24,2001:db8:1::1/64 b veth0 192.0.2.2/24,2001:db8:1::2/64
  check "IPv4 ping across a veth pair" in_ns a ping -c 1 -W 5 192.0.2.2
  check "IPv6 ping across a veth pair" in_ns a ping -6 -c 1 -W 5 2001:db8:1::2
  http_server b 192.0.2.2 80 server-b
  check_eq "HTTP across a veth pair reaches the named server" "server-b" \
    "$(in_ns a curl -sS --max-time 10 http://192.0.2.2/ 2>&1)"
  check_eq "the server sees the client's address" "server-b saw 192.0.2.1" \
    "$(in_ns a curl -sS --max-time 10 http://192.0.2.2/whoami 2>&1 | sed 's/:[0-9]*$//')"
  http_server b 2001:db8:1::2 8080 server-b6
  check_eq "HTTP over IPv6 reaches the named server" "server-b6" \
    "$(in_ns a curl -sS --max-time 10 'http://[2001:db8:1::2]:8080/' 2>&1)"
  check "a namespace's IPVS table is its own" \
    bash -c "ip netns exec $(nsname a) $IPVSADM -A -t 192.0.2.1:80 &&
      ! ip netns exec $(nsname b) $IPVSADM -Ln | grep -q 192.0.2.1:80"
  delns a b
  check "delns removes namespaces" bash -c "! ip netns list | grep -q '^$(nsname a) '"
}

# The helpers must be able to fail: run them against a tool that disagrees
# with ipvsadm and against wrong expectations, into a throwaway results file.
lab_library_self_test() {
  local dir rc=0
  dir=$(mktemp -d)
  printf '#!/bin/sh\necho "not ipvsadm"\n' >"$dir/impostor"
  chmod +x "$dir/impostor"
  NT_RESULTS=$dir/r1 RSVSADM=$dir/impostor bash -c \
    "source '$NT_DIR/lib.sh'; mkns x; compat x -Ln" >/dev/null 2>&1 || true
  check_eq "compat fails when the tools disagree" "FAIL" "$(cut -f1 "$dir/r1")"
  NT_RESULTS=$dir/r2 RSVSADM=$dir/impostor bash -c \
    "source '$NT_DIR/lib.sh'; compat_apply impostor <<<'-A -t 192.0.2.1:80'" >/dev/null 2>&1 || true
  check_eq "compat_apply fails when the tools disagree" "FAIL" "$(cut -f1 "$dir/r2")"
  NT_RESULTS=$dir/r3 bash -c "source '$NT_DIR/lib.sh'; ok a; check_eq b x y; check c false; summary" \
    >"$dir/out" 2>&1 || rc=$?
  check_eq "summary counts failures" "1 passed, 2 failed" "$(tail -n 1 "$dir/out")"
  check "summary returns non-zero on failure" test "$rc" -ne 0
  rc=0
  NT_RESULTS=$dir/r4 bash -c "source '$NT_DIR/lib.sh'; summary" >/dev/null 2>&1 || rc=$?
  check "summary returns non-zero when nothing was checked" test "$rc" -ne 0
  rm -rf "$dir"
}

# rsvsadm against ipvsadm on the basics. These pass once rsvsadm lists and
# applies like ipvsadm does (and trivially with RSVSADM=/usr/sbin/ipvsadm).
lab_compat_smoke() {
  mkns_docnet c
  compat c -Ln
  compat c -a -t 198.51.100.9:80 -r 192.0.2.11:80
  compat_apply "one NAT service with two weighted servers" <<'EOF'
-A -t 198.51.100.1:80 -s wrr
-a -t 198.51.100.1:80 -r 192.0.2.11:80 -m -w 2
-a -t 198.51.100.1:80 -r 192.0.2.12:80 -m -w 1
# an error in the middle must be reported identically
-a -t 198.51.100.1:80 -r 192.0.2.12:80 -m -w 1
-A -u [2001:db8::1]:53 -s rr
-a -u [2001:db8::1]:53 -r [2001:db8::11]:53 -m
EOF
}

lab_kernel
lab_filesystems
lab_isolation
lab_namespaces
lab_library_self_test
lab_compat_smoke
