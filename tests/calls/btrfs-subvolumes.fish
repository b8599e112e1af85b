# btrfs subvolumes and snapshots, and the filesystem calls on a mounted btrfs (the per-call
# tests' btrfs on /dev/sda1). Creation times and UUIDs vary: the show lines print filtered.
echo == subvolumes
part-disk /dev/sda mbr
mkfs btrfs /dev/sda1
mount /dev/sda1 /
btrfs-subvolume-create /test1
btrfs-subvolume-create /test2
mkdir /dir
btrfs-subvolume-create /dir/test3
btrfs-subvolume-snapshot /dir/test3 /dir/test5 ro:true
btrfs-subvolume-snapshot /dir/test3 /dir/test6 qgroupid:0/1000
-btrfs-subvolume-create /nosuchdir/test4
-btrfs-subvolume-snapshot /nosuchdir /dir/test7
btrfs-subvolume-list /
btrfs-subvolume-list /dev/sda1
btrfs-subvolume-list btrfsvol:/dev/sda1/dir/test3
btrfs-subvolume-show /dir/test3 | grep -E '^(path|Name|Parent UUID|Subvolume ID|Parent ID|Top level ID|Flags|Snapshot|Quota)'
btrfs-subvolume-show /dir/test5 | grep -E '^(path|Name|Flags|Snapshot)'
-btrfs-subvolume-show /dir
-btrfs-subvolume-show /nosuchdir
echo == default
btrfs-subvolume-get-default /
btrfs-subvolume-get-default /dev/sda1
btrfs-subvolume-set-default 256 /
btrfs-subvolume-get-default /dev/sda1
btrfs-subvolume-set-default 5 /
btrfs-subvolume-get-default /
-btrfs-subvolume-set-default 999 /
echo == delete
btrfs-subvolume-delete /test2
-btrfs-subvolume-delete /test2
-btrfs-subvolume-delete /dir
btrfs-subvolume-list /
echo == filesystem
btrfs-filesystem-sync /test1
-btrfs-filesystem-balance /test1
write /test1/file "some data for defragment"
btrfs-filesystem-defragment /test1
btrfs-filesystem-defragment /test1 flush:true compress:zlib
btrfs-filesystem-defragment / compress:lzo
-btrfs-filesystem-defragment / compress:zstd
btrfs-filesystem-resize / size:300M
btrfs-filesystem-resize /
-btrfs-filesystem-resize / size:0
-btrfs-filesystem-resize / size:10K
btrfs-filesystem-show /dev/sda1
-btrfs-filesystem-sync /nosuchdir
