# ext2 attributes and generations, copied attributes, extended attributes (InitScratchFS).
mount /dev/sdb1 /
echo == e2attrs
touch /e2attrs1
get-e2attrs /e2attrs1
touch /e2attrs2
set-e2attrs /e2attrs2 is clear:false
get-e2attrs /e2attrs2
touch /e2attrs3
set-e2attrs /e2attrs3 is clear:false
set-e2attrs /e2attrs3 i clear:true
get-e2attrs /e2attrs3
touch /e2attrs4
set-e2attrs /e2attrs4 adst
set-e2attrs /e2attrs4 iS
set-e2attrs /e2attrs4 i clear:true
set-e2attrs /e2attrs4 ad clear:true
set-e2attrs /e2attrs4 ""
set-e2attrs /e2attrs4 "" clear:true
get-e2attrs /e2attrs4
set-e2attrs /e2attrs4 Sst clear:true
get-e2attrs /e2attrs4
touch /e2attrs5
-set-e2attrs /e2attrs5 R
-set-e2attrs /e2attrs5 v
-set-e2attrs /e2attrs5 f
-set-e2attrs /e2attrs5 aa
-set-e2attrs /e2attrs5 BabcdB
-set-e2attrs /e2attrs5 a1
-set-e2attrs /e2attrs5 x
-get-e2attrs /nonexistent
-set-e2attrs /nonexistent a
mkdir /e2dir
get-e2attrs /e2dir
echo == e2generation
touch /e2generation
set-e2generation /e2generation 123456
get-e2generation /e2generation
set-e2generation /e2generation 0
get-e2generation /e2generation
-set-e2generation /e2generation -1
-get-e2generation /nonexistent
-set-e2generation /nonexistent 1
echo == copy-attributes
write /src "source"
chmod 0640 /src
chown 11 22 /src
setxattr user.one 1 1 /src
setxattr user.two "two" 3 /src
write /dest "dest"
chmod 0644 /dest
copy-attributes /src /dest
stat /dest | grep -E "^(mode|uid|gid)"
getxattrs /dest
copy-attributes /src /dest mode:true
stat /dest | grep -E "^(mode|uid|gid)"
copy-attributes /src /dest all:true xattributes:false
stat /dest | grep -E "^(mode|uid|gid)"
getxattrs /dest
write /dest2 "dest"
copy-attributes /src /dest2 all:true
stat /dest2 | grep -E "^(mode|uid|gid)"
getxattrs /dest2
write /dest3 "dest"
copy-attributes /src /dest3 xattributes:true ownership:true
stat /dest3 | grep -E "^(mode|uid|gid)"
lgetxattrs /dest3
-copy-attributes /nonexistent /dest all:true
-copy-attributes /src /nonexistent all:true
echo == xattrs
setxattr user.test hello 5 /dest
getxattr /dest user.test
lsetxattr user.ltest hi 2 /dest
lgetxattr /dest user.ltest
removexattr user.test /dest
lremovexattr user.ltest /dest
-removexattr user.test /dest
-getxattr /dest user.test
-setxattr user.x y 1 /nonexistent
-setxattr user.x y -1 /dest
-setxattr user.x y 65537 /dest
-getxattrs /nonexistent
ln-s dest /destlink
-lsetxattr user.x y 1 /destlink
lgetxattrs /destlink
echo == read-only
mkdir /iso
mount-ro /dev/sdd /iso
-get-e2attrs /iso/known-1
-set-e2attrs /iso/known-1 a
-set-e2generation /iso/known-1 1
-copy-attributes /src /iso/known-1 all:true
-setxattr user.x y 1 /iso/known-1
getxattrs /iso/known-1
