virt-cat -a demo.img /etc/nothere
