virt-df -a demo.img
