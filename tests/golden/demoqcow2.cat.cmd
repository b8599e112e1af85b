virt-cat -a demo.qcow2 /etc/fstab
