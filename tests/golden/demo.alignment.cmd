virt-alignment-scan -a demo.img
