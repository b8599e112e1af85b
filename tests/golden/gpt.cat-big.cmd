virt-cat -a gpt.img -m /dev/sda1 /data/big.bin | sha256sum
