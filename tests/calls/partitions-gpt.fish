# GPT partition attributes, names, GUIDs and resizing (InitEmpty, InitGPT). Errors that
# name the device are made on an md array: 1.48's appliance names disks as the kernel probed
# them, but /dev/md0 is always /dev/md0.
part-init /dev/sda gpt
part-add /dev/sda p 64 20000
part-add /dev/sda p 20001 40000
echo == names
part-get-name /dev/sda 1
part-set-name /dev/sda 1 boot
part-get-name /dev/sda 1
-part-get-name /dev/sda 7
-part-get-name /dev/sdb 1
echo == bootable
part-get-bootable /dev/sda 1
part-set-bootable /dev/sda 1 true
part-get-bootable /dev/sda 1
-part-get-bootable /dev/sda 9
-part-get-bootable /dev/sda 0
echo == guids
part-set-gpt-guid /dev/sda 1 01234567-89AB-CDEF-0123-456789ABCDEF
part-get-gpt-guid /dev/sda 1
-part-set-gpt-guid /dev/sda 1 not-a-guid
part-set-disk-guid /dev/sda 11111111-2222-3333-4444-555555555555
part-get-disk-guid /dev/sda
-part-set-disk-guid /dev/sda bad-guid
part-set-disk-guid-random /dev/sda
part-get-disk-guid /dev/sda | wc -c
echo == attributes
part-get-gpt-attributes /dev/sda 2
part-set-gpt-attributes /dev/sda 2 4
part-get-gpt-attributes /dev/sda 2
part-set-gpt-attributes /dev/sda 2 0x1000000000000004
part-get-gpt-attributes /dev/sda 2
-part-set-gpt-attributes /dev/sda 0 4
echo == resize
part-resize /dev/sda 2 60000
part-list /dev/sda
-part-resize /dev/sda 0 100
part-expand-gpt /dev/sda
echo == mbr
part-init /dev/sda mbr
part-add /dev/sda p 64 20000
part-add /dev/sda e 20001 100000
part-add /dev/sda l 20100 40000
part-get-mbr-part-type /dev/sda 1
part-get-mbr-part-type /dev/sda 2
part-get-mbr-part-type /dev/sda 5
part-get-bootable /dev/sda 5
-part-get-mbr-part-type /dev/sda 0
echo == on an md array
part-init /dev/sda gpt
part-add /dev/sda p 64 100000
part-add /dev/sda p 100001 200000
md-create /dev/md0 "/dev/sda1 /dev/sda2" level:raid0
-part-get-bootable /dev/md0 1
-part-get-name /dev/md0 1
part-init /dev/md0 gpt
part-add /dev/md0 p 64 1000
-part-add /dev/md0 p 1000000 2000000
-part-resize /dev/md0 1 2000000
-part-expand-gpt /dev/md0p1
echo == a filesystem on the whole device
wipefs /dev/md0
mkfs ext2 /dev/md0
part-list /dev/md0
-part-get-parttype /dev/md0
wipefs /dev/md0
mkfs vfat /dev/md0
-part-get-parttype /dev/md0
md-stop /dev/md0
