virt-df -c 'qemu+unix:///system?socket=/nonexistent/libvirt-sock'
