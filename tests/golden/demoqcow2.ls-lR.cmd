virt-ls -a demo.qcow2 -lR /
