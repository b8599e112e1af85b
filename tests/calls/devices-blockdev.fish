# Block device settings, discards, identification and whole-device checks (InitEmpty,
# InitScratchFS).
echo == settings
blockdev-setra /dev/sda 1024
-blockdev-setra /dev/sda -1
blockdev-setbsz /dev/sda 4096
blockdev-getbsz /dev/sda
blockdev-flushbufs /dev/sda
blockdev-rereadpt /dev/sda
-blockdev-rereadpt /dev/sdd
echo == discard
blkdiscardzeroes /dev/sdc
-blkdiscard /dev/sdc
echo == identification
nr-devices
list-disk-labels
is-whole-device /dev/sda
is-whole-device /dev/sdb1
blkid /dev/sdb1 | grep -v -E 'UUID|DEVNAME|PART_ENTRY_DISK'
blkid /dev/sdc | grep -v DEVNAME
-blkid /dev/sdz
echo == zeroes
is-zero-device /dev/sdc
is-zero-device /dev/sdb1
pwrite-device /dev/sdc "hello" 100
-pwrite-device /dev/sdc "hello" -1
pread-device /dev/sdc 7 99 | od -An -c
is-zero-device /dev/sdc
checksum-device md5 /dev/sdc
checksum-device sha256 /dev/sdc
checksum-device CRC /dev/sdc
-checksum-device sha3 /dev/sdc
echo == scrub
scrub-device /dev/sdc
is-zero-device /dev/sdc
