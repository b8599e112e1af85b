virt-ls -a gpt.img -m /dev/sda1 -lR --extra-stats --uids /
