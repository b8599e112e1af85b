virt-cat -c 'qemu+unix:///system?socket=/nonexistent/libvirt-sock' -d demo /etc/fstab
