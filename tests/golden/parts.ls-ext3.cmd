virt-ls -a parts.img -m /dev/sda2 -lR --csv --extra-stats /etc
