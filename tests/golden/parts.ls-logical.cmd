virt-ls -a parts.img -m /dev/sda5 -lR --checksum /data
