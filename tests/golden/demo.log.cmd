virt-log -a demo.img
