#!/bin/sh
# fetch-reference.sh DEST: extract Debian's ucspi-tcp (djb) and ucspi-tcp-ipv6 (fefe) builds into
# DEST/ucspi-tcp and DEST/ucspi-tcp-ipv6. The two packages conflict, so they are never installed;
# dpkg -x keeps both side by side. Fails loudly: the compat suite is worthless without them.
set -eu
dest=${1:?usage: fetch-reference.sh DEST}
mkdir -p "$dest"
cd "$dest"
for pkg in ucspi-tcp ucspi-tcp-ipv6; do
  if [ -x "$pkg/usr/bin/tcpserver" ]; then continue; fi
  rm -f "${pkg}"_*.deb
  # A machine whose package lists were never fetched cannot download: fetch them once.
  if ! apt-get download "$pkg" >download.log 2>&1; then
    apt-get update -q >>download.log 2>&1 || true
    if ! apt-get download "$pkg" >>download.log 2>&1; then
      cat download.log >&2
      echo "fetch-reference: apt-get download $pkg failed" >&2
      exit 1
    fi
  fi
  rm -rf "$pkg.partial"
  dpkg -x "${pkg}"_*.deb "$pkg.partial"
  mv "$pkg.partial" "$pkg"
  rm -f "${pkg}"_*.deb
done
for pkg in ucspi-tcp ucspi-tcp-ipv6; do
  for prog in tcpserver tcprules tcprulescheck; do
    test -x "$pkg/usr/bin/$prog" || { echo "fetch-reference: missing $pkg/usr/bin/$prog" >&2; exit 1; }
  done
done
echo "reference binaries in $dest"
