#!/usr/bin/env bash
# install.sh — install rsvsadm: the binary, its ipvsadm names, the man page,
# the shell completions, the systemd units and their settings file.
#
#   cargo build --release && sudo ./install.sh
#
# Options:
#   --prefix DIR    installation prefix (default /usr/local)
#   --destdir DIR   staging root for packages: every file goes under DIR,
#                   and the paths written into the units stay without it
#   --unitdir DIR   systemd system unit directory (default PREFIX/lib/systemd/system)
#   --sysconfdir DIR
#                   where default/rsvsadm, the units' settings, goes (default /etc)
#   --bin FILE      the binary to install (default target/release/rsvsadm)
#   --no-ipvsadm-names
#                   don't install the ipvsadm, ipvsadm-save and ipvsadm-restore
#                   links (nor their man page links)
#
# What goes where (PREFIX=/usr/local):
#   PREFIX/sbin/rsvsadm, and ipvsadm, ipvsadm-save, ipvsadm-restore linked to it
#   PREFIX/share/man/man8/rsvsadm.8 (and ipvsadm*.8 linked to it)
#   PREFIX/share/bash-completion/completions/rsvsadm
#   PREFIX/share/zsh/site-functions/_rsvsadm
#   PREFIX/share/fish/vendor_completions.d/rsvsadm.fish
#   PREFIX/share/doc/rsvsadm/json.md, metrics.md
#   UNITDIR/rsvsadm.service, UNITDIR/rsvsadm-setup.service
#   SYSCONFDIR/default/rsvsadm (only if there is none: local settings are kept)
# Then: systemctl daemon-reload && systemctl enable --now rsvsadm.service
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
PREFIX=/usr/local
DESTDIR=
UNITDIR=
BIN=$REPO/target/release/rsvsadm
IPVSADM_NAMES=1
SYSCONFDIR=/etc
COMPAT_NAMES=(ipvsadm ipvsadm-save ipvsadm-restore)

die() {
  printf 'install.sh: %s\n' "$*" >&2
  exit 1
}

# --help: this file's header.
usage() {
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
  exit 0
}

parse_args() {
  while (($#)); do
    case $1 in
      --prefix | --destdir | --unitdir | --sysconfdir | --bin)
        (($# >= 2)) || die "$1 needs a value"
        case $1 in
          --prefix) PREFIX=$2 ;;
          --destdir) DESTDIR=$2 ;;
          --unitdir) UNITDIR=$2 ;;
          --sysconfdir) SYSCONFDIR=$2 ;;
          --bin) BIN=$2 ;;
        esac
        shift 2
        ;;
      --prefix=* | --destdir=* | --unitdir=* | --sysconfdir=* | --bin=*)
        set -- "${1%%=*}" "${1#*=}" "${@:2}"
        ;;
      --no-ipvsadm-names) IPVSADM_NAMES=0 && shift ;;
      -h | --help) usage ;;
      *) die "unknown argument '$1' (see --help)" ;;
    esac
  done
  [[ $PREFIX == /* && $SYSCONFDIR == /* ]] || die "--prefix and --sysconfdir must be absolute paths"
  UNITDIR=${UNITDIR:-$PREFIX/lib/systemd/system}
  [[ -x $BIN ]] || die "no binary at $BIN: run 'cargo build --release' first (or give --bin)"
}

# put MODE SRC DEST: one file, its directories made as needed.
put() {
  install -D -m "$1" "$2" "$DESTDIR$3"
  printf '  %s\n' "$DESTDIR$3"
}

# link DIR TARGET NAME: DIR/NAME -> TARGET (relative), unless NAME is a
# file of someone else's (another ipvsadm): that is refused, not replaced.
link() {
  local dir=$DESTDIR$1 target=$2 name=$3
  if [[ -e $dir/$name && ! -L $dir/$name ]]; then
    die "$dir/$name exists and is not a link (another ipvsadm is installed there): remove it, or use --no-ipvsadm-names"
  fi
  ln -sfn "$target" "$dir/$name"
  printf '  %s -> %s\n' "$dir/$name" "$target"
}

# unit NAME: the unit with this installation's paths.
unit() {
  local tmp
  tmp=$(mktemp)
  sed -e "s|@SBINDIR@|$PREFIX/sbin|g" -e "s|@SYSCONFDIR@|$SYSCONFDIR|g" \
    "$REPO/systemd/$1.in" >"$tmp"
  put 0644 "$tmp" "$UNITDIR/$1"
  rm -f "$tmp"
}

main() {
  parse_args "$@"
  local sbin=$PREFIX/sbin man8=$PREFIX/share/man/man8 name
  echo "Installing rsvsadm into ${DESTDIR:-/} (prefix $PREFIX):"
  put 0755 "$BIN" "$sbin/rsvsadm"
  put 0644 "$REPO/man/rsvsadm.8" "$man8/rsvsadm.8"
  if ((IPVSADM_NAMES)); then
    for name in "${COMPAT_NAMES[@]}"; do
      link "$sbin" rsvsadm "$name"
      link "$man8" rsvsadm.8 "$name.8"
    done
  fi
  put 0644 "$REPO/completions/rsvsadm.bash" "$PREFIX/share/bash-completion/completions/rsvsadm"
  put 0644 "$REPO/completions/_rsvsadm" "$PREFIX/share/zsh/site-functions/_rsvsadm"
  put 0644 "$REPO/completions/rsvsadm.fish" "$PREFIX/share/fish/vendor_completions.d/rsvsadm.fish"
  put 0644 "$REPO/docs/json.md" "$PREFIX/share/doc/rsvsadm/json.md"
  put 0644 "$REPO/docs/metrics.md" "$PREFIX/share/doc/rsvsadm/metrics.md"
  unit rsvsadm.service
  unit rsvsadm-setup.service
  if [[ -e $DESTDIR$SYSCONFDIR/default/rsvsadm ]]; then
    echo "  $DESTDIR$SYSCONFDIR/default/rsvsadm exists: kept as it is"
  else
    put 0644 "$REPO/systemd/rsvsadm.default" "$SYSCONFDIR/default/rsvsadm"
  fi
  if [[ -z $DESTDIR ]]; then
    echo "Next: systemctl daemon-reload && systemctl enable --now rsvsadm.service"
  fi
}

# On one line: bash reads scripts as it runs them.
main "$@"; exit
