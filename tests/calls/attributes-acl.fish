# POSIX ACLs and file capabilities on the scratch filesystem (ext2 has both).
mount /dev/sdb1 /
available acl
available linuxcaps
echo == acl-set-file and acl-get-file
touch /acl_set_file_0
acl-get-file /acl_set_file_0 access
acl-set-file /acl_set_file_0 access u::r-x,g::r-x,o::r-x
acl-get-file /acl_set_file_0 access
stat /acl_set_file_0 | grep mode
touch /acl_set_file_1
acl-set-file /acl_set_file_1 access u::r-x,g::r-x,o::r-x,m::rwx,u:500:rw,g:600:x
acl-get-file /acl_set_file_1 access
acl-set-file /acl_set_file_1 access "user::rw-\nuser:0:r--\ngroup::---\ngroup:0:-w-\nmask::rwx\nother::---"
acl-get-file /acl_set_file_1 access
acl-set-file /acl_set_file_1 access "user::rwx,user:700:r--,user:600:rwx,group::---,mask::r,other::-"
acl-get-file /acl_set_file_1 access
touch /acl_set_file_2
-acl-set-file /acl_set_file_2 access u::r-x,g::r-x,o::r-x,u:500:rw,g:600:x
-acl-set-file /acl_set_file_2 access u::r-x,g::r-x,o::r-x,m::rwx,u:notauser:rw
-acl-set-file /acl_set_file_2 access u::r-x,g::r-x,o::r-x,u::rwx
-acl-set-file /acl_set_file_2 access u::rwz
-acl-set-file /acl_set_file_2 access ""
-acl-set-file /acl_set_file_2 access u::r-x,g::r-x
touch /acl_set_file_4
-acl-set-file /acl_set_file_4 default u::r-x,g::r-x,o::r-x
-acl-set-file /acl_set_file_4 other u::r-x,g::r-x,o::r-x
-acl-get-file /acl_set_file_4 other
-acl-get-file /acl_set_file_4 default
mkdir /acl_set_file_5
acl-get-file /acl_set_file_5 default
acl-set-file /acl_set_file_5 default u::r-x,g::r-x,o::r-x
acl-get-file /acl_set_file_5 default
acl-get-file /acl_set_file_5 access
-acl-get-file /nonexistent access
-acl-set-file /nonexistent access u::r-x,g::r-x,o::r-x
echo == acl-delete-def-file
mkdir /acl_delete_def_file_1
acl-set-file /acl_delete_def_file_1 default user::r-x,group::r-x,other::r-x
acl-delete-def-file /acl_delete_def_file_1
acl-get-file /acl_delete_def_file_1 default
acl-delete-def-file /acl_delete_def_file_1
touch /acl_delete_def_file_0
acl-delete-def-file /acl_delete_def_file_0
-acl-delete-def-file /nonexistent
echo == capabilities
touch /cap_set_file_0
cap-get-file /cap_set_file_0
cap-set-file /cap_set_file_0 "cap_chown=p cap_chown+e"
cap-get-file /cap_set_file_0
cap-set-file /cap_set_file_0 "cap_net_raw,cap_net_admin+ep"
cap-get-file /cap_set_file_0
cap-set-file /cap_set_file_0 "all=p cap_chown,cap_kill+i"
cap-get-file /cap_set_file_0
-cap-set-file /cap_set_file_0 "cap_net_raw,cap_net_admin+ep cap_sys_admin=i"
-cap-set-file /cap_set_file_0 "="
cap-get-file /cap_set_file_0
-cap-set-file /cap_set_file_0 "cap_nothing=p"
-cap-set-file /cap_set_file_0 "garbage"
-cap-get-file /nonexistent
-cap-set-file /nonexistent "cap_chown=p"
echo == read-only
mkdir /iso
mount-ro /dev/sdd /iso
-acl-get-file /iso/known-1 access
-acl-set-file /iso/known-1 access u::r-x,g::r-x,o::r-x
-acl-delete-def-file /iso/directory
-cap-get-file /iso/known-1
-cap-set-file /iso/known-1 "cap_chown=p"
