virt-cat -c test:///default -d test /etc/fstab
