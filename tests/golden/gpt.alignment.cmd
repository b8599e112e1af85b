virt-alignment-scan -a gpt.img
