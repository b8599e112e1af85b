virt-ls -a gpt.img -m /dev/sda1 /many
