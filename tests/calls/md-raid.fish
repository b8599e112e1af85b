# Linux software RAID: creating, inspecting and stopping arrays (InitEmpty). No output or
# error names a member disk: 1.48's appliance names them as the kernel probed them.
blockdev-setrw /dev/sda
umount-all
lvm-remove-all
part-init /dev/sda gpt
part-add /dev/sda p 64 40000
part-add /dev/sda p 40001 80000
part-add /dev/sda p 80001 120000
part-add /dev/sda p 120001 160000
part-add /dev/sda p 160001 200000
md-create r1 "/dev/sda1 /dev/sda2 /dev/sda3" nrdevices:2 spare:1
md-create r5 "/dev/sda4 /dev/sda5" missingbitmap:4 level:raid5 chunk:65536
list-md-devices
echo == stat
md-stat /dev/md127 | grep -v mdstat_device
md-stat /dev/md126 | grep -v mdstat_device
-md-stat /dev/md/r1
echo == detail
md-detail /dev/md127 | grep -E '^(level|devices|metadata):'
md-detail /dev/md/r5 | grep -E '^(level|devices|metadata):'
echo == errors
-md-create r2 /dev/sdb1 level:raid7
-md-create r2 /dev/sdb1 nrdevices:1
-md-create r2 /dev/sdb1 spare:-1
-md-create r2 /dev/sdb1 chunk:1000
-md-create r2 /dev/sdb1 nrdevices:3
echo == stop
md-stop /dev/md127
md-stop /dev/md126
list-md-devices
