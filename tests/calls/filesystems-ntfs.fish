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
-ntfsclone-in /dev/null /dev/sda1
-ntfsclone-out /dev/sdb1 bad.img
echo == resize
vfs-minimum-size /dev/sda1
ntfsresize /dev/sda1 size:300000000 force:true
ntfsresize-size /dev/sda1 200000000
ntfs-3g-probe true /dev/sda1
mount /dev/sda1 /
cat /hello
umount-all
ntfsresize /dev/sda1 force:true
-ntfsresize /dev/sda1 size:0
-ntfsresize-size /dev/sda1 -1
-ntfsresize /dev/sdb1
echo == ntfsfix
ntfsfix /dev/sda1
ntfsfix /dev/sda1 clearbadsectors:true
-ntfsfix /dev/sdb1
-ntfscat-i /dev/sda1 64 -
