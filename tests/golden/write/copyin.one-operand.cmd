virt-copy-in -a demo.img /etc
