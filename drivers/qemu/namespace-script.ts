/**
 * Run under `unshare --mount --propagation private`: arranges the daemon's private view of the machine, then starts
 * virtlogd and/or libvirtd in it, each in its own session with stdio to files, and exits; the namespace lives on
 * with the daemons. Every start makes a new namespace with the same arrangement, so a libvirtd started again after
 * a crash sees the files its predecessor and the running QEMUs use.
 *
 * libvirt's paths are built in, so private folders of the state directory are mounted over them: $dir/etc over
 * /etc/libvirt, $dir/run over /run/libvirt, $dir/lib over /var/lib/libvirt, $dir/cache over /var/cache/libvirt,
 * $dir/log over /var/log/libvirt, the capability cache over /var/cache/libvirt/qemu, and copies of passwd and group
 * (with a libvirt-qemu user) over /etc/passwd and /etc/group.
 *
 * $1 the state directory, $2 the capability cache folder, $3 "1" to start virtlogd, $4 "1" to start libvirtd.
 */
export const NAMESPACE_SCRIPT = String.raw`
set -eu
shopt -s nullglob dotglob
dir=$1 cache=$2 start_logd=$3 start_libvirtd=$4

# Shows folder $1 at $2. A mount point must exist, and creating /run/libvirt or /var/lib/libvirt would write
# outside the state directory, so a missing one's parent is rebuilt in this namespace: a tmpfs holding bind
# mounts of every entry of the original (writes to them still reach the real files, the state directory among
# them if it lives there) plus the new folder, moved over the parent in one step.
place() {
  local src=$1 target=$2
  if [ -d "$target" ]; then mount --bind "$src" "$target"; return; fi
  local parent stage=$dir/ns/stage entry name
  parent=$(dirname "$target")
  mkdir -p "$stage"
  mount -t tmpfs -o "mode=$(stat -c %a "$parent")" stratus-ns "$stage"
  for entry in "$parent"/*; do
    name=$(basename "$entry")
    if [ -L "$entry" ]; then cp -P "$entry" "$stage/$name"
    elif [ -d "$entry" ]; then mkdir "$stage/$name"; mount --rbind "$entry" "$stage/$name"
    else touch "$stage/$name"; mount --bind "$entry" "$stage/$name"
    fi
  done
  name=$(basename "$target")
  mkdir "$stage/$name"
  mount --bind "$src" "$stage/$name"
  mount --move "$stage" "$parent"
}

place "$dir/etc" /etc/libvirt
place "$dir/run" /run/libvirt
place "$dir/lib" /var/lib/libvirt
place "$dir/cache" /var/cache/libvirt
place "$dir/log" /var/log/libvirt
mount --bind "$cache" /var/cache/libvirt/qemu
mount --bind "$dir/ns/passwd" /etc/passwd
mount --bind "$dir/ns/group" /etc/group

# The command lines name the state directory: that is how the daemons are recognised again (pids get reused).
# This script leads its process group, so setsid execs in place and $! is the daemon; <name>.launched lets the
# caller tell a daemon that died starting from one still on its way to writing its pid file.
rm -f "$dir/ns/virtlogd.launched" "$dir/ns/libvirtd.launched"
if [ "$start_logd" = 1 ]; then
  setsid virtlogd -f "$dir/etc/virtlogd.conf" -p "$dir/virtlogd.pid" </dev/null >>"$dir/virtlogd.out" 2>&1 &
  echo $! > "$dir/ns/virtlogd.launched"
fi
if [ "$start_libvirtd" = 1 ]; then
  setsid libvirtd -f "$dir/etc/libvirtd.conf" -p "$dir/libvirtd.pid" </dev/null >>"$dir/libvirtd.out" 2>&1 &
  echo $! > "$dir/ns/libvirtd.launched"
fi
`;
