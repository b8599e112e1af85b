# The Sleuth Kit calls on the prelude's ext2 filesystem: a file's content by inode number
# (a fresh ext2's first file is inode 12), and data units (their sizes: block 0 holds the
# random UUID).
available "sleuthkit"
mount /dev/sdb1 /
write /f "forensics test file\n"
sync
download-inode /dev/sdb1 12 inode.out
! cat inode.out
-download-inode /dev/sdb1 -1 x.out
download-blocks /dev/sdb1 0 1 blocks.out
! wc -c < blocks.out
download-blocks /dev/sdb1 100 110 unalloc.out unallocated:true
! wc -c < unalloc.out
-download-blocks /dev/sdb1 -1 2 x.out
-download-blocks /dev/sdb1 5 5 x.out
