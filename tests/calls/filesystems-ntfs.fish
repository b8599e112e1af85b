# NTFS: probing, ntfsfix, reading a file by inode, cloning out and back in, resizing and the
# minimum size.
part-disk /dev/sda mbr
mkfs ntfs /dev/sda1
ntfs-3g-probe true /dev/sda1
ntfs-3g-probe false /dev/sda1
ntfs-3g-probe true /dev/sdb1
-ntfs-3g-probe true /dev/sdz1
mount /dev/sda1 /
write /hello "hello ntfs"
stat /hello | grep -E '^ino:'
umount-all
ntfscat-i /dev/sda1 64 -
echo
-ntfscat-i /dev/sda1 -1 -
echo == clone
ntfsclone-out /dev/sda1 clone.img
ntfsclone-out /dev/sda1 meta.img metadataonly:true ignorefscheck:true preservetimestamps:true force:true
mkfs ext2 /dev/sda1
ntfsclone-in clone.img /dev/sda1
vfs-type /dev/sda1
mount /dev/sda1 /
cat /hello
umount-all
echo == resize
vfs-minimum-size /dev/sda1
ntfsresize-size /dev/sda1 300000000
ntfsresize /dev/sda1 size:200000000 force:true
ntfs-3g-probe true /dev/sda1
mount /dev/sda1 /
cat /hello
umount-all
ntfsresize /dev/sda1 force:true
-ntfsresize /dev/sda1 size:0
-ntfsresize-size /dev/sda1 -1
# (Errors quoting the programs' messages name the appliance's devices in 1.48, whose names
# change from one run to the next: those are left out.)
echo == ntfsfix
ntfsfix /dev/sda1
ntfsfix /dev/sda1 clearbadsectors:true
