# The deprecated sfdisk calls (InitEmpty), on an md array: their output and errors name the
# device, and 1.48's appliance names disks as the kernel probed them, but /dev/md0 is always
# /dev/md0.
part-init /dev/sda gpt
part-add /dev/sda p 64 100000
part-add /dev/sda p 100001 200000
md-create /dev/md0 "/dev/sda1 /dev/sda2" level:raid0
sfdisk /dev/md0 0 0 0 ,,L
part-list /dev/md0
part-get-mbr-id /dev/md0 1
sfdisk-N /dev/md0 1 0 0 0 ,,b
part-get-mbr-id /dev/md0 1
sfdisk-l /dev/md0 | grep -v identifier
sfdisk-kernel-geometry /dev/md0
sfdisk-disk-geometry /dev/md0
-sfdisk /dev/md0 10 0 0 ,,L
-sfdisk-N /dev/md0 1 0 16 0 ,,L
-sfdiskM /dev/md0 ,
md-stop /dev/md0
