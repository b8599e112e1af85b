virt-ls -a demo.img -m /dev/sda2 -lR --extra-stats --uids --checksum=sha256 /etc
