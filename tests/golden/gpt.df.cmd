virt-df -a gpt.img
