virt-ls -a demo.img -lR /
