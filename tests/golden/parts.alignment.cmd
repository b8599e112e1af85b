virt-alignment-scan -a parts.img
