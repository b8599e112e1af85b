virt-df -a demo.img -h
