virt-ls -a parts.img -m /dev/sda6 /
