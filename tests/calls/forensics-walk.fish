# The Sleuth Kit's walks of the prelude's ext2 filesystem (unmounted, as forensics does): every
# name, a deleted one included, with its type, size, flags, link count and symlink target;
# inode numbers only of files in the root directory (a new top-level directory's inodes
# are placed at random by the kernel); an inode no name has (1.48 fails an empty result
# without a message). Then the test ISO, and a disk with no filesystem.
available "libtsk"
mount /dev/sdb1 /
write /file "walk test\n"
ln /file /hardlink
ln-s file /symlink
mkfifo 0644 /fifo
mkdir /dir
write /dir/inner "inner\n"
write /deleted "gone\n"
sync
rm /deleted
umount /
echo == walk
filesystem-walk /dev/sdb1 | grep -E "^\[|tsk_(type|size|name|flags|nlink|link):"
echo == find-inode
find-inode /dev/sdb1 12 | grep -E "^\[|tsk_(inode|type|size|name|flags|nlink|link):"
-find-inode /dev/sdb1 999999
-find-inode /dev/sdb1 -1
echo == iso
filesystem-walk /dev/sdd | grep -E "^\[|tsk_(inode|type|size|name|flags|nlink|link):"
echo == errors
-filesystem-walk /dev/sdc
-find-inode /dev/sdc 2
-filesystem-walk /dev/sdz
