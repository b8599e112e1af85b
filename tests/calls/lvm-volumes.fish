# Renaming, resizing, UUIDs, metadata and filters of LVM volumes (InitEmpty, InitBasicFSonLVM).
blockdev-setrw /dev/sda
umount-all
lvm-remove-all
part-init /dev/sda mbr
part-add /dev/sda p 64 400000
part-add /dev/sda p 400001 800000
pvcreate /dev/sda1
pvcreate /dev/sda2
vgcreate VG "/dev/sda1 /dev/sda2"
lvcreate LV1 VG 32
lvcreate LV2 VG 32
echo == is-lv
is-lv /dev/VG/LV1
is-lv /dev/mapper/VG-LV2
is-lv /dev/sda1
lvm-canonical-lv-name /dev/mapper/VG-LV1
lvm-canonical-lv-name /dev/VG/LV2
-lvm-canonical-lv-name /dev/mapper/control
-lvm-canonical-lv-name /dev/nosuch
-lvm-canonical-lv-name VG/LV1
list-dm-devices
echo == rename
lvrename /dev/VG/LV2 /dev/VG/LV3
lvs
-lvrename /dev/VG/LV2 /dev/VG/LV4
vgrename VG VG2
vgs
lvs
-vgrename VG VG3
echo == resize
lvresize /dev/VG2/LV1 64
lvresize /dev/VG2/LV1 64
-lvresize /dev/VG2/LV1 100000
lvresize-free /dev/VG2/LV3 50
-lvresize-free /dev/VG2/LV3 101
lvs-full | grep -E 'lv_name|lv_size'
pvresize /dev/sda2
pvresize-size /dev/sda2 180000256
pvs-full | grep pv_size
echo == uuids
vg-activate false VG2
pvchange-uuid /dev/sda1
pvchange-uuid-all
vgchange-uuid VG2
vgchange-uuid-all
-vgchange-uuid NOSUCH
vg-activate true VG2
vgscan
lvs
echo == metadata
vgmeta VG2 | grep -c 'VG2 {'
-vgmeta NOSUCH
echo == filter
lvm-set-filter /dev/sdb
pvs
vgs
lvm-set-filter /dev/sda
pvs
lvm-set-filter "/dev/sda1 /dev/sda2"
vgs
lvm-clear-filter
pvs
lvs
