// What the stratus-linux guest runs: busybox's init with these files. The scripts read the config drive only as data
// (JSON through an awk tokenizer, user data as a file); no value from it is ever evaluated by the shell.

/** The line the guest prints on its serial console once it has configured itself. */
export const LINUX_BANNER = 'STRATUS-LINUX';

/** The modules the guest loads itself, in this order (the kernel package ships no modules.dep). */
export const GUEST_MODULES = [
  'virtio_ring',
  'virtio_pci_modern_dev',
  'virtio_pci_legacy_dev',
  'virtio',
  'virtio_pci',
  'virtio_blk',
  'failover',
  'net_failover',
  'virtio_net',
  'scsi_common',
  'scsi_mod',
  'virtio_scsi',
  'sd_mod',
  'cdrom',
  'sr_mod',
  'libata',
  'ata_piix',
  'isofs',
  'button',
  'evdev',
  'virtio_console',
];

/** PID 1 until busybox's init takes over: the virtual filesystems and busybox's applets. */
const INIT = `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /root /run /var/log /mnt/config /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts
exec /sbin/init
`;

const INITTAB = `::sysinit:/etc/rc
ttyS0::respawn:/sbin/getty -L 115200 ttyS0 vt100
tty1::respawn:/sbin/getty 38400 tty1
::ctrlaltdel:/sbin/reboot
::shutdown:/bin/umount -a -r
`;

/**
 * Prints every scalar of a JSON document as path TAB value (keys and array indexes joined by dots), string escapes
 * decoded; tabs and newlines inside values become spaces so that each value stays one line.
 */
const JSON_AWK = String.raw`BEGIN { RS = "\001" }
{ s = $0; n = length(s); i = 1; value("") }
function ws() { while (i <= n && index(" \t\r\n", substr(s, i, 1)) > 0) i++ }
function value(path,   c, start) {
  ws(); c = substr(s, i, 1)
  if (c == "{") object(path)
  else if (c == "[") array(path)
  else if (c == "\"") emit(path, str())
  else { start = i; while (i <= n && index(",}] \t\r\n", substr(s, i, 1)) == 0) i++; emit(path, substr(s, start, i - start)) }
}
function object(path,   key, c) {
  i++; ws()
  if (substr(s, i, 1) == "}") { i++; return }
  while (i <= n) {
    ws(); key = str(); ws(); i++
    value(path == "" ? key : path "." key)
    ws(); c = substr(s, i, 1); i++
    if (c != ",") return
  }
}
function array(path,   k, c) {
  i++; ws(); k = 0
  if (substr(s, i, 1) == "]") { i++; return }
  while (i <= n) {
    value(path == "" ? k : path "." k); k++
    ws(); c = substr(s, i, 1); i++
    if (c != ",") return
  }
}
function str(   out, c, e, code) {
  i++; out = ""
  while (i <= n) {
    c = substr(s, i, 1)
    if (c == "\"") { i++; return out }
    if (c == "\\") {
      e = substr(s, i + 1, 1); i += 2
      if (e == "u") { code = hex(substr(s, i, 4)); i += 4; out = out (code >= 32 && code < 127 ? sprintf("%c", code) : "?") }
      else if (e == "n" || e == "t" || e == "r") out = out " "
      else if (e == "b" || e == "f") out = out
      else out = out e
      continue
    }
    out = out c; i++
  }
  return out
}
function hex(h,   v, k) { v = 0; for (k = 1; k <= 4; k++) v = v * 16 + index("0123456789abcdef", tolower(substr(h, k, 1))) - 1; return v }
function emit(path, v) { gsub(/[\t\n\r]/, " ", v); print path "\t" v }
`;

/**
 * What busybox's udhcpc runs on each DHCP event: the address, the MTU and the routes the network's DHCP server
 * hands out (its classless routes carry the metadata service's address and, when the subnet has one, the default
 * route; RFC 3442 says a client given them ignores the router option). The values are only ever arguments to `ip`.
 */
const UDHCPC_SCRIPT = `#!/bin/sh
case "$1" in
  deconfig)
    ip addr flush dev "$interface"
    ip link set "$interface" up
    ;;
  bound|renew)
    [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
    ip addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    if [ -n "$staticroutes" ]; then
      set -- $staticroutes
      while [ $# -ge 2 ]; do
        if [ "$1" = 0.0.0.0/0 ]; then ip route add default via "$2" dev "$interface"
        else ip route add "$1" via "$2" dev "$interface"; fi
        shift 2
      done
    elif [ -n "$router" ]; then
      set -- $router
      ip route add default via "$1" dev "$interface"
    fi
    echo "$ip" > /run/ipv4
    ;;
esac
exit 0
`;

/**
 * The guest's own setup, run once by init before the logins: modules, eth0 by DHCP, its metadata from the config
 * drive (label config-2) or else from the metadata service (http://169.254.169.254, as cloud-init falls back to it),
 * root's key and password, the banner, then user data that starts with #! (cloud-init's convention).
 */
