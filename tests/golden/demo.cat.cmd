virt-cat -a demo.img /etc/fstab /etc/hostname
