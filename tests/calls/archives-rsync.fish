# rsync between guest directories, and rsync-in/rsync-out with the other side a directory of
# the appliance (no rsync daemon needed).
# Debian's libguestfs 1.48 leaves rsync out of its appliance; regenerate.sh adds it:
# 1.48-packages: rsync
umount-all
lvm-remove-all
part-disk /dev/sda mbr
mkfs ext2 /dev/sda1
mount /dev/sda1 /
available rsync
mkdir /src
write /src/a "hello\n"
mkdir /src/sub
write /src/sub/b "world\n"
mkdir /dst
write /dst/old "old\n"
rsync /src/ /dst archive:true
find /dst
rsync /src/ /dst archive:true deletedest:true
find /dst
mkdir /plain
rsync /src/a /plain
find /plain
rsync-out /src /sysroot/out archive:true
find /out
mkdir /in
rsync-in /sysroot/src/sub/ /in archive:true
find /in
-rsync /missing /dst
