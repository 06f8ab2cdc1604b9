#!/usr/bin/env bash
# Usage: cli_folder_walk.sh CELEBA_DCGAN link_loop|unreadable
# Issue 22's repros of ./celeba_dcgan --dataset folder, run as a user runs them:
#   link_loop:  D/sub/up -> .. and D/sub/up2 -> .. once made the listing endless (11 GB at 200 s);
#               it must end, train on the 3 images and say "not used: 2 duplicate".
#   unreadable: a mode-000 D/sub was left out without a word; it must be counted ("1 unreadable")
#               and refused with --strict. Root reads through mode 000, so as root this runs the
#               app as `nobody` (setpriv); it prints "skipped: " when no unreadable folder can be made.
set -u
app=$1
mode=$2
tmp=$(mktemp -d)
trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
D=$tmp/D
mkdir -p "$D/sub" "$tmp/out"
chmod 777 "$tmp/out"
/usr/bin/env python3 - "$D/a.png" "$D/c.png" "$D/sub/b.png" <<'EOF' || exit 1
import struct, sys, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
for i, path in enumerate(sys.argv[1:]):
    rows = b"".join(b"\0" + bytes([40 + 70 * i] * 24) for _ in range(8))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    open(path, "wb").write(png)
EOF
chmod -R a+rX "$D"
train=("$app" --dataset folder --data "$D" --device cpu --threads 1 --epochs 1 --batch-size 2 --log-every 0
       --no-tensorboard --out "$tmp/out")
fails=0

# expect REGEX STATUS(zero|nonzero) COMMAND...: the command ends within 60 s with that status and
# its output matches REGEX.
expect() {
  local regex=$1 want=$2
  shift 2
  local out rc
  out=$(timeout -s KILL 60 "$@" 2>&1)
  rc=$?
  printf '%s\n' "$out" | tail -n 20
  if [ "$rc" -eq 137 ]; then echo "FAIL: did not end within 60 s: $*"; fails=1; return; fi
  if [ "$want" = zero ] && [ "$rc" -ne 0 ]; then echo "FAIL: exit status $rc, expected 0: $*"; fails=1; fi
  if [ "$want" = nonzero ] && [ "$rc" -eq 0 ]; then echo "FAIL: exit status 0, expected a failure: $*"; fails=1; fi
  if ! printf '%s\n' "$out" | grep -Eq -- "$regex"; then echo "FAIL: output does not match /$regex/: $*"; fails=1; fi
}

case $mode in
  link_loop)
    ln -s .. "$D/sub/up"
    ln -s .. "$D/sub/up2"
    expect "decoded 3 images, skipped 0; not used: 2 duplicate \(first: $D/sub/up: a folder already walked" zero \
      "${train[@]}"
    expect "$D/sub/up: duplicate: a folder already walked" nonzero "${train[@]}" --strict --no-resume
    ;;
  unreadable)
    as_user=()
    if [ "$(id -u)" -eq 0 ]; then
      if ! setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null &&
         ! setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
        echo "skipped: running as root and setpriv cannot switch to nobody"
        exit 0
      fi
      as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    fi
    chmod 000 "$D/sub"
    if "${as_user[@]}" ls "$D/sub" >/dev/null 2>&1; then
      echo "skipped: cannot make an unreadable folder: a mode-000 folder lists for $("${as_user[@]}" id -un)"
      exit 0
    fi
    expect "decoded 2 images, skipped 0; not used: 1 unreadable \(first: $D/sub: Permission denied\)" zero \
      "${as_user[@]}" "${train[@]}"
    expect "$D/sub: unreadable: Permission denied" nonzero "${as_user[@]}" "${train[@]}" --strict --no-resume
    ;;
  *)
    echo "usage: $0 CELEBA_DCGAN link_loop|unreadable"
    exit 2
    ;;
esac
exit $fails
