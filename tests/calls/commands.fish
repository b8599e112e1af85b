# Commands in the guest: a small guest with a shell (the host's busybox and the libraries it
# needs, uploaded onto the ext2 filesystem), then command, command_lines, sh and sh_lines,
# their errors and the output limit.
echo == guest
mount /dev/sdb1 /
mkdir-p /lib/x86_64-linux-gnu
mkdir-p /lib64
mkdir /bin
mkdir /dev
mkdir /proc
mkdir /sys
mkdir /etc
mkdir /tmp
upload /lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libc.so.6
upload /lib/x86_64-linux-gnu/libresolv.so.2 /lib/x86_64-linux-gnu/libresolv.so.2
upload /lib64/ld-linux-x86-64.so.2 /lib64/ld-linux-x86-64.so.2
upload /bin/busybox /bin/busybox
chmod 0755 /lib64/ld-linux-x86-64.so.2
chmod 0755 /bin/busybox
ln-s busybox /bin/sh
echo == command
command "/bin/busybox echo hello world"
command-lines "/bin/busybox seq 1 3"
command "/bin/sh -c true"
-command "/bin/nosuchprogram x"
-command "/etc"
-command ""
-command "/bin/sh -c 'echo on stderr >&2; echo on stdout; exit 3'"
echo == sh
sh "echo hello; echo world"
sh-lines "echo one; echo; echo three"
sh-lines "true"
sh "printf 'no newline'"
sh-lines "printf 'a\nb'"
sh "cd /tmp && pwd"
sh "echo $0 $#"
sh "/bin/busybox env | /bin/busybox sort | /bin/busybox grep -v -E '^(edd|selinux|udevtimeout)='"
sh "test -c /dev/null && test -d /dev/pts && test -r /proc/self/status && test -d /sys/class && echo bound"
sh "/bin/busybox id -u"
-sh "exit 1"
-sh "echo error text >&2; echo >&2; exit 2"
-sh "kill -9 $$"
-sh "/bin/nosuchprogram"
sh "echo guest file > /tmp/written"
cat /tmp/written
echo == after the commands: nothing left mounted in the guest
ls /dev
ls /proc
mountpoints
echo == output limit
sh "/bin/busybox head -c 1000000 /dev/zero | /bin/busybox wc -c"
sh "/bin/busybox head -c 5000000 /dev/zero"
sh "/bin/busybox head -c 1000000 /dev/zero | /bin/busybox tr '\\0' x | /bin/busybox wc -c"
-sh "/bin/busybox head -c 5000000 /dev/zero | /bin/busybox tr '\\0' x"
sh "echo still working"
echo == without a mounted root
umount-all
-sh "true"
-command "/bin/true"
-command-lines "/bin/true"
-sh-lines "true"
