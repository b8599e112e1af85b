# Copying between devices and files, dd and compressed device images (InitScratchFS). No
# error names a disk: 1.48's appliance names them as the kernel probed them.
pwrite-device /dev/sdc "0123456789" 1000
echo == device to device
copy-device-to-device /dev/sdc /dev/sda srcoffset:1000 destoffset:512 size:10
pread-device /dev/sda 12 511 | od -An -c
copy-device-to-device /dev/sdc /dev/sda
checksum-device md5 /dev/sdc
-copy-device-to-device /dev/sdc /dev/sda append:true
-copy-device-to-device /dev/sdc /dev/sda srcoffset:-1
-copy-device-to-device /dev/sdc /dev/sda destoffset:-1
-copy-device-to-device /dev/sdc /dev/sda size:-1
echo == files
mount /dev/sdb1 /
copy-device-to-file /dev/sdc /sdc.img
filesize /sdc.img
checksum md5 /sdc.img
copy-device-to-file /dev/sdc /sdc.img srcoffset:1000 size:10 append:true
filesize /sdc.img
copy-device-to-file /dev/sdc /part.img srcoffset:1000 size:4
cat /part.img
echo
copy-file-to-device /part.img /dev/sda destoffset:4096 sparse:true
pread-device /dev/sda 4 4096 | od -An -c
-copy-file-to-device /nosuch /dev/sda
-copy-file-to-device /part.img /dev/sda append:true
-copy-file-to-device /part.img /dev/sda size:100
-copy-device-to-file /dev/sdc /nodir/x
echo == dd
dd /dev/sdc /dd.img
filesize /dd.img
dd /dd.img /dev/sda
checksum-device md5 /dev/sda | cut -c1-4
-dd /nosuch /dd.img
echo == compress
compress-device-out gzip /dev/sdc sdc.gz
! gzip -dc sdc.gz | md5sum
compress-device-out bzip2 /dev/sdc sdc.bz2 level:9
! bzip2 -dc sdc.bz2 | md5sum
compress-device-out xz /dev/sdc sdc.xz level:0
! xz -dc sdc.xz | md5sum
-compress-device-out gzip /dev/sdc bad.gz level:10
-compress-device-out xz /dev/sdc bad.xz level:10
-compress-device-out compress /dev/sdc bad.Z level:1
-compress-device-out zip /dev/sdc bad.zip
