# Linux swap: mkswap (label, UUID, on a file), swapon/swapoff by device, file, label, UUID.
# (Errors quoting the programs' messages about a device name the appliance's devices in 1.48,
# whose names change from one run to the next: those are left out.)
part-disk /dev/sda mbr
mkswap /dev/sda1
vfs-type /dev/sda1
mkswap /dev/sda1 label:hello uuid:01234567-0123-0123-0123-0123456789ab
vfs-label /dev/sda1
vfs-uuid /dev/sda1
-mkswap /dev/sda1 label:a-label-longer-than-16
mkswap-L swapit /dev/sda1
vfs-label /dev/sda1
-mkswap-L a-label-longer-than-16 /dev/sda1
swapon-label swapit
swapoff-label swapit
-swapon-label a-label-longer-than-16
-swapoff-label a-label-longer-than-16
-swapon-label nosuchlabel
swapon-device /dev/sda1
swapoff-device /dev/sda1
mkswap-U 01234567-0123-0123-0123-0123456789ab /dev/sdc
vfs-uuid /dev/sdc
swapon-uuid 01234567-0123-0123-0123-0123456789ab
swapoff-uuid 01234567-0123-0123-0123-0123456789ab
-swapon-uuid 99999999-0123-0123-0123-0123456789ab
echo == relabel
set-label /dev/sdc relabelled
vfs-label /dev/sdc
-set-label /dev/sdc a-label-longer-than-16
set-uuid /dev/sdc 11111111-2222-3333-4444-555555555555
vfs-uuid /dev/sdc
set-uuid-random /dev/sdc
vfs-uuid /dev/sdc | wc -c
echo == swap files
mount /dev/sdb1 /
! dd if=/dev/zero of=swap.zero bs=1M count=8 2>/dev/null
upload swap.zero /swapfile
mkswap-file /swapfile
swapon-file /swapfile
swapoff-file /swapfile
-swapoff-file /swapfile
rm /swapfile
-mkswap-file /nosuchfile
-swapon-file /nosuchfile
-mkswap /dev/sdz
echo == on a logical volume
pvcreate /dev/sdc
vgcreate VG /dev/sdc
lvcreate LV VG 8
mkswap /dev/VG/LV label:onlv
swapon-device /dev/VG/LV
-swapon-device /dev/VG/LV
swapoff-device /dev/VG/LV
-swapoff-device /dev/VG/LV
-mkswap /dev/VG/LV uuid:not-a-uuid
