virt-cat --format=qcow2 -a demo-overlay.qcow2 /etc/hostname
