/**
 * The simulated hypervisor's own process: a private libvirtd serving libvirt's test driver,
 * and one `virsh event --loop` holding a connection open, because the test driver forgets its
 * domains when the last client goes. Bash and virsh, not Node: three of these must stay small.
 * Run detached, so a Stratus process that dies (kill -9) leaves its hypervisors running.
 *
 * $1 is the hypervisor's directory: libvirtd.conf and the socket are made there; the script
 * writes boot-id (new on every start) and then ready; SIGTERM stops libvirtd and exits.
 */
export const KEEPER_SCRIPT = String.raw`
set -u
dir=$1
uri="test+unix:///default?socket=$dir/libvirt-sock"
rm -f "$dir/ready" "$dir/libvirt-sock" "$dir/libvirt-sock-ro" "$dir/libvirt-admin-sock"
mkdir -p "$dir/drivers"
cat > "$dir/libvirtd.conf" <<CONF
unix_sock_dir = "$dir"
auth_unix_rw = "none"
auth_unix_ro = "none"
log_outputs = "3:file:$dir/libvirtd.log"
CONF
LIBVIRT_DRIVER_DIR="$dir/drivers" libvirtd -f "$dir/libvirtd.conf" -p "$dir/libvirtd.pid" &
daemon=$!
keeper=
stop() { [ -n "$keeper" ] && kill -TERM "$keeper" 2>/dev/null; kill -TERM "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null; rm -f "$dir/ready"; exit 0; }
trap stop TERM INT HUP
# The socket appears before the daemon answers: wait until it lists domains.
for _ in $(seq 1 400); do virsh -q -c "$uri" list --all --name >/dev/null 2>&1 && break; sleep 0.025; done
virsh -q -c "$uri" event --all --loop >/dev/null 2>&1 &
keeper=$!
# The test driver starts with a running domain named 'test'; a simulated host starts empty.
for _ in $(seq 1 100); do
  names=$(virsh -q -c "$uri" list --all --name 2>/dev/null) || { sleep 0.025; continue; }
  printf '%s\n' "$names" | grep -qx test || break
  virsh -q -c "$uri" destroy test >/dev/null 2>&1
  virsh -q -c "$uri" undefine test >/dev/null 2>&1
done
cat /proc/sys/kernel/random/uuid > "$dir/boot-id"
echo "$daemon $keeper" > "$dir/ready"
wait "$daemon"
stop
`;
