virt-cat -a parts.img -m /dev/sda5 /data/big.bin | sha256sum
