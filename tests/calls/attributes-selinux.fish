# SELinux: the daemon's own context, and relabelling (setfiles is not in the appliance of
# a Debian host, so 1.48 reports the group unavailable).
mount /dev/sdb1 /
available selinux
-available selinuxrelabel
feature-available selinuxrelabel
# The context itself depends on the appliance kernel's major LSM (1.48 boots Debian's with
# AppArmor, which answers "unconfined"; ours boots with apparmor=0): its shape is compared.
getcon | grep -c '^[a-z_:]\+$'
-setcon ""
mkdir-p /etc/selinux/targeted/contexts/files
write /etc/selinux/targeted/contexts/files/file_contexts "/.*\tsystem_u:object_r:etc_t:s0\n"
-selinux-relabel /etc/selinux/targeted/contexts/files/file_contexts /
-selinux-relabel /etc/selinux/targeted/contexts/files/file_contexts / force:true
-selinux-relabel /etc/selinux/targeted/contexts/files/file_contexts relative
