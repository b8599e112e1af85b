# ext2/3/4 through e2fsprogs: superblock fields, tuning, checks, resizing, labels and UUIDs,
# mke2fs with its options and external journals, lost+found.
echo == tune2fs-l
tune2fs-l /dev/sdb1 | grep -E '^(Filesystem magic number|Filesystem OS type|Block size|Inode size|Filesystem volume name|Errors behavior):'
tune2fs /dev/sdb1 force:false maxmountcount:0 intervalbetweenchecks:86400 errorbehavior:continue reservedblockspercentage:1 lastmounteddirectory:/mnt
tune2fs-l /dev/sdb1 | grep -E '^(Check interval|Maximum mount count|Errors behavior|Last mounted on):'
tune2fs /dev/sdb1 intervalbetweenchecks:0 user:0 group:0 reservedblockscount:100 mountcount:3
# (The user and group names after the ids depend on the appliance's /etc/passwd.)
tune2fs-l /dev/sdb1 | grep -E '^(Check interval|Reserved block count|Reserved blocks uid|Reserved blocks gid|Mount count):' | sed 's/ (\(user\|group\) .*)$//'
-tune2fs /dev/sdb1 errorbehavior:explode
-tune2fs /dev/sdb1 maxmountcount:-1
-tune2fs /dev/sdb1 user:-5
-tune2fs-l /dev/sdc
-tune2fs-l /dev/sdz
echo == labels and UUIDs
set-e2label /dev/sdb1 testlabel
get-e2label /dev/sdb1
-set-e2label /dev/sdb1 a-label-longer-than-16
set-e2uuid /dev/sdb1 01234567-0123-0123-0123-0123456789ab
get-e2uuid /dev/sdb1
-set-e2uuid /dev/sdb1 not-a-uuid
echo == e2fsck
e2fsck-f /dev/sdb1
e2fsck /dev/sdb1 correct:true
e2fsck /dev/sdb1 forceall:true
-e2fsck /dev/sdb1
-e2fsck /dev/sdb1 correct:true forceall:true
-e2fsck /dev/sdc
echo == resize2fs
part-disk /dev/sda mbr
mkfs ext4 /dev/sda1
resize2fs-size /dev/sda1 104857600
tune2fs-l /dev/sda1 | grep -E '^(Block count|Block size):'
resize2fs /dev/sda1
tune2fs-l /dev/sda1 | grep -E '^Block count:'
vfs-minimum-size /dev/sda1
resize2fs-M /dev/sda1
-resize2fs-size /dev/sda1 1000
-resize2fs /dev/sdc
mount /dev/sda1 /
resize2fs-size /dev/sda1 209715200
tune2fs-l /dev/sda1 | grep -E '^Block count:'
umount-all
echo == mke2fs and external journals
part-init /dev/sda mbr
part-add /dev/sda p 64 204799
part-add /dev/sda p 204800 -64
mke2fs /dev/sda1 blocksize:4096 journaldev:true
mke2fs /dev/sda2 blocksize:4096 journaldevice:/dev/sda1 fstype:ext2
mount /dev/sda2 /
write /new "new file contents"
cat /new
umount-all
mke2journal-L 4096 JOURNAL /dev/sda1
vfs-label /dev/sda1
mke2fs-JL ext2 4096 /dev/sda2 JOURNAL
vfs-type /dev/sda2
mke2journal-U 4096 89abcdef-0123-0123-0123-0123456789ab /dev/sda1
get-e2uuid /dev/sda1
mke2fs-JU ext3 4096 /dev/sda2 89abcdef-0123-0123-0123-0123456789ab
vfs-type /dev/sda2
mke2journal 4096 /dev/sda1
mke2fs-J ext4 4096 /dev/sda2 /dev/sda1
vfs-type /dev/sda2
-mke2fs-J xfs 4096 /dev/sda2 /dev/sda1
-mke2fs-JL ext2 4096 /dev/sda2 a-label-longer-than-16
-mke2fs-JU ext5 4096 /dev/sda2 01234567-0123-0123-0123-0123456789ab
-mke2journal-L 4096 a-label-longer-than-16 /dev/sda1
mke2fs /dev/sda2 fstype:ext4 label:MKE2FS uuid:11111111-2222-3333-4444-555555555555 blockscount:50000 blocksize:1024 inodesize:256 bytesperinode:8192 reservedblockspercentage:2 lastmounteddir:/x creatoros:Linux usagetype:small extent:true hasjournal:true journalsize:4 largefile:true sparsesuper:true lazyitableinit:true lazyjournalinit:false discard:false stridesize:16 stripewidth:32 forcecreate:true
tune2fs-l /dev/sda2 | grep -E '^(Filesystem volume name|Filesystem UUID|Block count|Block size|Inode size|Inode count|Reserved block count|Last mounted on|Filesystem OS type|Filesystem features|RAID stride|RAID stripe width):'
mke2fs /dev/sda2 fstype:ext2 numberofinodes:1024 blockspergroup:8192 testfs:true hasjournal:false resizeinode:false quota:false mmpupdateinterval:5 writesbandgrouponly:false
tune2fs-l /dev/sda2 | grep -E '^(Inode count|Blocks per group|Filesystem features|Filesystem flags):'
-mke2fs /dev/sda2 fstype:xfs
-mke2fs /dev/sda2 blocksize:-1
-mke2fs /dev/sda2 blockscount:-1
-mke2fs /dev/sda2 reservedblockspercentage:-1
-mke2fs /dev/sda2 journaldevice:/dev/sdz1
-mke2fs /dev/sda2 blocksize:3000
echo == lost+found
mkfs ext4 /dev/sda2
mount /dev/sda2 /
rm-rf /lost+found
mklost-and-found /
is-dir /lost+found
-mklost-and-found /nonexistent
mkdir "/a b"
-mklost-and-found "/a b/c"
