virt-ls --format=qcow2 -a demo-overlay.qcow2 -lR /etc
