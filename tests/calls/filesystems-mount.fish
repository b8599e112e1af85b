# Mount variants and mount-adjacent calls: ISO images (isoinfo, loop mounts), remount,
# mount points outside the root, 9p (removed in 1.48), df, fsck.
echo == isoinfo
isoinfo-device /dev/sdd | grep -v '_t: '
mount /dev/sdb1 /
upload test.iso /test.iso
isoinfo /test.iso | grep -E 'iso_(volume_id|volume_space_size|logical_block_size|application_id)'
-isoinfo /nonexistent
-isoinfo /lost+found
write /notiso "not an ISO"
-isoinfo /notiso
echo == mount-loop
mkdir /mnt
mount-loop /test.iso /mnt
ls /mnt | head -3
mountpoints | grep -c /mnt
umount /mnt
-mount-loop /nonexistent /mnt
-mount-loop /test.iso /nonexistent
echo == remount
remount / rw:false
-touch /ro
remount / rw:true
touch /rw
-remount / 
-remount /nonexistent rw:true
echo == mount points
umount-all
mkmountpoint /mp
mount /dev/sdb1 /mp
mkmountpoint /mp/inner
mount-ro /dev/sdd /mp/inner
is-dir /mp/inner/directory
mountpoints
umount-all
rmmountpoint /mp
-rmmountpoint /mp
-mkmountpoint relative
-rmmountpoint relative
mkmountpoint /x
-mkmountpoint /x
-mkmountpoint /a/b
echo == 9p
-list-9p
-mount-9p tag /
echo == umount
mount /dev/sdb1 /
umount / force:true lazyunmount:true
-umount /
mount /dev/sdb1 /
umount /dev/sdb1 force:false lazyunmount:false
-umount /dev/sdz1
echo == df and fsck
mount /dev/sdb1 /
df | grep sysroot | awk '{print $2, $6}'
df-h | grep sysroot | awk '{print $2, $6}'
umount-all
fsck ext2 /dev/sdb1
fsck ext4 /dev/sdc
-fsck ext2 /dev/sdz
