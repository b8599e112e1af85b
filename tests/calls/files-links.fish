# Links, copies, special files, ownership, wildcards and scrubbing on the scratch filesystem.
mount /dev/sdb1 /
echo == ln
mkdir /ln
touch /ln/a
ln /ln/a /ln/b
stat /ln/b | grep nlink
-ln /ln/a /ln/b
-ln /ln/nonexistent /ln/c
-ln /ln /ln/dirlink
touch /ln/c
ln-f /ln/a /ln/c
stat /ln/c | grep nlink
ln-f /ln/a /ln/new
stat /ln/a | grep nlink
-ln-f /ln/nonexistent /ln/c
exists /ln/c
echo == ln-sf
mkdir-p /ln_sf/b
touch /ln_sf/b/c
ln-sf ../d /ln_sf/b/c
readlink /ln_sf/b/c
ln-sf -dash /ln_sf/dash
readlink /ln_sf/dash
-ln-sf ../d /nodir/c
echo == lchown
lchown 500 600 /ln_sf/b/c
lstat /ln_sf/b/c | grep -E "^[ug]id"
lchown -1 700 /ln_sf/b/c
lstat /ln_sf/b/c | grep -E "^[ug]id"
-lchown 1 2 /nonexistent
echo == cp-a and cp-r
mkdir /cp_a1
mkdir /cp_a2
write /cp_a1/file "file content"
chmod 0600 /cp_a1/file
chown 10 20 /cp_a1/file
ln-s file /cp_a1/link
cp-a /cp_a1 /cp_a2
cat /cp_a2/cp_a1/file
echo
stat /cp_a2/cp_a1/file | grep -E "^(mode|uid|gid)"
readlink /cp_a2/cp_a1/link
-cp-a /nonexistent /cp_a2
mkdir /cp_r2
cp-r /cp_a1 /cp_r2
cat /cp_r2/cp_a1/file
echo
is-symlink /cp_r2/cp_a1/link
stat /cp_r2/cp_a1/file | grep -E "^(uid|gid)"
-cp-r /nonexistent /cp_r2
-cp-r /cp_a1 /nodir/x
echo == mknod and mkfifo
available mknod
mkfifo 0777 /mkfifo
stat /mkfifo | grep mode
-mkfifo 020777 /mkfifo-2
-mkfifo 0777 /mkfifo
mknod 010777 0 0 /mknod
stat /mknod | grep mode
mknod 060777 66 99 /mknod2
stat /mknod2 | grep -E "^(mode|rdev)"
-mknod -1 0 0 /mknod3
-mknod 0777 0 0 /nodir/mknod
mknod-b 0777 99 66 /mknod_b
stat /mknod_b | grep -E "^(mode|rdev)"
-mknod-b 010777 99 66 /mknod_b-2
mknod-c 0777 99 66 /mknod_c
stat /mknod_c | grep -E "^(mode|rdev)"
-mknod-c 020777 99 66 /mknod_c-2
echo == glob-expand
mkdir-p /glob_expand/b/c
touch /glob_expand/b/c/d
touch /glob_expand/b/c/e
glob-expand /glob_expand/b/c/*
glob-expand /glob_expand/*/c/*
glob-expand /glob_expand/*/x/*
touch /glob_expand/b1
touch /glob_expand/c1
touch /glob_expand/.hidden
glob-expand /glob_expand/*
glob-expand /glob_expand/b* directoryslash:false
glob-expand /glob_expand/b* directoryslash:true
glob-expand /glob_expand/{c1,b1,zz}
glob-expand /glob_expand/[bc]1
glob-expand /glob_expand/?1
glob-expand /glob_expand/.*
-glob-expand glob_expand/*
echo == scrub-file
available scrub
write /scrub_file "content"
scrub-file /scrub_file
exists /scrub_file
write /scrub_file_2 "content"
ln-s /scrub_file_2 /scrub_file_2_link
scrub-file /scrub_file_2_link
exists /scrub_file_2
ln-s /scrub_file_3_notexisting /scrub_file_3_link
-scrub-file /scrub_file_3_link
write /scrub_file_4 "content"
ln-s ../sysroot/scrub_file_4 /scrub_file_4_link
-scrub-file /scrub_file_4_link
-scrub-file /nonexistent
echo == read-only
mkdir /iso
mount-ro /dev/sdd /iso
-ln /iso/known-1 /iso/known-4
-ln-f /iso/known-1 /iso/known-2
-ln-sf known-1 /iso/known-2
-lchown 1 1 /iso/known-1
-cp-a /iso/directory /iso/copy
-cp-r /iso/directory /iso/copy
-mknod 010644 0 0 /iso/fifo
-mkfifo 0644 /iso/fifo
-mknod-b 0644 8 0 /iso/b
-mknod-c 0644 1 3 /iso/c
-scrub-file /iso/known-1
glob-expand /iso/known-*
