virt-ls -a parts.img -m /dev/sda1 -lR --extra-stats --uids /
