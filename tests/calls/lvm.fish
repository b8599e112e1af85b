# LVM from one partition (InitBasicFSonLVM).
blockdev-setrw /dev/sda
umount-all
lvm-remove-all
part-disk /dev/sda mbr
pvcreate /dev/sda1
vgcreate VG /dev/sda1
lvcreate LV VG 8
mkfs ext2 /dev/VG/LV
mount /dev/VG/LV /
echo == lists
pvs
vgs
lvs
lvs-full | grep -E 'lv_name|lv_size'
vgs-full | grep -E 'vg_name|pv_count|lv_count'
list-filesystems
echo == files on the LV
write /f "on lvm"
cat /f
mounts
mountpoints
echo == more LVs
lvcreate-free Rest VG 50
lvs
umount-all
lvremove /dev/VG/Rest
lvs
-lvremove /dev/VG/Nope
vgremove VG
vgs
pvremove /dev/sda1
pvs
