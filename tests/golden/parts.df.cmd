virt-df -a parts.img
