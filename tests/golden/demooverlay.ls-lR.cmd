virt-ls -a demo-overlay.qcow2 --format=qcow2 -lR /etc
