# Prepended to every script of this folder: libguestfs's own per-call test drives (two
# scratch disks, a small one, the test ISO read-only) and an ext2 filesystem on /dev/sdb1.
scratch 512M
scratch 512M
scratch 10M
add-ro @ISO@
run
part-disk /dev/sdb mbr
mkfs ext2 /dev/sdb1