const RC = `#!/bin/sh
PATH=/sbin:/bin:/usr/sbin:/usr/bin
export PATH
for m in $(cat /etc/modules); do insmod /lib/modules/$m.ko 2>/dev/null; done
hostname localhost
ip link set lo up 2>/dev/null
echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd
echo 'root:*:0:0:99999:7:::' > /etc/shadow
echo 'root:x:0:' > /etc/group
chmod 600 /etc/shadow
ipv4=none
if [ -e /sys/class/net/eth0 ]; then
  # Stays in the background holding the lease once it has one; gives up after 30 tries (no DHCP on the network).
  udhcpc -i eth0 -s /etc/udhcpc.script -O staticroutes -O mtu -t 30 -T 1 -A 1 -n >/dev/null 2>&1 && ipv4=$(cat /run/ipv4)
fi
drive=
n=0
while [ -z "$drive" ] && [ $n -lt 40 ]; do
  # An ISO 9660 volume's label is at byte 32808 (busybox has no blkid).
  for dev in /dev/sr* /dev/hd* /dev/vd*; do
    [ -b "$dev" ] || continue
    [ "$(dd if="$dev" bs=1 skip=32808 count=8 2>/dev/null)" = config-2 ] && drive=$dev && break
  done
  [ -n "$drive" ] || sleep 0.1
  n=$((n + 1))
done
get() { awk -F '\\t' -v k="$1" '$1 == k { print substr($0, length(k) + 2); exit }' "$2"; }
fetch() { wget -q -T 10 -O "$2" "http://169.254.169.254/$1" 2>/run/wget.err || { rm -f "$2"; return 1; }; }
uuid=none; name=none; fingerprint=none; digest=none; ec2=none; source=none; md=
if [ -n "$drive" ] && mount -t iso9660 -o ro "$drive" /mnt/config; then
  md=/mnt/config source=config-drive
  awk -f /etc/json.awk /mnt/config/ec2/latest/meta-data.json > /run/ec2
  ec2=$(get instance-id /run/ec2)
elif [ "$ipv4" != none ]; then
  mkdir -p /run/md/openstack/latest
  n=0
  until fetch openstack/latest/meta_data.json /run/md/openstack/latest/meta_data.json || [ $n -ge 10 ]; do sleep 1; n=$((n + 1)); done
  if [ -s /run/md/openstack/latest/meta_data.json ]; then
    md=/run/md source=metadata-service
    fetch openstack/latest/user_data /run/md/openstack/latest/user_data
    fetch latest/meta-data/instance-id /run/ec2-id && ec2=$(tr -cd 'a-z0-9-' < /run/ec2-id)
  else
    # What an operator needs to see why: the routes DHCP gave and wget's last complaint.
    echo "metadata service not reached: $(head -c 200 /run/wget.err | tr '\n' ' ') routes: $(ip route | tr '\n' ';')" > /dev/console
  fi
fi
if [ -n "$md" ]; then
  awk -f /etc/json.awk $md/openstack/latest/meta_data.json > /run/meta
  uuid=$(get uuid /run/meta)
  name=$(get hostname /run/meta)
  hostname "$(echo "$name" | cut -d . -f 1 | tr -cd 'a-zA-Z0-9-')"
  key=$(get keys.0.data /run/meta)
  if [ -n "$key" ]; then
    mkdir -p /root/.ssh
    printf '%s\\n' "$key" > /root/.ssh/authorized_keys
    chmod 700 /root/.ssh
    chmod 600 /root/.ssh/authorized_keys
    fingerprint=$(printf '%s' "$key" | awk '{ print $2 }' | base64 -d | md5sum | cut -c 1-32 | sed 's/../&:/g; s/:$//')
  fi
  pass=$(get admin_pass /run/meta)
  if [ -n "$pass" ]; then
    hash=$(printf '%s' "$pass" | mkpasswd -m sha512 -s)
    printf 'root:%s:0:0:99999:7:::\\n' "$hash" > /etc/shadow
  fi
  if [ -f $md/openstack/latest/user_data ]; then
    digest=$(sha256sum < $md/openstack/latest/user_data | cut -c 1-64)
  fi
fi
disks=
for b in /sys/block/vd* /sys/block/sd* /sys/block/sr*; do
  [ -e "$b/size" ] || continue
  disks="$disks \${b##*/}=$(( $(cat "$b/size") * 512 ))"
done
acpid -c /etc/acpi
echo "${LINUX_BANNER} uuid=$uuid hostname=$name key-md5=$fingerprint user-data-sha256=$digest ec2-instance-id=$ec2 ipv4=$ipv4 metadata=$source disks:$disks" > /dev/console
if [ "$digest" != none ] && [ "$(head -c 2 $md/openstack/latest/user_data)" = '#!' ]; then
  cp $md/openstack/latest/user_data /run/user-data
  chmod 700 /run/user-data
  /run/user-data > /dev/console 2>&1 &
fi
`;

// busybox acpid runs ./PWRF/00000080 under its folder when the power button is pressed.
const POWER_BUTTON = `#!/bin/sh
poweroff
`;

/** The initramfs's own files: path (no leading slash), contents and mode. */
export function guestFiles(): Array<{ path: string; contents: string; mode: number }> {
  return [
    { path: 'init', contents: INIT, mode: 0o755 },
    { path: 'etc/inittab', contents: INITTAB, mode: 0o644 },
    { path: 'etc/rc', contents: RC, mode: 0o755 },
    { path: 'etc/json.awk', contents: JSON_AWK, mode: 0o644 },
    { path: 'etc/udhcpc.script', contents: UDHCPC_SCRIPT, mode: 0o755 },
    { path: 'etc/modules', contents: `${GUEST_MODULES.join('\n')}\n`, mode: 0o644 },
    { path: 'etc/acpi/PWRF/00000080', contents: POWER_BUTTON, mode: 0o755 },
  ];
}
